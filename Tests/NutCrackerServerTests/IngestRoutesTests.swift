import Foundation
import Hummingbird
import HummingbirdTesting
import MeterCore
import MeterStore
import NutCrackerEngine
import NutCrackerServer
import TestSupport
import Testing

/// `POST /api/v1/readings`: JSON, NDJSON and CSV bodies, per-outcome counts, rejected rows by
/// index, durability before the answer, limits, back-pressure and group commit.
@Suite struct IngestRoutesTests {
    let dir = TemporaryDirectory()

    struct Answer: Decodable {
        var batch: Int64; var received: Int; var stored: Int; var inserted: Int; var estimated: Int; var quarantined: Int
        var outcomes: [String: Int]; var rejected: [Rejected]
    }
    struct Rejected: Decodable { var index: Int; var field: String?; var reason: String; var detail: String }

    static func post(_ client: some TestClientProtocol, _ body: String, type: String, token: String, query: String = "") async throws -> (HTTPResponse.Status, String, HTTPFields) {
        var headers = TestServer.bearer(token)
        headers[.contentType] = type
        return try await client.execute(uri: "/api/v1/readings" + query, method: .post, headers: headers, body: ByteBuffer(string: body)) {
            ($0.status, String(buffer: $0.body), $0.headers)
        }
    }

