import Hummingbird
import MeterCore

/// The read API over meters and their readings.
struct MeterRoutes {
    let deps: ServerDependencies

    func add(to router: Router<AppContext>) {
        let api = router.group("/api/v1")
        api.get("meters") { request, context in
            try context.require(.viewer)
            // `recent=N` adds each meter's last N values (for sparklines), up to a day of 5-minute slots.
            let recent = min(max(request.uri.queryParameters.get("recent").flatMap { Int($0) } ?? 0, 0), 288)
            var list: [MeterDTO] = []
            for snapshot in try await deps.store.meters() {
                var dto = MeterDTO(snapshot)
                if recent > 0, let latest = snapshot.latest {
                    let from = latest.start - Int64(recent - 1) * snapshot.meter.interval.seconds
                    dto.recent = try await deps.store.readings(meter: snapshot.meter.id, from: from, to: nil, limit: recent).map(\.kwh)
                }
                list.append(dto)
            }
            return MeterList(meters: list)
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

    static func time(_ text: String, _ name: String) throws -> Int64 {
        switch TimestampParser.parse(text) {
        case .success(.instant(let s)), .success(.naive(let s)): return s
        case .failure(let e): throw HTTPError(.badRequest, message: "\(name): \(e)")
        }
    }
}
