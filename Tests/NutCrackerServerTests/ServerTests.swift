import Foundation
import Hummingbird
import HummingbirdTesting
import MeterCore
import MeterIngest
import MeterStore
import NutCrackerEngine
@testable import NutCrackerServer
import TestSupport
import Testing

@Suite struct ServerTests {
    let dir = TemporaryDirectory()

    func deps() async throws -> (ServerDependencies, FleetFeed, HTTPFields) {
        let server = try await TestServer.make(dir)
        return (server.deps, server.feed, TestServer.bearer(server.viewer))
    }

    struct Meters: Decodable { var meters: [M] }
    struct M: Decodable { var meter_id: String; var source: String; var kind: String; var latest: R?; var recent: [Double]? }
    struct R: Decodable { var start: String; var kwh: Double; var quality: String }
    struct Readings: Decodable { var meter_id: String; var readings: [R] }

    @Test func healthMetersReadingsAndThePage() async throws {
        let (deps, _, auth) = try await deps()
        let app = Application(router: buildRouter(deps))
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get, headers: auth) { res in
                #expect(res.status == .ok)
                #expect(String(buffer: res.body).contains("\"ok\""))
            }
            try await client.execute(uri: "/ready", method: .get, headers: auth) { res in #expect(res.status == .ok) }
            let list = try await client.execute(uri: "/api/v1/meters", method: .get, headers: auth) { res in
                #expect(res.status == .ok)
                return try JSONDecoder().decode(Meters.self, from: Data(buffer: res.body))
            }
            #expect(list.meters.count == 30)
            #expect(Set(list.meters.map(\.source)) == ["A", "B", "C"])
            #expect(list.meters.allSatisfy { $0.latest != nil })
            let withRecent = try await client.execute(uri: "/api/v1/meters?recent=3", method: .get, headers: auth) { res in
                try JSONDecoder().decode(Meters.self, from: Data(buffer: res.body))
            }
            #expect(withRecent.meters.filter { $0.kind == "interval" }.allSatisfy { $0.recent?.count == 3 && $0.recent?.last == $0.latest?.kwh })
            #expect(list.meters.allSatisfy { $0.recent == nil })
            let id = list.meters[0].meter_id
            try await client.execute(uri: "/api/v1/meters/\(id)/readings?from=2026-11-28T00:00:00Z&limit=2", method: .get, headers: auth) { res in
                #expect(res.status == .ok)
                let r = try JSONDecoder().decode(Readings.self, from: Data(buffer: res.body))
                #expect(r.meter_id == id && r.readings.count == 2 && r.readings[0].start == "2026-11-28T00:00:00Z")
            }
            try await client.execute(uri: "/api/v1/meters/bad%20id/readings", method: .get, headers: auth) { res in
                #expect(res.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/meters/\(id)/readings?from=yesterday", method: .get, headers: auth) { res in
                #expect(res.status == .badRequest)
            }
            try await client.execute(uri: "/", method: .get, headers: auth) { res in
                #expect(res.status == .ok)
                #expect(res.headers[.contentType]?.contains("text/html") == true)
                let html = String(buffer: res.body)
                #expect(list.meters.allSatisfy { html.contains("data-meter=\"\($0.meter_id)\"") })
                #expect(!html.contains("http://") && !html.contains("https://"))
            }
        }
    }

    struct Page: Decodable { var total: Int; var offset: Int; var meters: [PM]; var health_through: String? }
    struct PM: Decodable { var meter_id: String; var source: String; var health_score: Double?; var health_reasons: [String]? }

    @Test func aLargeEstateIsReadAPageAtATime() async throws {
        let (deps, _, auth) = try await deps()
        let last = try #require(try await deps.store.meters().compactMap(\.latest?.start).max())
        // Source D: 150 meters with a day of readings, one of which stops six hours early.
        let ids = (0..<150).map { String(format: "D%03d", $0) }
        var batch = ReadingBatch()
        for (n, id) in ids.enumerated() {
            let i = batch.intern(try #require(MeterID(id)))
            for k in 0..<48 where n != 137 || k < 36 { batch.append(meter: i, start: last - Int64(47 - k) * 1800, kwh: 0.2 + 0.01 * Double(k % 7)) }
        }
        _ = try await deps.pipeline.ingest(batch, info: BatchInfo(origin: "test", source: try #require(SourceID("D"))))
        let app = Application(router: buildRouter(deps))
        try await app.test(.router) { client in
            func page(_ query: String) async throws -> Page {
                try await client.execute(uri: "/api/v1/meters?\(query)", method: .get, headers: auth) { res in
                    #expect(res.status == .ok)
                    return try JSONDecoder().decode(Page.self, from: Data(buffer: res.body))
                }
            }
            let all = try await page("")
            #expect(all.total == 180 && all.meters.count == 180)
            let third = try await page("source=D&offset=100&limit=40")
            #expect(third.total == 150 && third.offset == 100 && third.meters.map(\.meter_id) == Array(ids[100..<140]))
            let found = try await page("q=d13&limit=5")
            #expect(found.total == 10 && found.meters.map(\.meter_id) == Array(ids[130..<135]))
            // Health as last worked out, with its reasons: the meter that stopped is the worst of its source.
            #expect(third.health_through != nil)
            let stopped = try #require(third.meters.first { $0.meter_id == "D137" })
            #expect(stopped.health_reasons?.contains { $0.contains("silent") } == true, "\(stopped)")
            #expect(third.meters.allSatisfy { ($0.health_score ?? 0) >= (stopped.health_score ?? 100) })
            try await client.execute(uri: "/api/v1/meters?source=no%20such", method: .get, headers: auth) { #expect($0.status == .badRequest) }
            // GraphQL takes the same filters.
            let query = #"{"query":"{ meters(source: \"D\", q: \"D14\", limit: 3) { id healthScore } }"}"#
            try await client.execute(uri: "/graphql", method: .post, headers: auth, body: ByteBuffer(string: query)) { res in
                let text = String(buffer: res.body)
                #expect(text.contains("\"D140\"") && text.contains("\"D142\"") && !text.contains("\"D143\"") && text.contains("healthScore"), "\(text)")
            }
            // The fleet page shows a source's first meters, the silent one among them, and links to the rest.
            try await client.execute(uri: "/", method: .get, headers: auth) { res in
                let html = String(buffer: res.body)
                let panel = html.components(separatedBy: "Source D <span>").dropFirst().first?.components(separatedBy: "</section>").first ?? ""
                #expect(panel.components(separatedBy: "class=\"meter").count - 1 == 24)
                #expect(panel.contains("data-meter=\"D137\"") && panel.contains("silent 6.0 h"))
                #expect(panel.contains("href=\"/meters?source=D\">All 150 meters of source D"))
                // The small sources show every meter, in order.
                #expect(html.components(separatedBy: "class=\"meter").count - 1 == 30 + 24)
            }
            // The meter list pages through them with their health.
            try await client.execute(uri: "/meters?source=D&page=2", method: .get, headers: auth) { res in
                #expect(res.status == .ok)
                let html = String(buffer: res.body)
                #expect(html.contains("Meters 101–150 of 150"))
                #expect(html.components(separatedBy: "class=\"meter").count - 1 == 50)
                #expect(html.contains("data-meter=\"D100\"") && !html.contains("data-meter=\"D099\""))
                #expect(html.contains(">health "))
                #expect(html.contains("href=\"/meters?page=1&amp;source=D\">← Previous"))
            }
            // A page past the last is the last.
            try await client.execute(uri: "/meters?source=D&page=9", method: .get, headers: auth) { res in
                #expect(String(buffer: res.body).contains("Meters 101–150 of 150"))
            }
            try await client.execute(uri: "/meters?q=D14", method: .get, headers: auth) { res in
                #expect(String(buffer: res.body).contains("Meters 1–10 of 10"))
            }
        }
    }

    @Test func theFleetPageMarksAMeterThatHasFallenSilent() async throws {
        let (deps, _, auth) = try await deps()
        let all = try await deps.store.meters()
        let meters = all.filter { $0.meter.kind == .interval }
        let quiet = try #require(meters.first?.meter.id)
        let last = try #require(meters.compactMap(\.latest?.start).max())
        // Five more half-hours from every interval meter but one.
        var batch = ReadingBatch()
        for m in meters where m.meter.id != quiet {
            let i = batch.intern(m.meter.id)
            for k in 1...5 { batch.append(meter: i, start: last + Int64(k) * 1800, kwh: 0.25) }
        }
        _ = try await deps.pipeline.ingest(batch, info: BatchInfo(origin: "test", source: meters[1].meter.source))
        // The page shows the meters to visit once their health is worked out (it does not wait long
        // for the first listing); on a loaded machine that takes longer than the page waits.
        _ = try #require(await deps.health.listing(store: deps.store, wait: .seconds(120)))
        let app = Application(router: buildRouter(deps))
        try await app.test(.router) { client in
            try await client.execute(uri: "/", method: .get, headers: auth) { res in
                let html = String(buffer: res.body)
                let card = { (id: MeterID) in html.components(separatedBy: "data-meter=\"\(id.rawValue)\"").dropFirst().first?.components(separatedBy: "</a>").first ?? "" }
                #expect(card(quiet).contains("silent 2.5 h"), "\(card(quiet))")
                // It and the register meters, which were sent nothing either.
                #expect(html.components(separatedBy: "class=\"meter silent\"").count - 1 == all.count - meters.count + 1)
                #expect(!card(meters[1].meter.id).contains("silent"))
                // The meters to visit head with the silent ones, each with its reason.
                let visit = html.components(separatedBy: "id=\"to-visit\">").dropFirst().first?.components(separatedBy: "</ul>").first ?? ""
                let listed = visit.components(separatedBy: "<li data-meter=\"").dropFirst().compactMap { $0.split(separator: "\"").first.map(String.init) }
                let silent = Set(all.filter { $0.meter.kind == .register }.map(\.meter.id.rawValue) + [quiet.rawValue])
                #expect(!listed.isEmpty && listed.allSatisfy(silent.contains), "\(listed)")
                #expect(visit.components(separatedBy: "silent for").count - 1 == listed.count, "\(visit)")
            }
            // Its page says when its latest reading was.
            try await client.execute(uri: "/meters/\(quiet.rawValue)", method: .get, headers: auth) { res in
                #expect(res.status == .ok)
                let at = Date(timeIntervalSince1970: TimeInterval(meters[0].latest?.start ?? 0)).formatted(
                    Date.VerbatimFormatStyle(format: "\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
                                             timeZone: .gmt, calendar: Calendar(identifier: .gregorian)))
                #expect(String(buffer: res.body).contains(">at \(at) UTC</span>"), "\(at)")
            }
        }
    }

    @Test func aReadingTheFleetEmitsIsVisibleThroughTheAPIWithinTwoSeconds() async throws {
        let (deps, feed, auth) = try await deps()
        let app = Application(router: buildRouter(deps), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            func latestStart() async throws -> String {
                try await client.execute(uri: "/api/v1/meters", method: .get, headers: auth) { res in
                    try JSONDecoder().decode(Meters.self, from: Data(buffer: res.body)).meters.compactMap { $0.latest?.start }.max() ?? ""
                }
            }
            let before = try await latestStart()
            let emitted = ISO8601.format(await feed.nextSlot)
            let clock = ContinuousClock()
            let started = clock.now
            try await feed.step()
            var seen = ""
            while clock.now - started < .seconds(2) {
                seen = try await latestStart()
                if seen == emitted { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(seen == emitted && seen > before)
            #expect(clock.now - started < .seconds(2))
        }
    }
}
