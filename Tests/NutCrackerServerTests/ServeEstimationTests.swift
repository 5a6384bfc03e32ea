import Foundation
import MeterCore
import MeterStore
import TestSupport
import Testing

/// `serve` lets a meter's empty slots wait for late readings (`--estimate-after`, four intervals by
/// default): a reading that comes out of order is stored as measured, the gaps that wait are a gauge
/// in /metrics, and a restarted server takes them up again.
@Suite(.serialized) struct ServeEstimationTests {
    let dir = TemporaryDirectory()
    let t0: Int64 = 1_767_225_600

    func rows(_ slots: [Int], meter: String = "L-1") -> String {
        "meter_id,timestamp,kwh\n" + slots.map { "\(meter),\(ISO8601.format(t0 + Int64($0) * 1800)),\(Double($0 + 1))" }.joined(separator: "\n")
    }

    struct Answer: Decodable { var inserted: Int; var corrected: Int; var estimated: Int }

    func post(_ server: ServeProcess, _ slots: [Int], meter: String = "L-1") async throws -> Answer {
        let (status, body) = try await server.post(csv: rows(slots, meter: meter), source: "L")
        #expect(status == 200, "\(String(decoding: body, as: UTF8.self))")
        return try JSONDecoder().decode(Answer.self, from: body)
    }

    @Test func aLateReadingIsStoredAsMeasuredAcrossARestart() async throws {
        let store = dir.path("late.sqlite")
        var server = try await ServeProcess.start(store: store, arguments: ["--detector-history-days", "0"])
        #expect(try await post(server, [0]).inserted == 1)
        // Slots 1 and 2 are late: slot 3 comes first, and nothing is estimated yet.
        let ahead = try await post(server, [3])
        #expect(ahead.inserted == 1 && ahead.estimated == 0)
        #expect(try await server.gauge("nutcracker_vee_meters_waiting_estimation") == 1)
        #expect(try await post(server, [1]).inserted == 1)
        server.stop()

        server = try await ServeProcess.start(store: store, arguments: ["--detector-history-days", "0"], addUser: false)
        defer { server.stop() }
        #expect(try await server.gauge("nutcracker_vee_meters_waiting_estimation") == 1)
        let late = try await post(server, [2])
        #expect(late.inserted == 1 && late.corrected == 0 && late.estimated == 0)
        #expect(try await server.gauge("nutcracker_vee_meters_waiting_estimation") == 0)
        server.stop()
        let reopened = try SQLiteStore(path: store)
        let stored = try await reopened.readings(meter: MeterID("L-1")!, from: nil, to: nil, limit: nil)
        #expect(stored.map(\.kwh) == [1, 2, 3, 4] && stored.allSatisfy { $0.quality == .actual })
    }

    @Test func estimateAfterZeroEstimatesAtOnce() async throws {
        let server = try await ServeProcess.start(store: dir.path("now.sqlite"), arguments: ["--detector-history-days", "0", "--estimate-after", "0"])
        defer { server.stop() }
        _ = try await post(server, [0])
        #expect(try await post(server, [3]).estimated == 2)
        #expect(try await server.gauge("nutcracker_vee_meters_waiting_estimation") == 0)
    }
}
