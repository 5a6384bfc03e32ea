import Foundation
import Hummingbird
import MeterCleanse
import MeterCore

/// The page shell every dashboard page shares, and the sign-in page.
enum Pages {
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// A page: title, navigation, body, the shared stylesheet and script.
    static func shell(title: String, body: String, signedIn: Bool = true) -> String {
        """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title)) · Nut Cracker</title>
        <link rel="stylesheet" href="/assets/app.css">
        <link rel="icon" href="data:,">
        </head>
        <body>
        <header class="top">
          <a class="brand" href="/">Nut Cracker</a>
          <nav>\(signedIn ? "<a href=\"/\">Fleet</a><a href=\"/meters\">Meters</a><a href=\"/quality\">Quality</a><a href=\"/metrics\">Metrics</a><a href=\"/logout\">Sign out</a>" : "")</nav>
          <span id="live" class="live" title="live updates">connecting</span>
        </header>
        \(body)
        <script src="/assets/app.js"></script>
        </body>
        </html>
        """
    }

    static func login(error: String?, next: String = "/") -> String {
        shell(title: "Sign in", body: """
            <main class="narrow">
              <section class="panel">
                <h1>Sign in</h1>
                \(error.map { "<p class=\"error\">\(esc($0))</p>" } ?? "")
                <form method="post" action="/login">
                  \(next == "/" ? "" : "<input type=\"hidden\" name=\"next\" value=\"\(esc(next))\">")
                  <label>User name <input name="username" autocomplete="username" required autofocus></label>
                  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
                  <button type="submit">Sign in</button>
                </form>
                <p class="dim">Create a user with <code>nutcracker user add NAME --role viewer</code>.</p>
              </section>
            </main>
            """, signedIn: false)
    }

    /// What a page's script subscribes to (`data-subscribe`): the fleet's summary (its figures,
    /// outcomes and anomalies, without its readings) and the readings of the meters it shows.
    static func subscriptions(summary: Bool, meters: [MeterID]) -> String {
        let topics = (summary ? ["summary"] : []) + meters.map { "meter:" + ($0.rawValue.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.rawValue) }
        return "data-subscribe=\"\(esc(topics.joined(separator: " ")))\""
    }

    /// A meter's dashboard page, as an attribute value.
    static func meterHref(_ id: String) -> String {
        esc("/meters/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id))
    }

    /// An outcome as a person reads it, its key (as in `/metrics`) beneath.
    static func outcomeLabel(_ key: String) -> String {
        guard let summary = Outcome.summary(ofKey: key) else { return esc(key) }
        return "\(esc(summary))<small class=\"outcome-key\">\(esc(key))</small>"
    }

    /// Every declared outcome's summary by key, for the script to name outcomes that appear live.
    static var outcomeLabelsJSON: String {
        APIJSON.text(Dictionary(Outcome.declared.map { ($0.key, $0.summary) }, uniquingKeysWith: { a, _ in a }))
    }

    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func kwh(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return String(format: "%.3f", v)
    }
}
