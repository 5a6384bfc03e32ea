import Hummingbird
import MeterAnalytics
import MeterCleanse
import MeterCore
import MeterStore
import NutCrackerEngine

/// Rollups of a meter, a source or the fleet; quarantined rows; the running quality report.
struct QueryRoutes {
    let deps: ServerDependencies

    func add(to router: Router<AppContext>) {
        let api = router.group("/api/v1")
        api.get("rollups") { request, context -> RollupList in
            try context.require(.viewer)
            let q = request.uri.queryParameters
            return try await Self.rollups(deps: deps, period: q.get("period"), meter: q.get("meter"), source: q.get("source"),
                                          from: q.get("from"), to: q.get("to"), zone: q.get("timezone"))
        }
        api.get("meters/{id}/rollups") { request, context -> RollupList in
            try context.require(.viewer)
            let q = request.uri.queryParameters
            return try await Self.rollups(deps: deps, period: q.get("period"), meter: try context.parameters.require("id"), source: nil,
                                          from: q.get("from"), to: q.get("to"), zone: q.get("timezone"))
        }
        api.get("quarantine") { request, context -> QuarantineList in
            try context.require(.viewer)
            let limit = min(max(request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 100, 1), 10_000)
            return QuarantineList(entries: try await deps.store.quarantine(limit: limit).map(QuarantineDTO.init))
        }
        api.get("quality") { _, context -> QualityDTO in
            try context.require(.viewer)
            return QualityDTO(await deps.pipeline.report)
        }
    }

    /// One function behind the REST and GraphQL rollups: a meter's rows, or a source's or the fleet's totals.
    static func rollups(deps: ServerDependencies, period p: String?, meter m: String?, source s: String?, from f: String?, to t: String?,
                        zone z: String?) async throws -> RollupList {
        let periodText = p ?? "day"
        guard let period = RollupPeriod(rawValue: periodText) else {
            throw HTTPError(.badRequest, message: "period: '\(periodText.prefix(20))' is not one of \(RollupPeriod.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var filter = ReadingFilter()
        var total: String? = "fleet"
        var scope = "fleet"
        if let m {
            guard let id = MeterID(m) else { throw HTTPError(.badRequest, message: "meter: not a meter id: \(m.prefix(60))") }
            filter.meter = id
            total = nil
            scope = "meter \(m)"
        } else if let s {
            guard let id = SourceID(s) else { throw HTTPError(.badRequest, message: "source: not a source id: \(s.prefix(60))") }
            filter.source = id
            total = s
            scope = "source \(s)"
        }
        filter.from = try f.map { try MeterRoutes.time($0, "from") }
        filter.to = try t.map { try MeterRoutes.time($0, "to") }
        var zone = TimeZoneSpec.utc
        if let z {
            guard let spec = TimeZoneSpec(z) else { throw HTTPError(.badRequest, message: "timezone: not a zone or offset: \(z.prefix(60))") }
            zone = spec
        }
        let rows = try await RollupQuery.run(store: deps.store, filter: filter, period: period, zone: zone, total: total)
        return RollupList(scope: scope, period: period.rawValue, rows: rows.map(RollupDTO.init))
    }
}

struct RollupDTO: Codable, Sendable {
    var name: String
    var period: String
    var start: String
    var kwh: Double
    var readings: Int
    var actual: Int
    var estimated: Int
    var min: Double
    var max: Double

    init(_ r: RollupRow) {
        name = r.meter
        period = r.period
        start = ISO8601.format(r.start)
        kwh = r.kwh
        readings = r.readings
        actual = r.actual
        estimated = r.estimated
        min = r.min.isFinite ? r.min : 0
        max = r.max.isFinite ? r.max : 0
    }
}

struct RollupList: ResponseEncodable, Codable, Sendable {
    var scope: String
    var period: String
    var rows: [RollupDTO]
}

struct QuarantineDTO: Codable, Sendable {
    var origin: String
    var line: Int
    var field: String?
    var reason: String
    var detail: String
    var raw: String
    var meter_id: String?
    var start: String?

    init(_ e: QuarantineEntry) {
        origin = e.origin
        line = e.line
        field = e.field
        reason = e.reason
        detail = e.detail
        raw = e.raw
        meter_id = e.meter?.rawValue
        start = e.start.map(ISO8601.format)
    }
}

struct QuarantineList: ResponseEncodable, Codable, Sendable {
    var entries: [QuarantineDTO]
}

/// The quality report: totals per `rule/outcome`, per meter, and what each outcome counted means.
struct QualityDTO: ResponseEncodable, Codable, Sendable {
    var totals: [String: Int]
    var meters: [String: [String: Int]]
    var summaries: [String: String]

    init(_ r: QualityReport) {
        totals = r.totals
        meters = r.perMeter
        summaries = Dictionary(uniqueKeysWithValues: r.totals.keys.compactMap { k in Outcome.summary(ofKey: k).map { (k, $0) } })
    }
}

/// An outcome's count, as GraphQL lists them (a query language without maps).
struct OutcomeCountDTO: Codable, Sendable {
    var key: String
    var summary: String?
    var count: Int

    /// Counts by key, in key order.
    static func list(_ counts: [String: Int]) -> [OutcomeCountDTO] {
        counts.sorted { $0.key < $1.key }.map { OutcomeCountDTO(key: $0.key, summary: Outcome.summary(ofKey: $0.key), count: $0.value) }
    }
}

/// One meter's outcomes since start.
struct MeterOutcomesDTO: Codable, Sendable {
    var meter_id: String
    var total: Int
    var outcomes: [OutcomeCountDTO]
}

/// The quality report for GraphQL: totals, and the meters most cleansed first.
struct QualityListDTO: Codable, Sendable {
    var totals: [OutcomeCountDTO]
    var meters: [MeterOutcomesDTO]

    init(_ r: QualityReport, meter: String?, limit: Int) {
        totals = OutcomeCountDTO.list(r.totals)
        let chosen = meter.map { m in r.perMeter[m].map { [(m, $0)] } ?? [] } ?? Array(r.perMeter)
        meters = chosen.map { MeterOutcomesDTO(meter_id: $0.0, total: $0.1.values.reduce(0, +), outcomes: OutcomeCountDTO.list($0.1)) }
            .sorted { $0.total != $1.total ? $0.total > $1.total : $0.meter_id < $1.meter_id }
            .prefix(limit).map { $0 }
    }
}
