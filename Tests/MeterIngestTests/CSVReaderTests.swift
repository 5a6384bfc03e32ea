import Foundation
import MeterCore
import MeterIngest
import TestSupport
import Testing

@Suite struct CSVReaderTests {
    let t0: Int64 = 1_795_824_000 // 2026-11-28T00:00:00Z

    @Test func guessesColumnsAndReadsRows() throws {
        let r = try CSVReader().read(text: """
            meter_id,timestamp,kwh
            M1,2026-11-28T00:00:00Z,0.5
            M1,2026-11-28T00:30:00Z,0.25
            M2,2026-11-28T00:00:00Z,1
            """)
        #expect(r.rowsRead == 3 && r.problems.isEmpty)
        #expect(r.batch.meters.map(\.rawValue) == ["M1", "M2"])
        #expect(r.batch.start == [t0, t0 + 1800, t0])
        #expect(r.batch.kwh == [0.5, 0.25, 1])
        #expect(r.batch.line == [2, 3, 4])
        #expect(r.layout.contains("meter_id=meter_id"))
    }

    /// One meter however its id is padded, and whether a row names it or leaves it to the default:
    /// each meter once in the batch, every row pointing at it.
    @Test func aMeterIsOneMeterWhateverSpacesAroundItAndDefaultsBesideIt() throws {
        let r = try CSVReader(meter: MeterID("M1")).read(text: """
            meter_id,timestamp,kwh
            M2,2026-11-28T00:00:00Z,1
            " M1",2026-11-28T00:00:00Z,2
            ,2026-11-28T00:30:00Z,3
            M1,2026-11-28T01:00:00Z,4
            "M2\t",2026-11-28T00:30:00Z,5
            M3,2026-11-28T00:00:00Z,6
            "M1 ",2026-11-28T01:30:00Z,7
            """)
        #expect(r.problems.isEmpty)
        #expect(r.batch.meters.map(\.rawValue) == ["M2", "M1", "M3"])
        #expect(r.batch.meterIndex == [0, 1, 1, 1, 0, 2, 1])
        var b = r.batch
        #expect(b.intern(MeterID("M3")!) == 2 && b.intern(MeterID("M4")!) == 3 && b.meters.count == 4)
    }

    @Test func semicolonsDecimalCommaBOMAndCRLF() throws {
        let text = "\u{FEFF}Meter;Date Time;Consumption\r\n\"M1\";2026-11-28 00:00;\"0,5\"\r\nM2;2026-11-28 00:30;1,25\r\n"
        let r = try CSVReader().read(text: text)
        #expect(r.problems.isEmpty)
        #expect(r.batch.meters.map(\.rawValue) == ["M1", "M2"])
        #expect(r.batch.kwh == [0.5, 1.25])
        #expect(r.batch.start == [t0, t0 + 1800])
        #expect(r.layout.contains("semicolon"))
    }

    @Test func quotedFieldsWithDelimitersQuotesAndNewlines() throws {
        let r = try CSVReader().read(text: "meter_id,note,timestamp,kwh\nM1,\"a, \"\"b\"\"\nc\",2026-11-28T00:00:00Z,\"1.5\"\nM1,x,2026-11-28T00:30:00Z,2\n")
        #expect(r.problems.isEmpty)
        #expect(r.batch.kwh == [1.5, 2])
        #expect(r.batch.line == [2, 4])
    }

    @Test func badLinesAreReportedWithLineFieldAndRawTextAndTheRestIsRead() throws {
        let r = try CSVReader().read(text: """
            meter_id,timestamp,kwh
            M1,2026-11-28T00:00:00Z,0.5
            M 1,2026-11-28T00:30:00Z,0.5
            M1,2026-13-28T00:30:00Z,0.5
            M1,not a time,0.5
            M1
            M1,2026-11-28T01:00:00Z,abc
            M1,2026-11-28T01:30:00Z,
            M1,2026-11-28T02:00:00Z,0.75
            """, origin: "feed.csv")
        #expect(r.rowsRead == 8)
        #expect(r.batch.count == 4) // two good, and two without a number left for VEE to judge
        #expect(r.batch.status == [.number, .notANumber, .empty, .number])
        #expect(r.problems.map(\.line) == [3, 4, 5, 6])
        #expect(r.problems.map(\.field) == ["meter_id", "timestamp", "timestamp", nil])
        #expect(r.problems.map(\.reason) == ["invalid_meter_id", "invalid_timestamp", "invalid_timestamp", "malformed_row"])
        #expect(r.problems[0].raw == "M 1,2026-11-28T00:30:00Z,0.5")
        #expect(r.problems[0].message.hasPrefix("feed.csv:3: meter_id:"))
    }

    @Test func meterIDsAreTrimmedOnceAndTheSameMeterWhateverItsSpacing() throws {
        let r = try CSVReader().read(text: "meter_id,timestamp,kwh\nM1,2026-11-28T00:00:00Z,1\n M1 ,2026-11-28T00:30:00Z,2\n\tM2,2026-11-28T00:00:00Z,3\nM2,2026-11-28T00:30:00Z,4\nM\u{e9},2026-11-28T00:00:00Z,5\n")
        #expect(r.batch.meters.map(\.rawValue) == ["M1", "M2"])
        #expect(r.batch.meterIndex == [0, 0, 1, 1])
        #expect(r.problems.map(\.reason) == ["invalid_meter_id"] && r.problems.map(\.line) == [6])
    }

    @Test func namedColumnsAndPositions() throws {
        let text = "a,b,c\n2026-11-28T00:00:00Z,X9,3\n"
        let r = try CSVReader(mapping: ColumnMapping(meter: "b", time: "#1", value: "C")).read(text: text)
        #expect(r.batch.meters.first?.rawValue == "X9" && r.batch.kwh == [3])
    }

