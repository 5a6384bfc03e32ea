@testable import MeterStore
import Testing

@Suite struct BlockWriterTests {
    /// Blocks are written in the table's key order, day first, and rows of one day keep the order
    /// they were given (so a key's rows apply in that order), whether the days are few or far apart.
    @Test(arguments: [Int64(3), 1_000_000])
    func rowsAreTakenByDayKeepingTheirOrderWithinADay(spread: Int64) {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let days = (0..<Int.random(in: 0...300, using: &rng)).map { _ in Int64.random(in: -spread...spread, using: &rng) }
            let order = BlockWriter.byDay(days)
            #expect(order.sorted() == Array(days.indices))
            #expect(order == days.indices.sorted { days[$0] != days[$1] ? days[$0] < days[$1] : $0 < $1 })
        }
    }
}
