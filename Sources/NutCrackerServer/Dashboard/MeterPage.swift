import Foundation
import MeterAnalytics
import MeterCore
import MeterStore
import NutCrackerEngine

/// One meter: its readings as a line (anomalies shaded, estimates marked), its daily totals as bars,
/// its quality flags and VEE outcomes, its anomalies, and its latest readings, updated live.
enum MeterPage {
    static func render(deps: ServerDependencies, meter id: MeterID, days: Int) async throws -> String? {
        guard let snapshot = try await deps.store.meter(id) else { return nil }
        let meter = snapshot.meter
        let readings = try await recent(deps: deps, meter: id, latest: snapshot.latest, days: days)
        let anomalies = try await deps.store.anomalies(AnomalyFilter(meter: id), limit: 50)
        let counts = try await deps.store.anomalyCounts(AnomalyFilter(meter: id))
        let forecast = await deps.forecasts.dayAhead(deps: deps, meter: id, latest: snapshot.latest?.start)
        let dailyBars = try await daily(deps: deps, meter: id, latest: snapshot.latest)
        let outcomes = await deps.pipeline.report.perMeter[id.rawValue] ?? [:]
        let path = "/meters/" + (id.rawValue.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id.rawValue)

        var byQuality: [Quality: Int] = [:]
        for r in readings { byQuality[r.quality, default: 0] += 1 }
        let total = readings.reduce(0.0) { $0 + $1.kwh }

        var body = "<main \(Pages.subscriptions(summary: false, meters: [id]))>"
        body += "<p class=\"dim\"><a href=\"/\">Fleet</a> / source \(Pages.esc(meter.source.rawValue))</p>"
        body += "<h1 class=\"meter-id\">\(Pages.esc(id.rawValue))</h1>"
        body += "<p class=\"dim\">\(meter.kind.rawValue) meter · \(meter.interval.minutes)-minute intervals · source \(Pages.esc(meter.source.rawValue))</p>"
        body += "<div class=\"kpis\">"
        // The latest reading, kept up as readings arrive (`data-t` orders them).
        body += FleetPage.kpi("Latest", "<span id=\"latest-kwh\" data-t=\"\(snapshot.latest.map { ISO8601.format($0.start) } ?? "")\">\(Pages.kwh(snapshot.latest?.kwh))</span>",
                              sub: "kWh <span id=\"latest-at\">\(snapshot.latest.map { "at \(SVGChart.label($0.start)) UTC" } ?? "")</span>")
        body += FleetPage.kpi("Last \(days) days", String(format: "%.1f", total), sub: "kWh")
        body += FleetPage.kpi("Measured", "\(byQuality[.actual] ?? 0)", sub: "of \(readings.count) readings")
        body += FleetPage.kpi("Estimated", "\(byQuality[.estimated] ?? 0)", sub: "readings")
        body += FleetPage.kpi("Anomalies", "<span id=\"open-anomalies\">\(counts.open)</span>",
                              sub: "open of <span id=\"all-anomalies\">\(counts.all)</span>")
        body += "</div>"
        body += "<section class=\"panel\"><h2>Readings</h2><p class=\"tabs\">"
        for d in [1, 2, 7, 30] { body += "<a href=\"\(path)?days=\(d)\" class=\"\(d == days ? "on" : "")\">\(d == 1 ? "1 day" : "\(d) days")</a>" }
        body += "</p><div id=\"chart\" data-src=\"\(path)/chart?days=\(days)\">\(chart(readings, anomalies: anomalies, forecast: forecast))</div>"
        body += "<p class=\"legend\"><span><i style=\"background:var(--series)\"></i>kWh per interval</span><span><i style=\"background:var(--estimated)\"></i>estimated</span><span><i style=\"background:var(--suspect);opacity:.4\"></i>anomaly</span>"
            + (forecast.map { "<span><i class=\"forecast-key\"></i>forecast (\(Pages.esc($0.forecast.model))), 80% and 95% intervals</span>" } ?? "")
            + "</p></section>"
        body += "<div class=\"grid2 section\"><section class=\"panel\"><h2>Daily totals, last 30 days</h2>"
        body += "<div id=\"daily\" data-src=\"\(path)/daily\">\(dailyBars)</div>"
        body += "<h2 class=\"section\">Latest readings</h2><table class=\"readings\" data-meter=\"\(Pages.esc(id.rawValue))\"><thead><tr><th>Start (UTC)</th><th class=\"num\">kWh</th><th>Quality</th></tr></thead><tbody>"
        for r in readings.suffix(24).reversed() {
            body += "<tr data-start=\"\(ISO8601.format(r.start))\"><td>\(ISO8601.format(r.start).replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: ":00Z", with: " UTC"))</td>"
                + "<td class=\"num\">\(Pages.kwh(r.kwh))</td><td class=\"q-\(r.quality.name)\">\(r.quality.name)</td></tr>"
        }
        body += "</tbody></table></section><aside><section class=\"panel\"><h2>Anomalies</h2><ul class=\"anomalies\" id=\"anomalies\">"
        if anomalies.isEmpty { body += "<li class=\"none dim\">None found.</li>" }
        for a in anomalies { body += FleetPage.anomalyItem(a) }
        body += "</ul></section><section class=\"panel section\"><h2>Quality flags</h2><table><tbody>"
        for q in [Quality.actual, .estimated, .edited, .suspect] {
            body += "<tr><td class=\"q-\(q.name)\">\(q.name)</td><td class=\"num\">\(byQuality[q] ?? 0)</td></tr>"
        }
        body += "</tbody></table><h2 class=\"section\">VEE outcomes since start</h2><table><tbody>"
        if outcomes.isEmpty { body += "<tr><td class=\"dim\">none recorded since the server started</td></tr>" }
        for (key, n) in outcomes.sorted(by: { $0.key < $1.key }) {
            body += "<tr><td>\(Pages.outcomeLabel(key))</td><td class=\"num\">\(n)</td></tr>"
        }
        body += "</tbody></table></section></aside></div></main>"
        return Pages.shell(title: id.rawValue, body: body)
    }

