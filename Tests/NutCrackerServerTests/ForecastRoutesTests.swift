import Foundation
import Hummingbird
import HummingbirdTesting
import MeterCore
import MeterIngest
import MeterStore
import NutCrackerEngine
import NutCrackerServer
import TestSupport
import Testing

/// Forecasts, cost, what-if and the blueprint's `/api/predict` over a store fed by the simulated fleet.
@Suite struct ForecastRoutesTests {
    let dir = TemporaryDirectory()

    struct ForecastAnswer: Decodable {
        struct I: Decodable { var level: Double; var lower: [Double]; var upper: [Double] }
        var meter: String; var model: String; var timestamps: [String]; var mean: [Double]; var intervals: [I]
    }
    struct PredictAnswer: Decodable { var model: String; var predicted_quantiles: [String: [Double]] }
    struct WhatIfAnswer: Decodable {
        struct T: Decodable { var kwh: Double; var cost: Double }
        var meters: Int; var evMeters: Int; var baseline: T; var scenario: T
    }
    struct CostAnswer: Decodable { struct R: Decodable { var period: String; var kwh: Double; var cost: Double }; var rows: [R] }

    @Test func forecastCostWhatIfAndPredict() async throws {
        let store = try SQLiteStore(path: dir.path("f.sqlite"))
        try await store.migrate()
        let pipeline = Pipeline(store: store)
        var config = FleetConfig()
        config.metersPerSource = 2
        let feed = FleetFeed(pipeline: pipeline, config: config, startingAt: 1_767_225_600)
        try await feed.backfill(slots: 12 * 48)
        let accounts = try await Accounts(store: store)
        try await accounts.addUser(name: "vera", password: "password-vera", role: .viewer)
        let auth = TestServer.bearer(try await accounts.issueToken(name: "vera", role: .viewer).token)
        let meter = try #require(try await store.meters().first { $0.meter.kind == .interval }?.meter.id.rawValue)
        let app = Application(router: buildRouter(ServerDependencies(store: store, pipeline: pipeline, accounts: accounts)))
        try await app.test(.router) { client in
            let f = try await client.execute(uri: "/api/v1/meters/\(meter)/forecast?horizon=6&level=80,95&model=mstl", method: .get, headers: auth) { res in
                #expect(res.status == .ok)
                return try JSONDecoder().decode(ForecastAnswer.self, from: Data(buffer: res.body))
            }
            #expect(f.meter == meter && f.model == "mstl")
            #expect(f.mean.count == 6 && f.timestamps.count == 6)
            #expect(f.intervals.map(\.level) == [0.8, 0.95])
            for h in 0..<6 {
                let nested: Bool = f.intervals[1].lower[h] <= f.intervals[0].lower[h] && f.intervals[0].upper[h] <= f.intervals[1].upper[h]
                #expect(nested)
            }
            let gql = #"{"query":"query($m: String!) { forecast(meter: $m, horizon: 3, model: \"snaive\") { model mean intervals { level lower upper } } }","variables":{"m":"\#(meter)"}}"#
            var jsonHeaders = auth
            jsonHeaders[.contentType] = "application/json"
            let g = try await client.execute(uri: "/graphql", method: .post, headers: jsonHeaders, body: ByteBuffer(string: gql)) { res in
                String(buffer: res.body)
            }
            #expect(g.contains(#""model":"snaive""#) && g.contains(#""level":0.95"#), "\(g)")
            try await client.execute(uri: "/api/v1/meters/\(meter)/forecast?horizon=0", method: .get, headers: auth) { res in
                #expect(res.status == .badRequest)
                #expect(String(buffer: res.body).contains("horizon"))
            }
            try await client.execute(uri: "/api/v1/meters/\(meter)/forecast?level=80,abc", method: .get, headers: auth) { res in
                #expect(res.status == .badRequest)
                #expect(String(buffer: res.body).contains("'abc' is not a percentage"))
            }
            try await client.execute(uri: "/api/v1/meters/\(meter)/forecast?model=prophet", method: .get, headers: auth) { res in
                #expect(res.status == .badRequest)
                #expect(String(buffer: res.body).contains("unknown model"))
            }
            try await client.execute(uri: "/api/v1/meters/\(meter)/forecast", method: .get) { res in
                #expect(res.status == .unauthorized)
            }
            let cost = try await client.execute(uri: "/api/v1/meters/\(meter)/cost?by=day", method: .get, headers: auth) { res in
                try JSONDecoder().decode(CostAnswer.self, from: Data(buffer: res.body))
            }
            #expect(cost.rows.count >= 12)
            #expect(cost.rows.allSatisfy { (r: CostAnswer.R) -> Bool in r.cost >= 0.6 })

            var headers = auth
            headers[.contentType] = "application/json"
            let body = #"{"horizon":96,"model":"snaive","scenario":{"loadFactor":1.2,"evShare":0.5}}"#
            let w = try await client.execute(uri: "/api/v1/whatif", method: .post, headers: headers, body: ByteBuffer(string: body)) { res in
                #expect(res.status == .ok)
                return try JSONDecoder().decode(WhatIfAnswer.self, from: Data(buffer: res.body))
            }
            #expect(w.meters == 6 && w.evMeters == 3)
            let expected: Double = w.baseline.kwh * 1.2 + 60 // three chargers, two nights of 10 kWh
            #expect(abs(w.scenario.kwh - expected) < 1e-6)
            let bad = #"{"scenario":{"evShare":2}}"#
            try await client.execute(uri: "/api/v1/whatif", method: .post, headers: headers, body: ByteBuffer(string: bad)) { res in
                #expect(res.status == .badRequest)
                #expect(String(buffer: res.body).contains("EV share"))
            }

            let tariffs = #"{"tariffs":[{"name":"standard","standardRate":34,"standingCharge":60},{"name":"flat","standardRate":20}]}"#
            let cmp = try await client.execute(uri: "/api/v1/meters/\(meter)/tariffs/compare", method: .post, headers: headers,
                                               body: ByteBuffer(string: tariffs)) { res in
                #expect(res.status == .ok)
                return String(buffer: res.body)
            }
            let flatAt = try #require(cmp.range(of: #""tariff":"flat""#)), standardAt = try #require(cmp.range(of: #""tariff":"standard""#))
            #expect(flatAt.lowerBound < standardAt.lowerBound, "cheapest first")
            let sequence = (0..<48).map { String(1 + sin(Double($0) / 7.6)) }.joined(separator: ",")
            let p = try await client.execute(uri: "/api/predict", method: .post, headers: headers,
                                             body: ByteBuffer(string: #"{"sequence":[\#(sequence)]}"#)) { res in
                #expect(res.status == .ok)
                return try JSONDecoder().decode(PredictAnswer.self, from: Data(buffer: res.body))
            }
            let lo = try #require(p.predicted_quantiles["q_0.025"]), mid = try #require(p.predicted_quantiles["q_0.500"])
            let hi = try #require(p.predicted_quantiles["q_0.975"])
            #expect(mid.count == 48)
            let ordered = (0..<48).allSatisfy { (i: Int) -> Bool in lo[i] <= mid[i] && mid[i] <= hi[i] }
            #expect(ordered)
            try await client.execute(uri: "/api/predict", method: .post, headers: headers, body: ByteBuffer(string: #"{"sequence":[1]}"#)) { res in
                #expect(res.status == .badRequest)
            }
        }
    }
}
