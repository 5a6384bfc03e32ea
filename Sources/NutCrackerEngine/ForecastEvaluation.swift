import Foundation
import MeterAnalytics
import MeterCore

/// The forecasting evaluation: rolling-origin day-ahead forecasts on real load series, each fold
/// fitted on the weeks before its origin, scored by MASE and interval coverage, beside Nixtla's
/// statsforecast run by `scripts/eval/forecast_peers.py` on exactly the same folds.
public enum ForecastEvaluation {
    /// A series with its gaps filled for fitting, and what was really measured for scoring.
    public struct Series: Sendable {
        public var name: String
        public var input: ForecastInput
        public var measured: [Double?]
    }

    /// A data set's series and the origins (indices) of its folds.
    public struct DataSet: Sendable {
        public var name: String
        public var series: [Series]
    }

    public struct Options: Sendable {
        public var folds = 20
        public var horizon = 48
        public var windowDays = 84
        public var levels = [0.8, 0.95]
        public var useTemperature = true
        public init() {}
    }

    /// Origins at the start of a day, `folds` of them spread over the last year, newest last.
    public static func origins(_ s: Series, options: Options) -> [Int] {
        let season = s.input.season
        let n = s.input.count
        var last = n - options.horizon
        while last > 0, s.input.slot(last) != 0 { last -= 1 }
        let spacing = max(1, 365 / max(1, options.folds))
        return (0..<options.folds).map { last - $0 * spacing * season }
            .filter { $0 >= options.windowDays * season }.reversed()
    }

    /// `vic_electricity.csv`: half-hourly demand (MW) with temperature, UTC, no gaps. Days are taken
    /// to start at the file's first row (local midnight).
    public static func victoria(path: String) throws -> DataSet {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var demand: [Double?] = [], temperature: [Double] = []
        var firstDay: Int64?
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() where i > 0 {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 3 else { throw LoadError(file: path, line: i + 1, reason: "expected Time,Demand,Temperature") }
            if firstDay == nil, case let .success(.instant(t)) = TimestampParser.parse(String(f[0])) { firstDay = t / 86_400 }
            demand.append(Double(f[1]))
            temperature.append(Double(f[2]) ?? temperature.last ?? 15)
        }
        let weekday = Int(((firstDay ?? 0) + 3) % 7) + 1 // the first row is local midnight of the next UTC day
        let input = ForecastInput.filling(demand, season: 48, firstSlot: 0, firstWeekday: weekday % 7, temperature: temperature)
        return DataSet(name: "vic_electricity", series: [Series(name: "vic", input: input, measured: demand)])
    }

    /// The SGSC households: naive local times; each household on its own half-hour grid from its
    /// first to its last reading, absent rows as gaps.
    public static func households(path: String) throws -> DataSet {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var byCustomer: [String: [(Int64, Double)]] = [:]
        var order: [String] = []
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() where i > 0 {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count >= 3 else { throw LoadError(file: path, line: i + 1, reason: "expected customer_id,reading_datetime,general_supply_kwh") }
            guard case let .success(parsed) = TimestampParser.parse(String(f[1])) else {
                throw LoadError(file: path, line: i + 1, reason: "reading_datetime '\(f[1])' is not a date/time")
            }
            let t: Int64 = switch parsed { case let .naive(v), let .instant(v): v }
            guard let v = Double(f[2]) else { continue }
            let id = String(f[0])
            if byCustomer[id] == nil { order.append(id) }
            byCustomer[id, default: []].append((t, v))
        }
        let series = order.map { id -> Series in
            let rows = (byCustomer[id] ?? []).sorted { $0.0 < $1.0 }
            let first = rows.first?.0 ?? 0, last = rows.last?.0 ?? 0
            var values = [Double?](repeating: nil, count: Int((last - first) / 1800) + 1)
            for (t, v) in rows { values[Int((t - first) / 1800)] = v }
            let day = first >= 0 ? first / 86_400 : (first - 86_399) / 86_400
            let slot = Int((first - day * 86_400) / 1800)
            let input = ForecastInput.filling(values, season: 48, firstSlot: slot, firstWeekday: Int((day + 3) % 7))
            return Series(name: id, input: input, measured: values)
        }
        return DataSet(name: "sgsc", series: series)
    }

