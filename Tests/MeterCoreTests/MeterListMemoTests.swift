import Testing
import MeterCore

/// A remembered list is found again by an equal list, whatever its storage, and by nothing else.
@Suite struct MeterListMemoTests {
    func meters(_ names: [String]) -> [MeterID] { names.map { MeterID($0)! } }

    @Test func findsAnEqualListAndOnlyThat() {
        var memo = MeterListMemo<[Int]>(shortest: 1)
        let list = meters(["A-1", "A-2", "A-3"])
        memo.remember([1, 2, 3], for: list)
        // An equal list built afresh (another buffer), as the next request's parse makes it.
        #expect(memo.value(for: meters(["A-1", "A-2", "A-3"])) == [1, 2, 3])
        #expect(memo.value(for: meters(["A-2", "A-1", "A-3"])) == nil)
        #expect(memo.value(for: meters(["A-1", "A-2"])) == nil)
        #expect(memo.value(for: meters(["A-1", "A-2", "A-4"])) == nil)
        #expect(memo.value(for: []) == nil)
    }

    @Test func anEqualListReplacesItsValue() {
        var memo = MeterListMemo<Int>(shortest: 1)
        memo.remember(1, for: meters(["X"]))
        memo.remember(2, for: meters(["X"]))
        #expect(memo.value(for: meters(["X"])) == 2)
        #expect(memo.count == 1)
    }

    @Test func keepsTheMostRecentLists() {
        var memo = MeterListMemo<Int>(capacity: 3, shortest: 1)
        for k in 0..<5 { memo.remember(k, for: meters(["M-\(k)", "N"])) }
        #expect(memo.count == 3)
        #expect(memo.value(for: meters(["M-0", "N"])) == nil)
        #expect(memo.value(for: meters(["M-1", "N"])) == nil)
        #expect((2..<5).allSatisfy { (k: Int) in memo.value(for: meters(["M-\(k)", "N"])) == k })
        memo.removeAll()
        #expect(memo.value(for: meters(["M-4", "N"])) == nil)
    }

    @Test func aListShorterThanTheShortestIsNotRemembered() {
        var memo = MeterListMemo<Int>(shortest: 3)
        memo.remember(1, for: meters(["A", "B"]))
        memo.remember(2, for: meters(["A", "B", "C"]))
        #expect(memo.value(for: meters(["A", "B"])) == nil && memo.count == 1)
        #expect(memo.value(for: meters(["A", "B", "C"])) == 2)
    }
}
