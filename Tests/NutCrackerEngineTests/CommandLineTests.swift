import Foundation
import TestSupport
import Testing

/// The `nutcracker` binary as a user runs it.
@Suite(.enabled(if: BuiltProducts.nutcracker != nil || SharedData.isCI, "nutcracker binary not built: run swift build first"))
struct CommandLineTests {
    let dir = TemporaryDirectory()

    @Test func importPrintsAJSONSummaryAndExportGivesTheReadingsBack() throws {
        let bin = try #require(BuiltProducts.nutcracker)
        let csv = try dir.write("in.csv", """
            meter;timestamp;kwh
            M1;2026-11-28 10:00;0,5
            M1;2026-11-28 10:30;-1
            M1;2026-11-28 11:00;1,5
            M2;2026-11-28 10:00;2
            M2;2026-11-28 10:00;2
            """)
        let store = dir.path("cli.sqlite")
        let imp = try BuiltProducts.run(bin, ["import", csv, "--store", store, "--timezone", "+10:00", "--json"])
        #expect(imp.status == 0, "\(imp.err)")
        let json = try JSONSerialization.jsonObject(with: Data(imp.out.utf8)) as? [String: Any]
        #expect(json?["rows_read"] as? Int == 5)
        #expect(json?["stored"] as? Int == 4)
        #expect(json?["estimated"] as? Int == 1)
        #expect(json?["duplicates"] as? Int == 1)
        #expect(json?["invalid"] as? Int == 1)
        #expect(json?["quarantined"] as? Int == 1)
        #expect(json?["meters"] as? Int == 2)
        let exp = try BuiltProducts.run(bin, ["export", "--store", store, "--meter", "M1"])
        #expect(exp.status == 0)
        #expect(exp.out == """
            meter_id,start,minutes,kwh,quality,rule
            M1,2026-11-28T00:00:00Z,30,0.5,actual,
            M1,2026-11-28T00:30:00Z,30,1,estimated,gap_estimation
            M1,2026-11-28T01:00:00Z,30,1.5,actual,

            """)
        let daily = try BuiltProducts.run(bin, ["export", "--store", store, "--rollup", "day", "--timezone", "+10:00"])
        #expect(daily.out.contains("M1,2026-11-28,2026-11-27T14:00:00Z,3,3,2,1,0.5,1.5"))
        #expect(daily.out.contains("M2,2026-11-28,"))
    }

    @Test func failuresExitNonZeroWithOneClearLine() throws {
        let bin = try #require(BuiltProducts.nutcracker)
        let missing = try BuiltProducts.run(bin, ["import", dir.path("nope.csv"), "--store", dir.path("x.sqlite")])
        #expect(missing.status != 0)
        #expect(missing.err.contains("nope.csv") && missing.err.contains("no such file"))
        let zone = try BuiltProducts.run(bin, ["import", dir.path("nope.csv"), "--timezone", "Mars/Base"])
        #expect(zone.status != 0 && zone.err.contains("Mars/Base"))
        let header = try dir.write("bad.csv", "a,b,c\n1,2,3\n")
        let cols = try BuiltProducts.run(bin, ["import", header, "--store", dir.path("y.sqlite")])
        #expect(cols.status != 0 && cols.err.contains("cannot tell the layout") && cols.err.contains("looked for"))
    }

    @Test func simulateWritesAFileThatImports() throws {
        let bin = try #require(BuiltProducts.nutcracker)
        let file = dir.path("fleet.csv")
        let sim = try BuiltProducts.run(bin, ["simulate", "--days", "1", "--start", "2026-11-01T00:00:00Z", "--output", file,
                                              "--truth", dir.path("truth.json")])
        #expect(sim.status == 0, "\(sim.err)")
        let imp = try BuiltProducts.run(bin, ["import", file, "--store", dir.path("sim.sqlite"), "--json"])
        #expect(imp.status == 0, "\(imp.err)")
        let json = try JSONSerialization.jsonObject(with: Data(imp.out.utf8)) as? [String: Any]
        #expect(json?["meters"] as? Int == 30)
        #expect((json?["stored"] as? Int ?? 0) > 30 * 40)
        #expect(FileManager.default.fileExists(atPath: dir.path("truth.json")))
    }
}