    @Test func missingColumnSaysWhatItLookedFor() {
        #expect {
            try CSVReader().read(text: "who,when,what\nM1,2026-11-28,1\n")
        } throws: { error in
            "\(error)".contains("no meter column") && "\(error)".contains("meter_id")
        }
        #expect(throws: IngestError.self) { try CSVReader().read(text: "") }
    }

    @Test func localTimesInAZoneAreResolvedOrRejectedByPolicy() throws {
        let text = "meter,time,kwh\nM1,2026-10-25 00:30,1\nM1,2026-10-25 01:30,2\nM1,2026-03-29 01:30,3\n"
        let strict = try CSVReader(time: TimeOptions(zone: .named("Europe/London"))).read(text: text)
        #expect(strict.batch.count == 1)
        #expect(strict.problems.map(\.reason) == ["ambiguous_local_time", "nonexistent_local_time"])
        let lenient = try CSVReader(time: TimeOptions(zone: .named("Europe/London"), ambiguous: .later, nonexistent: .shiftForward))
            .read(text: text)
        #expect(lenient.batch.count == 3 && lenient.problems.isEmpty)
    }

    @Test func chunkBoundariesDoNotChangeTheResult() throws {
        var text = "meter_id,timestamp,kwh\n"
        for i in 0..<500 { text += "M\(i % 7),\"\(ISO8601.format(t0 + Int64(i) * 1800))\",\(Double(i) / 8)\r\n" }
        let dir = TemporaryDirectory()
        let path = try dir.write("chunks.csv", text)
        let whole = try CSVReader().read(path: path)
        for size in [64, 100, 333, 4096] {
            let r = try CSVReader(chunkSize: size).read(path: path)
            #expect(r.batch.kwh == whole.batch.kwh && r.batch.start == whole.batch.start && r.batch.line == whole.batch.line)
            #expect(r.problems.isEmpty)
        }
        #expect(whole.batch.count == 500)
    }

    @Test func rawRecordsAreFoundAgainByLine() throws {
        let dir = TemporaryDirectory()
        let path = try dir.write("raw.csv", "meter_id,timestamp,kwh\nM1,\"2026-11-28T00:00:00Z\",1\nM1,2026-11-28T00:30:00Z,2\r\n")
        #expect(CSVReader.rawRecords(path: path, lines: [3, 2]) == [2: "M1,\"2026-11-28T00:00:00Z\",1", 3: "M1,2026-11-28T00:30:00Z,2"])
    }

    @Test func randomInputNeverCrashes() {
        var g = SystemRandomNumberGenerator()
        let alphabet = Array("M1,;\t\"\r\n 0.5-2026-11-28T00:00:00Zabc".utf8)
        for _ in 0..<3000 {
            let n = Int.random(in: 0..<200, using: &g)
            var bytes = Array("meter_id,timestamp,kwh\n".utf8)
            bytes += (0..<n).map { _ in Bool.random(using: &g) ? alphabet.randomElement(using: &g) ?? 0 : UInt8.random(in: 0...255, using: &g) }
            _ = try? bytes.withUnsafeBytes { try CSVReader(chunkSize: 64).read(bytes: $0, origin: "fuzz") }
        }
    }
}

@Suite struct ParallelCSVReaderTests {
    let t0: Int64 = 1_795_824_000

    func file(_ dir: TemporaryDirectory, quotedNewlineAt: Int? = nil) throws -> String {
        var text = "meter_id,note,timestamp,kwh\n"
        for i in 0..<5000 {
            let note = i == quotedNewlineAt ? "\"two\nlines\"" : (i % 5 == 0 ? "\"a,b\"" : "n")
            let value = i % 97 == 0 ? "bad" : "\(Double(i % 13) / 4)"
            let meter = i % 211 == 0 ? "bad meter" : "M\(i % 17)"
            text += "\(meter),\(note),\(ISO8601.format(t0 + Int64(i / 17) * 1800)),\(value)\n"
        }
        return try dir.write("p.csv", text)
    }

    func same(_ a: IngestResult, _ b: IngestResult) -> Bool {
        a.batch.meters == b.batch.meters && a.batch.meterIndex == b.batch.meterIndex && a.batch.start == b.batch.start
            && a.batch.kwh.map(\.bitPattern) == b.batch.kwh.map(\.bitPattern) && a.batch.line == b.batch.line
            && a.problems == b.problems && a.rowsRead == b.rowsRead
    }

    @Test(arguments: [2, 3, 7])
    func workersGiveTheSameResultAsOnePass(_ workers: Int) throws {
        let dir = TemporaryDirectory()
        let path = try file(dir)
        var reader = CSVReader(chunkSize: 4096)
        reader.parallelThreshold = 0
        let one = try reader.read(path: path, workers: 1)
        let many = try reader.read(path: path, workers: workers)
        #expect(one.rowsRead == 5000 && !one.problems.isEmpty)
        #expect(same(one, many))
    }

    @Test func aCutInsideAQuotedFieldFallsBackToOnePass() throws {
        let dir = TemporaryDirectory()
        // Quoted newlines all over the middle of the file: some cut lands inside one.
        var text = "meter_id,note,timestamp,kwh\n"
        for i in 0..<3000 {
            text += "M1,\"x\n\(String(repeating: "y", count: 40))\n\",\(ISO8601.format(t0 + Int64(i) * 1800)),1\n"
        }
        let path = try dir.write("q.csv", text)
        var reader = CSVReader(chunkSize: 4096)
        reader.parallelThreshold = 0
        let one = try reader.read(path: path, workers: 1)
        let many = try reader.read(path: path, workers: 4)
        #expect(one.rowsRead == 3000 && one.problems.isEmpty)
        #expect(same(one, many))
    }
}
