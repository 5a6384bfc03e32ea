import Foundation
import MeterCleanse
import MeterCore
import MeterIngest
import MeterStore
import NutCrackerEngine
import TestSupport
import Testing

/// The SGSC trial file: 10 households, 293,874 half-hourly rows in naive local time.
@Suite(.enabled(if: SharedData.shouldRun, "../shared/data is absent: real-file tests skipped"))
struct RealFileImportTests {
    let dir = TemporaryDirectory()

    /// Per-meter totals and row counts computed without the product's reader: Foundation's line
    /// splitting and `Double(String)`.
    func independentTotals(_ path: String) throws -> [String: (Double, Int)] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var out: [String: (Double, Int)] = [:]
        for line in text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            guard f.count == 3, let v = Double(f[2]) else { continue }
            out[String(f[0]), default: (0, 0)].0 += v
            out[String(f[0]), default: (0, 0)].1 += 1
        }
        return out
    }

    func exportTotals(_ store: any ReadingStore, qualities: Set<Quality>? = nil) async throws -> [String: Double] {
        let lines = LineCollector()
        try await Exporter(qualities: qualities).run(store: store) { lines.append($0) }
        var totals: [String: Double] = [:]
        for line in lines.text.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            totals[String(f[0]), default: 0] += Double(f[3]) ?? .nan
        }
        return totals
    }

    @Test func fixedOffsetImportStoresEveryRowAndExportGivesBackTheFileTotals() async throws {
        let path = try SharedData.path("real/sgsc/smart_meter10.csv")
        let store = try SQLiteStore(path: dir.path("sgsc.sqlite"))
        try await store.migrate()
        let pipeline = Pipeline(store: store)
        let importer = FileImporter(reading: .init(options: .zone(TimeZoneSpec("+10:00") ?? .utc)))
        let s = try await importer.importFile(path, into: pipeline)
        #expect(s.rowsRead == 293_874)
        #expect(s.storedActual == 293_874)
        #expect(s.meters == 10)
        #expect(s.quarantined == 0 && s.duplicates == 0)
        #expect(s.stored == 293_874 + s.estimated)

        let expected = try independentTotals(path)
        #expect(expected.count == 10)
        let measured = try await exportTotals(store, qualities: [.actual])
        for (meter, (total, _)) in expected {
            #expect(abs((measured[meter] ?? .nan) - total) < 1e-6, "meter \(meter)")
        }
        // Importing the same file again stores nothing new.
        let again = try await importer.importFile(path, into: pipeline)
        #expect(again.inserted == 0 && again.corrected == 0)
    }

    @Test func withoutEstimationExportTotalsEqualTheFileExactly() async throws {
        let path = try SharedData.path("real/sgsc/smart_meter10.csv")
        let store = try SQLiteStore(path: dir.path("plain.sqlite"))
        try await store.migrate()
        let pipeline = Pipeline(store: store, rules: RuleSet(VEEConfig(maxGap: 0)))
        let s = try await FileImporter(reading: .init(options: .zone(.fixed(seconds: 36_000)))).importFile(path, into: pipeline)
        #expect(s.stored == 293_874)
        let expected = try independentTotals(path)
        let all = try await exportTotals(store)
        #expect(all.count == 10)
        for (meter, (total, _)) in expected { #expect(abs((all[meter] ?? .nan) - total) < 1e-6) }
    }

    @Test func namedZoneReportsTimesThatDoNotExistInsteadOfShiftingThem() async throws {
        let path = try SharedData.path("real/sgsc/smart_meter10.csv")
        let store = try SQLiteStore(path: dir.path("sydney.sqlite"))
        try await store.migrate()
        let s = try await FileImporter(reading: .init(options: .zone(.named("Australia/Sydney"))))
            .importFile(path, into: Pipeline(store: store))
        let quarantined = try await store.quarantine(limit: 1000)
        let nonexistent = quarantined.filter { $0.reason == "nonexistent_local_time" }
        #expect(!nonexistent.isEmpty)
        // Every such row is from a spring-forward morning, 02:00-02:59 local, and carries its raw text.
        #expect(nonexistent.allSatisfy { $0.raw.contains(" 02:") && $0.field == "timestamp" && $0.line > 1 })
        #expect(s.quarantined == quarantined.count)
        #expect(s.storedActual + s.quarantined == 293_874)
        // No stored reading sits in a skipped hour: 02:00-02:59 Sydney standard time on those days does not exist.
        for e in nonexistent.prefix(5) {
            guard let meter = e.meter else { continue }
            let rows = try await store.readings(meter: meter, from: nil, to: nil, limit: nil)
            #expect(!rows.isEmpty)
        }
    }
}

/// Collects export output across the store's scan.
final class LineCollector: Sendable {
    private let box = Mutex("")
    func append(_ s: String) { box.withLock { $0 += s } }
    var text: String { box.withLock { $0 } }
}

import Synchronization
