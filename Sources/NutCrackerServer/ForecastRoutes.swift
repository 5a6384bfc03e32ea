import Foundation
import Hummingbird
import MeterAnalytics
import MeterCore
import NutCrackerEngine

/// Forecasts with intervals, the blueprint's `/api/predict`, cost under a tariff and what-if scenarios.
struct ForecastRoutes {
    let deps: ServerDependencies

    func add(to router: Router<AppContext>) {
        let api = router.group("/api/v1")
        api.get("meters/{id}/forecast") { request, context -> ForecastDTO in
            try context.require(.viewer)
            let q = request.uri.queryParameters
            return try await Self.meterForecast(deps: deps, meter: context.parameters.require("id"), horizon: q.get("horizon"),
                                                level: q.get("level"), model: q.get("model"), windowDays: q.get("window_days"))
        }
        api.get("meters/{id}/cost") { request, context -> CostDTO in
            try context.require(.viewer)
            let q = request.uri.queryParameters
            let id = try Self.meter(context.parameters.require("id"))
            let days = try Self.int(q.get("days"), "days", default: 90, range: 1...3660)
            let by = q.get("by") ?? "day"
            guard by == "day" || by == "month" else { throw HTTPError(.badRequest, message: "by: must be day or month") }
            let (points, _) = try await MeterForecasting.points(store: deps.store, meter: id, source: nil, windowDays: days)
            let calc = CostCalculator(tariff: .standard)
            let d = calc.days(points.readings)
            let rows: [CostDTO.Row] = by == "day"
                ? d.map { .init(period: "\($0.date)", kwh: $0.kwh, cost: $0.cost) }
                : calc.months(d).map { .init(period: String(format: "%04d-%02d", $0.year, $0.month), kwh: $0.kwh, cost: $0.cost) }
            return CostDTO(meter: id.rawValue, tariff: Tariff.standard.name, currency: "GBP", rows: rows)
        }
        api.post("meters/{id}/tariffs/compare") { request, context -> TariffComparisonDTO in
            try context.require(.viewer)
            let id = try Self.meter(context.parameters.require("id"))
            let days = try Self.int(request.uri.queryParameters.get("days"), "days", default: 365, range: 1...3660)
            let body = try await request.decode(as: TariffCompareRequest.self, context: context)
            guard !body.tariffs.isEmpty else { throw HTTPError(.badRequest, message: "tariffs: give at least one tariff") }
            let problems = body.tariffs.flatMap { $0.problems() }
            guard problems.isEmpty else { throw HTTPError(.badRequest, message: problems.joined(separator: "; ")) }
            let (points, _) = try await MeterForecasting.points(store: deps.store, meter: id, source: nil, windowDays: days)
            guard !points.starts.isEmpty else { throw HTTPError(.notFound, message: "no readings for meter \(id.rawValue)") }
            let rows = TariffComparison.compare(body.tariffs, readings: points.readings)
            return TariffComparisonDTO(meter: id.rawValue, currency: "GBP", rows: rows.map {
                .init(tariff: $0.tariff, kwh: $0.kwh, days: $0.days, cost: $0.cost, annualCost: $0.annualCost, overCheapest: $0.overCheapest)
            })
        }
        api.post("whatif") { request, context -> WhatIfDTO in
            try context.require(.viewer)
            let body = try await request.decode(as: WhatIfRequest.self, context: context)
            var meterID: MeterID?, sourceID: SourceID?
            if let m = body.meter { meterID = try Self.meter(m) }
            if let s = body.source {
                guard let id = SourceID(s) else { throw HTTPError(.badRequest, message: "source: not a source id: \(s.prefix(60))") }
                sourceID = id
            }
            let horizon = try Self.int(body.horizon.map(String.init), "horizon", default: 336, range: 1...2880)
            let scenario = body.scenario ?? Scenario()
            let baseline = body.tariff ?? .standard
            let problems = scenario.problems() + baseline.problems()
            guard problems.isEmpty else { throw HTTPError(.badRequest, message: problems.joined(separator: "; ")) }
            let (points, meters) = try await MeterForecasting.points(store: deps.store, meter: meterID, source: sourceID, windowDays: 84)
            guard !points.starts.isEmpty else { throw HTTPError(.notFound, message: "no readings for that meter, source or fleet") }
            let model = body.model ?? "mstl"
            let f = try await Self.run { try MeterForecasting.forecast(points, horizon: horizon, levels: [], model: model) }
            let o = WhatIf.apply(scenario, forecast: f.forecast.mean, starts: f.starts, stepMinutes: Int(f.stepSeconds / 60),
                                 meters: meters, baseline: baseline)
            return WhatIfDTO(scope: body.meter ?? body.source ?? "fleet", model: f.forecast.model, meters: meters, evMeters: o.evMeters,
                             from: ISO8601.format(f.starts.first ?? 0), steps: horizon,
                             baseline: .init(kwh: o.baselineKWh, cost: o.baselineCost), scenario: .init(kwh: o.scenarioKWh, cost: o.scenarioCost))
        }
        router.post("/api/predict") { request, context -> PredictDTO in
            try context.require(.viewer)
            let body = try await request.decode(as: PredictRequest.self, context: context)
            let horizon = try Self.int(body.horizon.map(String.init), "horizon", default: 48, range: 1...2880)
            let result = try await Self.run { try Predict.quantiles(body.sequence, horizon: horizon) }
            return PredictDTO(model: result.model, predicted_quantiles: result.quantiles)
        }
    }