    /// The readings chart alone (the page redraws it from here when readings arrive).
    static func chart(deps: ServerDependencies, meter id: MeterID, days: Int) async throws -> String {
        let latest = try await deps.store.latest(meters: [id])[id]
        let readings = try await recent(deps: deps, meter: id, latest: latest, days: days)
        let forecast = await deps.forecasts.dayAhead(deps: deps, meter: id, latest: latest?.start)
        return chart(readings, anomalies: try await deps.store.anomalies(AnomalyFilter(meter: id), limit: 50), forecast: forecast)
    }

    /// The daily totals of the 30 days up to the meter's latest reading, as bars (the page redraws
    /// them from `/meters/{id}/daily` when readings arrive).
    static func daily(deps: ServerDependencies, meter id: MeterID, latest: Reading?) async throws -> String {
        let end = (latest?.start ?? Int64(Date().timeIntervalSince1970)) + 1
        let days = try await RollupQuery.run(store: deps.store, filter: ReadingFilter(meter: id, from: end - 30 * 86_400), period: .day)
        return SVGChart.bars(days.map { ($0.period, $0.kwh, $0.readings > 0 ? Double($0.estimated) / Double($0.readings) : 0) })
    }

    /// The readings a page shows: the `days` up to and including the meter's latest reading.
    static func recent(deps: ServerDependencies, meter id: MeterID, latest: Reading?, days: Int) async throws -> [Reading] {
        let end = (latest?.start ?? Int64(Date().timeIntervalSince1970)) + 1
        return try await deps.store.readings(meter: id, from: end - Int64(days) * 86_400, to: nil, limit: 100_000)
    }

    static func chart(_ readings: [Reading], anomalies: [Anomaly], forecast: MeterForecasting.Result?) -> String {
        let band = forecast.flatMap { r -> SVGChart.ForecastBand? in
            guard let i80 = r.forecast.interval(level: 0.8), let i95 = r.forecast.interval(level: 0.95) else { return nil }
            return SVGChart.ForecastBand(starts: r.starts, mean: r.forecast.mean, lower80: i80.lower, upper80: i80.upper,
                                         lower95: i95.lower, upper95: i95.upper)
        }
        return SVGChart.line(readings.map { ($0.start, $0.kwh, $0.quality == .estimated) },
                             bands: anomalies.map { .init(start: $0.start, end: $0.end, kind: $0.kind.rawValue, title: "\($0.kind.rawValue): \($0.detail)") },
                             forecast: band)
    }
}
