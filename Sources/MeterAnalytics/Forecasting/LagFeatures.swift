import Foundation

/// What the regression and neural models know about a target step when forecasting from an origin:
/// the same slot a day, two days and a week before, how far the last value before the origin sits
/// from its own day- and week-earlier values (fading over the first hours), the mean of the last
/// day and, when temperatures are known, cooling and heating degrees at the target.
///
/// Every lag reaches back at least one season, so one set of features serves every step of a
/// day-ahead forecast; training rows come from origins at the same slot of the day as the real one.
struct LagFeatures: Sendable {
    let season: Int
    let useTemperature: Bool

    init(season: Int, useTemperature: Bool) {
        self.season = season
        self.useTemperature = useTemperature
    }

    var count: Int { useTemperature ? 12 : 8 }

    /// The earliest origin whose features reach only into the history.
    var firstOrigin: Int { 7 * season + 1 }

    /// Temperature above which demand for cooling grows, and below which heating does (°C).
    static let coolingBase = 20.0
    static let heatingBase = 14.0

    func fill(_ x: [Double], _ input: ForecastInput, origin o: Int, target t: Int, into f: inout [Double]) {
        let s = season
        let fade = exp(-Double(t - o) / Double(max(1, s / 6)))
        let last = x[o - 1]
        var dayMean = 0.0
        for i in (o - s)..<o { dayMean += x[i] }
        dayMean /= Double(s)
        f[0] = x[t - s]
        f[1] = x[t - 2 * s]
        f[2] = x[t - 7 * s]
        f[3] = x[t - s] - x[t - 7 * s]
        f[4] = (last - x[o - 1 - s]) * fade
        f[5] = (last - x[o - 1 - 7 * s]) * fade
        f[6] = dayMean
        f[7] = last * fade
        if useTemperature {
            let temp = input.temperature(at: t) ?? Self.coolingBase
            let before = input.temperature(at: t - s) ?? temp
            let cooling = max(temp - Self.coolingBase, 0)
            f[8] = cooling
            f[9] = cooling * cooling
            f[10] = max(Self.heatingBase - temp, 0)
            f[11] = temp - before
        }
    }

    /// Origins in the history at the same slot of the day as `origin`, oldest first.
    func trainingOrigins(historyCount n: Int, origin: Int) -> [Int] {
        var first = origin % season
        while first < firstOrigin { first += season }
        return Array(stride(from: first, to: n, by: season))
    }
}