    @Test func jsonArrayGoodRowsKeptBadRowsNamedByIndexAndDurableBeforeTheAnswer() async throws {
        let server = try await TestServer.make(dir)
        let app = Application(router: buildRouter(server.deps))
        let body = """
            [{"meter_id":"GW-1","start":"2026-11-29T00:00:00Z","kwh":0.5},
             {"meter_id":"GW-1","start":"2026-11-29T00:30:00Z","kwh":-3},
             {"meter_id":"GW-1","start":"2026-11-29T01:00:00Z","kwh":0.7},
             {"meter_id":"GW-1","start":"not a time","kwh":0.7},
             {"meter_id":"GW-2","start":"2026-11-29T00:00:00Z","kwh":"abc"}]
            """
        try await app.test(.router) { client in
            let (status, text, _) = try await Self.post(client, body, type: "application/json", token: server.operatorToken, query: "?source=GW")
            #expect(status == .ok)
            let a = try JSONDecoder().decode(Answer.self, from: Data(text.utf8))
            #expect(a.received == 5)
            // Two measured readings; the slot between them, whose value was refused, waits for a
            // corrected reading until the meter is four slots past it, and only then is estimated.
            #expect(a.inserted == 2 && a.estimated == 0)
            #expect(a.quarantined == 3)
            #expect(a.rejected.map(\.index).sorted() == [1, 3, 4])
            #expect(a.rejected.first { $0.index == 1 }?.reason == "negative")
            #expect(a.rejected.first { $0.index == 3 }?.field == "timestamp" || a.rejected.first { $0.index == 3 }?.field == "start")
            #expect(a.outcomes.values.reduce(0, +) > 0)
            // The quality page lists each quarantined row with its reason and raw text, newest first,
            // and the meter that had most done to it.
            try await client.execute(uri: "/quality", method: .get, headers: TestServer.bearer(server.viewer)) { res in
                #expect(res.status == .ok)
                // (Raw text may break after each comma.)
                let html = String(buffer: res.body).replacingOccurrences(of: ",<wbr>", with: ",")
                let table = html.components(separatedBy: "<table class=\"quarantine\">").dropFirst().first?.components(separatedBy: "</table>").first ?? ""
                let rows = table.components(separatedBy: "<tr>").dropFirst(2)
                #expect(rows.first?.contains("{&quot;kwh&quot;:&quot;abc&quot;,&quot;meter_id&quot;:&quot;GW-2&quot;") == true, "\(rows.first ?? "")")
                #expect(rows.contains { $0.contains("<b>negative</b>") && $0.contains("&quot;kwh&quot;:-3") })
                #expect(html.contains("data-outcome=\"") && html.contains(">GW-1</a>"))
                // Outcomes are named for a person, their key beneath.
                #expect(html.contains("<td>Negative values, quarantined<small class=\"outcome-key\">negative/negative</small></td>"))
            }
        }
        // Acknowledged means committed: a new connection to the file sees the readings.
        let reopened = try SQLiteStore(path: server.path)
        let rows = try await reopened.readings(meter: MeterID("GW-1")!, from: nil, to: nil, limit: nil)
        #expect(rows.map(\.kwh).contains(0.5) && rows.map(\.kwh).contains(0.7))
        #expect(try await reopened.meters().first { $0.meter.id.rawValue == "GW-1" }?.meter.source.rawValue == "GW")
        let kept = try await reopened.quarantine(limit: 10)
        #expect(kept.contains { $0.reason == "negative" && $0.origin == "http" })
        // Every refused row keeps the text it was sent as, whether the reader or VEE refused it.
        #expect(Set(kept.filter { $0.origin == "http" }.map(\.raw)) == [
            #"{"kwh":-3,"meter_id":"GW-1","start":"2026-11-29T00:30:00Z"}"#,
            #"{"kwh":0.7,"meter_id":"GW-1","start":"not a time"}"#,
            #"{"kwh":"abc","meter_id":"GW-2","start":"2026-11-29T00:00:00Z"}"#,
        ])
    }

    @Test func ndjsonAndCSVBodies() async throws {
        let server = try await TestServer.make(dir)
        let app = Application(router: buildRouter(server.deps))
        try await app.test(.router) { client in
            let nd = "{\"meter_id\":\"N-1\",\"start\":\"2026-11-29T00:00:00Z\",\"kwh\":1.25}\nnot json\n{\"meter_id\":\"N-1\",\"start\":\"2026-11-29T00:30:00Z\",\"kwh\":1.5}\n"
            let (s1, t1, _) = try await Self.post(client, nd, type: "application/x-ndjson", token: server.operatorToken)
            let a1 = try JSONDecoder().decode(Answer.self, from: Data(t1.utf8))
            #expect(s1 == .ok && a1.inserted == 2 && a1.rejected.map(\.index) == [1] && a1.rejected[0].reason == "invalid_json")
            let csv = "meter_id,timestamp,kwh\nC-1,2026-11-29T00:00:00Z,0.25\nC-1,2026-11-29T00:30:00Z,\nC-1,2026-11-29T01:00:00Z,0.5\n"
            let (s2, t2, _) = try await Self.post(client, csv, type: "text/csv", token: server.operatorToken)
            let a2 = try JSONDecoder().decode(Answer.self, from: Data(t2.utf8))
            #expect(s2 == .ok && a2.received == 3)
            #expect(a2.rejected.map(\.index) == [1])
            let nd2 = "{\"meter_id\":\"N-2\",\"start\":\"2026-11-29T00:00:00Z\",\"kwh\":1}\n\n  {\"meter_id\": \"N-2\", \"start\": \"2026-11-29T00:30:00Z\", \"kwh\": -7}\n"
            let (s5, _, _) = try await Self.post(client, nd2, type: "application/x-ndjson", token: server.operatorToken)
            #expect(s5 == .ok)
            // VEE's refusals keep the line as sent: the CSV record, the NDJSON line.
            let kept = try await server.store.quarantine(limit: 10).map(\.raw)
            #expect(kept.contains("C-1,2026-11-29T00:30:00Z,"))
            #expect(kept.contains(#"{"meter_id": "N-2", "start": "2026-11-29T00:30:00Z", "kwh": -7}"#), "\(kept)")
            let (s3, t3, _) = try await Self.post(client, "<xml/>", type: "application/xml", token: server.operatorToken)
            #expect(s3 == .unsupportedMediaType && t3.contains("ndjson"))
            let (s4, t4, _) = try await Self.post(client, "[{\"meter_id\":", type: "application/json", token: server.operatorToken)
            #expect(s4 == .badRequest && t4.contains("JSON"))
        }
    }

    @Test func gzipBodies() async throws {
        let server = try await TestServer.make(dir, limits: IngestLimits(maxBodyBytes: 100_000))
        let app = Application(router: buildRouter(server.deps))
        func post(_ body: [UInt8], encoding: String) async throws -> (HTTPResponse.Status, String) {
            var fields = TestServer.bearer(server.operatorToken)
            fields[.contentType] = "text/csv"
            fields[.contentEncoding] = encoding
            let headers = fields
            return try await app.test(.router) { client in
                try await client.execute(uri: "/api/v1/readings", method: .post, headers: headers, body: ByteBuffer(bytes: body)) { ($0.status, String(buffer: $0.body)) }
            }
        }
        // A compressed batch is read as the plain one would be, refused rows and all.
        let csv = "meter_id,start,kwh\n" + (0..<48).map { "Z-1,2026-11-29T\(String(format: "%02d", $0 / 2)):\($0 % 2 == 0 ? "00" : "30"):00Z,\($0 == 7 ? "-1" : "0.5")" }.joined(separator: "\n")
        let (s1, t1) = try await post(try gzipped(Array(csv.utf8), name: "batch.csv"), encoding: "gzip")
        let a1 = try JSONDecoder().decode(Answer.self, from: Data(t1.utf8))
        #expect(s1 == .ok && a1.received == 48 && a1.quarantined == 1 && a1.rejected.map(\.index) == [7], "\(t1)")
        #expect(try await server.store.quarantine(limit: 1).first?.raw == "Z-1,2026-11-29T03:30:00Z,-1")
        // One that inflates past the body limit is refused as too large, however small it came.
        let (s2, t2) = try await post(try gzipped(Array(("meter_id,start,kwh\n" + String(repeating: "Z-2,2026-11-29T00:00:00Z,0.5\n", count: 10_000)).utf8)), encoding: "gzip")
        #expect(s2 == .contentTooLarge && t2.contains("inflates to more than 100000 bytes"), "\(t2)")
        let (s3, t3) = try await post(Array(csv.utf8), encoding: "br")
        #expect(s3 == .unsupportedMediaType && t3.contains("gzip"))
        let (s4, t4) = try await post(Array(csv.utf8), encoding: "gzip")
        #expect(s4 == .badRequest && t4.contains("not gzip data"), "\(t4)")
        // Cut short or damaged (its CRC no longer matches): refused, nothing stored from it.
        let whole = try gzipped(Array("meter_id,start,kwh\nZ-3,2026-11-29T00:00:00Z,0.5\n".utf8))
        var damaged = whole
        damaged[damaged.count - 8] ^= 0xFF
        for (body, why) in [(Array(whole.dropLast(12)), "ends early"), (Array(whole.dropLast(3)), "ends early"), (damaged, "CRC-32 does not match")] {
            let (status, text) = try await post(body, encoding: "gzip")
            #expect(status == .badRequest && text.contains(why), "\(text)")
        }
        #expect(try await server.store.meter(try #require(MeterID("Z-3"))) == nil)
    }

    @Test func limitsAnswer413() async throws {
        let server = try await TestServer.make(dir, limits: IngestLimits(maxBodyBytes: 2_000, maxRows: 3))
        let app = Application(router: buildRouter(server.deps))
        try await app.test(.router) { client in
            let big = "meter_id,timestamp,kwh\n" + (0..<200).map { "L-1,2026-11-29T00:00:00Z,\($0)" }.joined(separator: "\n")
            let (s1, t1, _) = try await Self.post(client, big, type: "text/csv", token: server.operatorToken)
            #expect(s1 == .contentTooLarge && t1.contains("2000 bytes"))
            let four = "meter_id,timestamp,kwh\n" + (0..<4).map { "L-1,2026-11-29T0\($0):00:00Z,1" }.joined(separator: "\n")
            let (s2, t2, _) = try await Self.post(client, four, type: "text/csv", token: server.operatorToken)
            #expect(s2 == .contentTooLarge && t2.contains("4 rows") && t2.contains("3 per request"))
        }
    }

    @Test func concurrentRequestsShareOneCommitAndASaturatedQueueAnswers503WithRetryAfter() async throws {
        let gate = Gate()
        let server = try await TestServer.make(dir, store: { gate.wrap($0) }, maxPendingRows: 25)
        let store = try #require(gate.store)
        let app = Application(router: buildRouter(server.deps))
        let before = try await server.store.counts().readings
        try await app.test(.router) { client in
            store.close()
            func body(_ i: Int) -> String { "meter_id,timestamp,kwh\nQ-\(i),2026-11-29T00:00:00Z,1\nQ-\(i),2026-11-29T00:30:00Z,2\n" }
            // The first request holds the writer; the next ones wait in the queue and commit together.
            let statuses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for i in 0..<30 {
                    group.addTask {
                        let (s, _, h) = try await Self.post(client, body(i), type: "text/csv", token: server.operatorToken)
                        return (s, h[.retryAfter])
                    }
                    try await Task.sleep(for: .milliseconds(10))
                }
                try await Task.sleep(for: .milliseconds(200))
                store.open()
                var out: [(HTTPResponse.Status, String?)] = []
                for try await r in group { out.append(r) }
                return out
            }
            let ok = statuses.filter { $0.0 == .ok }.count
            let refused = statuses.filter { $0.0 == .serviceUnavailable }
            #expect(ok + refused.count == 30)
            #expect(!refused.isEmpty && refused.allSatisfy { $0.1 == "1" })
            #expect(ok >= 12)
            // Far fewer commits than acknowledged requests.
            #expect(store.groups.count < ok && store.groups.max() ?? 0 > 1)
            let readings = try await server.store.counts().readings
            #expect(readings == before + ok * 2) // every acknowledged request, nothing of a refused one
        }
    }
}

/// Builds a gated store and remembers it.
final class Gate: @unchecked Sendable {
    var store: GatedStore?
    func wrap(_ s: SQLiteStore) -> any ReadingStore {
        let g = GatedStore(s)
        store = g
        return g
    }
}
