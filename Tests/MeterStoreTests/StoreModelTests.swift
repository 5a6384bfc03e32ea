import Foundation
import MeterCore
import MeterIngest
@testable import MeterStore
import Synchronization
import TestSupport
import Testing

/// The store against a model of its upsert rule, over random work: live readings (through the log
/// and its merges) and file-sized batches (straight into the day blocks), new days before, between
/// and after a meter's others, repeats, corrections and estimates. Every read agrees with the
/// model before and after each merge, and after the store is opened again; every write counts its
/// readings inserted, corrected and unchanged as the model does.
@Suite struct StoreModelTests {
    let dir = TemporaryDirectory()
    /// Midnight UTC.
    let day0: Int64 = 1_795_824_000

    /// What the store must hold: per meter and start, the value and quality the upsert rule leaves.
    struct Model {
        var values: [MeterID: [Int64: (kwh: Double, quality: Quality)]] = [:]

        enum Change { case inserted, corrected, unchanged }

        @discardableResult
        mutating func apply(_ r: Reading) -> Change {
            let old = values[r.meter]?[r.start]
            if let old, old.kwh == r.kwh && old.quality == r.quality { return .unchanged }
            if let old, r.quality == .estimated && old.quality != .estimated { return .unchanged }
            values[r.meter, default: [:]][r.start] = (r.kwh, r.quality)
            return old == nil ? .inserted : .corrected
        }

        func readings(_ meter: MeterID, from: Int64 = .min, to: Int64 = .max) -> [(Int64, Double, Quality)] {
            (values[meter] ?? [:]).filter { $0.key >= from && $0.key < to }.sorted { $0.key < $1.key }.map { ($0.key, $0.value.kwh, $0.value.quality) }
        }
    }

    static func shape(_ rs: [Reading]) -> [String] { rs.map { "\($0.start) \($0.kwh) \($0.quality)" } }
    static func shape(_ rs: [(Int64, Double, Quality)]) -> [String] { rs.map { "\($0.0) \($0.1) \($0.2)" } }

    func check(_ s: SQLiteStore, _ model: Model, _ meters: [MeterID], _ rng: inout SplitMix64, _ when: String) async throws {
        for m in meters {
            let all = try await s.readings(meter: m, from: nil, to: nil, limit: nil)
            #expect(Self.shape(all) == Self.shape(model.readings(m)), "\(m) all, \(when)")
            let from = day0 + Int64(Int.random(in: -20..<20, using: &rng)) * 86_400
            let to = from + Int64(Int.random(in: 1...10, using: &rng)) * 86_400
            let window = try await s.readings(meter: m, from: from, to: to, limit: nil)
            #expect(Self.shape(window) == Self.shape(model.readings(m, from: from, to: to)), "\(m) window, \(when)")
            let last = model.readings(m).last
            #expect(try await s.meter(m)?.latest?.start == last?.0, "\(m) latest, \(when)")
            #expect(try await s.recent(meters: [m], count: 60)[m].map(Self.shape) ?? [] == Self.shape(Array(model.readings(m).suffix(60))),
                    "\(m) recent, \(when)")
        }
        let scanned = Mutex<[String: [String]]>([:])
        let from = day0 - 5 * 86_400, to = day0 + 5 * 86_400
        try await s.scan(ReadingFilter(from: from, to: to)) { r in scanned.withLock { $0[r.meter.rawValue, default: []].append("\(r.start) \(r.kwh) \(r.quality)") } }
        for m in meters {
            #expect(scanned.withLock { $0[m.rawValue] ?? [] } == Self.shape(model.readings(m, from: from, to: to)), "\(m) scan, \(when)")
        }
    }

    /// With a merge threshold of a few readings, background merges run all along, each part's
    /// worked out while the next writes (file batches straight into the blocks among them) go on.
    @Test(arguments: zip([UInt64(1), 2, 3, 4, 5], [1_000_000, 1_000_000, 1_000_000, 12, 30]))
    func everyReadAgreesWithTheModelThroughMergesAndARestart(seed: UInt64, mergeEvery: Int) async throws {
        var rng = SplitMix64(seed: seed)
        let path = dir.path("model-\(seed).sqlite")
        // Enough meters for several merge parts (runs of 16 row ids).
        let meters = (0..<40).map { MeterID("S\(seed)-\($0)")! }
        var model = Model()
        do {
            let s = try SQLiteStore(path: path, inboxLimit: mergeEvery)
            try await s.migrate()
            for step in 0..<60 {
                var b = ReadingBatch()
                if Int.random(in: 0..<4, using: &rng) == 0 {
                    // A file: many readings of a few meters.
                    for _ in 0..<Int.random(in: 1...3, using: &rng) {
                        let m = meters[Int.random(in: 0..<meters.count, using: &rng)]
                        // Anywhere, or over the meter's last two days, where late live readings land too.
                        let base = Int.random(in: 0..<2, using: &rng) == 0 ? day0 + Int64(Int.random(in: -20..<20, using: &rng)) * 86_400
                            : (model.readings(m).last?.0 ?? day0) - Int64(Int.random(in: 0..<96, using: &rng)) * 1800
                        for k in 0..<Int.random(in: 24..<84, using: &rng) { b.append(reading(m, base + Int64(k) * 1800, &rng)) }
                    }
                } else {
                    // A gateway: the next slots of some meters, now and then an older one again.
                    for m in meters where Int.random(in: 0..<2, using: &rng) == 0 {
                        let latest = model.readings(m).last?.0 ?? day0
                        let start = Int.random(in: 0..<5, using: &rng) == 0 ? latest - Int64(Int.random(in: 0..<96, using: &rng)) * 1800
                            : latest + Int64(Int.random(in: 1...3, using: &rng)) * 1800
                        b.append(reading(m, start, &rng))
                    }
                }
                guard b.count > 0 else { continue }
                let written = try await s.write(b, quarantine: [], info: BatchInfo(origin: "model"))
                var counts = (inserted: 0, corrected: 0, unchanged: 0)
                for i in 0..<b.count {
                    switch model.apply(b.reading(at: i)) {
                    case .inserted: counts.inserted += 1
                    case .corrected: counts.corrected += 1
                    case .unchanged: counts.unchanged += 1
                    }
                }
                #expect(written.inserted == counts.inserted && written.corrected == counts.corrected && written.unchanged == counts.unchanged,
                        "step \(step): \(written) against \(counts)")
                if step % 15 == 14 {
                    try await check(s, model, meters, &rng, "step \(step), before the merge")
                    try await s.mergeInbox()
                    try await check(s, model, meters, &rng, "step \(step), after the merge")
                }
            }
            await s.backgroundMergeFinished()
        }
        let again = try SQLiteStore(path: path)
        try await again.migrate()
        try await check(again, model, meters, &rng, "opened again")
        #expect(try await again.counts().readings == model.values.values.reduce(0) { $0 + $1.count })
    }

    func reading(_ m: MeterID, _ start: Int64, _ rng: inout SplitMix64) -> Reading {
        let estimated = Int.random(in: 0..<6, using: &rng) == 0
        return Reading(meter: m, start: start, kwh: Double(Int.random(in: 0..<8, using: &rng)) / 4, quality: estimated ? .estimated : .actual,
                       rule: estimated ? "gap_estimation" : nil)
    }
}
