import Foundation
import MeterAnalytics
import MeterCore
import MeterStore

/// Forecasts, costs and what-ifs of stored or read series: the one place that turns readings into
/// a gap-free series on its interval grid and a forecast back into timestamps, for the command line
/// and the API alike.
public enum MeterForecasting {
    /// A series of energy per step: starts on a regular grid, gaps allowed.
    public struct Points: Sendable {
        public var starts: [Int64]
        public var kwh: [Double]
        public var stepSeconds: Int64

        public init(starts: [Int64], kwh: [Double], stepSeconds: Int64) {
            self.starts = starts
            self.kwh = kwh
            self.stepSeconds = stepSeconds
        }

        /// Sums readings that share a start (several meters make a source or the fleet).
        public init(readings: [Reading]) {
            var sums: [Int64: Double] = [:]
            var minutes: [Int: Int] = [:]
            for r in readings where r.kwh.isFinite {
                sums[r.start, default: 0] += r.kwh
                minutes[r.minutes, default: 0] += 1
            }
            let step = Int64(minutes.max { $0.value < $1.value }?.key ?? 30) * 60
            let sorted = sums.sorted { $0.key < $1.key }
            self.init(starts: sorted.map(\.key), kwh: sorted.map(\.value), stepSeconds: step)
        }

        public var readings: [(start: Int64, kwh: Double)] { zip(starts, kwh).map { ($0, $1) } }
    }

    /// A forecast with the instants of its steps.
    public struct Result: Sendable {
        public var starts: [Int64]
        public var stepSeconds: Int64
        public var forecast: Forecast
        /// Steps of history the model saw.
        public var historySteps: Int
    }

    /// The last `windowDays` of the points as a forecast input, and the start of its first step.
    public static func input(_ points: Points, windowDays: Int, offset: @Sendable (Int64) -> Int,
                             temperature: [Double]? = nil) -> (input: ForecastInput, firstStart: Int64)? {
        guard let last = points.starts.last, points.stepSeconds > 0 else { return nil }
        let step = points.stepSeconds
        let firstWanted = last - Int64(windowDays) * 86_400 + step
        let first = max(points.starts.first ?? last, firstWanted)
        let aligned = first - ((first - (points.starts.first ?? first)) % step)
        let count = Int((last - aligned) / step) + 1
        guard count > 0 else { return nil }
        var values = [Double?](repeating: nil, count: count)
        for (s, v) in zip(points.starts, points.kwh) where s >= aligned {
            let i = Int((s - aligned) / step)
            if i >= 0, i < count { values[i] = v }
        }
        let local = aligned + Int64(offset(aligned))
        let day = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        let season = max(1, Int(86_400 / step))
        let slot = Int((local - day * 86_400) / step)
        let input = ForecastInput.filling(values, season: season, firstSlot: slot, firstWeekday: Int(((day + 3) % 7 + 7) % 7),
                                          temperature: temperature)
        return (input, aligned)
    }

    /// Forecasts the `horizon` steps after the last point.
    public static func forecast(_ points: Points, horizon: Int, levels: [Double], model: String, windowDays: Int = 84,
                                offset: @Sendable (Int64) -> Int = { _ in 0 }) throws -> Result {
        guard let (input, first) = input(points, windowDays: windowDays, offset: offset) else {
            throw ForecastError.tooShort(have: 0, need: 1)
        }
        let forecaster = try Forecaster(model: model)
        let f = try forecaster.forecast(input, horizon: horizon, levels: levels)
        let next = first + Int64(input.count) * points.stepSeconds
        let starts = (0..<horizon).map { next + Int64($0) * points.stepSeconds }
        return Result(starts: starts, stepSeconds: points.stepSeconds, forecast: f, historySteps: input.count)
    }

    /// The stored history of a meter, a source or (both nil) the fleet, summed per step, over the
    /// `windowDays` before its latest reading.
    public static func points(store: any ReadingStore, meter: MeterID?, source: SourceID?, windowDays: Int) async throws -> (points: Points, meters: Int) {
        let meters: [MeterSnapshot]
        if let meter {
            meters = try await store.meter(meter).map { [$0] } ?? []
        } else {
            meters = try await store.meters().filter { source == nil || $0.meter.source == source }
        }
        guard let latest = meters.compactMap({ $0.latest?.start }).max() else {
            return (Points(starts: [], kwh: [], stepSeconds: 1800), meters.count)
        }
        let from = latest - Int64(windowDays) * 86_400
        let collected = Collected()
        try await store.scan(ReadingFilter(meter: meter, source: source, from: from, to: latest + 1)) { collected.add($0) }
        return (Points(readings: collected.all), meters.count)
    }

    /// Readings gathered by a scan callback.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var readings: [Reading] = []
        func add(_ r: Reading) { lock.lock(); readings.append(r); lock.unlock() }
        var all: [Reading] { lock.lock(); defer { lock.unlock() }; return readings }
    }

    /// The forecast as CSV: `timestamp,mean,lo80,hi80,lo95,hi95` (one pair per level).
    public static func csv(_ r: Result) -> String {
        let levels = r.forecast.intervals
        func pct(_ l: Double) -> String { String(format: "%g", (l * 1000).rounded() / 10) }
        var out = "timestamp,mean" + levels.map { ",lo\(pct($0.level)),hi\(pct($0.level))" }.joined() + "\n"
        func num(_ v: Double) -> String { String(format: "%.6g", v) }
        for (i, s) in r.starts.enumerated() {
            out += ISO8601.format(s) + "," + num(r.forecast.mean[i])
            for l in levels { out += "," + num(l.lower[i]) + "," + num(l.upper[i]) }
            out += "\n"
        }
        return out
    }
}
