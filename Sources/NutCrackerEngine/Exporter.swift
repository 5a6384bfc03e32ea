import MeterAnalytics
import MeterCore
import MeterReports
import MeterStore
import Synchronization

/// Writes stored readings, or their rollups, as CSV lines to a sink or as an .xlsx workbook,
/// streaming from the store.
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

    /// Streams the export as CSV; returns the number of lines written (header excluded).
    @discardableResult
    public func run(store: any ReadingStore, write: @escaping @Sendable (String) -> Void) async throws -> Int {
        let buffer = Mutex("")
        @Sendable func emit(_ line: String) {
            buffer.withLock { b in
                b += line
                b += "\n"
                if b.utf8.count > 1 << 16 { write(b); b = "" }
            }
        }
        write((rollup == nil ? CSVWriter.readingHeader : CSVWriter.rollupHeader) + "\n")
        let state = ExportState(rollup: rollup, zone: zone, qualities: qualities,
                                reading: { emit(CSVWriter.line($0)) }, rolled: { emit(CSVWriter.line($0)) })
        try await store.scan(filter) { state.add($0) }
        let n = state.finish()
        buffer.withLock { b in if !b.isEmpty { write(b); b = "" } }
        return n
    }

    /// Writes the export as an .xlsx workbook: the readings (or rollups) on the first sheet, with
    /// times in the export's zone, and a quality sheet per meter (readings by quality, energy, span,
    /// quarantined rows by reason). Returns the number of data rows.
    @discardableResult
    public func runXLSX(store: any ReadingStore, path: String) async throws -> Int {
        let writer = Mutex(try XLSXWriter(path: path))
        let failure = Mutex<(any Error)?>(nil)
        let resolver = LocalTimeResolver(zone)
        let zoneName = zone.description
        @Sendable func append(_ row: [XLSXValue]) {
            writer.withLock { w in
                do { try w.append(row) } catch { failure.withLock { $0 = $0 ?? error } }
            }
        }
        @Sendable func local(_ t: Int64) -> Int64 { t + Int64(resolver.offset(atInstant: t)) }
        try writer.withLock { w in
            if let p = rollup {
                try w.beginSheet(name: "\(p.rawValue) rollups", header: ["meter_id", "period", "start (\(zoneName))", "kwh", "readings", "actual",
                                                                       "estimated", "min_kwh", "max_kwh"])
            } else {
                try w.beginSheet(name: "readings", header: ["meter_id", "start (\(zoneName))", "start_utc", "minutes", "kwh", "quality", "rule"])
            }
        }
        let state = ExportState(rollup: rollup, zone: zone, qualities: qualities, reading: { r in
            append([.text(r.meter.rawValue), .dateTime(local(r.start)), .text(ISO8601.format(r.start)), .integer(r.minutes), .number(r.kwh),
                    .text(r.quality.name), r.rule.map { .text($0) } ?? .empty])
        }, rolled: { r in
            let has = r.readings > 0
            append([.text(r.meter), .text(r.period), .dateTime(local(r.start)), .number(r.kwh), .integer(r.readings), .integer(r.actual),
                    .integer(r.estimated), has ? .number(r.min) : .empty, has ? .number(r.max) : .empty])
        })
        try await store.scan(filter) { state.add($0) }
        let rows = state.finish()
        if let e = failure.withLock({ $0 }) { throw e }
        // The quality sheet.
        let perMeter = state.perMeter()
        let quarantined = try await store.quarantine(limit: 1_000_000)
        var reasons: [String: [String: Int]] = [:]
        for q in quarantined { reasons[q.meter?.rawValue ?? "(no meter)", default: [:]][q.reason, default: 0] += 1 }
        try writer.withLock { w in
            try w.beginSheet(name: "quality", header: ["meter_id", "readings", "actual", "estimated", "edited", "suspect", "kwh",
                                                       "first (UTC)", "last (UTC)", "quarantined", "quarantine reasons"])
            for (meter, c) in perMeter.sorted(by: { $0.key < $1.key }) {
                let r = reasons[meter] ?? [:]
                try w.append([.text(meter), .integer(c.readings), .integer(c.byQuality[0]), .integer(c.byQuality[1]), .integer(c.byQuality[2]),
                              .integer(c.byQuality[3]), .number(c.kwh), .text(ISO8601.format(c.first)), .text(ISO8601.format(c.last)),
                              .integer(r.values.reduce(0, +)),
                              .text(r.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: "; "))])
            }
            try w.finish()
        }
        return rows
    }
}

/// Per-meter counts the quality sheet shows.
struct MeterQualityCounts: Sendable {
    var readings = 0
    var byQuality = [0, 0, 0, 0]
    var kwh = 0.0
    var first = Int64.max
    var last = Int64.min
}

/// The export's running state: the quality filter, the rollup and per-meter counts, shared by
/// every output format; the store's scan calls it from one thread at a time.
private final class ExportState: Sendable {
    struct Inner {
        var acc: RollupAccumulator?
        var lines = 0
        var counts: [String: MeterQualityCounts] = [:]
    }
    let inner: Mutex<Inner>
    let qualities: Set<Quality>?
    let reading: @Sendable (Reading) -> Void
    let rolled: @Sendable (RollupRow) -> Void

    init(rollup: RollupPeriod?, zone: TimeZoneSpec, qualities: Set<Quality>?, reading: @escaping @Sendable (Reading) -> Void,
         rolled: @escaping @Sendable (RollupRow) -> Void) {
        inner = Mutex(Inner(acc: rollup.map { RollupAccumulator(period: $0, zone: zone) }))
        self.qualities = qualities
        self.reading = reading
        self.rolled = rolled
    }

    func add(_ r: Reading) {
        if let q = qualities, !q.contains(r.quality) { return }
        inner.withLock { s in
            var c = s.counts[r.meter.rawValue] ?? MeterQualityCounts()
            c.readings += 1
            c.byQuality[Int(r.quality.rawValue)] += 1
            c.kwh += r.kwh
            c.first = min(c.first, r.start)
            c.last = max(c.last, r.start)
            s.counts[r.meter.rawValue] = c
            if s.acc != nil {
                if let row = s.acc?.add(r) { rolled(row); s.lines += 1 }
            } else {
                reading(r)
                s.lines += 1
            }
        }
    }

    func finish() -> Int {
        inner.withLock { s in
            for row in s.acc?.finish() ?? [] { rolled(row); s.lines += 1 }
            return s.lines
        }
    }

    func perMeter() -> [String: MeterQualityCounts] { inner.withLock { $0.counts } }
}
