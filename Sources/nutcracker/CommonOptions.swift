import ArgumentParser
import Foundation
import MeterCore
import MeterIngest
import MeterStore

/// Options every command takes.
struct StoreOptions: ParsableArguments {
    @Option(help: "The store: a SQLite file path.")
    var store = "nutcracker.sqlite"

    @Option(help: "What an acknowledged commit survives: full (a power cut: the log is synced at every commit) or normal (a crash of the process; synced at checkpoints, a little faster).")
    var durability: SQLiteStore.Durability = .full

    @Option(help: "Live readings held (in memory and in the store's log) before they are merged into the stored day blocks: more is faster ingest and more memory (about 250 bytes a reading at the peak of a merge).")
    var mergeEvery = SQLiteStore.defaultInboxLimit

    func validate() throws {
        guard mergeEvery >= 1 else { throw ValidationError("--merge-every must be at least 1") }
    }

    func open() async throws -> SQLiteStore {
        if store.hasPrefix("postgres://") || store.hasPrefix("postgresql://") {
            throw ValidationError("PostgreSQL stores are not supported by this build; use a SQLite file path")
        }
        return try await Self.open(path: store, durability: durability, mergeEvery: mergeEvery)
    }

    static func open(path: String, durability: SQLiteStore.Durability = .full,
                     mergeEvery: Int = SQLiteStore.defaultInboxLimit) async throws -> SQLiteStore {
        let s = try SQLiteStore(path: path, inboxLimit: mergeEvery, durability: durability)
        try await s.migrate()
        return s
    }
}

extension SQLiteStore.Durability: ExpressibleByArgument {}

/// Prints a progress line on a terminal (stderr), and nothing when output is redirected.
final class ProgressLine: Sendable {
    let label: String
    let enabled = isatty(STDERR_FILENO) == 1

    init(_ label: String) { self.label = label }

    func update(_ done: Int64, _ total: Int64) {
        guard enabled else { return }
        let pct = total > 0 ? Int(100 * done / max(total, 1)) : 0
        let line = "\r\(label): \(pct)% (\(Self.mb(done)) of \(Self.mb(total)))"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// Shows a short phrase, e.g. the stage a job is in.
    func say(_ phrase: String) {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(label): \(phrase)".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    static func mb(_ bytes: Int64) -> String { String(format: "%.1f MB", Double(bytes) / 1_048_576) }
}

func parseTime(_ text: String, _ name: String) throws -> Int64 {
    switch TimestampParser.parse(text) {
    case .success(.instant(let s)), .success(.naive(let s)): return s
    case .failure(let e): throw ValidationError("--\(name): \(e): '\(text)'")
    }
}

func parseZone(_ text: String?) throws -> TimeZoneSpec {
    guard let text else { return .utc }
    guard let z = TimeZoneSpec(text) else {
        throw ValidationError("--timezone: '\(text)' is neither an offset like +10:00 nor a known IANA zone like Australia/Sydney")
    }
    return z
}

func printOut(_ s: String) {
    FileHandle.standardOutput.write(Data(s.utf8))
}

extension AmbiguousTimePolicy: ExpressibleByArgument {}
extension NonexistentTimePolicy: ExpressibleByArgument {}
extension NumericTimeFormat: ExpressibleByArgument {}
extension DateOrder: ExpressibleByArgument {}
extension LayoutKind: ExpressibleByArgument {}
