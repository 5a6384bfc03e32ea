import Foundation
import Graphiti
import GraphQL
import Hummingbird
import MeterCore
import MeterStore

/// `POST /graphql`: the query API in one round trip (meters with their latest reading, readings,
/// rollups, anomalies, quarantine, the quality report, forecasts), over the same functions as the REST routes. Needs a viewer.
struct GraphQLRoutes {
    let deps: ServerDependencies

    struct Request: Decodable {
        var query: String
        var variables: [String: Map]?
        var operationName: String?
    }

    func add(to router: Router<AppContext>) {
        let api = FleetGraph(resolver: FleetGraph.Resolver(deps: deps))
        router.post("/graphql") { request, context -> Response in
            try context.require(.viewer)
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let r = try? JSONDecoder().decode(Request.self, from: Data(buffer: body)) else {
                throw HTTPError(.badRequest, message: "expected JSON {\"query\": ..., \"variables\": {...}}")
            }
            let schema = try api.schema()
            let result = try await schema.execute(request: r.query, resolver: api.resolver, context: FleetGraph.Context(),
                                                  variables: r.variables ?? [:], operationName: r.operationName)
            return try APIJSON.response(result)
        }
    }
}

/// The GraphQL schema and its resolvers.
struct FleetGraph: Sendable {
    struct Context: Sendable {}

    struct Resolver: Sendable {
        let deps: ServerDependencies

        struct MeterArgs: Codable { var id: String }
        struct MetersArgs: Codable { var source: String?; var q: String?; var offset: Int?; var limit: Int?; var recent: Int? }
        struct ReadingArgs: Codable { var meter: String; var from: String?; var to: String?; var limit: Int? }
        struct RollupArgs: Codable { var period: String?; var meter: String?; var source: String?; var from: String?; var to: String?; var timezone: String? }
        struct AnomalyArgs: Codable { var kind: String?; var meter: String?; var source: String?; var open: Bool?; var limit: Int? }
        struct LimitArgs: Codable { var limit: Int? }
        struct ForecastArgs: Codable { var meter: String; var horizon: Int?; var level: String?; var model: String? }
        struct QualityArgs: Codable { var meter: String?; var limit: Int? }

        func meters(context: Context, arguments a: MetersArgs) async throws -> [MeterDTO] {
            try await MeterRoutes.list(deps: deps, MeterListing.Query(source: a.source, text: a.q, offset: a.offset, limit: a.limit),
                                       recent: min(max(a.recent ?? 0, 0), 288)).meters
        }

        func meter(context: Context, arguments: MeterArgs) async throws -> MeterDTO? {
            guard let id = MeterID(arguments.id) else { return nil }
            return try await deps.store.meter(id).map(MeterDTO.init)
        }

        func readings(context: Context, arguments: ReadingArgs) async throws -> [ReadingDTO] {
            guard let id = MeterID(arguments.meter) else { throw GraphQLError(message: "meter: not a meter id") }
            return try await deps.store.readings(meter: id, from: try arguments.from.map { try MeterRoutes.time($0, "from") },
                                                 to: try arguments.to.map { try MeterRoutes.time($0, "to") },
                                                 limit: min(arguments.limit ?? 1000, 100_000)).map(ReadingDTO.init)
        }

        func rollups(context: Context, arguments a: RollupArgs) async throws -> RollupList {
            try await QueryRoutes.rollups(deps: deps, period: a.period, meter: a.meter, source: a.source, from: a.from, to: a.to, zone: a.timezone)
        }

        func anomalies(context: Context, arguments a: AnomalyArgs) async throws -> [AnomalyDTO] {
            var filter = AnomalyFilter(meter: a.meter.flatMap(MeterID.init), source: a.source.flatMap(SourceID.init), openOnly: a.open ?? false)
            if let k = a.kind { filter.kinds = Set(k.split(separator: ",").compactMap { AnomalyKind(rawValue: String($0)) }) }
            return try await deps.store.anomalies(filter, limit: min(a.limit ?? 500, 10_000)).map(AnomalyDTO.init)
        }

        func forecast(context: Context, arguments a: ForecastArgs) async throws -> ForecastDTO {
            try await ForecastRoutes.meterForecast(deps: deps, meter: a.meter, horizon: a.horizon.map(String.init), level: a.level,
                                                   model: a.model, windowDays: nil)
        }

        func meterHealth(context: Context, arguments: LimitArgs) async throws -> [HealthDTO] {
            try await AnomalyRoutes.health(deps: deps, limit: arguments.limit).meters
        }

        func quality(context: Context, arguments a: QualityArgs) async throws -> QualityListDTO {
            QualityListDTO(await deps.pipeline.report, meter: a.meter, limit: min(max(a.limit ?? 20, 0), 10_000))
        }

        func quarantine(context: Context, arguments: LimitArgs) async throws -> [QuarantineDTO] {
            try await deps.store.quarantine(limit: min(arguments.limit ?? 100, 10_000)).map(QuarantineDTO.init)
        }
    }

    let resolver: Resolver

