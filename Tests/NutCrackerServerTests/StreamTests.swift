#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import Logging
import MeterCore
import NutCrackerEngine
import NutCrackerServer
import TestSupport
import Testing

/// `/api/v1/stream` on a real socket: a gateway's readings are acknowledged once committed and
/// reach a subscriber of their meter; `/metrics` counts all of it.
@Suite struct StreamTests {
    let dir = TemporaryDirectory()

    @Test func gatewayAckAndSubscriberSeesTheReadingAndMetricsCountIt() async throws {
        let server = try await TestServer.make(dir)
        let logger = Logger(label: "test.ws")
        try await Self.live(server) { client, url in
            let (seen, seenSink) = AsyncStream<String>.makeStream()
            let (ready, readySink) = AsyncStream<Void>.makeStream()
            let subscriber = Task {
                try await WebSocketClient.connect(url: url, configuration: .init(additionalHeaders: [.authorization: "Bearer \(server.viewer)"]),
                                                  logger: logger) { inbound, outbound, _ in
                    try await outbound.write(.text("{\"type\":\"subscribe\",\"meter\":\"WS-1\"}"))
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        if text.contains("\"subscribed\"") { readySink.yield() }
                        seenSink.yield(text)
                        if text.contains("\"readings\"") { break }
                    }
                }
            }
            var readyIterator = ready.makeAsyncIterator()
            _ = await readyIterator.next()

            let ack = try await withThrowingTaskGroup(of: String.self) { group in
                group.addTask {
                    let (answers, answer) = AsyncStream<String>.makeStream()
                    try await WebSocketClient.connect(url: url, configuration: .init(additionalHeaders: [.authorization: "Bearer \(server.deviceA)"]),
                                                      logger: logger) { inbound, outbound, _ in
                        try await outbound.write(.text("""
                            {"type":"readings","id":"m1","readings":[{"meter_id":"WS-1","start":"2026-11-29T10:00:00Z","kwh":0.875},
                             {"meter_id":"WS-1","start":"2026-11-29T10:30:00Z","kwh":-1}]}
                            """))
                        for try await message in inbound.messages(maxSize: 1 << 20) {
                            if case .text(let text) = message { answer.yield(text); break }
                        }
                    }
                    answer.finish()
                    var it = answers.makeAsyncIterator()
                    return await it.next() ?? ""
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    throw CancellationError()
                }
                let first = try await group.next() ?? ""
                group.cancelAll()
                return first
            }
            struct Ack: Decodable { var type: String; var id: String; var answer: A }
            struct A: Decodable { var stored: Int; var quarantined: Int; var rejected: [R] }
            struct R: Decodable { var index: Int; var reason: String }
            let a = try JSONDecoder().decode(Ack.self, from: Data(ack.utf8))
            #expect(a.type == "ack" && a.id == "m1" && a.answer.stored == 1 && a.answer.rejected.map(\.index) == [1])

            var messages: [String] = []
            for await m in seen {
                messages.append(m)
                if m.contains("\"readings\"") { break }
            }
            let live = try #require(messages.last)
            #expect(live.contains("\"meter_id\":\"WS-1\"") && live.contains("0.875") && live.contains("\"source\":\"A\""))
            _ = try await subscriber.value

            // Without credentials there is no stream.
            await #expect(throws: (any Error).self) {
                try await WebSocketClient.connect(url: url, logger: logger) { _, _, _ in }
            }

            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains("nutcracker_readings_total{outcome=\"stored\",source=\"A\"} 1"))
            #expect(metrics.contains("nutcracker_readings_total{outcome=\"quarantined\",source=\"A\"} 1"))
            #expect(metrics.contains("nutcracker_vee_outcomes_total{outcome=\"negative\",rule=\"negative\"} 1"))
            #expect(metrics.contains("nutcracker_commit_seconds_bucket{le=\"0.005\"}"))
            #expect(metrics.contains("nutcracker_ingest_queue_rows 0"))
            #expect(metrics.contains("# TYPE nutcracker_websocket_clients gauge"))
            #expect(metrics.contains("nutcracker_http_requests_total{method=\"GET\",route=\"/api/v1/stream\",status=\"401\"}"))
        }
    }

    /// A dashboard of a large estate: the fleet's figures per batch without its readings, and the
    /// readings of the meters it shows only.
    @Test func aSummarySubscriberGetsTheFleetsFiguresWithoutItsReadings() async throws {
        let server = try await TestServer.make(dir)
        try await Self.live(server) { client, url in
            let (seen, seenSink) = AsyncStream<String>.makeStream()
            let (ready, readySink) = AsyncStream<Void>.makeStream()
            let subscriber = Task {
                try await WebSocketClient.connect(url: url, configuration: .init(additionalHeaders: [.authorization: "Bearer \(server.viewer)"]),
                                                  logger: Logger(label: "test.ws")) { inbound, outbound, _ in
                    try await outbound.write(.text(#"{"type":"subscribe","summary":true}"#))
                    try await outbound.write(.text(#"{"type":"subscribe","meter":"S-2"}"#))
                    var subscribed = 0
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        if text.contains("\"subscribed\"") { subscribed += 1; if subscribed == 2 { readySink.yield() } }
                        seenSink.yield(text)
                        if text.contains("\"outcomes\"") { break }
                    }
                }
            }
            var readyIterator = ready.makeAsyncIterator()
            _ = await readyIterator.next()
            let csv = "meter_id,start,kwh,source\nS-1,2026-11-29T10:00:00Z,1.5,X\nS-2,2026-11-29T10:00:00Z,0.25,X\nS-3,2026-11-29T10:00:00Z,2,Y\n"
                + "S-1,2026-11-29T09:30:00Z,1,X\nS-3,2026-11-29T10:30:00Z,abc,Y\n"
            try await client.execute(uri: "/api/v1/readings", method: .post, headers: [.authorization: "Bearer \(server.operatorToken)", .contentType: "text/csv"],
                                     body: ByteBuffer(string: csv)) { #expect($0.status == .ok) }
            var messages: [String] = []
            for await m in seen {
                messages.append(m)
                if m.contains("\"outcomes\"") { break }
            }
            _ = try await subscriber.value
            struct Summary: Decodable { var type: String; var intervals: [I] }
            struct I: Decodable { var start: String; var readings: Int; var sources: [String: Double]; var counts: [String: Int] }
            let summary = try #require(messages.first { $0.contains("\"type\":\"summary\"") })
            let s = try JSONDecoder().decode(Summary.self, from: Data(summary.utf8))
            #expect(s.intervals.map(\.start) == ["2026-11-29T09:30:00Z", "2026-11-29T10:00:00Z"])
            #expect(s.intervals.last?.sources == ["X": 1.75, "Y": 2] && s.intervals.last?.readings == 3)
            #expect(s.intervals.last?.counts == ["X": 2, "Y": 1])
            // Readings of the meter it watches only; the fleet's outcomes, with the row refused.
            let readings = messages.filter { $0.contains("\"type\":\"readings\"") }
            #expect(readings.count == 1 && readings.allSatisfy { $0.contains("S-2") && !$0.contains("S-1") && !$0.contains("S-3") })
            #expect(messages.last?.contains("\"quarantined\":1") == true, "\(messages.last ?? "")")
        }
    }

    /// A gateway's batch of a thousand readings (about 70 KB) goes in one message, as it would in one
    /// request, and is acknowledged whole; compressed (permessage-deflate) or not.
    @Test(arguments: [false, true]) func aGatewaysBatchFitsInOneMessage(compressed: Bool) async throws {
        let server = try await TestServer.make(dir)
        try await Self.live(server) { client, url in
            let (counted, count) = AsyncStream<Int>.makeStream()
            let configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 24, additionalHeaders: [.authorization: "Bearer \(server.operatorToken)"],
                                                             extensions: compressed ? [.perMessageDeflate()] : [])
            try await WebSocketClient.connect(url: url, configuration: configuration, logger: Logger(label: "test.ws")) { inbound, outbound, _ in
                var answers = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
                for k in 0..<2 {
                    let rows = (0..<1000).map { #"{"meter_id":"GW-\#($0)","start":"2026-11-20T00:\#(k == 1 ? "30" : "00"):00Z","kwh":0.5}"# }
                    try await outbound.write(.text(#"{"type":"readings","id":"\#(k)","readings":[\#(rows.joined(separator: ","))]}"#))
                    guard case .text(let ack)? = try await answers.next() else { break }
                    count.yield((try? JSONDecoder().decode(GatewayAck.self, from: Data(ack.utf8)).answer.stored) ?? 0)
                }
            }
            count.finish()
            var stored: [Int] = []
            for await n in counted { stored.append(n) }
            #expect(stored == [1000, 1000])
        }
    }

    /// A client that offers permessage-deflate (as browsers do) is answered with it; one that does
    /// not, without.
    @Test func theStreamCompressesForClientsThatAsk() async throws {
        let server = try await TestServer.make(dir)
        try await Self.live(server) { client, _ in
            let port = try #require(client.port)
            let offered = try await Self.upgradeAnswer(port: port, token: server.viewer, offering: "permessage-deflate; client_max_window_bits")
            #expect(offered.hasPrefix("HTTP/1.1 101"), "\(offered)")
            #expect(offered.lowercased().contains("sec-websocket-extensions: permessage-deflate"), "\(offered)")
            let plain = try await Self.upgradeAnswer(port: port, token: server.viewer, offering: nil)
            #expect(plain.hasPrefix("HTTP/1.1 101") && !plain.lowercased().contains("permessage-deflate"), "\(plain)")
        }
    }

    /// The head of the server's answer to a WebSocket upgrade request, read off a plain socket on a
    /// thread of its own (blocking reads must not hold one of the cooperative pool's few threads,
    /// which the server under test needs to answer).
    static func upgradeAnswer(port: Int, token: String, offering extensions: String?) async throws -> String {
        try await withCheckedThrowingContinuation { done in
            Thread.detachNewThread { done.resume(with: Result { try blockingUpgradeAnswer(port: port, token: token, offering: extensions) }) }
        }
    }

    private static func blockingUpgradeAnswer(port: Int, token: String, offering extensions: String?) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EBADF) }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
        var request = "GET /api/v1/stream HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer \(token)\r\n"
        if let extensions { request += "Sec-WebSocket-Extensions: \(extensions)\r\n" }
        request += "\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), 0) }
        var answer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: answer, as: UTF8.self).contains("\r\n\r\n") {
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            answer += chunk[0..<n]
        }
        return String(decoding: answer, as: UTF8.self).components(separatedBy: "\r\n\r\n").first ?? ""
    }

    /// The server on a loopback socket with its WebSocket upgrade, as `serve` runs it; `body` gets
    /// a client and the stream's URL.
    static func live(_ server: TestServer, _ body: @escaping @Sendable (any TestClientProtocol, String) async throws -> Void) async throws {
        let app = Application(router: buildRouter(server.deps), server: httpWithStream(server.deps, router: buildRouter(server.deps)),
                              configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in try await body(client, "ws://127.0.0.1:\(client.port ?? 0)/api/v1/stream") }
    }

    struct GatewayAck: Decodable { var answer: Answer }
    struct Answer: Decodable { var stored: Int }
}
