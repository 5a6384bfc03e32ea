import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// The README's first command, `nutcracker demo`, seen through headless Chromium: the pages load
/// without console errors, the fleet page shows every simulated meter, and a reading posted to the
/// API appears on its meter's page without a reload. Screenshots go to `.build/test-output/`.
@Suite(.serialized) struct DashboardBrowserTests {
    let dir = TemporaryDirectory()

    @Test func demoInABrowser() async throws {
        guard Chromium.executable != nil || SharedData.isCI else {
            print("skipped: chromium is not installed (scripts/test installs it; apt-get install chromium)")
            return
        }
        let binary = try #require(BuiltProducts.nutcracker, "build the nutcracker product first (scripts/test does)")
        let port = Int.random(in: 20_000..<40_000)
        let demo = Process()
        demo.executableURL = URL(fileURLWithPath: binary)
        // A slow fleet, so the only new reading on the page is the one the test posts.
        demo.arguments = ["demo", "--store", dir.path("demo.sqlite"), "--port", "\(port)", "--speedup", "1", "--history-days", "10"]
        let out = Pipe()
        demo.standardOutput = out
        demo.standardError = FileHandle.nullDevice
        try demo.run()
        defer { demo.terminate(); demo.waitUntilExit() }
        var printed = ""
        while !printed.contains("admin token") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            printed += String(decoding: chunk, as: UTF8.self)
        }
        let token = try #require(printed.components(separatedBy: "Bearer ...): ").last?.split(separator: "\n").first.map(String.init))
        let base = "http://127.0.0.1:\(port)"
        func get(_ path: String) async throws -> Data {
            var request = URLRequest(url: URL(string: base + path)!)
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            return try await URLSession.shared.data(for: request).0
        }
        /// Posts readings through the API as the given content type; the answer must be 200.
        func post(_ body: String, as type: String) async throws {
            var request = URLRequest(url: URL(string: base + "/api/v1/readings")!)
            request.httpMethod = "POST"
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            request.setValue(type, forHTTPHeaderField: "Content-Type")
            request.httpBody = Data(body.utf8)
            let (answer, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: answer, as: UTF8.self))")
        }
        /// The start of the interval after a meter's latest reading.
        func intervalAfter(_ latest: String, minutes: Int) -> String {
            ISO8601DateFormatter().string(from: (ISO8601DateFormatter().date(from: latest) ?? Date()).addingTimeInterval(Double(minutes * 60)))
        }
        var up = false
        for _ in 0..<100 where !up {
            up = (try? await get("/health")) != nil
            if !up { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(up)
        struct Meters: Decodable { var meters: [M] }
        struct M: Decodable { var meter_id: String; var source: String; var latest: L?; var minutes: Int; var kind: String }
        struct L: Decodable { var start: String }
        let meters = try JSONDecoder().decode(Meters.self, from: try await get("/api/v1/meters")).meters
        #expect(meters.count == 30)

        let output = SharedData.projectRoot.appendingPathComponent(".build/test-output").path
        let browser = try await Chromium(profile: dir.path("chromium"))
        defer { browser.close() }

        // Sign in with the printed link; the fleet page lists every meter.
        try await browser.navigate("\(base)/login?token=\(token)")
        #expect(try await browser.evaluate("location.pathname") as? String == "/")
        let shown = try await browser.evaluate("[...document.querySelectorAll('.meter[data-meter]')].map(e => e.dataset.meter)") as? [String] ?? []
        #expect(Set(shown) == Set(meters.map(\.meter_id)))
        try await browser.waitUntil(seconds: 5, "the live connection") {
            try await browser.evaluate("document.getElementById('live').className") as? String == "live on"
        }

        // A batch posted through the API, one reading for the next half hour and one row that cannot
        // be read: the fleet's figures follow without a reload.
        let other = try #require(meters.last { $0.kind == "interval" && $0.latest != nil })
        let otherNext = intervalAfter(other.latest?.start ?? "", minutes: other.minutes)
        let quarantinedBefore = try await browser.evaluate("Number(document.getElementById('quarantined').textContent)") as? Int ?? -1
        try await post("meter_id,start,kwh\n\(other.meter_id),\(otherNext),1.234\n\(other.meter_id),\(otherNext),abc\n", as: "text/csv")
        try await browser.waitUntil(seconds: 5, "the fleet's figures") {
            try await browser.evaluate("document.getElementById('quarantined').textContent") as? String == "\(quarantinedBefore + 1)"
        }
        let figures = try await browser.evaluate(
            "[document.getElementById('as-of').textContent, document.getElementById('fleet-kwh').textContent, document.querySelector('.source-kwh[data-source=\"\(other.source)\"]').textContent, "
                + "document.querySelector('.meter[data-meter=\"\(other.meter_id)\"] .kwh').textContent, document.getElementById('fleet-reported').textContent, "
                + "document.querySelector('.reported[data-source=\"\(other.source)\"]').textContent]") as? [String] ?? []
        // A new interval with one meter's reading: its total so far, and that one meter of the fleet and of its source has reported.
        let ofSource = meters.filter { $0.source == other.source }.count
        #expect(figures == [String(otherNext.dropFirst(5).prefix(11)).replacingOccurrences(of: "T", with: " "), "1.234", "1.234", "1.234actual",
                            "1 of \(meters.count)", "1 of \(ofSource)"], "\(figures)")
        try await browser.screenshot(to: output + "/dashboard-fleet.png")

        // The quality page lists the refused row first, as it was sent; the meter list has every meter.
        try await browser.navigate("\(base)/quality")
        let refused = try await browser.evaluate("document.querySelector('table.quarantine tbody tr').textContent") as? String ?? ""
        #expect(refused.contains("\(other.meter_id),\(otherNext),abc"), "\(refused)")
        try await browser.screenshot(to: output + "/dashboard-quality.png")
        // An outcome first seen while the page is open gets a row of its own, named as the server names it.
        try await post("meter_id,start,kwh\n\(other.meter_id),\(intervalAfter(otherNext, minutes: other.minutes)),-2\n", as: "text/csv")
        try await browser.waitUntil(seconds: 5, "the negative value's outcome") {
            try await browser.evaluate("document.querySelector('[data-outcome=\"negative/negative\"]')?.parentElement.firstElementChild.textContent || ''")
                as? String == "Negative values, quarantinednegative/negative"
        }
        try await browser.navigate("\(base)/meters")
        #expect(try await browser.evaluate("document.querySelectorAll('.meter-list .meter[data-meter]').length") as? Int == meters.count)

        // A meter's page; a reading posted through the API shows up on it without a reload.
        let meter = try #require(meters.first { $0.kind == "interval" && $0.latest != nil })
        try await browser.navigate("\(base)/meters/\(meter.meter_id)")
        #expect(try await browser.evaluate("document.querySelector('h1.meter-id').textContent") as? String == meter.meter_id)
        #expect(try await browser.evaluate("document.querySelectorAll('#chart svg polyline.series').length") as? Int == 1)
        // The day-ahead forecast follows the readings, with its 80% and 95% bands.
        #expect(try await browser.evaluate("document.querySelectorAll('#chart svg g.forecast polygon').length") as? Int == 2)
        try await browser.waitUntil(seconds: 5, "the live connection") {
            try await browser.evaluate("document.getElementById('live').className") as? String == "live on"
        }
        try await browser.evaluate("window.__sameDocument = true")
        let lastDayBefore = try await browser.evaluate("[...document.querySelectorAll('#daily svg title')].pop().textContent") as? String ?? ""
        let latest = try #require(meter.latest?.start)
        let next = intervalAfter(latest, minutes: meter.minutes)
        try await post("[{\"meter_id\":\"\(meter.meter_id)\",\"start\":\"\(next)\",\"kwh\":7.777}]", as: "application/json")
        try await browser.waitUntil(seconds: 5, "the posted reading on the page") {
            try await browser.evaluate("document.querySelector('table.readings tr[data-start=\"\(next)\"]') !== null") as? Bool == true
        }
        let row = try await browser.evaluate("document.querySelector('table.readings tr[data-start=\"\(next)\"]').textContent") as? String ?? ""
        #expect(row.contains("7.777"))
        // The page's latest reading is the posted one, without a reload.
        let latestKPI = try await browser.evaluate("document.getElementById('latest-kwh').textContent + ' ' + document.getElementById('latest-at').textContent") as? String ?? ""
        #expect(latestKPI == "7.777 at \(next.dropFirst(5).prefix(11).replacingOccurrences(of: "T", with: " ")) UTC", "\(latestKPI)")
        #expect(try await browser.evaluate("window.__sameDocument === true") as? Bool == true)
        try await Task.sleep(for: .seconds(1)) // the chart redraws with the new point
        // The daily totals are redrawn too: the day of the posted reading has grown by it.
        try await browser.waitUntil(seconds: 5, "the daily totals redrawn") {
            try await browser.evaluate("[...document.querySelectorAll('#daily svg title')].pop().textContent") as? String != lastDayBefore
        }
        // The anomaly counts are the meter's whole record, kept up as events arrive: never fewer than the list shows.
        let counts = try await browser.evaluate(
            "[Number(document.getElementById('all-anomalies').textContent), Number(document.getElementById('open-anomalies').textContent), "
                + "document.querySelectorAll('#anomalies li[data-id]').length, document.querySelectorAll('#anomalies li[data-open=\"1\"]').length]") as? [Int] ?? []
        #expect(counts.count == 4 && counts[0] >= counts[2] && counts[1] >= counts[3], "\(counts)")
        try await browser.screenshot(to: output + "/dashboard-meter.png")
        #expect(browser.consoleErrors.isEmpty, "\(browser.consoleErrors)")
        #expect(FileManager.default.fileExists(atPath: output + "/dashboard-meter.png"))
    }
}
