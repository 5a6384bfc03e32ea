import Foundation
import MeterCore
import MeterStore

/// Every meter of the estate, a page at a time, by source and by text in the id: the same cards as
/// the fleet page (live over the WebSocket), each with its health over the last week once worked out.
enum MeterListPage {
    static let pageSize = 100

    static func render(deps: ServerDependencies, source: String?, text: String?, page: Int) async throws -> String {
        let all = try await deps.store.meters()
        var query = try MeterListing.Query(source: source, text: text, offset: (max(page, 1) - 1) * pageSize, limit: pageSize)
        var listing = MeterListing(query, of: all)
        let pages = max(1, (listing.total + pageSize - 1) / pageSize)
        let current = min(max(page, 1), pages)
        if current != max(page, 1) {
            // Past the last page: the last page.
            query.offset = (current - 1) * pageSize
            listing = MeterListing(query, of: all)
        }
        let latest = all.compactMap(\.latest?.start).max()
        let recent = try await deps.store.recent(meters: listing.meters.filter { $0.latest != nil }.map(\.meter.id), count: 48)
            .mapValues { $0.map(\.kwh) }
        let health = await deps.health.listing(store: deps.store, wait: .milliseconds(500))
        let sources = Set(all.map(\.meter.source)).sorted { $0.rawValue < $1.rawValue }

        var body = "<main \(Pages.subscriptions(summary: true, meters: listing.meters.map(\.meter.id)))><p class=\"dim\"><a href=\"/\">Fleet</a> / meters</p><h1>Meters</h1>"
        body += "<form class=\"filters\" method=\"get\" action=\"/meters\"><label>Source <select name=\"source\"><option value=\"\">every source</option>"
        for s in sources {
            body += "<option value=\"\(Pages.esc(s.rawValue))\"\(s == query.source ? " selected" : "")>\(Pages.esc(s.rawValue))</option>"
        }
        body += "</select></label><label>Id contains <input name=\"q\" value=\"\(Pages.esc(query.text ?? ""))\" placeholder=\"e.g. SMR12\"></label>"
        body += "<button type=\"submit\">Show</button></form>"
        let first = listing.total == 0 ? 0 : query.offset + 1
        body += "<p class=\"dim\" id=\"listed\">\(listing.total == 0 ? "No meters match." : "Meters \(first)–\(query.offset + listing.meters.count) of \(listing.total)")"
        if let health { body += " · health over each meter's week to \(SVGChart.label(health.through)) UTC" }
        body += "</p><section class=\"panel meter-list\">"
        for s in listing.meters {
            body += FleetPage.card(s, values: recent[s.meter.id] ?? [], latest: latest, health: health?.byMeter[s.meter.id]?.score)
        }
        body += "</section>"
        if pages > 1 {
            func link(_ p: Int, _ label: String) -> String {
                var items = [URLQueryItem(name: "page", value: String(p))]
                if let s = query.source { items.append(URLQueryItem(name: "source", value: s.rawValue)) }
                if let t = query.text { items.append(URLQueryItem(name: "q", value: t)) }
                var c = URLComponents()
                c.path = "/meters"
                c.queryItems = items
                return "<a href=\"\(Pages.esc(c.string ?? "/meters"))\">\(label)</a>"
            }
            body += "<nav class=\"pager\">" + (current > 1 ? link(current - 1, "← Previous") : "<span class=\"dim\">← Previous</span>")
                + "<span>Page \(current) of \(pages)</span>" + (current < pages ? link(current + 1, "Next →") : "<span class=\"dim\">Next →</span>") + "</nav>"
        }
        return Pages.shell(title: "Meters", body: body + "</main>")
    }
}
