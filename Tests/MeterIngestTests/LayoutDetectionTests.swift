import Foundation
import MeterCore
@testable import MeterIngest
import TestSupport
import Testing

/// Layout detection, NEM12 records, date orders and mapping files, on small files written here.
struct LayoutDetectionTests {
    let dir = TemporaryDirectory()

    func read(_ text: String, name: String = "f.csv", _ configure: (inout ReadOptions) -> Void = { _ in }) throws -> IngestResult {
        var o = ReadOptions()
        configure(&o)
        return try FileReading(options: o).read(path: try dir.write(name, text))
    }

    static let nem12 = """
        100,NEM12,201801010000,MDP1,Retailer1
        200,NMI0000001,E1B1,E1,E1,N1,METER1,KWH,15,
        300,20180101,\((1...96).map { _ in "0.25" }.joined(separator: ",")),V,,,20180102000000,
        400,1,4,E52,,
        400,5,96,A,,
        300,20180102,\((1...96).map { _ in "0.5" }.joined(separator: ",")),N,,,20180103000000,
        200,NMI0000001,E1B1,B1,B1,N1,METER1,WH,5,
        300,20180101,\((1...288).map { _ in "100" }.joined(separator: ",")),S53,,,20180102000000,
        500,O,S01,20180102000000,
        900
        """

    @Test func nem12RecordsQualitiesUnitsAndIntervals() throws {
        let r = try read(Self.nem12)
        #expect(r.layout.hasPrefix("nem12: 2 channels (NMI0000001-E1, NMI0000001-B1)"))
        #expect(r.interval?.minutes == 15)
        #expect(r.problems.isEmpty)
        let b = r.batch
        let e1 = try #require(b.meters.firstIndex { $0.rawValue == "NMI0000001-E1" })
        let rows = (0..<b.count).filter { b.meterIndex[$0] == Int32(e1) }
        #expect(rows.count == 192)
        // Intervals 1-4 of the first day are estimated (E52), the rest actual; the N day has no values.
        #expect(rows.prefix(4).allSatisfy { b.quality(at: $0) == .estimated })
        #expect(b.quality(at: rows[4]) == .actual)
        #expect(rows[96...].allSatisfy { b.status[$0] == .empty })
        // NEM time: 2018-01-01 00:00 at +10:00.
        #expect(b.start[rows[0]] == 1_514_728_800)
        // The Wh channel is converted to kWh and its substituted day is edited.
        let b1 = try #require(b.meters.firstIndex { $0.rawValue == "NMI0000001-B1" })
        let gen = (0..<b.count).filter { b.meterIndex[$0] == Int32(b1) }
        #expect(gen.count == 288)
        #expect(gen.allSatisfy { b.kwh[$0] == 0.1 && b.quality(at: $0) == .edited })
    }

    @Test func nem12RecordsOutOfOrderOrShortAreQuarantinedWithTheirReason() throws {
        let text = """
            100,NEM12,201801010000,MDP1,Retailer1
            300,20180101,\((1...48).map { _ in "1" }.joined(separator: ",")),A,,,,
            200,NMI2,E1,E1,E1,,M,KWH,30,
            300,20180101,\((1...40).map { _ in "1" }.joined(separator: ",")),A,,,,
            300,2018011,\((1...48).map { _ in "1" }.joined(separator: ",")),A,,,,
            300,20180102,\((1...48).map { _ in "1" }.joined(separator: ",")),A,,,,
            900
            """
        let r = try read(text)
        #expect(r.problems.map(\.reason) == ["nem12_record_order", "nem12_value_count", "invalid_timestamp"])
        #expect(r.problems[0].line == 2 && r.problems[0].detail.contains("300 record before any 200 record"))
        #expect(r.problems[1].line == 4 && r.problems[1].detail.contains("needs 48 values"))
        #expect(r.batch.count == 48)
    }

    @Test func wideDayWithNumberedColumnsAndEstimatedDays() throws {
        let header = "Meter,Date,Estimated," + (1...48).map(String.init).joined(separator: ",")
        let row1 = "M1,2024-03-01,No," + (1...48).map { _ in "1" }.joined(separator: ",")
        let row2 = "M1,2024-03-02,Yes," + (1...48).map { _ in "2" }.joined(separator: ",")
        let r = try read("Exported by X\n\(header)\n\(row1)\n\(row2)\n")
        #expect(r.layout.hasPrefix("wide-day: meter_id=Meter, date=Date, 48 interval columns of 30 min"))
        #expect(r.batch.count == 96)
        #expect(r.batch.start[47] - r.batch.start[0] == 47 * 1800)
        #expect(r.batch.quality(at: 50) == .estimated)
        #expect(r.batch.line(at: 0) == 3)
    }

