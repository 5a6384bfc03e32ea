/// Several suppliers' tariffs priced over the same consumption, cheapest first.
public enum TariffComparison {
    public struct Row: Sendable, Equatable {
        public var tariff: String
        public var kwh: Double
        public var days: Int
        public var cost: Double
        /// Cost scaled to 365 days of the same consumption.
        public var annualCost: Double
        /// Extra cost over the cheapest tariff.
        public var overCheapest: Double
    }

    public static func compare(_ tariffs: [Tariff], readings: [(start: Int64, kwh: Double)], meters: Int = 1,
                               offset: @escaping @Sendable (Int64) -> Int = { _ in 0 }) -> [Row] {
        var rows = tariffs.map { t -> Row in
            let total = CostCalculator(tariff: t, meters: meters, offset: offset).total(readings)
            return Row(tariff: t.name, kwh: total.kwh, days: total.days, cost: total.cost,
                       annualCost: total.days > 0 ? total.cost * 365 / Double(total.days) : 0, overCheapest: 0)
        }
        rows.sort { $0.cost < $1.cost }
        let cheapest = rows.first?.cost ?? 0
        for i in rows.indices { rows[i].overCheapest = rows[i].cost - cheapest }
        return rows
    }
}
