import Foundation
import MeterIngest
import TestSupport
import Testing

@Suite struct GzipTests {
    /// Python's `gzip` module wrote this: a member with a file name and a modification time.
    static let fromPython: [UInt8] = [
        31, 139, 8, 8, 0, 201, 12, 107, 2, 255, 114, 101, 97, 100, 105, 110, 103, 115, 46, 99, 115, 118, 0, 203, 77, 45, 73, 45, 138, 207, 76,
        209, 41, 46, 73, 44, 42, 209, 201, 46, 207, 224, 242, 53, 212, 49, 50, 48, 50, 211, 53, 52, 212, 53, 178, 12, 49, 48, 176, 2, 163, 40,
        29, 3, 61, 83, 76, 57, 99, 152, 156, 185, 41, 87, 238, 32, 53, 11, 0, 126, 57, 99, 213, 228, 0, 0, 0,
    ]
    static let csv = String(repeating: "meter_id,start,kwh\nM1,2026-11-29T00:00:00Z,0.5\nM1,2026-11-29T00:30:00Z,0.75\n", count: 3)

    @Test func readsWhatGzipWrote() throws {
        #expect(try Gzip.decompress(Self.fromPython, limit: 1 << 20) == Array(Self.csv.utf8))
        // Two members one after the other are one body.
        #expect(try Gzip.decompress(Self.fromPython + Self.fromPython, limit: 1 << 20) == Array((Self.csv + Self.csv).utf8))
    }

    @Test func roundTripsTextAndNoise() throws {
        var rng = SplitMix64(seed: 7)
        // Short text (fixed codes), long repetitive text (dynamic codes) and noise (stored blocks).
        let text = Array((0..<20_000).map { "M\($0 % 300),2026-11-29T\(String(format: "%02d", $0 % 24)):00:00Z,\(Double($0 % 977) / 100)\n" }.joined().utf8)
        let noise = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
        for sample in [[], Array("a".utf8), Array(text.prefix(40)), text, noise] {
            #expect(try Gzip.decompress(gzipped(sample, name: "x.csv"), limit: 1 << 24) == sample)
        }
    }

    @Test func saysWhatIsWrong() throws {
        let good = Self.fromPython
        #expect(throws: Gzip.Failure.notGzip) { try Gzip.decompress(Array("meter_id,start".utf8), limit: 100) }
        // What follows the last member is another member or nothing.
        #expect(throws: Gzip.Failure.corrupt("bytes after the last member are not another member")) { try Gzip.decompress(good + [1, 2, 3], limit: 1 << 20) }
        #expect(throws: Gzip.Failure.truncated) { try Gzip.decompress(good + [0x1F], limit: 1 << 20) }
        var badCRC = good
        badCRC[badCRC.count - 8] ^= 1
        #expect(throws: Gzip.Failure.corrupt("its CRC-32 does not match")) { try Gzip.decompress(badCRC, limit: 1 << 20) }
        // Every cut short is refused, never read past.
        for n in 1..<good.count {
            #expect(throws: Gzip.Failure.self) { try Gzip.decompress(Array(good.prefix(n)), limit: 1 << 20) }
        }
        // A small body that inflates past the limit stops at the limit.
        let zeros = try gzipped([UInt8](repeating: 0, count: 1 << 20))
        #expect(zeros.count < 2_000)
        #expect(throws: Gzip.Failure.tooLarge(limit: 65_536)) { try Gzip.decompress(zeros, limit: 65_536) }
    }

    @Test func damagedBodiesAreErrorsNotCrashes() throws {
        var rng = SplitMix64(seed: 42)
        let seeds = [Self.fromPython, try gzipped(Array(Self.csv.utf8)), try gzipped((0..<3_000).map { _ in UInt8.random(in: 0...255, using: &rng) })]
        var refused = 0
        for round in 0..<3_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[i] = UInt8.random(in: 0...255, using: &rng)
            }
            do { _ = try Gzip.decompress(bytes, limit: 1 << 20) } catch { refused += 1 }
        }
        #expect(refused > 2_500)
    }
}
