import MeterCore
import Testing

@Suite struct MeterIDTests {
    @Test(arguments: ["SMR89134A", "10006414", "a.b_c:d-e", String(repeating: "x", count: 64)])
    func accepts(_ s: String) {
        #expect(MeterID(s)?.rawValue == s)
        #expect(MeterID(Substring(s))?.rawValue == s)
        #expect(Array(s.utf8).withUnsafeBytes { MeterID(utf8: $0) }?.rawValue == s)
    }

    @Test(arguments: ["", "has space", "semi;colon", "ünï", String(repeating: "x", count: 65), "a/b"])
    func rejects(_ s: String) {
        #expect(MeterID(s) == nil)
        #expect(Array(s.utf8).withUnsafeBytes { MeterID(utf8: $0) } == nil)
    }

    @Test func sourceIDsTakeTheSameAlphabetUpTo32() {
        #expect(SourceID("A")?.rawValue == "A")
        #expect(SourceID(String(repeating: "s", count: 32)) != nil)
        #expect(SourceID(String(repeating: "s", count: 33)) == nil)
        #expect(SourceID("a b") == nil && SourceID("") == nil && SourceID("é") == nil)
    }

    @Test func batchInternsMeters() {
        var b = ReadingBatch()
        let a = b.intern(MeterID("A1")!), c = b.intern(MeterID("C1")!), a2 = b.intern(MeterID("A1")!)
        #expect(a == a2 && a != c && b.meters.count == 2)
        b.append(Reading(meter: MeterID("A1")!, start: 1800, kwh: 1.5, quality: .estimated, rule: "gap_estimation"))
        #expect(b.reading(at: 0) == Reading(meter: MeterID("A1")!, start: 1800, kwh: 1.5, quality: .estimated, rule: "gap_estimation"))
    }
}
