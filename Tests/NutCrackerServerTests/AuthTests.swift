import Foundation
import Hummingbird
import HummingbirdTesting
import MeterCore
import NutCrackerEngine
import NutCrackerServer
import TestSupport
import Testing

/// Users with roles, signed expiring tokens, device keys scoped to a source: 401 for wrong,
/// expired, tampered or missing credentials, 403 for the wrong role.
@Suite struct AuthTests {
    let dir = TemporaryDirectory()

    @Test func tokensRolesAndDeviceKeys() async throws {
        let server = try await TestServer.make(dir)
        let app = Application(router: buildRouter(server.deps))
        let reading = "[{\"meter_id\":\"SMR-X\",\"start\":\"2026-11-29T00:00:00Z\",\"kwh\":0.4}]"
        try await app.test(.router) { client in
            // Issue a token with the right password; not with a wrong one.
            let token = try await client.execute(uri: "/api/v1/auth/token", method: .post, headers: [.contentType: "application/json"],
                                                 body: ByteBuffer(string: "{\"username\":\"vera\",\"password\":\"password-vera\"}")) { res in
                #expect(res.status == .ok)
                struct T: Decodable { var token: String; var role: String; var expires_at: String }
                let t = try JSONDecoder().decode(T.self, from: Data(buffer: res.body))
                #expect(t.role == "viewer")
                return t.token
            }
            try await client.execute(uri: "/api/v1/auth/token", method: .post, body: ByteBuffer(string: "{\"username\":\"vera\",\"password\":\"nope-nope\"}")) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/auth/token", method: .post, body: ByteBuffer(string: "{\"username\":\"nobody\",\"password\":\"nope-nope\"}")) {
                #expect($0.status == .unauthorized)
            }
            // Reads: viewer yes; nothing, garbage, tampered, expired: 401.
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: TestServer.bearer(token)) { #expect($0.status == .ok) }
            // Spaces and tabs around the credential are not part of it.
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: [.authorization: "Bearer  \t\(token) \t"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/meters", method: .get) {
                #expect($0.status == .unauthorized)
                #expect($0.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: TestServer.bearer("garbage")) { #expect($0.status == .unauthorized) }
            var parts = token.split(separator: ".").map(String.init)
            // The role claim raised to admin, the signature kept.
            var b64 = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while b64.count % 4 != 0 { b64 += "=" }
            let claims = String(decoding: try #require(Data(base64Encoded: b64)), as: UTF8.self).replacingOccurrences(of: "viewer", with: "admin")
            #expect(claims.contains("admin"))
            parts[1] = Data(claims.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: TestServer.bearer(parts.joined(separator: "."))) {
                #expect($0.status == .unauthorized)
            }
            let expired = try await server.deps.accounts.issueToken(name: "ada", role: .admin, now: Date().addingTimeInterval(-13 * 3600)).token
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: TestServer.bearer(expired)) { #expect($0.status == .unauthorized) }
            // A token accepted once (and remembered as checked) is refused once it expires.
            let lifetime = server.deps.accounts.tokenLifetime
            let brief = try await server.deps.accounts.issueToken(name: "ada", role: .admin, now: Date().addingTimeInterval(4 - lifetime)).token
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: TestServer.bearer(brief)) { #expect($0.status == .ok) }
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: TestServer.bearer(brief)) { #expect($0.status == .ok) }
            try await Task.sleep(for: .seconds(4.5))
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: TestServer.bearer(brief)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: [.authorization: "Basic dmVyYTp4"]) { #expect($0.status == .unauthorized) }

            // Writes: viewer 403, operator 200, device key of A: its own source only.
            func post(_ auth: String, query: String = "") async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/api/v1/readings" + query, method: .post,
                                         headers: [.authorization: "Bearer \(auth)", .contentType: "application/json"],
                                         body: ByteBuffer(string: reading)) { $0.status }
            }
            #expect(try await post(server.viewer) == .forbidden)
            #expect(try await post(server.operatorToken) == .ok)
            #expect(try await post(server.deviceA) == .ok)
            #expect(try await post(server.deviceA, query: "?source=B") == .forbidden)
            let sourced = "[{\"meter_id\":\"SMR-Y\",\"source\":\"C\",\"start\":\"2026-11-29T00:00:00Z\",\"kwh\":0.4}]"
            try await client.execute(uri: "/api/v1/readings", method: .post, headers: [.authorization: "Bearer \(server.deviceA)", .contentType: "application/json"],
                                     body: ByteBuffer(string: sourced)) { #expect($0.status == .forbidden) }
            // A device key reads nothing.
            try await client.execute(uri: "/api/v1/meters", method: .get, headers: TestServer.bearer(server.deviceA)) { #expect($0.status == .forbidden) }
            // A wrong secret for a real key id, and a revoked key: 401.
            let wrong = String(server.deviceA.dropLast(4)) + "0000"
            #expect(try await post(wrong) == .unauthorized)
            let id = String(server.deviceA.split(separator: "_")[1])
            #expect(try await server.deps.accounts.revokeDeviceKey(id: id))
            #expect(try await post(server.deviceA) == .unauthorized)
            // A key revoked by another process (`nutcracker token revoke`) stops working at once.
            let other = try await server.deps.accounts.createDeviceKey(source: SourceID("A")!)
            #expect(try await post(other.key) == .ok)
            #expect(try await Accounts(store: server.store).revokeDeviceKey(id: other.id))
            #expect(try await post(other.key) == .unauthorized)

            // Pages: without a cookie, to the sign-in page; `/login?token=` signs in.
            try await client.execute(uri: "/", method: .get) { res in
                #expect(res.status == .seeOther && res.headers[.location] == "/login")
            }
            try await client.execute(uri: "/login?token=\(token)", method: .get) { res in
                #expect(res.status == .seeOther)
                #expect(res.headers[.setCookie]?.contains("HttpOnly") == true)
            }
            try await client.execute(uri: "/", method: .get, headers: [.cookie: "nc_token=\(token)"]) { #expect($0.status == .ok) }
            // A cookie never authorises a write.
            try await client.execute(uri: "/api/v1/readings", method: .post, headers: [.cookie: "nc_token=\(server.admin)", .contentType: "application/json"],
                                     body: ByteBuffer(string: reading)) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "username=otto&password=password-otto")) { res in
                #expect(res.status == .seeOther && res.headers[.setCookie]?.hasPrefix("nc_token=") == true)
            }
            // A page asked for while signed out is where signing in leads, by link or by form; never off this server.
            try await client.execute(uri: "/meters/M1?days=7", method: .get) { res in
                #expect(res.status == .seeOther && res.headers[.location] == "/login?next=/meters/M1%3Fdays%3D7")
            }
            try await client.execute(uri: "/login?next=/meters/M1%3Fdays%3D7", method: .get) { res in
                #expect(String(buffer: res.body).contains("name=\"next\" value=\"/meters/M1?days=7\""))
            }
            try await client.execute(uri: "/login?next=/meters/M1%3Fdays%3D7&token=\(token)", method: .get) { res in
                #expect(res.status == .seeOther && res.headers[.location] == "/meters/M1?days=7")
            }
            try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "username=otto&password=password-otto&next=%2Fmeters%2FM1")) { res in
                #expect(res.status == .seeOther && res.headers[.location] == "/meters/M1")
            }
            for away in ["//evil.example/x", "https://evil.example/", "/\\evil.example"] {
                let q = away.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                try await client.execute(uri: "/login?next=\(q)&token=\(token)", method: .get) { res in
                    #expect(res.headers[.location] == "/", "\(away)")
                }
            }
        }
    }
}
