import Foundation
import Hummingbird
import HummingbirdTesting
import MeterAnalytics
import MeterCore
import MeterIngest
import MeterStore
import NutCrackerEngine
import NutCrackerServer
import TestSupport
import Testing

/// The simulated fleet streams through a pipeline with detectors: what they find is stored, pushed
/// to subscribers, and served by `/api/v1/anomalies` (with filters) and `/api/v1/health/meters`.
@Suite struct AnomalyRoutesTests {
    let dir = TemporaryDirectory()

    struct List: Decodable { var anomalies: [A] }
    struct A: Decodable { var id: String; var kind: String; var meter_id: String?; var source: String?; var start: String; var detail: String; var open: Bool }
    struct Health: Decodable { var meters: [H]; var through: String? }
    struct H: Decodable { var meter_id: String; var score: Double; var reasons: [String] }

    @Test func detectedLiveStoredAndServed() async throws {
        let store = try SQLiteStore(path: dir.path("a.sqlite"))
        try await store.migrate()
        let metrics = MetricsRegistry()
        let pipeline = Pipeline(store: store, detectors: DetectorConfig(), anomalyObserver: { metrics.record($0) })
        let live = await pipeline.events()
        var config = FleetConfig()
        config.tamperingRate = 1 // a meter held at a constant every week
        let feed = FleetFeed(pipeline: pipeline, config: config, startingAt: 1_767_225_600)
        try await feed.backfill(slots: 21 * 48)
        let reports = await pipeline.anomalyReports
        #expect(reports > 0)
        // The first report reached a subscriber.
        var first: Anomaly?
        for await event in live {
            if case .anomaly(let a) = event { first = a; break }
        }
        #expect(first != nil)
        // Every report is counted in the metrics, by kind and state: each hold that closed once.
        let closedHolds = try await store.anomalies(AnomalyFilter(kinds: [.flatline]), limit: 1000).filter { !$0.open }.count
        #expect(closedHolds > 0 && metrics.value("nutcracker_anomaly_reports_total", labels: ["kind": "flatline", "state": "closed"]) == Double(closedHolds))
        #expect(metrics.value("nutcracker_anomaly_reports_total", labels: ["kind": "flatline", "state": "open"]) > Double(closedHolds))
        #expect(metrics.prometheusText().contains("# TYPE nutcracker_anomaly_reports_total counter"))

        let accounts = try await Accounts(store: store)
        try await accounts.addUser(name: "vera", password: "password-vera", role: .viewer)
        let auth = TestServer.bearer(try await accounts.issueToken(name: "vera", role: .viewer).token)
        let app = Application(router: buildRouter(ServerDependencies(store: store, pipeline: pipeline, accounts: accounts)))
        try await app.test(.router) { client in
            let all = try await client.execute(uri: "/api/v1/anomalies?limit=10000", method: .get, headers: auth) { res in
                #expect(res.status == .ok)
                return try JSONDecoder().decode(List.self, from: Data(buffer: res.body))
            }
            #expect(all.anomalies.contains { $0.kind == "flatline" })
            #expect(all.anomalies.contains { $0.kind == "spike" })
            let flat = try await client.execute(uri: "/api/v1/anomalies?kind=flatline", method: .get, headers: auth) { res in
                try JSONDecoder().decode(List.self, from: Data(buffer: res.body))
            }
            #expect(!flat.anomalies.isEmpty && flat.anomalies.allSatisfy { $0.kind == "flatline" && $0.detail.contains("held at") })
            // Events carry the meter's registered source.
            #expect(all.anomalies.allSatisfy { ["A", "B", "C"].contains($0.source ?? "") })
            let m = try #require(flat.anomalies.first?.meter_id)
            let one = try await client.execute(uri: "/api/v1/anomalies?meter=\(m)&from=2026-01-01T00:00:00Z", method: .get, headers: auth) { res in
                try JSONDecoder().decode(List.self, from: Data(buffer: res.body))
            }
            #expect(one.anomalies.allSatisfy { $0.meter_id == m })
            try await client.execute(uri: "/api/v1/anomalies?kind=wobble", method: .get, headers: auth) { res in
                #expect(res.status == .badRequest)
                #expect(String(buffer: res.body).contains("flatline"))
            }
            let health = try await client.execute(uri: "/api/v1/health/meters?limit=3", method: .get, headers: auth) { res in
                try JSONDecoder().decode(Health.self, from: Data(buffer: res.body))
            }
            #expect(health.meters.count == 3)
            #expect(health.meters[0].score < 100 && !health.meters[0].reasons.isEmpty)
            #expect(health.meters[0].score <= health.meters[2].score)
            // Over the week to the fleet's latest reading, as the fleet page lists them.
            let latest = try #require(try await store.meters().compactMap(\.latest?.start).max())
            #expect(health.through == ISO8601.format(latest))
            // The same list through GraphQL.
            let query = "{\"query\":\"{ meterHealth(limit: 3) { meterId score reasons } }\"}"
            try await client.execute(uri: "/graphql", method: .post, headers: auth, body: ByteBuffer(string: query)) { res in
                struct G: Decodable { var data: D? }
                struct D: Decodable { var meterHealth: [H] }
                struct H: Decodable { var meterId: String; var score: Double; var reasons: [String] }
                let g = try JSONDecoder().decode(G.self, from: Data(buffer: res.body))
                #expect(g.data?.meterHealth.map(\.meterId) == health.meters.map(\.meter_id), "\(String(buffer: res.body))")
                #expect(g.data?.meterHealth.map(\.reasons) == health.meters.map(\.reasons))
            }
        }
    }
}