    @Test func longWithStartAndEndDayFirst() throws {
        let text = "NMI,StartDate,EndDate,ProfileReadValue,QualityFlag\nN1,26/9/18 0:00,26/9/18 0:29,0.5,A\nN1,26/9/18 0:30,26/9/18 0:59,0.25,E\n"
        let r = try read(text) { $0.time.zone = .fixed(seconds: 36_000); $0.zoneGiven = true }
        #expect(r.interval == .halfHour)
        #expect(r.batch.count == 2)
        #expect(r.batch.start[0] == 1_537_884_000) // 2018-09-26 00:00 +10:00
        #expect(r.notes.contains { $0.contains("day first") })
    }

    @Test func datesThatReadTwoWaysAreRefusedWithOneClearMessage() throws {
        let ambiguous = "meter,date,kwh\nM1,03/04/2020 00:00,1\nM1,03/04/2020 00:30,1\n"
        #expect {
            try read(ambiguous)
        } throws: { "\($0)".contains("reads both day first and month first") && "\($0)".contains("--date-order") }
        // Told the order, it reads.
        let ok = try read(ambiguous) { $0.time.dateOrder = .monthFirst }
        #expect(ok.batch.count == 2 && ok.problems.isEmpty)
        let both = "meter,date,kwh\nM1,13/04/2020 00:00,1\nM1,04/13/2020 00:30,1\n"
        #expect {
            try read(both)
        } throws: { "\($0)".contains("both day first") && "\($0)".contains("line 2") && "\($0)".contains("line 3") }
    }

    @Test func gridLoadColumnsBecomeMetersAndHourEndingTimesMoveBack() throws {
        let text = "Datetime,AEP_MW,PJME_MW\n2020-01-01 01:00:00,100,200\n2020-01-01 02:00:00,110,210\n"
        let r = try read(text)
        #expect(r.layout.contains("grid-load") && r.layout.contains("AEP_MW=AEP (MW)"))
        #expect(r.batch.count == 4)
        #expect(r.batch.start[0] == 1_577_836_800) // 01:00 hour ending: 00:00 UTC
        #expect(r.batch.kwh[0] == 100_000)
        #expect(r.limitOverride == .some(nil))
    }

    @Test func anUnplaceableFileSaysWhatWasLookedFor() throws {
        #expect {
            try read("alpha,beta\n1,2\n")
        } throws: { e in
            let m = "\(e)"
            return m.contains("cannot tell the layout") && m.contains("NEM12") && m.contains("wide-day") && m.contains("alpha,beta")
        }
    }

    @Test func mappingFileDescribesAVendorLayout() throws {
        let mapping = try MappingFile.parse("""
            # Acme Energy portal export
            layout = "long"
            timezone = "Europe/London"
            date_order = "dmy"
            unit = "Wh"
            [columns]
            meter = "Zähler"
            time = "Ablesung"
            value = "Energie"
            """)
        let text = "Zähler;Ablesung;Energie\nA1;01.02.2024 00:00;1500\nA1;01.02.2024 00:30;500\n"
        let r = try read(text) { $0 = $0.applying(mapping) }
        #expect(r.batch.count == 2)
        #expect(r.batch.kwh[0] == 1.5)
        #expect(r.batch.start[0] == 1_706_745_600) // 2024-02-01 00:00 in London (GMT)
        #expect(throws: (any Error).self) { try MappingFile.parse("layuot = \"long\"") }
        #expect {
            try MappingFile.parse("[columns]\nmeter = \"a\"\nwho = \"b\"")
        } throws: { "\($0)".contains("unknown column role 'columns.who'") }
        #expect {
            try MappingFile.parse("layout = long")
        } throws: { "\($0)".contains("line 1") }
    }

    @Test func jsonArraysAndNDJSON() throws {
        let array = #"[{"meter_id":"M1","start":"2024-01-01T00:00:00Z","kwh":1.5},{"meter_id":"M1","start":"2024-01-01T00:30:00Z","kwh":"x"},7]"#
        let a = try read(array, name: "a.json")
        #expect(a.batch.count == 2 && a.batch.kwh[0] == 1.5 && a.batch.status[1] == .notANumber)
        #expect(a.problems.map(\.line) == [3])
        let nd = "{\"meter\":\"M2\",\"timestamp\":\"2024-01-01T00:00:00Z\",\"value\":2}\n{broken\n{\"meter\":\"M2\",\"timestamp\":\"2024-01-01T00:30:00Z\",\"value\":3,\"quality\":\"estimated\"}\n"
        let n = try read(nd, name: "b.ndjson")
        #expect(n.batch.count == 2 && n.batch.quality(at: 1) == .estimated)
        #expect(n.problems.first?.line == 2 && n.problems.first?.reason == "invalid_json")
    }

    @Test(arguments: ["26/9/18 0:00", "31-12-2005 01:00", "9/26/2018 1:30 PM", "26.09.2018 00:00"])
    func dayAndMonthFirstDates(_ text: String) {
        if case .success = TimestampParser.parse(text) {} else { Issue.record("\(text) did not parse") }
    }
}
