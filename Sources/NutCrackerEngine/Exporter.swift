import MeterAnalytics
import MeterCore
import MeterReports
import MeterStore
import Synchronization

/// Writes stored readings, or their rollups, as CSV lines to a sink, streaming from the store.
public struct Exporter: Sendable {
    public var filter: ReadingFilter
    /// Roll up into this period; nil for the readings themselves.
    public var rollup: RollupPeriod?
    /// Calendar for days, weeks and months.
    public var zone: TimeZoneSpec
    /// Only readings of these qualities; nil for all.
    public var qualities: Set<Quality>?

    public init(filter: ReadingFilter = ReadingFilter(), rollup: RollupPeriod? = nil, zone: TimeZoneSpec = .utc,
                qualities: Set<Quality>? = nil) {
        self.filter = filter
        self.rollup = rollup
        self.zone = zone
        self.qualities = qualities
    }

    /// Streams the export; returns the number of lines written (header excluded).
    @discardableResult
    public func run(store: any ReadingStore, write: @escaping @Sendable (String) -> Void) async throws -> Int {
        let state = ExportState(rollup: rollup, zone: zone, qualities: qualities, write: write)
        write((rollup == nil ? CSVWriter.readingHeader : CSVWriter.rollupHeader) + "\n")
        try await store.scan(filter) { state.add($0) }
        return state.finish()
    }
}

/// The export's running state; the store's scan calls it from one thread at a time.
private final class ExportState: Sendable {
    struct Inner {
        var acc: RollupAccumulator?
        var buffer = ""
        var lines = 0
    }
    let inner: Mutex<Inner>
    let qualities: Set<Quality>?
    let write: @Sendable (String) -> Void

    init(rollup: RollupPeriod?, zone: TimeZoneSpec, qualities: Set<Quality>?, write: @escaping @Sendable (String) -> Void) {
        inner = Mutex(Inner(acc: rollup.map { RollupAccumulator(period: $0, zone: zone) }))
        self.qualities = qualities
        self.write = write
    }

    func add(_ r: Reading) {
        if let q = qualities, !q.contains(r.quality) { return }
        inner.withLock { s in
            if s.acc != nil {
                if let row = s.acc?.add(r) { emit(CSVWriter.line(row), &s) }
            } else {
                emit(CSVWriter.line(r), &s)
            }
        }
    }

    private func emit(_ line: String, _ s: inout Inner) {
        s.buffer += line
        s.buffer += "\n"
        s.lines += 1
        if s.buffer.utf8.count > 1 << 16 { write(s.buffer); s.buffer = "" }
    }

    func finish() -> Int {
        inner.withLock { s in
            for row in s.acc?.finish() ?? [] { emit(CSVWriter.line(row), &s) }
            if !s.buffer.isEmpty { write(s.buffer); s.buffer = "" }
            return s.lines
        }
    }
}
