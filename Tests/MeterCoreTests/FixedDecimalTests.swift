import Foundation
import Testing
@testable import MeterCore

@Suite struct FixedDecimalTests {
    @Test func writesWhatPrintfWritesAwayFromTies() {
        var rng = SystemRandomNumberGenerator()
        var checked = 0
        for _ in 0..<20_000 {
            let magnitude = Double.random(in: -6...9, using: &rng)
            let x = (Bool.random(using: &rng) ? -1 : 1) * pow(10, magnitude)
            let places = Int.random(in: 0...6, using: &rng)
            // A value within a millionth of a unit of the last place from a tie may round either way.
            let scaled = abs(x) * pow(10, Double(places))
            guard abs(scaled - scaled.rounded(.down) - 0.5) > 1e-6 else { continue }
            #expect(FixedDecimal.format(x, places: places) == String(format: "%.\(places)f", x), "\(x) to \(places) places")
            checked += 1
        }
        #expect(checked > 19_000)
    }

    @Test func edgesAreWrittenAsPrintfWritesThem() {
        let cases: [(Double, Int)] = [(0, 3), (-0.0, 1), (-0.0001, 3), (0.5, 0), (1.5, 0), (2.5, 0), (999.9996, 3), (1e20, 2),
                                      (-1e17, 0), (.nan, 2), (.infinity, 1), (-.infinity, 0), (123.456, 0), (0.001, 3), (42, 9)]
        for (x, places) in cases {
            #expect(FixedDecimal.format(x, places: places) == String(format: "%.\(places)f", x), "\(x) to \(places) places")
        }
    }
}