    public struct LoadError: Error, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var reason: String
        public var description: String { "\(file):\(line): \(reason)" }
    }

    /// The history of one fold: the window before the origin, temperatures extended over the horizon.
    public static func window(_ s: Series, origin: Int, options: Options) -> ForecastInput {
        let w = options.windowDays * s.input.season
        var input = s.input.prefix(origin).suffix(w)
        if options.useTemperature, let t = s.input.temperature {
            input.temperature = Array(t[(origin - w)..<min(t.count, origin + options.horizon)])
        } else {
            input.temperature = nil
        }
        return input
    }

    /// Scores `method` on every fold of a data set; `progress` hears each finished fold.
    public static func score(_ data: DataSet, model: String, options: Options,
                             progress: (Int, Int) -> Void = { _, _ in }) throws -> ForecastScore {
        let forecaster = try Forecaster(model: model)
        var score = ForecastScore()
        let total = data.series.reduce(0) { $0 + origins($1, options: options).count }
        var done = 0
        for s in data.series {
            for o in origins(s, options: options) {
                let input = window(s, origin: o, options: options)
                let t0 = Date()
                let f = try forecaster.forecast(input, horizon: options.horizon, levels: options.levels)
                let seconds = Date().timeIntervalSince(t0)
                score.add(history: input.values, season: input.season, actual: Array(s.measured[o..<(o + options.horizon)]),
                          forecast: f, seconds: seconds)
                done += 1
                progress(done, total)
            }
        }
        return score
    }

    /// Writes every fold's fitting window and scores peers' forecasts read back from `peers`:
    /// one JSON object per line with `dataset`, `series`, `origin`, `model`, `seconds`, `mean`,
    /// `lo80`, `hi80`, `lo95`, `hi95`.
    public static func writeFolds(_ sets: [DataSet], options: Options, to path: String) throws {
        var out = ""
        for d in sets {
            for s in d.series {
                for o in origins(s, options: options) {
                    let input = window(s, origin: o, options: options)
                    let values = input.values.map { String($0) }.joined(separator: ",")
                    out += "{\"dataset\":\"\(d.name)\",\"series\":\"\(s.name)\",\"origin\":\(o),\"horizon\":\(options.horizon),\"values\":[\(values)]}\n"
                }
            }
        }
        try Data(out.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// One peer forecast as the peers' script writes it.
    public struct PeerForecast: Decodable, Sendable {
        public var dataset: String
        public var series: String
        public var origin: Int
        public var model: String
        public var seconds: Double
        public var mean: [Double]
        public var lo80: [Double]
        public var hi80: [Double]
        public var lo95: [Double]
        public var hi95: [Double]
    }

    /// Scores the peers' forecasts per data set and model.
    public static func scorePeers(_ path: String, sets: [DataSet], options: Options) throws -> [String: [String: ForecastScore]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var result: [String: [String: ForecastScore]] = [:]
        let decoder = JSONDecoder()
        for line in text.split(whereSeparator: \.isNewline) {
            let p = try decoder.decode(PeerForecast.self, from: Data(line.utf8))
            guard let d = sets.first(where: { $0.name == p.dataset }), let s = d.series.first(where: { $0.name == p.series }) else { continue }
            let input = window(s, origin: p.origin, options: options)
            let f = Forecast(model: p.model, mean: p.mean, intervals: [PredictionInterval(level: 0.8, lower: p.lo80, upper: p.hi80),
                                                                         PredictionInterval(level: 0.95, lower: p.lo95, upper: p.hi95)])
            result[p.dataset, default: [:]][p.model, default: ForecastScore()]
                .add(history: input.values, season: input.season, actual: Array(s.measured[p.origin..<(p.origin + options.horizon)]),
                     forecast: f, seconds: p.seconds)
        }
        return result
    }
}
