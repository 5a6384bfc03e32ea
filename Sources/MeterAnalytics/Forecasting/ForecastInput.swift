/// A series ready to forecast: values on a regular grid with no gaps, how many steps make a day,
/// where in the day and week the first value falls, and optionally the temperature at every step
/// of the history and of the horizon to come.
public struct ForecastInput: Sendable {
    public var values: [Double]
    /// Steps per day (48 for half-hourly readings).
    public var season: Int
    /// Slot of the day of `values[0]` (0 is the step starting at local midnight).
    public var firstSlot: Int
    /// Day of the week of `values[0]`, 0 = Monday.
    public var firstWeekday: Int
    /// Temperature (°C) per step, covering the history and the horizon; nil when unknown.
    public var temperature: [Double]?

    public init(values: [Double], season: Int = 48, firstSlot: Int = 0, firstWeekday: Int = 0, temperature: [Double]? = nil) {
        self.values = values
        self.season = max(1, season)
        self.firstSlot = ((firstSlot % self.season) + self.season) % self.season
        self.firstWeekday = ((firstWeekday % 7) + 7) % 7
        self.temperature = temperature
    }

    public var count: Int { values.count }
    public var week: Int { 7 * season }

    /// Slot of the day of step `t` (t may lie past the history).
    public func slot(_ t: Int) -> Int { (firstSlot + t) % season }
    /// Day of the week of step `t`, 0 = Monday.
    public func weekday(_ t: Int) -> Int { (firstWeekday + (firstSlot + t) / season) % 7 }

    /// The temperature at step `t`, when it is known there.
    public func temperature(at t: Int) -> Double? {
        guard let temperature, t >= 0, t < temperature.count else { return nil }
        return temperature[t]
    }

    /// Whether temperatures cover the next `horizon` steps.
    public func hasTemperature(horizon: Int) -> Bool { (temperature?.count ?? 0) >= values.count + horizon }

    /// The first `n` steps, as the history a forecast made at step `n` would have had.
    public func prefix(_ n: Int) -> ForecastInput {
        var copy = self
        copy.values = Array(values.prefix(n))
        return copy
    }

    /// The last `n` steps (the fitting window), with slot, weekday and temperatures shifted to match.
    public func suffix(_ n: Int) -> ForecastInput {
        let drop = max(0, values.count - n)
        return ForecastInput(values: Array(values.dropFirst(drop)), season: season, firstSlot: slot(drop),
                      firstWeekday: weekday(drop), temperature: temperature.map { Array($0.dropFirst(drop)) })
    }

    /// A gap-free series from one with holes: a missing step takes the value of the same slot a week
    /// earlier, else a day earlier, else the last known value, else the series' mean.
    public static func filling(_ values: [Double?], season: Int = 48, firstSlot: Int = 0, firstWeekday: Int = 0,
                               temperature: [Double]? = nil) -> ForecastInput {
        let known = values.compactMap { $0 }
        let mean = known.isEmpty ? 0 : known.reduce(0, +) / Double(known.count)
        var out = [Double](repeating: 0, count: values.count)
        var last: Double?
        for (t, v) in values.enumerated() {
            if let v, v.isFinite {
                out[t] = v
                last = v
            } else if t >= 7 * season {
                out[t] = out[t - 7 * season]
            } else if t >= season {
                out[t] = out[t - season]
            } else {
                out[t] = last ?? mean
            }
        }
        return ForecastInput(values: out, season: season, firstSlot: firstSlot, firstWeekday: firstWeekday, temperature: temperature)
    }
}
