import MeterCleanse
import MeterCore
import MeterStore

/// What one ingest did, in the words of the import summary (and its JSON form).
public struct IngestSummary: Sendable, Codable, Equatable {
    public var origin: String
    public var layout: String
    public var rowsRead = 0
    /// Readings written: new plus corrected.
    public var stored = 0
    public var inserted = 0
    public var corrected = 0
    public var unchanged = 0
    public var storedActual = 0
    public var duplicates = 0
    public var invalid = 0
    public var estimated = 0
    public var missing = 0
    public var quarantined = 0
    public var meters = 0
    public var batch: Int64 = 0
    /// Rule outcome counts (`rule/outcome`) and their per-meter breakdown.
    public var report = QualityReport()
    /// The first quarantined rows, for the terminal.
    public var examples: [QuarantineEntry] = []
    /// Every quarantined row (the API answers each rejected row with its index and reason).
    public var rejected: [QuarantineEntry] = []
    /// How the input was read that a person should know (time zone, date order, repeated hours).
    public var notes: [String] = []
    /// Interval length the readings were checked against, in minutes.
    public var intervalMinutes = 0

    /// Every field but `rejected`, which the API reports per row in its own shape.
    enum CodingKeys: String, CodingKey {
        case origin, layout, rowsRead, stored, inserted, corrected, unchanged, storedActual, duplicates, invalid, estimated, missing,
             quarantined, meters, batch, report, examples, notes, intervalMinutes
    }

    public init(origin: String, layout: String = "") {
        self.origin = origin
        self.layout = layout
    }

    /// Adds another summary's counts (several files in one command).
    public mutating func merge(_ o: IngestSummary) {
        rowsRead += o.rowsRead; stored += o.stored; inserted += o.inserted; corrected += o.corrected
        unchanged += o.unchanged; storedActual += o.storedActual; duplicates += o.duplicates; invalid += o.invalid
        estimated += o.estimated; missing += o.missing; quarantined += o.quarantined
        report.merge(o.report)
        meters = report.perMeter.count
        if examples.count < 10 { examples += o.examples.prefix(10 - examples.count) }
        notes += o.notes.filter { !notes.contains($0) }
    }

    /// The human summary printed at the end of an import.
    public var text: String {
        var lines = [
            "\(origin): \(layout)",
            "  rows read          \(rowsRead)",
            "  readings stored    \(stored) (\(storedActual) measured, \(estimated) estimated; \(inserted) new, \(corrected) corrected), \(unchanged) unchanged",
            "  duplicates         \(duplicates)",
            "  invalid            \(invalid)",
            "  estimated          \(estimated)",
            "  missing slots      \(missing)",
            "  quarantined        \(quarantined)",
            "  meters             \(meters)",
        ]
        for n in notes { lines.append("  note: \(n)") }
        if !examples.isEmpty {
            lines.append("  first problems:")
            for e in examples.prefix(5) { lines.append("    \(e.message)") }
        }
        return lines.joined(separator: "\n")
    }
}
