import Foundation
import Hummingbird
import MeterIngest
import HummingbirdWebSocket
import MeterCore
import NutCrackerEngine
import Synchronization

/// `/api/v1/stream`: a WebSocket for gateways and watchers.
///
/// A gateway sends `{"type":"readings","id":"…","readings":[…]}` and gets
/// `{"type":"ack","id":"…",…}` once those readings are committed (the same counts and rejected rows
/// as the HTTP answer). A watcher sends `{"type":"subscribe","meter":"…"}`, `"source"` or
/// `"fleet":true` and receives `readings`, `outcomes` (the batch's VEE outcome counts, its `totals`
/// stored, estimated and quarantined, and its quarantined rows) and `anomaly` messages as they happen.
/// `"summary":true` is the fleet without its readings: per batch, each source's total of its latest
/// intervals (`summary`), the outcome counts and every anomaly; what a dashboard of a large estate
/// needs beside the few meters it shows, whatever the ingest rate.
struct StreamRoutes {
    let deps: ServerDependencies
    let clients = SharedCount()

    func add(to router: Router<AppContext>) {
        let clients = self.clients
        deps.metrics.gauge("nutcracker_websocket_clients", help: "Connected WebSocket clients.") { Double(clients.value) }
        router.ws("/api/v1/stream") { _, context in
            // Credentials are checked before the upgrade: a stream without them is refused with 401.
            guard context.identity != nil else {
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "credentials required")
            }
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, wsContext in
            clients.add(1)
            defer { clients.add(-1) }
            try await serve(inbound: inbound, outbound: outbound, context: wsContext.requestContext)
        }
    }

    private func serve(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, context: AppContext) async throws {
        let subscriptions = SubscriptionBox()
        // Answers to the client's own messages always go out; live messages only within the budget.
        let (outgoing, send) = AsyncStream<String>.makeStream()
        let budget = StreamBudget(limit: deps.limits.maxQueuedStreamBytes)
        let events = await deps.pipeline.events()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // One writer, so frames never interleave.
            group.addTask {
                for await text in outgoing {
                    budget.sent(text.utf8.count)
                    try await outbound.write(.text(text))
                }
            }
            group.addTask {
                for await event in events {
                    for text in subscriptions.state.withLock({ $0.messages(for: event) }) {
                        switch budget.admit(text.utf8.count) {
                        case .dropped:
                            deps.metrics.count("nutcracker_websocket_dropped_messages_total",
                                               help: "Live messages dropped for WebSocket watchers that read slower than they came.")
                            continue
                        case .admitted(let droppedBefore):
                            if droppedBefore > 0 {
                                let notice = APIJSON.text(Lagged(dropped: droppedBefore))
                                budget.queued(notice.utf8.count)
                                send.yield(notice)
                            }
                            send.yield(text)
                        }
                    }
                }
            }
            for try await message in inbound.messages(maxSize: deps.limits.maxBodyBytes) {
                let answer: String
                if case .text(let text) = message {
                    answer = await handle(text, context: context, subscriptions: subscriptions)
                } else {
                    answer = APIJSON.text(StreamError(message: "send JSON text messages"))
                }
                budget.queued(answer.utf8.count)
                send.yield(answer)
            }
            send.finish()
            group.cancelAll()
        }
    }

    /// Answers one client message.
    private func handle(_ text: String, context: AppContext, subscriptions: SubscriptionBox) async -> String {
        // The readings of a message go to the ingest reader as they came, parsed once; only the
        // small fields are read here.
        let data = Data(text.utf8)
        guard let fields = JSONObjectFields.ranges(data), let type = JSONObjectFields.scalar(data, fields["type"]) as? String else {
            return APIJSON.text(StreamError(message: "expected a JSON object with a \"type\""))
        }
        var object: [String: Any] = [:]
        for key in ["id", "meter", "source", "fleet", "summary", "timezone", "interval"] {
            if let v = JSONObjectFields.scalar(data, fields[key]) { object[key] = v }
        }
        let id = object["id"].map { "\($0)" }
        do {
            switch type {
            case "subscribe", "unsubscribe":
                try context.require(.viewer)
                let on = type == "subscribe"
                var topic = ""
                if let m = object["meter"] as? String {
                    guard let meter = MeterID(m) else { throw HTTPError(.badRequest, message: "not a meter id: \(m.prefix(60))") }
                    subscriptions.state.withLock { if on { $0.meters.insert(meter) } else { $0.meters.remove(meter) } }
                    topic = "meter \(m)"
                } else if let s = object["source"] as? String {
                    guard let source = SourceID(s) else { throw HTTPError(.badRequest, message: "not a source id: \(s.prefix(60))") }
                    subscriptions.state.withLock { if on { $0.sources.insert(source) } else { $0.sources.remove(source) } }
                    topic = "source \(s)"
                } else if object["fleet"] as? Bool == true {
                    subscriptions.state.withLock { $0.fleet = on }
                    topic = "fleet"
                } else if object["summary"] as? Bool == true {
                    subscriptions.state.withLock { $0.summary = on }
                    topic = "summary"
                } else {
                    throw HTTPError(.badRequest, message: "name a \"meter\", a \"source\", \"fleet\": true or \"summary\": true")
                }
                return APIJSON.text(Subscribed(type: on ? "subscribed" : "unsubscribed", id: id, topic: topic))
            case "readings":
                guard let range = fields["readings"] else { throw HTTPError(.badRequest, message: "\"readings\" is missing") }
                let body = data.subdata(in: range)
                var query: [String: String] = [:]
                for key in ["source", "timezone", "interval"] { if let v = object[key] { query[key] = "\(v)" } }
                let answer = try await IngestRoutes.ingest(body, mediaType: "application/json", query: { query[$0] }, context: context,
                                                           deps: deps, origin: "websocket")
                return APIJSON.text(Ack(id: id, answer: answer))
            default:
                throw HTTPError(.badRequest, message: "unknown type \(type.prefix(40)); use subscribe, unsubscribe or readings")
            }
        } catch let e as HTTPError {
            return APIJSON.text(StreamError(id: id, status: e.status.code, message: e.body ?? "\(e.status)"))
        } catch {
            return APIJSON.text(StreamError(id: id, status: 500, message: "\(error)"))
        }
    }
}

