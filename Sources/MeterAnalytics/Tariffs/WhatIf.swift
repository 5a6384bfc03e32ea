/// Applies a scenario to a forecast of a meter, a source or the fleet (the sum of `meters` meters)
/// and prices both the baseline and the scenario.
public enum WhatIf {
    public struct Outcome: Sendable, Equatable {
        public var baselineKWh: Double
        public var scenarioKWh: Double
        public var baselineCost: Double
        public var scenarioCost: Double
        /// Meters that charge a vehicle in the scenario.
        public var evMeters: Int
        /// The scenario's energy per step.
        public var scenario: [Double]
        public var deltaKWh: Double { scenarioKWh - baselineKWh }
        public var deltaCost: Double { scenarioCost - baselineCost }
    }

    /// `starts` are the instants of the forecast's steps, `stepMinutes` their length; `offset` gives
    /// the local offset (seconds) at an instant. The number of EV meters is the share of `meters`,
    /// rounded to the nearest whole meter.
    public static func apply(_ scenario: Scenario, forecast: [Double], starts: [Int64], stepMinutes: Int, meters: Int,
                             baseline tariff: Tariff, offset: @escaping @Sendable (Int64) -> Int = { _ in 0 }) -> Outcome {
        let evMeters = Int((scenario.evShare * Double(max(1, meters))).rounded())
        var changed: [Double] = []
        for (i, v) in forecast.enumerated() where i < starts.count {
            let local = starts[i] + Int64(offset(starts[i]))
            let minute = Int(((local % 86_400) + 86_400) % 86_400 / 60)
            changed.append(max(0, v) * scenario.loadFactor + Double(evMeters) * scenario.ev.kwh(minute: minute, stepMinutes: stepMinutes))
        }
        let base = zip(starts, forecast.map { max(0, $0) }).map { (start: $0, kwh: $1) }
        let new = zip(starts, changed).map { (start: $0, kwh: $1) }
        let b = CostCalculator(tariff: tariff, meters: meters, offset: offset).total(base)
        let s = CostCalculator(tariff: scenario.tariff ?? tariff, meters: meters, offset: offset).total(new)
        return Outcome(baselineKWh: b.kwh, scenarioKWh: s.kwh, baselineCost: b.cost, scenarioCost: s.cost,
                       evMeters: evMeters, scenario: changed)
    }
}
