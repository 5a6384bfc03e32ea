import MeterCore
import Testing

@Suite struct LocalTimeResolverTests {
    func local(_ s: String) -> Int64 {
        guard case .success(.naive(let v)) = TimestampParser.parse(s) else { return .min }
        return v
    }

    func utc(_ s: String) -> Int64 {
        guard case .success(.instant(let v)) = TimestampParser.parse(s) else { return .min }
        return v
    }

    @Test func londonSpringForwardIsNonexistent() {
        var r = LocalTimeResolver(.named("Europe/London"))
        #expect(r.resolve(local: local("2026-03-29 01:30")) == .failure(.nonexistent))
        #expect(r.resolve(local: local("2026-03-29 00:30")) == .success(utc("2026-03-29T00:30:00Z")))
        #expect(r.resolve(local: local("2026-03-29 02:00")) == .success(utc("2026-03-29T01:00:00Z")))
        var shift = LocalTimeResolver(.named("Europe/London"), nonexistent: .shiftForward)
        #expect(shift.resolve(local: local("2026-03-29 01:30")) == .success(utc("2026-03-29T01:30:00Z")))
    }

    @Test func londonFallBackIsAmbiguous() {
        var reject = LocalTimeResolver(.named("Europe/London"))
        #expect(reject.resolve(local: local("2026-10-25 01:30")) == .failure(.ambiguous))
        var earlier = LocalTimeResolver(.named("Europe/London"), ambiguous: .earlier)
        #expect(earlier.resolve(local: local("2026-10-25 01:30")) == .success(utc("2026-10-25T00:30:00Z")))
        var later = LocalTimeResolver(.named("Europe/London"), ambiguous: .later)
        #expect(later.resolve(local: local("2026-10-25 01:30")) == .success(utc("2026-10-25T01:30:00Z")))
        #expect(later.resolve(local: local("2026-10-25 02:00")) == .success(utc("2026-10-25T02:00:00Z")))
    }

    @Test func sydneyClockChanges() {
        // Daylight time ends 2026-04-05 03:00 (clocks back to 02:00); starts 2026-10-04 02:00 (to 03:00).
        var r = LocalTimeResolver(.named("Australia/Sydney"))
        #expect(r.resolve(local: local("2026-04-05 02:30")) == .failure(.ambiguous))
        #expect(r.resolve(local: local("2026-10-04 02:30")) == .failure(.nonexistent))
        #expect(r.resolve(local: local("2026-10-04 03:00")) == .success(utc("2026-10-03T16:00:00Z")))
        #expect(r.resolve(local: local("2026-07-01 12:00")) == .success(utc("2026-07-01T02:00:00Z")))
        #expect(r.resolve(local: local("2026-01-01 12:00")) == .success(utc("2026-01-01T01:00:00Z")))
        var earlier = LocalTimeResolver(.named("Australia/Sydney"), ambiguous: .earlier)
        #expect(earlier.resolve(local: local("2026-04-05 02:30")) == .success(utc("2026-04-04T15:30:00Z")))
    }

    @Test func fixedOffsetsNeverFail() {
        var r = LocalTimeResolver(TimeZoneSpec("+10:00") ?? .utc)
        #expect(r.resolve(local: local("2026-10-04 02:30")) == .success(utc("2026-10-03T16:30:00Z")))
        #expect(TimeZoneSpec("-05:30") == .fixed(seconds: -19_800))
        #expect(TimeZoneSpec("UTC") == .utc)
        #expect(TimeZoneSpec("Mars/Olympus") == nil)
        #expect(TimeZoneSpec("+10:00")?.description == "+10:00")
    }
}
