/// Settlement periods of a market day: the half hours from local midnight to local midnight,
/// numbered from 1. In Europe/London a day has 48, or 46 and 50 on the clock-change days.
public struct SettlementCalendar: Sendable {
    public let spec: TimeZoneSpec
    /// Whether days are UTC days (no zone arithmetic needed).
    public let isUTC: Bool
    private let resolver: LocalTimeResolver

    public init(_ spec: TimeZoneSpec = .named("Europe/London")) {
        self.spec = spec
        isUTC = spec == .utc
        resolver = LocalTimeResolver(spec, ambiguous: .earlier, nonexistent: .shiftForward)
    }

    /// The UTC instant at which a local date begins.
    public func startOfDay(_ date: CivilDate) -> Int64 {
        var r = resolver
        switch r.resolve(local: date.daysSinceEpoch * 86_400) {
        case .success(let s): return s
        case .failure: return date.daysSinceEpoch * 86_400
        }
    }

    /// How many half-hour settlement periods the local date has.
    public func periods(on date: CivilDate) -> Int {
        Int((startOfDay(date.adding(days: 1)) - startOfDay(date)) / 1800)
    }

    /// The local settlement date and period (1-based) that an instant falls in.
    public func period(of epochSeconds: Int64) -> (date: CivilDate, period: Int) {
        let localDay = CivilDate(epochSeconds: epochSeconds + Int64(resolver.offset(atInstant: epochSeconds)))
        let start = startOfDay(localDay)
        return (localDay, Int(CivilDate.floorDiv(epochSeconds - start, 1800)) + 1)
    }

    /// The local date of an instant.
    public func localDate(of epochSeconds: Int64) -> CivilDate {
        CivilDate(epochSeconds: epochSeconds + Int64(resolver.offset(atInstant: epochSeconds)))
    }
}
