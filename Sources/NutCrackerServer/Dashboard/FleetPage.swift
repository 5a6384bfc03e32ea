import Foundation
import MeterCleanse
import MeterCore
import MeterStore
import NutCrackerEngine

/// The fleet at a glance: sources with their meters (latest value, quality, a sparkline of the last
/// day), fleet totals, the quality report's headline numbers and the open anomalies.
enum FleetPage {
    static func render(deps: ServerDependencies) async throws -> String {
        let meters = try await deps.store.meters()
        let anomalies = try await deps.store.anomalies(AnomalyFilter(openOnly: true), limit: 30)
        let open = try await deps.store.anomalyCounts(AnomalyFilter(openOnly: true)).open
        let report = await deps.pipeline.report
        let latest = meters.compactMap(\.latest?.start).max()
        let (fleetNow, reported) = lastInterval(meters, latest: latest)
        let bySource = Dictionary(grouping: meters, by: \.meter.source)
        // A large estate shows each source's first meters here, those needing attention first, and
        // the rest a page at a time on the meter list.
        let attention = Set(anomalies.compactMap(\.meter))
        let shown = bySource.mapValues { list -> [MeterSnapshot] in
            guard list.count > cardsPerSource else { return list }
            let (first, rest) = list.reduce(into: ([MeterSnapshot](), [MeterSnapshot]())) { acc, s in
                if attention.contains(s.meter.id) || isSilent(s, latest: latest) { acc.0.append(s) } else { acc.1.append(s) }
            }
            return Array((first + rest).prefix(cardsPerSource))
        }
        let recent = try await deps.store.recent(meters: shown.values.flatMap { $0 }.filter { $0.latest != nil }.map(\.meter.id), count: 48)
            .mapValues { $0.map(\.kwh) }
        let health = await deps.health.listing(store: deps.store)
        let stored = await deps.pipeline.readingsStored

        var body = "<main \(Pages.subscriptions(summary: true, meters: shown.values.flatMap { $0 }.map(\.meter.id)))>"
        let capped = bySource.values.contains { $0.count > cardsPerSource }
        body += "<h1>Fleet</h1><p class=\"dim\">" + (capped
            ? "Each source's first \(cardsPerSource) meters, live, those needing attention first; <a href=\"/meters\">the meter list</a> has every one."
            : "Every meter, live.") + " Select a meter for its readings, daily totals, quality and anomalies.</p>"
        body += "<div class=\"kpis\">"
        body += kpi("Meters", "<a href=\"/meters\">\(meters.count)</a>", sub: "\(Set(meters.map(\.meter.source)).count) sources")
        // An interval fills as its meters report: how many have is said beside its total.
        body += kpi("Fleet, last interval", "<span id=\"fleet-kwh\" data-t=\"\(latest.map(ISO8601.format) ?? "")\" data-sum=\"\(fleetNow)\">\(Pages.kwh(fleetNow))</span>",
                    sub: "kWh · <span id=\"fleet-reported\" class=\"reported\" data-t=\"\(latest.map(ISO8601.format) ?? "")\" data-n=\"\(reported)\" data-of=\"\(meters.count)\">\(reported) of \(meters.count)</span> meters")
        body += kpi("As of", "<span id=\"as-of\" data-t=\"\(latest.map(ISO8601.format) ?? "")\">\(latest.map { SVGChart.label($0) } ?? "–")</span>", sub: "UTC")
        body += qualityKPIs(report, stored: stored)
        body += kpi("Open anomalies", "<span id=\"open-anomalies\">\(open)</span>", sub: "")
        body += "</div><div class=\"grid2\"><div class=\"sources\">"
        for source in bySource.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            let list = bySource[source] ?? []
            let (sum, here) = lastInterval(list, latest: latest)
            body += "<section class=\"panel source\"><h3>Source \(Pages.esc(source.rawValue)) <span>"
                + "<span class=\"reported\" data-source=\"\(Pages.esc(source.rawValue))\" data-t=\"\(latest.map(ISO8601.format) ?? "")\" data-n=\"\(here)\" data-of=\"\(list.count)\">\(here) of \(list.count)</span> meters · "
                + "<span class=\"source-kwh\" data-source=\"\(Pages.esc(source.rawValue))\" data-t=\"\(latest.map(ISO8601.format) ?? "")\" data-sum=\"\(sum)\">\(Pages.kwh(sum))</span> kWh</span></h3>"
            for s in shown[source] ?? [] { body += card(s, values: recent[s.meter.id] ?? [], latest: latest) }
            if list.count > cardsPerSource {
                body += "<a class=\"more\" href=\"/meters?source=\(Pages.esc(source.rawValue))\">All \(list.count) meters of source \(Pages.esc(source.rawValue)) →</a>"
            }
            body += "</section>"
        }
        if meters.isEmpty { body += "<section class=\"panel\"><p class=\"dim\">No meters yet. Post readings to <code>/api/v1/readings</code> or import a file.</p></section>" }
        body += "</div><aside><section class=\"panel\"><h2>Open anomalies</h2><ul class=\"anomalies\" id=\"anomalies\" data-open-only=\"1\">"
        if anomalies.isEmpty { body += "<li class=\"none dim\">None open.</li>" }
        for a in anomalies { body += anomalyItem(a) }
        body += "</ul></section>" + toVisit(health)
        body += "<section class=\"panel section\"><h2>Quality since start</h2>" + outcomes(report) + "<p class=\"dim\"><a href=\"/quality\">Quality and quarantine</a></p>"
        body += "</section></aside></div></main>"
        return Pages.shell(title: "Fleet", body: body)
    }

    /// Meters a source's panel shows (the meter list has the rest).
    static let cardsPerSource = 24

    /// Four intervals or more behind the fleet's latest reading: silent (the page's script keeps this up live).
    static func isSilent(_ s: MeterSnapshot, latest: Int64?) -> Bool {
        (latest ?? 0) - (s.latest?.start ?? latest ?? 0) >= 5 * s.meter.interval.seconds
    }

    /// A meter as the fleet page and the meter list show it: id, kind, a sparkline of `values`, its
    /// latest value and quality (or how long it has been silent), and, when known, its health.
    static func card(_ s: MeterSnapshot, values: [Double], latest: Int64?, health: Double? = nil) -> String {
        let id = s.meter.id.rawValue
        let json = "[" + values.map { String(format: "%.4f", $0) }.joined(separator: ",") + "]"
        let step = s.meter.interval.seconds
        let silent = isSilent(s, latest: latest)
        var html = "<a class=\"meter\(silent ? " silent" : "")\" href=\"\(Pages.meterHref(id))\" data-meter=\"\(Pages.esc(id))\" data-values=\"\(json)\" data-step=\"\(step)\"\(s.latest.map { " data-t=\"\(ISO8601.format($0.start))\"" } ?? "")>"
        let score = health.map { " · <span class=\"health\(($0 < 60) ? " poor" : $0 < 85 ? " fair" : "")\" title=\"health over the last week\">health \(Int($0.rounded()))</span>" } ?? ""
        html += "<div class=\"id\">\(Pages.esc(id))<small>\(s.meter.kind.rawValue) · \(s.meter.interval.minutes) min\(score)</small></div>"
        html += SVGChart.spark(values)
        if let l = s.latest, silent {
            let behind = (latest ?? l.start) - l.start
            html += "<div class=\"kwh\">\(Pages.kwh(l.kwh))<small class=\"q-silent\">silent \(String(format: "%.1f", Double(behind) / 3600)) h</small></div>"
        } else if let l = s.latest {
            html += "<div class=\"kwh\">\(Pages.kwh(l.kwh))<small class=\"q-\(l.quality.name)\">\(l.quality.name)</small></div>"
        } else {
            html += "<div class=\"kwh\">–<small class=\"dim\">no data</small></div>"
        }
        return html + "</a>"
    }

    /// The meters most likely to need a visit over the last week, worst first, with their reasons.
    static func toVisit(_ listing: HealthCache.Listing?) -> String {
        var html = "<section class=\"panel section\"><h2>Meters to visit</h2><ul class=\"anomalies\" id=\"to-visit\">"
        guard let listing else {
            return html + "<li class=\"none dim\">Working out each meter's health from its last week…</li></ul></section>"
        }
        let worst = listing.meters.filter { $0.score < 90 }.prefix(5)
        if worst.isEmpty { html += "<li class=\"none dim\">Every meter scores 90 or more over its last week.</li>" }
        for h in worst {
            let id = h.meter.rawValue
            let sev = h.score < 60 ? "critical" : "warning"
            html += "<li data-meter=\"\(Pages.esc(id))\"><span class=\"sev sev-\(sev)\">\(Int(h.score.rounded()))</span>"
                + "<a href=\"\(Pages.meterHref(id))\">\(Pages.esc(id))</a>"
                + "<br><span class=\"dim\">\(Pages.esc(h.reasons.prefix(2).joined(separator: "; ")))</span></li>"
        }
        return html + "</ul><p class=\"dim\">Out of 100 over each meter's week to \(SVGChart.label(listing.through)) UTC "
            + "(<a href=\"/api/v1/health/meters\">every meter</a>).</p></section>"
    }

    /// The VEE outcomes since the server started, in key order; kept up live by the page's script
    /// (`#outcomes`), on the fleet page and the quality page alike.
    static func outcomes(_ report: QualityReport) -> String {
        var html = "<table><tbody id=\"outcomes\" data-labels=\"\(Pages.esc(Pages.outcomeLabelsJSON))\">"
        if report.totals.isEmpty { html += "<tr class=\"none\"><td class=\"dim\">No readings cleansed since the server started.</td></tr>" }
        for (key, n) in report.totals.sorted(by: { $0.key < $1.key }) {
            html += "<tr><td>\(Pages.outcomeLabel(key))</td><td class=\"num\" data-outcome=\"\(Pages.esc(key))\">\(n)</td></tr>"
        }
        return html + "</tbody></table>"
    }

    /// The measured share of what was stored and the rows quarantined since start, kept up live by
    /// the page's script (`#measured-share`, `#quarantined`).
    static func qualityKPIs(_ report: QualityReport, stored: Int) -> String {
        let estimated = report.total(.estimated)
        let share = stored > 0 ? Double(max(stored - estimated, 0)) / Double(stored) * 100 : 100
        return kpi("Measured share", "<span id=\"measured-share\" data-stored=\"\(stored)\" data-estimated=\"\(estimated)\">\(String(format: "%.1f", share))</span>",
                   sub: "% since start")
            + kpi("Quarantined", "<span id=\"quarantined\">\(report.total(.quarantined))</span>", sub: "rows since start")
    }

    /// The meters' energy in the fleet's latest interval, and how many of them have reported into it.
    static func lastInterval(_ meters: [MeterSnapshot], latest: Int64?) -> (kwh: Double, reported: Int) {
        guard let latest else { return (0, 0) }
        return meters.reduce(into: (0.0, 0)) { acc, m in
            if let r = m.latest, r.start == latest { acc.0 += r.kwh; acc.1 += 1 }
        }
    }

    static func kpi(_ label: String, _ value: String, sub: String) -> String {
        "<div class=\"kpi\"><div class=\"label\">\(label)</div><div class=\"value\">\(value) <small>\(sub)</small></div></div>"
    }

    static func anomalyItem(_ a: Anomaly) -> String {
        let who = a.meter.map { "<a href=\"\(Pages.meterHref($0.rawValue))\">\(Pages.esc($0.rawValue))</a>" } ?? "source \(Pages.esc(a.source?.rawValue ?? ""))"
        return "<li data-id=\"\(Pages.esc(a.id))\" data-open=\"\(a.open ? 1 : 0)\"><span class=\"sev sev-\(a.severity.rawValue)\">\(a.severity.rawValue)</span><b>\(a.kind.rawValue)</b> \(who)"
            + "<br><span class=\"dim\">\(SVGChart.label(a.start)) UTC · \(a.open ? "open" : "closed") · \(Pages.esc(a.detail))</span></li>"
    }
}
