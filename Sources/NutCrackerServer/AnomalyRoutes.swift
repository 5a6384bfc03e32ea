import Foundation
import Hummingbird
import MeterCore
import MeterStore
import NutCrackerEngine

/// Anomalies the detectors found: `GET /api/v1/anomalies?kind=spike,flatline&meter=&source=&from=&to=&open=true&limit=`.
struct AnomalyRoutes {
    let deps: ServerDependencies

    func add(to router: Router<AppContext>) {
        // Meters most likely to need a visit over the fleet's last week, worst first, with their reasons.
        router.group("/api/v1").get("health/meters") { request, context -> HealthList in
            try context.require(.viewer)
            return try await Self.health(deps: deps, limit: request.uri.queryParameters.get("limit").flatMap { Int($0) })
        }
        router.group("/api/v1").get("anomalies") { request, context -> AnomalyList in
            try context.require(.viewer)
            let q = request.uri.queryParameters
            var filter = AnomalyFilter()
            if let kinds = q.get("kind") {
                filter.kinds = Set(try kinds.split(separator: ",").map { k in
                    guard let kind = AnomalyKind(rawValue: String(k)) else {
                        throw HTTPError(.badRequest, message: "kind: '\(k.prefix(40))' is not one of \(AnomalyKind.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    return kind
                })
            }
            if let m = q.get("meter") {
                guard let id = MeterID(m) else { throw HTTPError(.badRequest, message: "meter: not a meter id: \(m.prefix(80))") }
                filter.meter = id
            }
            if let s = q.get("source") {
                guard let id = SourceID(s) else { throw HTTPError(.badRequest, message: "source: not a source id: \(s.prefix(80))") }
                filter.source = id
            }
            filter.from = try q.get("from").map { try MeterRoutes.time($0, "from") }
            filter.to = try q.get("to").map { try MeterRoutes.time($0, "to") }
            filter.openOnly = q.get("open") == "true"
            let limit = min(max(q.get("limit").flatMap { Int($0) } ?? 500, 1), 10_000)
            return AnomalyList(anomalies: try await deps.store.anomalies(filter, limit: limit).map(AnomalyDTO.init))
        }
    }
}

struct AnomalyDTO: Codable, Sendable {
    var id: String
    var kind: String
    var meter_id: String?
    var source: String?
    var start: String
    var end: String
    var detected_at: String
    var severity: String
    var score: Double
    var expected: Double
    var observed: Double
    var detail: String
    var open: Bool

    init(_ a: Anomaly) {
        id = a.id
        kind = a.kind.rawValue
        meter_id = a.meter?.rawValue
        source = a.source?.rawValue
        start = ISO8601.format(a.start)
        end = ISO8601.format(a.end)
        detected_at = ISO8601.format(a.detectedAt)
        severity = a.severity.rawValue
        score = a.score.isFinite ? a.score : 0
        expected = a.expected.isFinite ? a.expected : 0
        observed = a.observed.isFinite ? a.observed : 0
        detail = a.detail
        open = a.open
    }
}

extension AnomalyRoutes {
    /// One function behind the REST and GraphQL meter health and the fleet page's meters to visit:
    /// the `limit` (50 unless given, 1 to 10,000) meters most likely to need a visit over the fleet's
    /// last week, worst first, as last worked out in the background (at most five minutes old). The
    /// first answer after a start waits for it; a store too large to score in 30 s answers 503.
    static func health(deps: ServerDependencies, limit: Int?) async throws -> HealthList {
        guard let listing = await deps.health.listing(store: deps.store, wait: .seconds(30)) else {
            guard try await deps.store.meters().contains(where: { $0.latest != nil }) else { return HealthList(meters: [], through: nil) }
            throw HTTPError(.serviceUnavailable, headers: [.retryAfter: "10"], message: "meter health is still being worked out; retry shortly")
        }
        let list = listing.meters.prefix(min(max(limit ?? 50, 1), 10_000))
        return HealthList(meters: list.map { HealthDTO(meter_id: $0.meter.rawValue, source: $0.source?.rawValue, score: $0.score, reasons: $0.reasons) },
                          through: ISO8601.format(listing.through))
    }
}

struct HealthDTO: Codable, Sendable {
    var meter_id: String
    var source: String?
    var score: Double
    var reasons: [String]
}

struct HealthList: ResponseEncodable, Codable, Sendable {
    var meters: [HealthDTO]
    /// The end of the week judged: the fleet's latest reading when it was worked out.
    var through: String?
}

struct AnomalyList: ResponseEncodable, Codable, Sendable {
    var anomalies: [AnomalyDTO]
}
