import MeterCore

/// The periods readings roll up into. Days, weeks and months follow the calendar of a zone
/// (UTC unless told); settlement periods are the market day's half hours (46, 48 or 50 a day).
public enum RollupPeriod: String, Sendable, CaseIterable, Codable {
    case settlementPeriod = "period"
    case hour
    case day
    case week
    case month

    /// The bucket an instant falls in: its start (UTC epoch seconds) and its label.
    public func bucket(of start: Int64, calendar: SettlementCalendar) -> (start: Int64, label: String) {
        switch self {
        case .settlementPeriod:
            let (date, period) = calendar.period(of: start)
            return (CivilDate.floorDiv(start, 1800) * 1800, "\(date)/\(period)")
        case .hour:
            return (CivilDate.floorDiv(start, 3600) * 3600, ISO8601.format(CivilDate.floorDiv(start, 3600) * 3600))
        case .day:
            let d = calendar.localDate(of: start)
            return (calendar.startOfDay(d), d.description)
        case .week:
            let d = calendar.localDate(of: start)
            let monday = d.adding(days: Int64(1 - d.isoWeekday))
            return (calendar.startOfDay(monday), Self.isoWeekLabel(d))
        case .month:
            let d = calendar.localDate(of: start)
            let first = CivilDate(year: d.year, month: d.month, day: 1)
            return (calendar.startOfDay(first), String(first.description.prefix(7)))
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
