import MeterIngest
import Testing

@Suite struct NumberParserTests {
    @Test(arguments: [("0.5", 0.5), ("-1.25", -1.25), ("+3", 3.0), ("1e3", 1000.0), ("2.5E-2", 0.025), (" 7 ", 7.0),
                      ("0.1", 0.1), ("123456789012345678901", 123456789012345678901.0), ("1.7976931348623157e308", 1.7976931348623157e308),
                      (".5", 0.5), ("5.", 5.0)])
    func parses(_ text: String, _ value: Double) {
        #expect(NumberParser.parse(text) == value)
    }

    @Test(arguments: ["", " ", "abc", "1.2.3", "NaN", "n/a", "1e", "--1", "1,5", "0x10", "1 2"])
    func rejects(_ text: String) {
        #expect(NumberParser.parse(text) == nil)
    }

    @Test func decimalComma() {
        #expect(NumberParser.parse("1,5", decimalComma: true) == 1.5)
        #expect(NumberParser.parse("-0,125", decimalComma: true) == -0.125)
    }

    @Test func agreesWithTheStandardLibraryOnManyValues() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let v = Double.random(in: -1e6...1e6, using: &g)
            let s = String(format: "%.\(Int.random(in: 0...9, using: &g))f", v)
            #expect(NumberParser.parse(s) == Double(s))
        }
    }
}