/// The bytes of live messages waiting for one client, and how many were dropped since it last
/// had room: a client that reads slower than the fleet writes costs the server at most `limit`.
final class StreamBudget: Sendable {
    enum Admission { case admitted(droppedBefore: Int), dropped }

    let limit: Int
    private let state = Mutex((queued: 0, dropped: 0))

    init(limit: Int) { self.limit = limit }

    /// Once dropping, a client takes messages again only when half its budget is free, so what it
    /// misses comes in runs, each told once.
    func admit(_ bytes: Int) -> Admission {
        state.withLock { s in
            let room = s.dropped > 0 ? limit / 2 : limit
            guard s.queued == 0 || s.queued + bytes <= room else {
                s.dropped += 1
                return .dropped
            }
            s.queued += bytes
            defer { s.dropped = 0 }
            return .admitted(droppedBefore: s.dropped)
        }
    }

    func queued(_ bytes: Int) { state.withLock { $0.queued += bytes } }

    func sent(_ bytes: Int) { state.withLock { $0.queued = max(0, $0.queued - bytes) } }
}

/// Told to a client before the first live message after some were dropped for it.
struct Lagged: Codable {
    var type = "lagged"
    var dropped: Int
}

/// What one connection watches, and the messages an event makes for it.
struct Subscriptions {
    var meters: Set<MeterID> = []
    var sources: Set<SourceID> = []
    var fleet = false
    /// The fleet's figures without its readings.
    var summary = false

    var isEmpty: Bool { meters.isEmpty && sources.isEmpty && !fleet && !summary }

    func wants(meter: MeterID?, source: SourceID?) -> Bool {
        if fleet { return true }
        if let meter, meters.contains(meter) { return true }
        if let source, sources.contains(source) { return true }
        return false
    }

