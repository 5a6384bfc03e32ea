import Foundation
import Hummingbird
import MeterCore
import MeterIngest
import MeterStore
import NutCrackerEngine

/// `POST /api/v1/readings`: readings in, VEE, group commit, and an answer that counts each outcome
/// and names every rejected row by its index. The answer comes only after the commit.
struct IngestRoutes {
    let deps: ServerDependencies

    func add(to router: Router<AppContext>) {
        router.post("/api/v1/readings") { request, context -> Response in
            let limits = deps.limits
            if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limits.maxBodyBytes {
                throw HTTPError(.contentTooLarge, message: "body of \(length) bytes is over the limit of \(limits.maxBodyBytes) bytes; send smaller batches")
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: limits.maxBodyBytes)
            } catch {
                throw HTTPError(.contentTooLarge, message: "body is over the limit of \(limits.maxBodyBytes) bytes; send smaller batches")
            }
            let body = try Self.decoded(Data(buffer: buffer), encoding: request.headers[.contentEncoding], limit: limits.maxBodyBytes)
            let q = request.uri.queryParameters
            let answer = try await Self.ingest(body, mediaType: request.headers[.contentType], query: { q.get($0) },
                                               context: context, deps: deps, origin: "http")
            return try APIJSON.response(answer)
        }
    }

    /// The body as sent (`identity`) or inflated (`gzip`, as gateways on metered links send it, and
    /// as InfluxDB's `/write` takes it), within the same limit as a plain body.
    static func decoded(_ body: Data, encoding: String?, limit: Int) throws -> Data {
        switch encoding?.trimmingCharacters(in: .whitespaces).lowercased() {
        case nil, "", "identity": return body
        case "gzip", "x-gzip":
            do { return Data(try Gzip.decompress(Array(body), limit: limit)) } catch {
                if case .tooLarge = error {
                    throw HTTPError(.contentTooLarge, message: "gzip body: \(error); send smaller batches")
                }
                throw HTTPError(.badRequest, message: "gzip body: \(error)")
            }
        case let other?:
            throw HTTPError(.unsupportedMediaType, message: "Content-Encoding \(other.prefix(40)) is not supported; send gzip or identity")
        }
    }

    /// Reads, authorises, queues and answers one payload; shared by HTTP and WebSocket ingest.
    static func ingest(_ body: Data, mediaType: String?, query: (String) -> String?, context: AppContext, deps: ServerDependencies,
                       origin: String) async throws -> IngestAnswer {
        // Who may write at all is checked before any work is done for them; the sources, once read.
        try context.requireWriter(of: [])
        guard let format = ReadingsPayload.format(mediaType: mediaType, body: body) else {
            throw HTTPError(.unsupportedMediaType, message: "Content-Type \(mediaType ?? "") is not one of application/json, application/x-ndjson, text/csv")
        }
        var options = ReadOptions()
        if let tz = query("timezone") {
            guard let zone = TimeZoneSpec(tz) else { throw HTTPError(.badRequest, message: "timezone: not a zone or offset: \(tz.prefix(60))") }
            options.time.zone = zone
            options.zoneGiven = true
        }
        var interval = IntervalLength.halfHour
        if let m = query("interval") {
            guard let minutes = Int(m), let i = IntervalLength(minutes: minutes) else {
                throw HTTPError(.badRequest, message: "interval: minutes must be one of 1, 5, 15, 30, 60")
            }
            interval = i
        }
        var source = SourceID.unassigned
        if case .device(_, let own)? = context.identity { source = own }
        if let s = query("source") {
            guard let id = SourceID(s) else { throw HTTPError(.badRequest, message: "source: not a source id: \(s.prefix(60))") }
            source = id
        }
        if format == .csv { options.meterHint = deps.meterLists[source] }
        let result: IngestResult
        do {
            result = try ReadingsPayload.read(body, format: format, origin: origin, options: options)
        } catch {
            throw HTTPError(.badRequest, message: "\(format.rawValue) body: \(error)")
        }
        if format == .csv { deps.meterLists.remember(result.batch.meters, for: source) }
        if result.rowsRead > deps.limits.maxRows {
            throw HTTPError(.contentTooLarge, message: "\(result.rowsRead) rows is over the limit of \(deps.limits.maxRows) per request; send smaller batches")
        }
        try context.requireWriter(of: Set(result.sources.values).union([source]))
        let info = BatchInfo(origin: origin, source: source, sources: result.sources, kinds: result.kinds, interval: interval)
        let summary: IngestSummary
        do {
            let delimiter = options.delimiter
            summary = try await deps.ingest.submit(IngestRequest(
                batch: result.batch, problems: result.problems, info: info, layout: format.rawValue,
                rawText: { ReadingsPayload.rawRows(body, format: format, lines: Set($0), delimiter: delimiter) }))
        } catch IngestQueueError.saturated(let seconds) {
            throw HTTPError(.serviceUnavailable, headers: [.retryAfter: String(seconds)],
                            message: "ingest is saturated; retry after \(seconds) s")
        }
        context.logger.info("readings committed", metadata: [
            "batch": "\(summary.batch)", "origin": "\(origin)", "who": "\(context.identity?.description ?? "")",
            "received": "\(result.rowsRead)", "stored": "\(summary.stored)", "quarantined": "\(summary.quarantined)",
        ])
        return IngestAnswer(summary, received: result.rowsRead, format: format)
    }
}

/// The answer to an ingest: counts per outcome and each rejected row with its index and reason.
struct IngestAnswer: Codable, Sendable {
    var batch: Int64
    var received: Int
    var stored: Int
    var inserted: Int
    var corrected: Int
    var unchanged: Int
    var estimated: Int
    var quarantined: Int
    /// VEE and parse outcomes, `rule/outcome` to count.
    var outcomes: [String: Int]
    var rejected: [Rejected]

    struct Rejected: Codable, Sendable {
        var index: Int
        var line: Int
        var field: String?
        var reason: String
        var detail: String
    }

    init(_ s: IngestSummary, received: Int, format: ReadingsPayload.Format) {
        batch = s.batch
        self.received = received
        stored = s.stored
        inserted = s.inserted
        corrected = s.corrected
        unchanged = s.unchanged
        estimated = s.estimated
        quarantined = s.quarantined
        outcomes = s.report.totals
        rejected = s.rejected.map {
            Rejected(index: ReadingsPayload.index(line: $0.line, format: format), line: $0.line, field: $0.field, reason: $0.reason, detail: $0.detail)
        }
    }
}
