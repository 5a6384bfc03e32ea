import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MeterCore
import MeterStore
import Synchronization
import TestSupport
import Testing

/// A reading acknowledged is a reading kept: `serve` is killed (SIGKILL, no shutdown) while gateways
/// post and its log is being merged, and every reading it acknowledged is in the store afterwards,
/// with the value sent, applied once.
@Suite(.serialized) struct CrashRecoveryTests {
    let dir = TemporaryDirectory()

    /// The value a gateway sends for a meter at a slot (smooth, so VEE stores it as sent).
    static func kwh(_ meter: Int, _ slot: Int) -> Double { 0.2 + Double((meter + slot) % 100) / 1000 }

    /// A gauge's value in the server's /metrics.
    static func gauge(_ name: String, at base: String) async throws -> Double? {
        let (data, _) = try await URLSession.shared.data(from: URL(string: base + "/metrics")!)
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    @Test func everyAcknowledgedReadingSurvivesAKilledServer() async throws {
        let binary = try #require(BuiltProducts.nutcracker, "build the nutcracker product first (scripts/test does)")
        let store = dir.path("crash.sqlite")
        let user = try BuiltProducts.run(binary, ["user", "add", "gw", "--role", "operator", "--password", "crash-test-password", "--store", store])
        #expect(user.status == 0, "\(user.err)")
        let port = Int.random(in: 20_000..<40_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: binary)
        // Merges every 1,500 readings, so the kill is likely to land on one.
        server.arguments = ["serve", "--store", store, "--port", "\(port)", "--merge-every", "1500", "--detector-history-days", "0"]
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let base = "http://127.0.0.1:\(port)"
        var up = false
        for _ in 0..<200 where !up {
            up = (try? await URLSession.shared.data(from: URL(string: base + "/health")!))?.1 is HTTPURLResponse
            if !up { try await Task.sleep(for: .milliseconds(50)) }
        }
        try #require(up)
        var login = URLRequest(url: URL(string: base + "/api/v1/auth/token")!)
        login.httpMethod = "POST"
        login.setValue("application/json", forHTTPHeaderField: "Content-Type")
        login.httpBody = Data(#"{"username":"gw","password":"crash-test-password"}"#.utf8)
        struct Token: Decodable { var token: String }
        let token = try JSONDecoder().decode(Token.self, from: try await URLSession.shared.data(for: login).0).token

        // Four gateways, each posting the next half hour of its 200 meters until the server is gone.
        let meters = 200, t0: Int64 = 1_767_225_600
        let acks = Tally()
        let acknowledged = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
            for g in 0..<4 {
                group.addTask {
                    var slot = 0
                    while true {
                        let stamp = ISO8601.format(t0 + Int64(slot) * 1800)
                        let body = "meter_id,timestamp,kwh\n" + (0..<meters).map { "G\(g)-\($0),\(stamp),\(Self.kwh($0, slot))" }.joined(separator: "\n")
                        var post = URLRequest(url: URL(string: base + "/api/v1/readings?source=G\(g)")!)
                        post.httpMethod = "POST"
                        post.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                        post.setValue("text/csv", forHTTPHeaderField: "Content-Type")
                        post.httpBody = Data(body.utf8)
                        guard let (_, response) = try? await URLSession.shared.data(for: post),
                              (response as? HTTPURLResponse)?.statusCode == 200 else { return (g, slot) }
                        slot += 1
                        acks.add()
                    }
                }
            }
            // Killed once 60 requests (12,000 readings, several merges) were acknowledged, however
            // slow the machine; the gateways are still posting.
            let deadline = ContinuousClock.now + .seconds(120)
            while acks.value < 60, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            // What waits in the store's log is in /metrics; merging every 1,500, it stays near that.
            let waiting = try await Self.gauge("nutcracker_store_waiting_readings", at: base)
            #expect((0..<20_000).contains(waiting ?? -1), "\(String(describing: waiting))")
            kill(server.processIdentifier, SIGKILL)
            var slots = [Int](repeating: 0, count: 4)
            for try await (g, n) in group { slots[g] = n }
            return slots
        }
        server.waitUntilExit()
        #expect(server.terminationReason == .uncaughtSignal)
        #expect(acknowledged.reduce(0, +) >= 60, "\(acknowledged)")

        // Opened again, the store merges what the killed process left in its log.
        let reopened = try SQLiteStore(path: store)
        try await reopened.migrate()
        let values = ReadingsByKey()
        try await reopened.scan(ReadingFilter()) { r in values.put(r.meter.rawValue, r.start, r.kwh) }
        var missing = 0, wrong = 0
        for g in 0..<4 {
            for slot in 0..<acknowledged[g] {
                for m in 0..<meters {
                    switch values.get("G\(g)-\(m)", t0 + Int64(slot) * 1800) {
                    case nil: missing += 1
                    case let v? where abs(v - Self.kwh(m, slot)) > 1e-9: wrong += 1
                    default: break
                    }
                }
            }
        }
        #expect(missing == 0 && wrong == 0, "\(missing) acknowledged readings missing, \(wrong) with another value")
        // What was stored beyond the acknowledged (a request in flight at the kill) is what was sent, and nothing was applied twice.
        #expect(values.all.allSatisfy { key, v in
            guard let dash = key.meter.lastIndex(of: "-"), let m = Int(key.meter[key.meter.index(after: dash)...]) else { return false }
            return abs(v - Self.kwh(m, Int((key.start - t0) / 1800))) < 1e-9
        })
        #expect(try await reopened.counts().versions == 0)
        #expect(values.all.count >= acknowledged.reduce(0, +) * meters)
    }
}

/// Requests acknowledged so far, counted by the gateways' tasks.
private final class Tally: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Readings by meter and start, filled from a scan's callback.
private final class ReadingsByKey: Sendable {
    struct Key: Hashable { var meter: String; var start: Int64 }
    private let map = Mutex<[Key: Double]>([:])
    func put(_ meter: String, _ start: Int64, _ kwh: Double) { map.withLock { $0[Key(meter: meter, start: start)] = kwh } }
    func get(_ meter: String, _ start: Int64) -> Double? { map.withLock { $0[Key(meter: meter, start: start)] } }
    var all: [Key: Double] { map.withLock { $0 } }
}
