import Foundation
import NutCrackerEngine
import TestSupport
import Testing

@Suite struct DailyJobTests {
    let dir = TemporaryDirectory()

    func run(_ csv: String, maxGap: Int = 4, threads: Int = 2) async throws -> [String] {
        let input = try dir.write("in-\(UUID().uuidString).csv", csv)
        let output = dir.path("out-\(UUID().uuidString).csv")
        _ = try await DailyJob(maxKwh: 100, maxGap: maxGap, parallelism: threads).run(input: input, output: output)
        return try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func rulesOfTheJobOnAHandMadeDay() async throws {
        let lines = try await run("""
            meter_id,timestamp,kwh
            B,2025-01-01T00:00:00Z,1
            A,2025-01-01T00:00:00Z,1.0
            A,2025-01-01T00:30:00Z,
            A,2025-01-01T01:00:00Z,3
            A,2025-01-01T01:30:00Z,-1
            A,2025-01-01T02:00:00Z,999
            A,2025-01-01T02:30:00Z,6
            A,2025-01-01T00:30:00Z,2
            A,2025-01-01T01:00:00Z,3
            A,2025-01-03T00:00:00Z,NaN
            """)
        #expect(lines[0] == DailyJob.header)
        // A: slot 1 is empty (its first row had no value; the later 2 is a duplicate), estimated 2;
        // slots 3, 4 invalid, estimated 4, 5. Days run from the first to the last input row's date.
        #expect(lines[1] == "A,2025-01-01,21,3,3,0,3,2,1,6")
        #expect(lines[2] == "A,2025-01-02,0,0,0,0,0,0,,")
        #expect(lines[3] == "A,2025-01-03,0,0,0,0,1,0,,")
        #expect(lines[4] == "B,2025-01-01,1,1,0,0,0,0,1,1")
        #expect(lines.count == 5)
    }

    @Test func longGapsAreMissingAndCountedOnTheirOwnDay() async throws {
        let lines = try await run("""
            meter_id,timestamp,kwh
            M,2025-01-01T22:00:00Z,1
            M,2025-01-02T02:00:00Z,1
            """, maxGap: 4)
        // Seven empty slots between 22:00 and 02:00: 3 on the 1st (22:30-23:30), 4 on the 2nd.
        #expect(lines[1] == "M,2025-01-01,1,1,0,3,0,0,1,1")
        #expect(lines[2] == "M,2025-01-02,1,1,0,4,0,0,1,1")
    }

    @Test func oneWorkerOrTwoGiveTheSameOutput() async throws {
        var csv = "meter_id,timestamp,kwh\n"
        for m in 0..<13 {
            for s in stride(from: 0, to: 200, by: m % 3 + 1) {
                let t = 1_735_689_600 + s * 1800
                csv += "M\(m),\(ISO(t)),\(Double((s * 7 + m) % 11) / 4)\n"
            }
        }
        let one = try await run(csv, threads: 1)
        let two = try await run(csv, threads: 2)
        #expect(one == two)
        #expect(one.count > 13)
    }

    func ISO(_ t: Int) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }
}

/// The job against the reference implementations in `../shared/bench` on generated data.
@Suite(.enabled(if: SharedData.shouldRun, "../shared is absent: reference comparison skipped"))
struct DailyJobReferenceTests {
    let dir = TemporaryDirectory()

    @Test func agreesWithThePlainPythonReference() async throws {
        let bench = SharedData.root.deletingLastPathComponent().appendingPathComponent("bench").path
        let gen = try SharedData.path("../bench/gen_readings.py"), ref = bench + "/peer_python.py", cmp = bench + "/compare_daily.py"
        let input = dir.path("in.csv"), expected = dir.path("expected.csv"), actual = dir.path("actual.csv")
        let g = try BuiltProducts.run("/usr/bin/env", ["python3", gen, "--meters", "60", "--days", "20", "--seed", "11", "--out", input])
        try #require(g.status == 0, "generator failed: \(g.err)")
        let p = try BuiltProducts.run("/usr/bin/env", ["python3", ref, input, expected])
        try #require(p.status == 0, "reference failed: \(p.err)")
        let s = try await DailyJob().run(input: input, output: actual)
        #expect(s.meters == 60)
        let c = try BuiltProducts.run("/usr/bin/env", ["python3", cmp, expected, actual])
        #expect(c.status == 0, "\(c.out)")
        #expect(c.out.hasPrefix("agree: 1200 rows"))
        // With too little memory for the rows, the job partitions to disk and agrees all the same.
        let spilled = dir.path("spilled.csv")
        let small = try await DailyJob(memoryLimit: 1 << 20).run(input: input, output: spilled)
        #expect(small.partitions >= 3)
        let c2 = try BuiltProducts.run("/usr/bin/env", ["python3", cmp, expected, spilled])
        #expect(c2.status == 0, "\(c2.out)")
    }
}
