import Hummingbird
import MeterCore
import MeterStore

/// One page of the estate's meters, by source and by text in their id, in the store's order
/// (source, then id): what `GET /api/v1/meters`, GraphQL `meters` and the dashboard's meter list
/// all serve, so an estate of any size is read a page at a time.
struct MeterListing: Sendable {
    struct Query: Sendable {
        var source: SourceID?
        /// Text the meter's id contains, any case.
        var text: String?
        var offset = 0
        var limit = Int.max

        /// From a request's `source` and `q` (an unknown source id is a bad request), with a page of
        /// `limit` meters from `offset` (every meter unless given).
        init(source: String? = nil, text: String? = nil, offset: Int? = nil, limit: Int? = nil) throws {
            if let source, !source.isEmpty {
                guard let id = SourceID(source) else { throw HTTPError(.badRequest, message: "not a source id: \(source.prefix(60))") }
                self.source = id
            }
            self.text = text.flatMap { $0.isEmpty ? nil : $0 }
            self.offset = max(0, offset ?? 0)
            self.limit = max(1, limit ?? .max)
        }
    }

    /// Meters matching the query, before paging.
    var total: Int
    var meters: [MeterSnapshot]

    init(_ query: Query, of all: [MeterSnapshot]) {
        let needle = query.text?.lowercased()
        let matching = all.filter { s in
            (query.source == nil || s.meter.source == query.source) && (needle.map { s.meter.id.rawValue.lowercased().contains($0) } ?? true)
        }
        total = matching.count
        meters = Array(matching.dropFirst(query.offset).prefix(query.limit))
    }
}
