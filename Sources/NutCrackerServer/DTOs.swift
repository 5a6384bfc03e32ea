import Hummingbird
import MeterCore
import MeterStore

/// A reading as the API shows it (the product's reading shape).
struct ReadingDTO: ResponseEncodable, Decodable, Sendable {
    var meter_id: String
    var start: String
    var minutes: Int
    var kwh: Double
    var quality: String
    var rule: String?

    init(_ r: Reading) {
        meter_id = r.meter.rawValue
        start = ISO8601.format(r.start)
        minutes = r.minutes
        kwh = r.kwh
        quality = r.quality.name
        rule = r.rule
    }
}

/// A meter with its latest reading.
struct MeterDTO: ResponseEncodable, Decodable, Sendable {
    var meter_id: String
    var source: String
    var kind: String
    var minutes: Int
    var latest: ReadingDTO?
    /// The last values, oldest first, when asked for.
    var recent: [Double]?
    /// Its health over the fleet's last week (0 to 100, with the reasons for what it lost), as last
    /// worked out in the background; absent until then.
    var health_score: Double?
    var health_reasons: [String]?

    init(_ s: MeterSnapshot) {
        meter_id = s.meter.id.rawValue
        source = s.meter.source.rawValue
        kind = s.meter.kind.rawValue
        minutes = s.meter.interval.minutes
        latest = s.latest.map(ReadingDTO.init)
    }
}

struct MeterList: ResponseEncodable, Decodable, Sendable {
    /// Meters matching the filters; `meters` is the page of them asked for.
    var total: Int
    var offset: Int
    var meters: [MeterDTO]
    /// The end of the week the health scores judge.
    var health_through: String?
}

struct ReadingList: ResponseEncodable, Decodable, Sendable {
    var meter_id: String
    var readings: [ReadingDTO]
}

struct Health: ResponseEncodable, Decodable, Sendable {
    var status: String
    var readings_stored: Int
}
