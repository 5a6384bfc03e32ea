import MeterCore

/// Prices energy under a tariff: per local day, the energy in each band and its cost plus the
/// standing charge; months are the sum of their days. Readings are placed by their local start
/// time (`offset` gives the zone's offset at an instant); costs are in pounds.
public struct CostCalculator: Sendable {
    public var tariff: Tariff
    /// Meters whose summed energy is priced: each pays its own standing charge.
    public var meters: Int
    public var offset: @Sendable (Int64) -> Int

    public init(tariff: Tariff, meters: Int = 1, offset: @escaping @Sendable (Int64) -> Int = { _ in 0 }) {
        self.tariff = tariff
        self.meters = max(1, meters)
        self.offset = offset
    }

    /// One local day's energy and cost.
    public struct Day: Sendable, Equatable {
        public var date: CivilDate
        public var kwh: Double
        /// kWh per band name ("standard" for hours outside every band).
        public var kwhByBand: [String: Double]
        public var energyCost: Double
        public var standingCharge: Double
        public var cost: Double { energyCost + standingCharge }
    }

    /// One calendar month (local).
    public struct Month: Sendable, Equatable {
        public var year: Int
        public var month: Int
        public var days: Int
        public var kwh: Double
        public var cost: Double
    }

    /// Days in order, each with the energy of the readings (start, kWh) that begin on it.
    public func days(_ readings: [(start: Int64, kwh: Double)]) -> [Day] {
        var byDay: [Int64: Day] = [:]
        for r in readings where r.kwh.isFinite {
            let local = r.start + Int64(offset(r.start))
            let dayNumber = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
            let minute = Int((local - dayNumber * 86_400) / 60)
            let weekday = Int(((dayNumber + 3) % 7 + 7) % 7)
            let band = tariff.band(minute: minute, weekday: weekday)
            let rate = band?.rate ?? tariff.standardRate
            var d = byDay[dayNumber] ?? Day(date: CivilDate(daysSinceEpoch: dayNumber), kwh: 0, kwhByBand: [:], energyCost: 0,
                                            standingCharge: Double(meters) * tariff.standingCharge / 100)
            d.kwh += r.kwh
            d.kwhByBand[band?.name ?? "standard", default: 0] += r.kwh
            d.energyCost += r.kwh * rate / 100
            byDay[dayNumber] = d
        }
        return byDay.sorted { $0.key < $1.key }.map(\.value)
    }

    public func months(_ days: [Day]) -> [Month] {
        var out: [Month] = []
        for d in days {
            if let last = out.last, last.year == d.date.year, last.month == d.date.month {
                out[out.count - 1].days += 1
                out[out.count - 1].kwh += d.kwh
                out[out.count - 1].cost += d.cost
            } else {
                out.append(Month(year: d.date.year, month: d.date.month, days: 1, kwh: d.kwh, cost: d.cost))
            }
        }
        return out
    }

    /// The whole period's energy and cost.
    public func total(_ readings: [(start: Int64, kwh: Double)]) -> (kwh: Double, cost: Double, days: Int) {
        let d = days(readings)
        return (d.reduce(0) { $0 + $1.kwh }, d.reduce(0) { $0 + $1.cost }, d.count)
    }
}
