import Foundation
import MeterCleanse
import MeterCore
import MeterStore

/// Data quality at a glance: what VEE did to the readings since the server started (live), the
/// meters it had most to do for, and the quarantine, newest first, each row with where it came from
/// (origin, line, field), why it was set aside and its raw text.
enum QualityPage {
    static let quarantineShown = 100

    static func render(deps: ServerDependencies) async throws -> String {
        let report = await deps.pipeline.report
        let entries = try await deps.store.quarantine(limit: quarantineShown)
        let stored = await deps.pipeline.readingsStored

        var body = "<main \(Pages.subscriptions(summary: true, meters: []))><p class=\"dim\"><a href=\"/\">Fleet</a> / quality</p><h1>Data quality</h1>"
        body += "<p class=\"dim\">What validation, estimation and editing did since the server started, and the rows set aside. "
            + "As JSON: <a href=\"/api/v1/quality\">the quality report</a>, <a href=\"/api/v1/quarantine?limit=1000\">the quarantine</a>.</p>"
        body += "<div class=\"kpis\">"
        body += FleetPage.kpi("Readings stored", "\(stored)", sub: "since start")
        body += FleetPage.kpi("Estimated", "\(report.total(.estimated))", sub: "slots filled")
        body += FleetPage.qualityKPIs(report, stored: stored)
        body += "</div><div class=\"grid2\"><div>"
        body += "<section class=\"panel\"><h2>Quarantine, newest first</h2>"
        if entries.isEmpty {
            body += "<p class=\"dim\">Nothing quarantined.</p>"
        } else {
            body += "<table class=\"quarantine\"><thead><tr><th>From</th><th>Field</th><th>Reason</th><th>Raw text</th></tr></thead><tbody>"
            for e in entries {
                let raw = e.raw.count > 90 ? String(e.raw.prefix(90)) + "…" : e.raw
                body += "<tr><td>\(Pages.esc(e.origin))\(e.line > 0 ? ":\(e.line)" : "")\(e.meter.map { "<br><a href=\"\(Pages.meterHref($0.rawValue))\">\(Pages.esc($0.rawValue))</a>" } ?? "")</td>"
                    + "<td>\(Pages.esc(e.field ?? "–"))</td><td><b>\(Pages.esc(e.reason))</b><br><span class=\"dim\">\(Pages.esc(e.detail))</span></td>"
                    + "<td><code title=\"\(Pages.esc(e.raw))\">\(Pages.esc(raw).replacingOccurrences(of: ",", with: ",<wbr>"))</code></td></tr>"
            }
            body += "</tbody></table>"
            if entries.count == quarantineShown { body += "<p class=\"dim\">The latest \(quarantineShown); <a href=\"/api/v1/quarantine?limit=10000\">more as JSON</a>.</p>" }
        }
        body += "</section></div><aside><section class=\"panel\"><h2>VEE outcomes since start</h2>" + FleetPage.outcomes(report) + "</section>"
        body += "<section class=\"panel section\"><h2>Meters most cleansed</h2>" + mostCleansed(report) + "</section></aside></div></main>"
        return Pages.shell(title: "Data quality", body: body)
    }

    /// The meters with the most VEE outcomes since start, with their most frequent one.
    static func mostCleansed(_ report: QualityReport, count: Int = 15) -> String {
        struct Ranked { var meter: String; var total: Int; var top: (key: String, value: Int)? }
        let all = report.perMeter.map { meter, outcomes -> Ranked in
            let top = outcomes.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }
            return Ranked(meter: meter, total: outcomes.values.reduce(0, +), top: top)
        }
        let ranked = all.sorted { $0.total != $1.total ? $0.total > $1.total : $0.meter < $1.meter }.prefix(count)
        guard !ranked.isEmpty else { return "<p class=\"dim\">None yet.</p>" }
        var html = "<table><tbody>"
        for r in ranked {
            html += "<tr><td><a href=\"\(Pages.meterHref(r.meter))\">\(Pages.esc(r.meter))</a>"
                + "<br><span class=\"dim\">\(Pages.esc(r.top.map { "\(Outcome.summary(ofKey: $0.key) ?? $0.key) ×\($0.value)" } ?? ""))</span></td><td class=\"num\">\(r.total)</td></tr>"
        }
        return html + "</tbody></table>"
    }
}
