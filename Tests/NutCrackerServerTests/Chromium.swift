import Foundation
import HummingbirdWSClient
import Logging
import TestSupport

/// Headless Chromium (Debian's package) driven over the DevTools protocol: navigate, evaluate,
/// collect console errors, take screenshots.
final class Chromium: @unchecked Sendable {
    static let executable = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    let process: Process
    let session: DevToolsSession
    private let connection: Task<Void, any Error>

    init(profile: String) async throws {
        guard let exe = Self.executable else { throw BrowserError("chromium is not installed (apt-get install chromium)") }
        process = Process()
        process.executableURL = URL(fileURLWithPath: exe)
        process.arguments = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                             "--remote-debugging-port=0", "--remote-allow-origins=*", "--user-data-dir=\(profile)",
                             "--window-size=1400,1000", "about:blank"]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID"
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("DevTools listening on"), Date() < deadline {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let range = text.range(of: #"ws://127\.0\.0\.1:\d+/devtools/browser/[A-Za-z0-9-]+"#, options: .regularExpression) else {
            process.terminate()
            throw BrowserError("chromium did not start: \(text.suffix(500))")
        }
        let ws = String(text[range])
        let session = DevToolsSession()
        self.session = session
        let (outgoing, send) = AsyncStream<String>.makeStream()
        session.attach(send)
        connection = Task {
            try await WebSocketClient.connect(url: ws, configuration: .init(maxFrameSize: 64 << 20), logger: Logger(label: "cdp")) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { for await text in outgoing { try await outbound.write(.text(text)) } }
                    for try await message in inbound.messages(maxSize: 64 << 20) {
                        if case .text(let t) = message { session.received(t) }
                    }
                    group.cancelAll()
                }
            }
        }
        // One page, attached in flat mode: its commands and events carry its session id.
        let targets = try await session.call("Target.getTargets")["targetInfos"] as? [[String: Any]] ?? []
        guard let page = targets.first(where: { $0["type"] as? String == "page" })?["targetId"] as? String else {
            throw BrowserError("no page target in chromium")
        }
        guard let sessionID = try await session.call("Target.attachToTarget", ["targetId": page, "flatten": true])["sessionId"] as? String else {
            throw BrowserError("could not attach to the page")
        }
        session.use(sessionID)
        _ = try await session.call("Runtime.enable")
        _ = try await session.call("Log.enable")
        _ = try await session.call("Page.enable")
    }

    /// Loads a URL and waits for its load event.
    func navigate(_ url: String) async throws {
        let loads = session.count(of: "Page.loadEventFired")
        _ = try await session.call("Page.navigate", ["url": url])
        try await waitUntil(seconds: 15, "page load of \(url)") { self.session.count(of: "Page.loadEventFired") > loads }
    }

    /// The value of a JavaScript expression (JSON-serialisable).
    func evaluate(_ expression: String) async throws -> Any? {
        let r = try await session.call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        let result = r["result"] as? [String: Any]
        if let ex = r["exceptionDetails"] { throw BrowserError("evaluate threw: \(ex)") }
        return result?["value"]
    }

    func screenshot(to path: String) async throws {
        let r = try await session.call("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        guard let b64 = r["data"] as? String, let data = Data(base64Encoded: b64) else { throw BrowserError("no screenshot data") }
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// Console errors, uncaught exceptions and failed loads seen so far.
    var consoleErrors: [String] { session.errors }

    func waitUntil(seconds: Double, _ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BrowserError("timed out after \(seconds) s waiting for \(what)")
    }

    func close() {
        connection.cancel()
        process.terminate()
        process.waitUntilExit()
    }
}

/// Requests and events of one DevTools connection.
final class DevToolsSession: @unchecked Sendable {
    private let lock = NSLock()
    private var send: AsyncStream<String>.Continuation?
    private var nextID = 1
    private var waiting: [Int: CheckedContinuation<[String: Any], any Error>] = [:]
    private var eventCounts: [String: Int] = [:]
    private(set) var errors: [String] = []

    private var sessionID: String?

    func attach(_ send: AsyncStream<String>.Continuation) { lock.withLock { self.send = send } }
    func use(_ session: String) { lock.withLock { sessionID = session } }

    func count(of event: String) -> Int { lock.withLock { eventCounts[event] ?? 0 } }

    func call(_ method: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
        let body = try JSONSerialization.data(withJSONObject: params)
        return try await withCheckedThrowingContinuation { c in
            let text: String? = lock.withLock {
                let id = nextID
                nextID += 1
                waiting[id] = c
                let session = sessionID.map { ",\"sessionId\":\"\($0)\"" } ?? ""
                return "{\"id\":\(id),\"method\":\"\(method)\",\"params\":\(String(decoding: body, as: UTF8.self))\(session)}"
            }
            if let text { _ = lock.withLock { send }?.yield(text) }
        }
    }

    func received(_ text: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { return }
        if let id = object["id"] as? Int {
            let c = lock.withLock { waiting.removeValue(forKey: id) }
            if let error = object["error"] { c?.resume(throwing: BrowserError("\(error)")) } else { c?.resume(returning: object["result"] as? [String: Any] ?? [:]) }
            return
        }
        guard let method = object["method"] as? String else { return }
        let params = object["params"] as? [String: Any] ?? [:]
        lock.withLock {
            eventCounts[method, default: 0] += 1
            switch method {
            case "Runtime.consoleAPICalled" where params["type"] as? String == "error":
                errors.append("console.error: \(params["args"] ?? "")")
            case "Runtime.exceptionThrown":
                errors.append("exception: \((params["exceptionDetails"] as? [String: Any])?["text"] ?? params)")
            case "Log.entryAdded":
                if let entry = params["entry"] as? [String: Any], entry["level"] as? String == "error" {
                    errors.append("log: \(entry["text"] ?? "") \(entry["url"] ?? "")")
                }
            default: break
            }
        }
    }
}

struct BrowserError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