    func messages(for event: PipelineEvent) -> [String] {
        guard !isEmpty else { return [] }
        switch event {
        case .stored(let b):
            let readings = fleet ? b.readings : b.readings(meters: meters, sources: sources)
            var out: [String] = []
            if !readings.isEmpty {
                out.append(APIJSON.text(StreamReadings(batch: b.summary.batch, readings: readings.map(LiveReadingDTO.init))))
            }
            if summary, b.count > 0 { out.append(APIJSON.text(StreamSummary(b))) }
            let rejected = b.summary.rejected.filter { wants(meter: $0.meter, source: nil) || fleet }
            if summary || !readings.isEmpty || !rejected.isEmpty {
                out.append(APIJSON.text(StreamOutcomes(batch: b.summary.batch, origin: b.summary.origin, outcomes: b.summary.report.totals,
                                                              totals: StreamTotals(b.summary),
                                                              quarantined: rejected.prefix(100).map { QuarantineDTO($0) })))
            }
            return out
        case .anomaly(let a):
            guard summary || wants(meter: a.meter, source: a.source) else { return [] }
            return [APIJSON.text(StreamAnomaly(anomaly: AnomalyDTO(a)))]
        }
    }
}

struct LiveReadingDTO: Codable {
    var meter_id: String
    var source: String
    var start: String
    var minutes: Int
    var kwh: Double
    var quality: String

    init(_ r: LiveReading) {
        meter_id = r.meter.rawValue
        source = r.source.rawValue
        start = ISO8601.format(r.start)
        minutes = r.minutes
        kwh = r.kwh
        quality = r.quality.name
    }
}

struct StreamReadings: Codable {
    var type = "readings"
    var batch: Int64
    var readings: [LiveReadingDTO]
}

struct StreamOutcomes: Codable {
    var type = "outcomes"
    var batch: Int64
    var origin: String
    var outcomes: [String: Int]
    /// The whole batch's counts, as the fleet's quality figures add them up.
    var totals: StreamTotals
    var quarantined: [QuarantineDTO]
}

/// A batch's readings stored (new or corrected), slots VEE estimated, and rows quarantined.
struct StreamTotals: Codable {
    var stored: Int
    var estimated: Int
    var quarantined: Int

    init(_ s: IngestSummary) {
        stored = s.inserted + s.corrected
        estimated = s.report.total(.estimated)
        quarantined = s.report.total(.quarantined)
    }
}

/// A stored batch as the fleet's figures need it: for its latest few interval starts (a live batch
/// has one), the energy of each source's readings there.
struct StreamSummary: Codable {
    var type = "summary"
    var batch: Int64
    var intervals: [Interval]

    /// One interval of the batch: its readings, and each source's energy (`sources`) and readings (`counts`) in it.
    struct Interval: Codable {
        var start: String
        var readings: Int
        var sources: [String: Double]
        var counts: [String: Int]
    }

    init(_ b: StoredBatch, latest: Int = 4) {
        batch = b.summary.batch
        let starts = Set(b.readings.map(\.start)).sorted().suffix(latest)
        var sums: [Int64: (n: Int, kwh: [String: Double], counts: [String: Int])] = [:]
        for s in starts { sums[s] = (0, [:], [:]) }
        for r in b.readings where sums[r.start] != nil {
            sums[r.start]?.n += 1
            sums[r.start]?.kwh[r.source.rawValue, default: 0] += r.kwh
            sums[r.start]?.counts[r.source.rawValue, default: 0] += 1
        }
        intervals = starts.map {
            Interval(start: ISO8601.format($0), readings: sums[$0]?.n ?? 0, sources: sums[$0]?.kwh ?? [:], counts: sums[$0]?.counts ?? [:])
        }
    }
}

struct StreamAnomaly: Codable {
    var type = "anomaly"
    var anomaly: AnomalyDTO
}

struct Subscribed: Codable {
    var type: String
    var id: String?
    var topic: String
}

struct Ack: Codable {
    var type = "ack"
    var id: String?
    var answer: IngestAnswer
}

struct StreamError: Codable {
    var type = "error"
    var id: String?
    var status = 400
    var message: String
}

/// One connection's subscriptions, shared by its reader and its event pump.
final class SubscriptionBox: Sendable {
    let state = Mutex(Subscriptions())
}
