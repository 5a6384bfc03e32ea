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

    @Test func forecastCostAndWhatIfFromAFile() throws {
        let bin = try #require(BuiltProducts.nutcracker)
        var csv = "meter_id,start,kwh\n"
        let t0: Int64 = 1_793_491_200 // 2026-11-01T00:00:00Z
        for i in 0..<(48 * 21) {
            let v = 0.5 + 0.3 * sin(Double(i % 48) * 2 * Double.pi / 48)
            csv += "H1,\(ISO8601Like.format(t0 + Int64(i) * 1800)),\(String(format: "%.4f", v))\n"
        }
        let file = try dir.write("h1.csv", csv)
        let f = try BuiltProducts.run(bin, ["forecast", "--input", file, "--horizon", "6", "--level", "80,95", "--model", "regression"])
        #expect(f.status == 0, "\(f.err)")
        let lines = f.out.split(separator: "\n")
        #expect(lines.first == "timestamp,mean,lo80,hi80,lo95,hi95")
        #expect(lines.count == 7)
        #expect(lines.dropFirst().first?.hasPrefix("2026-11-22T00:00:00Z,") == true)
        #expect(f.err.contains("model regression"))
        let bad = try BuiltProducts.run(bin, ["forecast", "--input", file, "--level", "120"])
        #expect(bad.status != 0 && bad.err.contains("--level"))

        let tariffs = try dir.write("tariffs.json", #"""
            [{"name": "standard", "standardRate": 34, "standingCharge": 60,
              "bands": [{"name": "off-peak", "from": "00:00", "to": "06:00", "rate": 18}, {"name": "peak", "from": "16:00", "to": "19:00", "rate": 42}]},
             {"name": "flat", "standardRate": 28, "standingCharge": 45}]
            """#)
        let cost = try BuiltProducts.run(bin, ["cost", "--input", file, "--by", "month", "--tariffs", tariffs])
        #expect(cost.status == 0, "\(cost.err)")
        #expect(cost.out.hasPrefix("month,kwh,cost_gbp\n2026-11,504.000,"))
        #expect(cost.out.contains("tariff,kwh,days,cost_gbp,annual_gbp,over_cheapest_gbp\nflat,504.000,21,"))
        let broken = try dir.write("broken.json", #"{"name": "x", "standardRate": 30, "bands": [{"name": "p", "from": "7pm", "to": "19:00", "rate": 1}]}"#)
        let refused = try BuiltProducts.run(bin, ["cost", "--input", file, "--tariffs", broken])
        #expect(refused.status != 0 && refused.err.contains("broken.json") && refused.err.contains("7pm"))

        let store = dir.path("w.sqlite")
        #expect(try BuiltProducts.run(bin, ["import", file, "--store", store]).status == 0)
        let w = try BuiltProducts.run(bin, ["whatif", "--store", store, "--meter", "H1", "--horizon", "48", "--model", "snaive",
                                            "--load-factor", "1.2", "--ev-share", "1", "--ev-kwh", "7", "--ev-start", "01:00"])
        #expect(w.status == 0, "\(w.err)")
        #expect(w.out.contains("baseline,24.000,"))
        #expect(w.out.contains("scenario,35.800,"))
    }
}

/// ISO 8601 text of an epoch second (UTC), as files carry it.
enum ISO8601Like {
    static func format(_ t: Int64) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }
}
