import MeterCore
import Testing

@Suite struct TimestampParserTests {
    func instant(_ s: String) -> Int64? {
        if case .success(.instant(let v)) = TimestampParser.parse(s) { return v }
        return nil
    }

    func naive(_ s: String) -> Int64? {
        if case .success(.naive(let v)) = TimestampParser.parse(s) { return v }
        return nil
    }

    @Test func isoWithZuluAndOffsets() {
        #expect(instant("2026-11-28T08:30:00Z") == 1_795_854_600)
        #expect(instant("2026-11-28T18:30:00+10:00") == 1_795_854_600)
        #expect(instant("2026-11-28T18:30:00+1000") == 1_795_854_600)
        #expect(instant("2026-11-28T03:30:00-05") == 1_795_854_600)
        #expect(instant("2026-11-28 08:30:00.123Z") == 1_795_854_600)
        #expect(instant("2026-11-28T08:30Z") == 1_795_854_600)
    }

    @Test func naiveTimes() {
        #expect(naive("2012-02-10 08:00:00") == 1_328_860_800)
        #expect(naive("2012-02-10T08:00") == 1_328_860_800)
        #expect(naive("2012/02/10 8:00") == 1_328_860_800)
        #expect(naive("2012-02-10") == 1_328_832_000)
        #expect(naive("2012-02-10 24:00:00") == 1_328_918_400)
    }

    @Test func epochAndExcel() {
        #expect(instant("1795854600") == 1_795_854_600)
        #expect(instant("1795854600000") == 1_795_854_600)
        // Excel 1900 system: 45000.5 is 2023-03-15 12:00.
        #expect(naive("45000.5") == CivilDate(year: 2023, month: 3, day: 15).daysSinceEpoch * 86_400 + 43_200)
        if case .success(.naive(let v)) = TimestampParser.parse("0", numeric: .excel1904) {
            #expect(v == CivilDate(year: 1904, month: 1, day: 1).daysSinceEpoch * 86_400)
        } else {
            Issue.record("1904 serial not read")
        }
        #expect(instant("1795854600") == nil || TimestampParser.parse("1795854600", numeric: .epochSeconds) == .success(.instant(1_795_854_600)))
    }

    @Test(arguments: ["", "   ", "2026-02-30 00:00", "2026-13-01", "2026-11-28T25:00", "2026-11-28T10:60",
                      "2026-11-28T10:00:00+25:00", "yesterday", "12:00", "2026-11-28X10:00", "2026-11-28T10:00:00Zjunk",
                      "99999999999999999999", "1.2.3", "-", "2026-11-28T24:30"])
    func rejectsWithoutCrashing(_ text: String) {
        #expect(throws: TimestampError.self) { try TimestampParser.parse(text).get() }
    }

    @Test func randomBytesNeverCrash() {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789-:T Z+./,eE".utf8)
        for _ in 0..<20_000 {
            let n = Int.random(in: 0..<30, using: &g)
            let bytes = (0..<n).map { _ in alphabet.randomElement(using: &g) ?? 0 }
            _ = bytes.withUnsafeBytes { TimestampParser.parse($0) }
        }
    }

    @Test func isoFormatterRoundTrips() {
        for t: Int64 in [0, 1_795_854_600, -86_400, 951_782_400] {
            #expect(instant(ISO8601.format(t)) == t)
        }
    }
}
