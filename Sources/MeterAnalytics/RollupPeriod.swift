import MeterCore

/// The periods readings roll up into. Days, weeks and months follow the calendar of a zone
/// (UTC unless told); settlement periods are the market day's half hours (46, 48 or 50 a day).
public enum RollupPeriod: String, Sendable, CaseIterable, Codable {
    case settlementPeriod = "period"
    case hour
    case day
    case week
    case month

    /// The start (UTC epoch seconds) of the period an instant falls in.
    @inline(__always)
    public func bucketStart(of start: Int64, calendar: SettlementCalendar) -> Int64 {
        switch self {
        case .settlementPeriod:
            return CivilDate.floorDiv(start, 1800) * 1800
        case .hour:
            return CivilDate.floorDiv(start, 3600) * 3600
        case .day:
            if calendar.isUTC { return CivilDate.floorDiv(start, 86_400) * 86_400 }
            return calendar.startOfDay(calendar.localDate(of: start))
        case .week:
            let d = calendar.localDate(of: start)
            return calendar.startOfDay(d.adding(days: Int64(1 - d.isoWeekday)))
        case .month:
            let d = calendar.localDate(of: start)
            return calendar.startOfDay(CivilDate(year: d.year, month: d.month, day: 1))
        }
    }

    /// The label of the period that starts at `bucketStart`: `2026-11-28/17`, an ISO hour,
    /// `2026-11-28`, `2026-W48`, `2026-11`.
    public func label(ofBucketStarting bucketStart: Int64, calendar: SettlementCalendar) -> String {
        switch self {
        case .settlementPeriod:
            let (date, period) = calendar.period(of: bucketStart)
            return "\(date)/\(period)"
        case .hour:
            return ISO8601.format(bucketStart)
        case .day:
            return calendar.localDate(of: bucketStart).description
        case .week:
            return Self.isoWeekLabel(calendar.localDate(of: bucketStart))
        case .month:
            return String(calendar.localDate(of: bucketStart).description.prefix(7))
        }
    }

    /// `2026-W48`: the ISO 8601 week-numbering year and week.
    public static func isoWeekLabel(_ d: CivilDate) -> String {
        let thursday = d.adding(days: Int64(4 - d.isoWeekday))
        let jan1 = CivilDate(year: thursday.year, month: 1, day: 1)
        let week = (thursday.daysSinceEpoch - jan1.daysSinceEpoch) / 7 + 1
        return "\(thursday.year)-W\(week < 10 ? "0" : "")\(week)"
    }
}
