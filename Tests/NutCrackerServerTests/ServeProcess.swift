import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import TestSupport
import Testing

/// The built `nutcracker serve` over a store, on a free loopback port, with an operator's token:
/// for tests of the binary as users run it (restarts, kills, its options).
struct ServeProcess {
    let process: Process
    let base: String
    let token: String

    /// Creates the operator (once per store) and starts the server with `arguments` after the store and port.
    static func start(store: String, arguments: [String], addUser: Bool = true) async throws -> ServeProcess {
        let binary = try #require(BuiltProducts.nutcracker, "build the nutcracker product first (scripts/test does)")
        if addUser {
            let user = try BuiltProducts.run(binary, ["user", "add", "gw", "--role", "operator", "--password", "serve-test-password", "--store", store])
            #expect(user.status == 0, "\(user.err)")
        }
        let port = Int.random(in: 20_000..<40_000)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: binary)
        server.arguments = ["serve", "--store", store, "--port", "\(port)"] + arguments
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        let base = "http://127.0.0.1:\(port)"
        var up = false
        for _ in 0..<200 where !up {
            up = (try? await URLSession.shared.data(from: URL(string: base + "/health")!))?.1 is HTTPURLResponse
            if !up { try await Task.sleep(for: .milliseconds(50)) }
        }
        if !up { kill(server.processIdentifier, SIGKILL) }
        try #require(up, "serve did not answer on \(base)")
        var login = URLRequest(url: URL(string: base + "/api/v1/auth/token")!)
        login.httpMethod = "POST"
        login.setValue("application/json", forHTTPHeaderField: "Content-Type")
        login.httpBody = Data(#"{"username":"gw","password":"serve-test-password"}"#.utf8)
        struct Token: Decodable { var token: String }
        let token = try JSONDecoder().decode(Token.self, from: try await URLSession.shared.data(for: login).0).token
        return ServeProcess(process: server, base: base, token: token)
    }

    /// Posts a CSV body of readings; returns the status and the answer's body.
    func post(csv: String, source: String) async throws -> (status: Int, body: Data) {
        var post = URLRequest(url: URL(string: base + "/api/v1/readings?source=\(source)")!)
        post.httpMethod = "POST"
        post.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        post.setValue("text/csv", forHTTPHeaderField: "Content-Type")
        post.httpBody = Data(csv.utf8)
        let (data, response) = try await URLSession.shared.data(for: post)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// A gauge's value in the server's /metrics.
    func gauge(_ name: String) async throws -> Double? {
        let (data, _) = try await URLSession.shared.data(from: URL(string: base + "/metrics")!)
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
    }

    /// Stops the server: SIGTERM (a clean stop) or SIGKILL, and waits for it.
    func stop(_ signal: Int32 = SIGTERM) {
        if process.isRunning { kill(process.processIdentifier, signal) }
        process.waitUntilExit()
    }
}
