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

    @Test func everyAcknowledgedReadingSurvivesAKilledServer() async throws {
        let store = dir.path("crash.sqlite")
        // Merges every 1,500 readings, so the kill is likely to land on one.
        let server = try await ServeProcess.start(store: store, arguments: ["--merge-every", "1500", "--detector-history-days", "0"])
        defer { server.stop(SIGKILL) }

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
                        guard let (status, _) = try? await server.post(csv: body, source: "G\(g)"), status == 200 else { return (g, slot) }
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
            let waiting = try await server.gauge("nutcracker_store_waiting_readings")
            #expect((0..<20_000).contains(waiting ?? -1), "\(String(describing: waiting))")
            kill(server.process.processIdentifier, SIGKILL)
            var slots = [Int](repeating: 0, count: 4)
            for try await (g, n) in group { slots[g] = n }
            return slots
        }
        server.process.waitUntilExit()
        #expect(server.process.terminationReason == .uncaughtSignal)
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
