import MeterCore
import MeterReports
import Testing

@Suite struct CSVWriterTests {
    @Test func quotesOnlyWhenNeeded() {
        #expect(CSVWriter.field("plain") == "plain")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }

    @Test func numbersWithoutBinaryNoise() {
        #expect(CSVWriter.number(8.446999999999997) == "8.447")
        #expect(CSVWriter.number(3) == "3")
        #expect(CSVWriter.number(0.000_000_4) == "0")
        #expect(CSVWriter.number(-1.25) == "-1.25")
    }

    @Test func readingLineInTheProductShape() {
        let r = Reading(meter: MeterID("M1")!, start: 1_795_824_000, kwh: 0.5, quality: .estimated, rule: "gap_estimation")
        #expect(CSVWriter.line(r) == "M1,2026-11-28T00:00:00Z,30,0.5,estimated,gap_estimation")
        #expect(CSVWriter.readingHeader == "meter_id,start,minutes,kwh,quality,rule")
    }
}