    func schema() throws -> Schema<Resolver, Context> {
        try Schema<Resolver, Context> {
            Type(ReadingDTO.self, as: "Reading") {
                Field("meterId", at: \.meter_id)
                Field("start", at: \.start)
                Field("minutes", at: \.minutes)
                Field("kwh", at: \.kwh)
                Field("quality", at: \.quality)
                Field("rule", at: \.rule)
            }
            Type(MeterDTO.self, as: "Meter") {
                Field("id", at: \.meter_id)
                Field("source", at: \.source)
                Field("kind", at: \.kind)
                Field("minutes", at: \.minutes)
                Field("latest", at: \.latest)
                Field("recent", at: \.recent)
                Field("healthScore", at: \.health_score)
                Field("healthReasons", at: \.health_reasons)
            }
            Type(RollupDTO.self, as: "Rollup") {
                Field("name", at: \.name)
                Field("period", at: \.period)
                Field("start", at: \.start)
                Field("kwh", at: \.kwh)
                Field("readings", at: \.readings)
                Field("actual", at: \.actual)
                Field("estimated", at: \.estimated)
                Field("min", at: \.min)
                Field("max", at: \.max)
            }
            Type(RollupList.self, as: "Rollups") {
                Field("scope", at: \.scope)
                Field("period", at: \.period)
                Field("rows", at: \.rows)
            }
            Type(AnomalyDTO.self, as: "Anomaly") {
                Field("id", at: \.id)
                Field("kind", at: \.kind)
                Field("meterId", at: \.meter_id)
                Field("source", at: \.source)
                Field("start", at: \.start)
                Field("end", at: \.end)
                Field("severity", at: \.severity)
                Field("score", at: \.score)
                Field("expected", at: \.expected)
                Field("observed", at: \.observed)
                Field("detail", at: \.detail)
                Field("open", at: \.open)
            }
            Type(ForecastDTO.Interval.self, as: "PredictionInterval") {
                Field("level", at: \.level)
                Field("lower", at: \.lower)
                Field("upper", at: \.upper)
            }
            Type(ForecastDTO.self, as: "Forecast") {
                Field("meterId", at: \.meter)
                Field("model", at: \.model)
                Field("stepMinutes", at: \.step_minutes)
                Field("historySteps", at: \.history_steps)
                Field("timestamps", at: \.timestamps)
                Field("mean", at: \.mean)
                Field("intervals", at: \.intervals)
            }
            Type(HealthDTO.self, as: "MeterHealth") {
                Field("meterId", at: \.meter_id)
                Field("source", at: \.source)
                Field("score", at: \.score)
                Field("reasons", at: \.reasons)
            }
            Type(OutcomeCountDTO.self, as: "OutcomeCount") {
                Field("key", at: \.key)
                Field("summary", at: \.summary)
                Field("count", at: \.count)
            }
            Type(MeterOutcomesDTO.self, as: "MeterOutcomes") {
                Field("meterId", at: \.meter_id)
                Field("total", at: \.total)
                Field("outcomes", at: \.outcomes)
            }
            Type(QualityListDTO.self, as: "QualityReport") {
                Field("totals", at: \.totals)
                Field("meters", at: \.meters)
            }
            Type(QuarantineDTO.self, as: "QuarantineEntry") {
                Field("origin", at: \.origin)
                Field("line", at: \.line)
                Field("field", at: \.field)
                Field("reason", at: \.reason)
                Field("detail", at: \.detail)
                Field("raw", at: \.raw)
                Field("meterId", at: \.meter_id)
                Field("start", at: \.start)
            }
            Query {
                Field("meters", at: Resolver.meters) {
                    Argument("source", at: \.source)
                    Argument("q", at: \.q)
                    Argument("offset", at: \.offset)
                    Argument("limit", at: \.limit)
                    Argument("recent", at: \.recent)
                }
                Field("meter", at: Resolver.meter) { Argument("id", at: \.id) }
                Field("readings", at: Resolver.readings) {
                    Argument("meter", at: \.meter)
                    Argument("from", at: \.from)
                    Argument("to", at: \.to)
                    Argument("limit", at: \.limit)
                }
                Field("rollups", at: Resolver.rollups) {
                    Argument("period", at: \.period)
                    Argument("meter", at: \.meter)
                    Argument("source", at: \.source)
                    Argument("from", at: \.from)
                    Argument("to", at: \.to)
                    Argument("timezone", at: \.timezone)
                }
                Field("anomalies", at: Resolver.anomalies) {
                    Argument("kind", at: \.kind)
                    Argument("meter", at: \.meter)
                    Argument("source", at: \.source)
                    Argument("open", at: \.open)
                    Argument("limit", at: \.limit)
                }
                Field("quarantine", at: Resolver.quarantine) { Argument("limit", at: \.limit) }
                Field("quality", at: Resolver.quality) {
                    Argument("meter", at: \.meter)
                    Argument("limit", at: \.limit)
                }
                Field("meterHealth", at: Resolver.meterHealth) { Argument("limit", at: \.limit) }
                Field("forecast", at: Resolver.forecast) {
                    Argument("meter", at: \.meter)
                    Argument("horizon", at: \.horizon)
                    Argument("level", at: \.level)
                    Argument("model", at: \.model)
                }
            }
        }
    }
}
