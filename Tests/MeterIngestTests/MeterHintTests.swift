import Testing
import MeterCore
@testable import MeterIngest

/// A reader given a hint of the meters its input names first reads exactly what it reads without
/// one, whatever the input does: names the hinted meters in order, stops short, goes elsewhere,
/// repeats a meter, names one outside the hint, or has a bad or empty meter field.
@Suite struct MeterHintTests {
    func read(_ text: String, hint: [MeterID]) throws -> IngestResult {
        var reader = CSVReader()
        reader.meterHint = hint
        return try Array(text.utf8).withUnsafeBytes { try reader.read(bytes: $0, origin: "gw.csv") }
    }

    /// Everything a read gives, for comparing two reads (values by their bits: NaN is a value here).
    func summary(_ r: IngestResult) -> [String] {
        let b = r.batch
        return ["meters \(b.meters.map(\.rawValue))", "rows \(r.rowsRead)"]
            + (0..<b.count).map { i in "\(b.meterIndex[i]) \(b.start[i]) \(b.kwh[i].bitPattern) \(b.status[i]) \(b.line(at: i))" }
            + r.problems.map { "\($0.line) \($0.field ?? "-") \($0.reason) \($0.raw)" }
    }

    @Test(arguments: 0..<60)
    func aHintNeverChangesWhatIsRead(seed: Int) throws {
        var rng = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func next(_ n: Int) -> Int {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Int((rng >> 33) % UInt64(n))
        }
        let fleet = (0..<40).map { "W1-\($0)" }
        var names = fleet
        switch next(6) {
        case 0: names.removeLast(next(20))                          // stops short of the hint
        case 1: names.swapAt(next(40), next(40))                    // two meters change places
        case 2: names.insert(names[next(30)], at: 30 + next(10))    // a meter twice
        case 3: names.insert("OTHER-\(next(9))", at: next(40))      // a meter outside the hint
        case 4: names[next(40)] = ["", "  ", "bad id!", " W1-3 "][next(4)] // an empty, bad or padded field
        default: break                                              // exactly the hint
        }
        let text = "meter_id,timestamp,kwh\n" + names.enumerated().map { "\($1),2026-01-01T00:30:00Z,\(Double($0) / 8)" }.joined(separator: "\n")
        let hints: [[MeterID]] = [fleet.compactMap { MeterID($0) }, Array(fleet.prefix(next(40))).compactMap { MeterID($0) }, []]
        let plain = summary(try read(text, hint: []))
        for hint in hints {
            #expect(summary(try read(text, hint: hint)) == plain, "hint of \(hint.count), names \(names)")
        }
    }

    @Test func aRequestThatNamesTheHintedMetersTakesTheirIds() throws {
        let fleet = (0..<40).compactMap { MeterID("W1-\($0)") }
        let text = "meter_id,timestamp,kwh\n" + fleet.map { "\($0),2026-01-01T00:30:00Z,1" }.joined(separator: "\n")
        let r = try read(text, hint: fleet)
        #expect(r.batch.meters == fleet && r.batch.count == 40 && r.problems.isEmpty)
    }
}
