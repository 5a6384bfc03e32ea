import Foundation
import MeterIngest
import Testing

@Suite struct JSONObjectFieldsTests {
    func text(_ data: Data, _ r: Range<Int>?) -> String? { r.map { String(decoding: data.subdata(in: $0), as: UTF8.self) } }

    @Test func findsEachTopLevelValueAsWritten() throws {
        let msg = Data(#" {"type":"readings", "id": 7, "readings":[{"meter_id":"M]1","kwh":"}{"},{"a":[1,[2]]}], "fleet" : true, "s":"q\"}"} "#.utf8)
        let f = try #require(JSONObjectFields.ranges(msg))
        #expect(text(msg, f["readings"]) == #"[{"meter_id":"M]1","kwh":"}{"},{"a":[1,[2]]}]"#)
        #expect(JSONObjectFields.scalar(msg, f["type"]) as? String == "readings")
        #expect(JSONObjectFields.scalar(msg, f["id"]) as? Int == 7)
        #expect(JSONObjectFields.scalar(msg, f["fleet"]) as? Bool == true)
        #expect(JSONObjectFields.scalar(msg, f["s"]) as? String == "q\"}")
        #expect(JSONObjectFields.ranges(Data("{}".utf8)) == [:])
    }

    @Test func refusesWhatIsNotOneObject() {
        for bad in ["", "[]", "{", "{\"a\":[1,2}", "{\"a\" 1}", "{a:1}", "{\"a\":1,}", "{\"a\":1} x", "{\"a\":\"open}", "{\"a\":}"] {
            #expect(JSONObjectFields.ranges(Data(bad.utf8)) == nil, "\(bad)")
        }
    }

    @Test func neverTrapsOnMangledMessages() {
        let seed = Array(#"{"type":"readings","id":"x1","readings":[{"meter_id":"M1","start":"2026-11-28T00:00:00Z","kwh":0.5}]}"#.utf8)
        var state: UInt64 = 0x1234_5678
        func next() -> Int { state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407; return Int(state >> 33) }
        let alphabet = Array("{}[]\",:\\ a1".utf8)
        for _ in 0..<20_000 {
            var b = seed
            for _ in 0..<(1 + next() % 4) {
                switch next() % 3 {
                case 0 where !b.isEmpty: b.remove(at: next() % b.count)
                case 1: b.insert(alphabet[next() % alphabet.count], at: next() % (b.count + 1))
                default: if !b.isEmpty { b[next() % b.count] = alphabet[next() % alphabet.count] }
                }
            }
            let data = Data(b)
            if let f = JSONObjectFields.ranges(data) {
                for r in f.values { #expect(r.lowerBound >= 0 && r.upperBound <= data.count) }
                _ = JSONObjectFields.scalar(data, f["type"])
            }
        }
    }
}
