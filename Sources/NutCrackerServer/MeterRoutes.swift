import Hummingbird
import MeterCore

/// The read API over meters and their readings.
struct MeterRoutes {
    let deps: ServerDependencies

    func add(to router: Router<AppContext>) {
        let api = router.group("/api/v1")
        api.get("meters") { request, context in
            try context.require(.viewer)
            let q = request.uri.queryParameters
            // `recent=N` adds each meter's last N values (for sparklines), up to a day of 5-minute slots.
            let recent = min(max(q.get("recent").flatMap { Int($0) } ?? 0, 0), 288)
            return try await Self.list(deps: deps, MeterListing.Query(source: q.get("source"), text: q.get("q"), offset: q.get("offset").flatMap { Int($0) },
                                                               limit: q.get("limit").flatMap { Int($0) }),
                                       recent: recent)
        }
        api.get("meters/{id}/readings") { request, context -> ReadingList in
            try context.require(.viewer)
            let text = try context.parameters.require("id")
            guard let id = MeterID(text) else { throw HTTPError(.badRequest, message: "not a meter id: \(text.prefix(80))") }
            let q = request.uri.queryParameters
            let from = try q.get("from").map { try Self.time($0, "from") }
            let to = try q.get("to").map { try Self.time($0, "to") }
            let limit = min(q.get("limit").flatMap { Int($0) } ?? 1000, 100_000)
            let rows = try await deps.store.readings(meter: id, from: from, to: to, limit: limit)
            return ReadingList(meter_id: id.rawValue, readings: rows.map(ReadingDTO.init))
        }
    }

    /// One function behind the REST and GraphQL meter lists: a page of meters with their latest
    /// reading, their health as last worked out and, when asked, their last `recent` values.
    static func list(deps: ServerDependencies, _ query: MeterListing.Query, recent: Int = 0) async throws -> MeterList {
        let page = MeterListing(query, of: try await deps.store.meters())
        let health = await deps.health.listing(store: deps.store)
        let values = recent > 0 ? try await deps.store.recent(meters: page.meters.filter { $0.latest != nil }.map(\.meter.id), count: recent) : [:]
        let meters = page.meters.map { snapshot in
            var dto = MeterDTO(snapshot)
            if recent > 0 { dto.recent = values[snapshot.meter.id]?.map(\.kwh) ?? [] }
            if let h = health?.byMeter[snapshot.meter.id] {
                dto.health_score = h.score
                dto.health_reasons = h.reasons
            }
            return dto
        }
        return MeterList(total: page.total, offset: query.offset, meters: meters, health_through: health.map { ISO8601.format($0.through) })
    }

    static func time(_ text: String, _ name: String) throws -> Int64 {
        switch TimestampParser.parse(text) {
        case .success(.instant(let s)), .success(.naive(let s)): return s
        case .failure(let e): throw HTTPError(.badRequest, message: "\(name): \(e)")
        }
    }
}
