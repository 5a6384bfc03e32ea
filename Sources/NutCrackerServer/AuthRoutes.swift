import Foundation
import Hummingbird

/// `POST /api/v1/auth/token` (JSON `{"username", "password"}`) issues a signed, expiring token;
/// `/login` is the same for people, setting the dashboard's cookie; `/logout` clears it.
struct AuthRoutes {
    let deps: ServerDependencies

    struct Credentials: Decodable {
        var username: String
        var password: String
    }

    struct TokenAnswer: Codable {
        var token: String
        var token_type = "Bearer"
        var expires_at: String
        var role: String
    }

    func add(to router: Router<AppContext>) {
        router.post("/api/v1/auth/token") { request, context -> Response in
            let body = try await request.body.collect(upTo: 64 << 10)
            guard let c = try? JSONDecoder().decode(Credentials.self, from: Data(buffer: body)) else {
                throw HTTPError(.badRequest, message: "expected JSON {\"username\": ..., \"password\": ...}")
            }
            guard let role = try await deps.accounts.authenticate(name: c.username, password: c.password) else {
                throw HTTPError(.unauthorized, message: "wrong user name or password")
            }
            let (token, expires) = try await deps.accounts.issueToken(name: c.username, role: role)
            return try APIJSON.response(TokenAnswer(token: token, expires_at: ISO8601DateFormatter().string(from: expires), role: role.rawValue))
        }
        router.get("/login") { request, _ -> Response in
            // `/login?token=...` (what `demo` prints) sets the cookie from a token already issued.
            let next = Self.destination(request.uri.queryParameters.get("next"))
            if let token = request.uri.queryParameters.get("token"), await deps.accounts.identity(bearer: token) != nil {
                return Self.signedIn(token: token, lifetime: deps.accounts.tokenLifetime, next: next)
            }
            return Pages.html(Pages.login(error: nil, next: next))
        }
        router.post("/login") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 << 10)
            let form = Self.form(String(buffer: body))
            let next = Self.destination(form["next"])
            guard let name = form["username"], let password = form["password"],
                  let role = try await deps.accounts.authenticate(name: name, password: password) else {
                return Pages.html(Pages.login(error: "Wrong user name or password.", next: next), status: .unauthorized)
            }
            let (token, _) = try await deps.accounts.issueToken(name: name, role: role)
            return Self.signedIn(token: token, lifetime: deps.accounts.tokenLifetime, next: next)
        }
        router.get("/logout") { _, _ in
            Response(status: .seeOther, headers: [.location: "/login", .setCookie: "nc_token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"])
        }
    }

    static func signedIn(token: String, lifetime: TimeInterval, next: String = "/") -> Response {
        Response(status: .seeOther, headers: [
            .location: next,
            .setCookie: "nc_token=\(token); Path=/; Max-Age=\(Int(lifetime)); HttpOnly; SameSite=Strict",
        ])
    }

    /// Where to go once signed in: the dashboard page a person was sent away from, only ever a path
    /// on this server (never `//host` or a scheme, so a link cannot send a signed-in person elsewhere).
    static func destination(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
              !next.contains(where: { $0.isNewline || $0 == "\\" }) else { return "/" }
        return next
    }

    /// An `application/x-www-form-urlencoded` body as a dictionary.
    static func form(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String { s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s) }
            if let k = kv.first { out[decode(k)] = kv.count > 1 ? decode(kv[1]) : "" }
        }
        return out
    }
}
