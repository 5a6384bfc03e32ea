import Foundation
import Hummingbird
import HummingbirdTesting
import MeterCleanse
import MeterCore
import MeterIngest
import MeterStore
import NutCrackerEngine
import NutCrackerServer
import TestSupport

/// A server over a real SQLite file, with one user of each role and a device key for source A.
struct TestServer {
    let deps: ServerDependencies
    let store: SQLiteStore
    let path: String
    let admin: String
    let operatorToken: String
    let viewer: String
    let deviceA: String
    let feed: FleetFeed

    static func make(_ dir: TemporaryDirectory, name: String = "server.sqlite", slots: Int = 4, store wrap: ((SQLiteStore) -> any ReadingStore)? = nil,
                     limits: IngestLimits = IngestLimits(), maxPendingRows: Int = 500_000) async throws -> TestServer {
        let path = dir.path(name)
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let metrics = MetricsRegistry()
        let readingStore = wrap?(store) ?? store
        let pipeline = Pipeline(store: readingStore, rules: RuleSet(.live)) { s, info in metrics.record(s, source: info.source.rawValue) }
        let feed = FleetFeed(pipeline: pipeline, config: FleetConfig(), startingAt: 1_795_824_000)
        try await feed.backfill(slots: slots)
        let accounts = try await Accounts(store: store)
        var tokens: [String] = []
        for (name, role) in [("ada", Role.admin), ("otto", Role.operator), ("vera", Role.viewer)] {
            try await accounts.addUser(name: name, password: "password-\(name)", role: role)
            tokens.append(try await accounts.issueToken(name: name, role: role).token)
        }
        let key = try await accounts.createDeviceKey(source: SourceID("A") ?? .unassigned)
        let deps = ServerDependencies(store: readingStore, pipeline: pipeline, accounts: accounts,
                                      ingest: IngestQueue(pipeline: pipeline, maxPendingRows: maxPendingRows, metrics: metrics),
                                      metrics: metrics, limits: limits)
        return TestServer(deps: deps, store: store, path: path, admin: tokens[0], operatorToken: tokens[1], viewer: tokens[2], deviceA: key.key, feed: feed)
    }

    static func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }
}

/// A real store whose group commits wait until the test opens the gate (to hold requests in the queue).
final class GatedStore: StoreWrapper, @unchecked Sendable {
    let inner: SQLiteStore
    private let lock = NSLock()
    private var closed = false
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private(set) var groups: [Int] = []

    init(_ inner: SQLiteStore) { self.inner = inner }

    func close() { lock.withLock { closed = true } }
    func open() {
        let w = lock.withLock { closed = false; defer { waiters = [] }; return waiters }
        for c in w { c.resume() }
    }

    func write(group: [BatchWrite]) async throws -> [WriteSummary] {
        await withCheckedContinuation { c in
            let wait = lock.withLock { closed ? { waiters.append(c); return true }() : false }
            if !wait { c.resume() }
        }
        lock.withLock { groups.append(group.count) }
        return try await inner.write(group: group)
    }
}
