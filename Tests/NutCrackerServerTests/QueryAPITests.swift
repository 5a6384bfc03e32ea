import Foundation
import Hummingbird
import HummingbirdTesting
import MeterCore
import NutCrackerEngine
import NutCrackerServer
import TestSupport
import Testing

/// Rollups, quarantine, the quality report, GraphQL over the same queries, and an OpenAPI document
/// that matches the routes.
@Suite struct QueryAPITests {
    let dir = TemporaryDirectory()

    @Test func rollupsQuarantineQualityAndGraphQL() async throws {
        let server = try await TestServer.make(dir, slots: 96) // two days of the fleet
        let app = Application(router: buildRouter(server.deps))
        let auth = TestServer.bearer(server.viewer)
        try await app.test(.router) { client in
            struct Rollups: Decodable { var scope: String; var rows: [Row] }
            struct Row: Decodable { var name: String; var period: String; var kwh: Double; var readings: Int }
            struct Meters: Decodable { var meters: [M] }
            struct M: Decodable { var meter_id: String; var source: String; var kind: String }
            let meters = try await client.execute(uri: "/api/v1/meters", method: .get, headers: auth) {
                try JSONDecoder().decode(Meters.self, from: Data(buffer: $0.body)).meters
            }
            let m = try #require(meters.first { $0.kind == "interval" })
            let perMeter = try await client.execute(uri: "/api/v1/meters/\(m.meter_id)/rollups?period=day", method: .get, headers: auth) {
                try JSONDecoder().decode(Rollups.self, from: Data(buffer: $0.body))
            }
            #expect(perMeter.rows.count == 2 && perMeter.rows.allSatisfy { $0.name == m.meter_id && $0.readings == 48 })
            let source = try await client.execute(uri: "/api/v1/rollups?period=day&source=\(m.source)", method: .get, headers: auth) {
                try JSONDecoder().decode(Rollups.self, from: Data(buffer: $0.body))
            }
            let fleet = try await client.execute(uri: "/api/v1/rollups?period=day", method: .get, headers: auth) {
                try JSONDecoder().decode(Rollups.self, from: Data(buffer: $0.body))
            }
            #expect(source.rows.count == 2 && fleet.rows.count == 2 && fleet.scope == "fleet")
            // The fleet's day is the sum of its sources' days, and a source's is at least its meter's.
            var sum = 0.0
            for s in ["A", "B", "C"] {
                sum += try await client.execute(uri: "/api/v1/rollups?period=day&source=\(s)", method: .get, headers: auth) {
                    try JSONDecoder().decode(Rollups.self, from: Data(buffer: $0.body)).rows[0].kwh
                }
            }
            #expect(abs(sum - fleet.rows[0].kwh) < 1e-6)
            #expect(source.rows[0].kwh >= perMeter.rows[0].kwh)
            try await client.execute(uri: "/api/v1/rollups?period=fortnight", method: .get, headers: auth) { #expect($0.status == .badRequest) }
            let week = try await client.execute(uri: "/api/v1/rollups?period=week&meter=\(m.meter_id)", method: .get, headers: auth) {
                try JSONDecoder().decode(Rollups.self, from: Data(buffer: $0.body))
            }
            #expect(week.rows.first?.period.contains("W") == true)

            try await client.execute(uri: "/api/v1/quarantine?limit=5", method: .get, headers: auth) { res in
                #expect(res.status == .ok)
                #expect(String(buffer: res.body).contains("\"entries\""))
            }
            struct Q: Decodable { var totals: [String: Int]; var meters: [String: [String: Int]]; var summaries: [String: String] }
            let q = try await client.execute(uri: "/api/v1/quality", method: .get, headers: auth) { res in
                try JSONDecoder().decode(Q.self, from: Data(buffer: res.body))
            }
            #expect(!q.totals.isEmpty)
            // Every outcome counted is named.
            #expect(Set(q.summaries.keys) == Set(q.totals.keys))
            #expect(q.totals["gap_estimation/estimated"] == nil || q.summaries["gap_estimation/estimated"] == "Gaps estimated")

            // GraphQL: the same report, the meters most cleansed first.
            let gq = "{\"query\":\"{ quality(limit: 3) { totals { key summary count } meters { meterId total outcomes { key count } } } }\"}"
            try await client.execute(uri: "/graphql", method: .post, headers: auth, body: ByteBuffer(string: gq)) { res in
                struct G: Decodable { var data: D? }
                struct D: Decodable { var quality: GQ }
                struct GQ: Decodable { var totals: [C]; var meters: [GM] }
                struct C: Decodable { var key: String; var summary: String?; var count: Int }
                struct GM: Decodable { var meterId: String; var total: Int; var outcomes: [C] }
                let g = try #require(try JSONDecoder().decode(G.self, from: Data(buffer: res.body)).data?.quality, "\(String(buffer: res.body))")
                #expect(Dictionary(uniqueKeysWithValues: g.totals.map { ($0.key, $0.count) }) == q.totals)
                #expect(g.totals.allSatisfy { $0.summary == q.summaries[$0.key] })
                struct Ranked { var meter: String; var total: Int }
                let all: [Ranked] = q.meters.map { Ranked(meter: $0.key, total: $0.value.values.reduce(0, +)) }
                let ranked = all.sorted { $0.total != $1.total ? $0.total > $1.total : $0.meter < $1.meter }.prefix(3)
                #expect(g.meters.map(\.meterId) == ranked.map(\.meter))
                #expect(g.meters.map(\.total) == ranked.map(\.total))
                #expect(g.meters.allSatisfy { m in m.outcomes.reduce(0) { $0 + $1.count } == m.total })
            }

            // GraphQL: meters with their latest reading and a meter's rollups in one round trip.
            let query = "{\"query\":\"query($id: String!) { meters { id source latest { kwh quality } } rollups(period: \\\"day\\\", meter: $id) { scope rows { period kwh } } }\",\"variables\":{\"id\":\"\(m.meter_id)\"}}"
            try await client.execute(uri: "/graphql", method: .post, headers: auth, body: ByteBuffer(string: query)) { res in
                #expect(res.status == .ok)
                struct G: Decodable { var data: D?; var errors: [E]? }
                struct D: Decodable { var meters: [GM]; var rollups: GR }
                struct GM: Decodable { var id: String; var source: String; var latest: GL? }
                struct GL: Decodable { var kwh: Double; var quality: String }
                struct GR: Decodable { var scope: String; var rows: [GRow] }
                struct GRow: Decodable { var period: String; var kwh: Double }
                struct E: Decodable { var message: String }
                let g = try JSONDecoder().decode(G.self, from: Data(buffer: res.body))
                #expect(g.errors == nil, "\(g.errors?.map(\.message) ?? [])")
                #expect(g.data?.meters.count == meters.count)
                #expect(g.data?.rollups.rows.map(\.kwh) == perMeter.rows.map(\.kwh))
            }
            try await client.execute(uri: "/graphql", method: .post, body: ByteBuffer(string: "{\"query\":\"{ meters { id } }\"}")) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func openAPIDocumentMatchesTheRoutesAndValidates() async throws {
        let server = try await TestServer.make(dir, slots: 1)
        let router = buildRouter(server.deps)
        let routes = Set(router.routes.map { "\($0.method.rawValue.lowercased()) \("\($0.path)".replacingOccurrences(of: ":id", with: "{id}"))" })
        let app = Application(router: router)
        let doc = try await app.test(.router) { client in
            try await client.execute(uri: "/openapi.json", method: .get) { Data(buffer: $0.body) }
        }
        let json = try #require(try JSONSerialization.jsonObject(with: doc) as? [String: Any])
        #expect(json["openapi"] as? String == "3.1.0")
        let paths = try #require(json["paths"] as? [String: [String: Any]])
        var documented = Set<String>()
        for (path, ops) in paths { for method in ops.keys { documented.insert("\(method) \(path)") } }
        #expect(routes == documented, "only in the router: \(routes.subtracting(documented)); only in the document: \(documented.subtracting(routes))")

        let file = dir.path("openapi.json")
        try doc.write(to: URL(fileURLWithPath: file))
        let check = try BuiltProducts.run("/usr/bin/env", ["python3", "-c",
            "import sys, json; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print('valid')", file])
        if check.err.contains("No module named") && !SharedData.isCI {
            print("skipped the validator: openapi-spec-validator is not installed (scripts/test installs it)")
            return
        }
        #expect(check.status == 0 && check.out.contains("valid"), "\(check.err.suffix(2000))")
    }
}