    /// One function behind the REST and GraphQL forecasts of a meter; arguments as given, checked here.
    static func meterForecast(deps: ServerDependencies, meter: String, horizon h: String?, level: String?, model: String?,
                              windowDays w: String?) async throws -> ForecastDTO {
        let id = try Self.meter(meter)
        let horizon = try Self.int(h, "horizon", default: 48, range: 1...2880)
        let window = try Self.int(w, "window_days", default: 84, range: 7...730)
        let levels = try Self.levels(level ?? "80,95")
        let model = model ?? "auto"
        let (points, _) = try await MeterForecasting.points(store: deps.store, meter: id, source: nil, windowDays: window)
        guard !points.starts.isEmpty else { throw HTTPError(.notFound, message: "no readings for meter \(id.rawValue)") }
        let result = try await Self.run { try MeterForecasting.forecast(points, horizon: horizon, levels: levels, model: model, windowDays: window) }
        return ForecastDTO(meter: id.rawValue, result)
    }

    /// Runs forecasting work off the server's event loops; model errors become 400.
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await Task.detached(priority: .userInitiated) { try work() }.value
        } catch let e as ForecastError {
            throw HTTPError(.badRequest, message: e.description)
        }
    }

    static func meter(_ text: String) throws -> MeterID {
        guard let id = MeterID(text) else { throw HTTPError(.badRequest, message: "meter: not a meter id: \(text.prefix(60))") }
        return id
    }

    static func int(_ text: String?, _ name: String, default d: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return d }
        guard let v = Int(text), range.contains(v) else {
            throw HTTPError(.badRequest, message: "\(name): '\(text.prefix(20))' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return v
    }

    static func levels(_ text: String) throws -> [Double] {
        do { return try Forecast.levels(text) } catch { throw HTTPError(.badRequest, message: error.description) }
    }
}

/// `POST /api/predict`: quantiles of the steps after a sequence (the blueprint's contract).
enum Predict {
    static func quantiles(_ sequence: [Double], horizon: Int) throws -> (model: String, quantiles: [String: [Double]]) {
        guard sequence.count >= 2, sequence.allSatisfy(\.isFinite) else {
            throw ForecastError.tooShort(have: sequence.count, need: 2)
        }
        let season = 48
        if sequence.count >= 3 * season {
            let f = try Forecaster(model: "auto").forecast(ForecastInput(values: sequence, season: season), horizon: horizon, levels: [0.95])
            let i = f.intervals[0]
            return (f.model, ["q_0.025": i.lower, "q_0.500": f.mean, "q_0.975": i.upper])
        }
        // Too short to backtest: repeat the last day (or hold the last value) and widen with the
        // spread of the sequence's own step-to-step changes, growing with the square root of the steps.
        let changes = zip(sequence.dropFirst(), sequence).map { $0 - $1 }.sorted()
        let lo = ConformalQuantile.of(changes, 0.025), hi = ConformalQuantile.of(changes, 0.975)
        let n = sequence.count
        var q025: [Double] = [], q500: [Double] = [], q975: [Double] = []
        for h in 0..<horizon {
            let point = n >= season ? sequence[n - season + h % season] : sequence[n - 1]
            let k = Double(h + 1).squareRoot()
            q500.append(point)
            q025.append(point + lo * k)
            q975.append(point + hi * k)
        }
        return (n >= season ? "snaive" : "naive", ["q_0.025": q025, "q_0.500": q500, "q_0.975": q975])
    }
}

struct PredictRequest: Decodable {
    var sequence: [Double]
    var horizon: Int?
}

struct PredictDTO: ResponseEncodable {
    var model: String
    var predicted_quantiles: [String: [Double]]
}

struct ForecastDTO: ResponseEncodable, Codable {
    struct Interval: Codable { var level: Double; var lower: [Double]; var upper: [Double] }
    var meter: String
    var model: String
    var step_minutes: Int
    var history_steps: Int
    var timestamps: [String]
    var mean: [Double]
    var intervals: [Interval]

    init(meter: String, _ r: MeterForecasting.Result) {
        self.meter = meter
        model = r.forecast.model
        step_minutes = Int(r.stepSeconds / 60)
        history_steps = r.historySteps
        timestamps = r.starts.map(ISO8601.format)
        mean = r.forecast.mean
        intervals = r.forecast.intervals.map { Interval(level: $0.level, lower: $0.lower, upper: $0.upper) }
    }
}

struct CostDTO: ResponseEncodable {
    struct Row: Codable { var period: String; var kwh: Double; var cost: Double }
    var meter: String
    var tariff: String
    var currency: String
    var rows: [Row]
}

struct WhatIfRequest: Decodable {
    var meter: String?
    var source: String?
    var horizon: Int?
    var model: String?
    var scenario: Scenario?
    var tariff: Tariff?
}

struct WhatIfDTO: ResponseEncodable {
    struct Totals: Codable { var kwh: Double; var cost: Double }
    var scope: String
    var model: String
    var meters: Int
    var evMeters: Int
    var from: String
    var steps: Int
    var baseline: Totals
    var scenario: Totals
}

struct TariffCompareRequest: Decodable {
    var tariffs: [Tariff]
}

struct TariffComparisonDTO: ResponseEncodable {
    struct Row: Codable { var tariff: String; var kwh: Double; var days: Int; var cost: Double; var annualCost: Double; var overCheapest: Double }
    var meter: String
    var currency: String
    var rows: [Row]
}
