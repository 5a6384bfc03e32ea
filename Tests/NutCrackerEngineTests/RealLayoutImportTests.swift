import Foundation
import TestSupport
import Testing

/// Every meter or load file in ../shared/data/real imports with no flag beyond --timezone (where
/// the file has no offset), and the per-meter totals the export gives back equal those a separate
/// Python script computes from the file with the csv module alone (Tests/Scripts/expected_totals.py).
/// The NAB series are not meter data (temperatures, taxi rides) and are left to the anomaly tests.
@Suite(.enabled(if: SharedData.shouldRun, "../shared/data is absent: real-file tests skipped"))
struct RealLayoutImportTests {
    let dir = TemporaryDirectory()

    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var kind: String
        var layout: String
        var flags: [String] = []
        var hours = "1"
        var description: String { file }
    }

    static let cases: [Case] = [
        Case(file: "real/retailer-files/meter01.csv", kind: "nem12", layout: "nem12"),
        Case(file: "real/retailer-files/meter02.csv", kind: "nem12", layout: "nem12"),
        Case(file: "real/retailer-files/meter03.csv", kind: "wide", layout: "wide-day", flags: ["--timezone", "+10:00"]),
        Case(file: "real/retailer-files/meter04.csv", kind: "long", layout: "long", flags: ["--timezone", "+10:00"]),
        Case(file: "real/pjm/DAYTON_hourly.csv", kind: "grid", layout: "grid-load", flags: ["--timezone", "America/New_York"]),
        Case(file: "real/pjm/DUQ_hourly.csv", kind: "grid", layout: "grid-load", flags: ["--timezone", "America/New_York"]),
        Case(file: "real/aemo-vic/vic_electricity.csv", kind: "grid", layout: "grid-load", hours: "0.5"),
    ]

    func expected(_ c: Case, _ path: String) throws -> [String: Double] {
        let script = SharedData.projectRoot.appendingPathComponent("Tests/Scripts/expected_totals.py").path
        let r = try BuiltProducts.run("/usr/bin/env", ["python3", script, c.kind, path, c.hours])
        try #require(r.status == 0, "expected_totals.py failed: \(r.err)")
        let object = try JSONSerialization.jsonObject(with: Data(r.out.utf8))
        return try #require(object as? [String: Double])
    }

    @Test(arguments: cases)
    func importsAndGivesBackTheFileTotals(_ c: Case) throws {
        let bin = try #require(BuiltProducts.nutcracker)
        let path = try SharedData.path(c.file)
        let store = dir.path("\(c.kind)-\((c.file as NSString).lastPathComponent).sqlite")
        let imported = try BuiltProducts.run(bin, ["import", path, "--store", store, "--json"] + c.flags)
        try #require(imported.status == 0, "import failed: \(imported.err)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(imported.out.utf8)) as? [String: Any])
        #expect((summary["layout"] as? String)?.contains(c.layout) == true, "layout: \(summary["layout"] ?? "-")")
        #expect(summary["invalid"] as? Int == 0)
        let exported = try BuiltProducts.run(bin, ["export", "--store", store, "--quality", "actual"])
        try #require(exported.status == 0, "export failed: \(exported.err)")
        var totals: [String: Double] = [:]
        for line in exported.out.split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            totals[String(f[0]), default: 0] += Double(f[3]) ?? .nan
        }
        let want = try expected(c, path)
        #expect(Set(totals.keys) == Set(want.keys))
        for (meter, kwh) in want {
            let got = totals[meter] ?? .nan
            #expect(abs(got - kwh) <= 1e-6 * max(1, abs(kwh)), "\(meter): export \(got), file \(kwh)")
        }
    }

    @Test func gridLoadSaysHowTheRepeatedHourWasPlaced() throws {
        let bin = try #require(BuiltProducts.nutcracker)
        let r = try BuiltProducts.run(bin, ["import", try SharedData.path("real/pjm/DAYTON_hourly.csv"), "--store", dir.path("d.sqlite"),
                                            "--timezone", "America/New_York"])
        try #require(r.status == 0, "\(r.err)")
        #expect(r.out.contains("policy file-order"))
        #expect(r.out.contains("8 rows placed"))
        #expect(r.out.contains("interval ending"))
        // Told to reject instead, the 8 rows of the four repeated hours are quarantined with that reason.
        let strict = try BuiltProducts.run(bin, ["import", try SharedData.path("real/pjm/DAYTON_hourly.csv"), "--store", dir.path("s.sqlite"),
                                                 "--timezone", "America/New_York", "--ambiguous", "reject", "--json"])
        let s = try #require(try JSONSerialization.jsonObject(with: Data(strict.out.utf8)) as? [String: Any])
        #expect(s["quarantined"] as? Int == 8)
    }
}
