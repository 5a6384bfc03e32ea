import Foundation
import MeterAnalytics
import MeterCore
import MeterIngest

// Streaming cost of the detectors: the simulated fleet's readings, one at a time in time order,
// through each detector alone and through the whole detector set. Prints nanoseconds per reading.
// With MEM=set (or spike, flat, zero, gap, boundary, level, deviation, burst) it prints instead the
// resident memory per meter of the detector set (or of one detector) after the readings. With
// POLLUTE=MB the batched run writes that much other memory between batches (its time left out), so
// the meters' state is as cold as in a server. With BATCH=N a batch runs over intervals up to N
// readings (the default, 1,000 at most of one interval, is a lightly loaded server's group; a busy
// server's detectors take several groups together).
//   bench-detectors [DAYS, default 365] [METERS PER SOURCE, default 10]
let args = CommandLine.arguments
let days = args.count > 1 ? Int(args[1]) ?? 365 : 365
let perSource = args.count > 2 ? Int(args[2]) ?? 10 : 10
var config = FleetConfig()
config.metersPerSource = perSource
config.registerShare = 0
func simulate(_ config: FleetConfig, days: Int) -> ([(meter: Int, start: Int64, value: Double)], [Meter]) {
    var fleet = FleetSimulator(config)
    var out: [(meter: Int, start: Int64, value: Double)] = []
    let index = Dictionary(fleet.meters.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
    for k in 0..<(days * 48) {
        let t: Int64 = 1_767_225_600 + Int64(k) * 1800
        var seen = Set<Int>()
        for r in fleet.rows(forSlotStarting: t) {
            guard let v = r.value, let m = index[r.meter.id], seen.insert(m).inserted else { continue }
            out.append((m, t, v))
        }
    }
    return (out, fleet.meters)
}
let (readings, meters) = simulate(config, days: days)
let ids = meters.map(\.id)
let sources = meters.map(\.source)
let observations = readings.map { r -> Observation in
    let day = CivilDate.floorDiv(r.start, 86_400)
    return Observation(meter: ids[r.meter], source: sources[r.meter], start: r.start, value: r.value, interval: 1800,
                       slotOfDay: Int((r.start - day * 86_400) / 1800), weekend: CivilDate(epochSeconds: r.start).isoWeekday >= 6)
}

/// glibc's: returns the heap's free pages to the system, so resident memory counts what is held.
@_silgen_name("malloc_trim") func mallocTrim(_ pad: Int) -> Int32

/// Resident memory of this process.
func rssBytes() -> Int {
    let statm = (try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8)) ?? ""
    return statm.split(separator: " ").dropFirst().first.flatMap { Int($0) }.map { $0 * 4096 } ?? 0
}

/// Resident bytes per meter that one detector per meter (or the set) holds after the readings.
func memoryPerMeter(_ which: String) -> Int? {
    _ = mallocTrim(0)
    func each<D: MeterDetector>(_ make: () -> D) -> Int {
        let before = rssBytes()
        var ds = ids.map { _ in make() }
        var out: [Anomaly] = []
        for (k, o) in observations.enumerated() { ds[readings[k].meter].observe(o, into: &out) }
        _ = mallocTrim(0)
        return withExtendedLifetime(ds) { (rssBytes() - before) / ids.count }
    }
    switch which {
    case "set":
        let before = rssBytes()
        var set = DetectorSet()
        for r in readings { set.observe(meter: ids[r.meter], source: sources[r.meter], start: r.start, value: r.value, interval: 1800) }
        _ = mallocTrim(0)
        return withExtendedLifetime(set) { (rssBytes() - before) / ids.count }
    case "spike": return each { SpikeValleyDetector() }
    case "flat": return each { FlatlineDetector() }
    case "zero": return each { ZeroRunDetector() }
    case "gap": return each { CommunicationGapDetector() }
    case "boundary": return each { BoundaryDetector() }
    case "level": return each { LevelShiftDetector() }
    case "deviation": return each { ProfileDeviationDetector() }
    case "burst": return each { SpikeBurstDetector() }
    default: return nil
    }
}

if let which = ProcessInfo.processInfo.environment["MEM"] {
    guard let bytes = memoryPerMeter(which) else { print("MEM: one of set, spike, flat, zero, gap, boundary, level, deviation, burst"); exit(2) }
    print("\(which): \(bytes) bytes resident per meter (\(ids.count) meters, \(readings.count) readings)")
    exit(0)
}

/// Nanoseconds of a run spent on something other than what is timed (`POLLUTE`), left out.
var excluded: UInt64 = 0

@MainActor func time(_ name: String, runs: Int = 3, _ body: () -> Int) {
    var best = Double.infinity
    var events = 0
    for _ in 0..<runs {
        excluded = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        events = body()
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0 - excluded))
    }
    print(name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%8.0f ns/reading  (%d events)", best / Double(observations.count), events))
}

func perMeter<D: MeterDetector>(_ make: () -> D) -> Int {
    var ds = ids.map { _ in make() }
    var out: [Anomaly] = []
    for (k, o) in observations.enumerated() { ds[readings[k].meter].observe(o, into: &out) }
    for i in ds.indices { ds[i].finish(into: &out) }
    return out.count
}

print("\(observations.count) readings: \(ids.count) meters x \(days) days, release build")
// ONLY=set times the detector set alone (folded, live, then in batches); ONLY=batches the last
// alone (the engine's path, for a profiler).
let only = ProcessInfo.processInfo.environment["ONLY"]
let onlySet = only == "set" || only == "batches"
if !onlySet {
    time("SpikeValleyDetector") { perMeter { SpikeValleyDetector() } }
    time("FlatlineDetector") { perMeter { FlatlineDetector() } }
    time("ZeroRunDetector") { perMeter { ZeroRunDetector() } }
    time("CommunicationGapDetector") { perMeter { CommunicationGapDetector() } }
    time("BoundaryDetector") { perMeter { BoundaryDetector() } }
    time("LevelShiftDetector") { perMeter { LevelShiftDetector() } }
    time("ProfileDeviationDetector") { perMeter { ProfileDeviationDetector() } }
    time("SpikeBurstDetector") { perMeter { SpikeBurstDetector() } }
}
if only != "batches" {
    time("DetectorSet (all, folded)") {
        var set = DetectorSet()
        for r in readings { set.observe(meter: ids[r.meter], source: sources[r.meter], start: r.start, value: r.value, interval: 1800) }
        _ = set.finish()
        return set.anomalies.count
    }
    time("DetectorSet (live)") {
        var set = DetectorSet(keepsHistory: false)
        var n = 0
        for r in readings { n += set.observe(meter: ids[r.meter], source: sources[r.meter], start: r.start, value: r.value, interval: 1800).count }
        return n
    }
}
// POLLUTE=MB writes that many megabytes between batches, as a server's other work (requests, the
// store, SQLite's pages) does, so the meters' state is no longer in the processor's caches.
let pollution = (ProcessInfo.processInfo.environment["POLLUTE"].flatMap { Int($0) } ?? 0) * 1_000_000
var scratch = [UInt8](repeating: 0, count: max(pollution, 1))
let batchLimit = ProcessInfo.processInfo.environment["BATCH"].flatMap { Int($0) }
time("DetectorSet (live, batches)") {
    // As the engine hands them over: each interval's readings of the fleet together, a thousand at most.
    var set = DetectorSet(keepsHistory: false)
    var n = 0, low = 0
    while low < readings.count {
        if pollution > 0 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            scratch.withUnsafeMutableBytes { b in
                var i = 0
                while i < b.count { b[i] &+= 1; i += 64 }
            }
            excluded += DispatchTime.now().uptimeNanoseconds - t0
        }
        var high = low
        while high < readings.count, high - low < (batchLimit ?? 1_000), batchLimit != nil || readings[high].start == readings[low].start { high += 1 }
        let batch = readings[low..<high].map { DetectorSet.Sighting(meter: ids[$0.meter], source: sources[$0.meter], start: $0.start, value: $0.value) }
        n += set.observe(batch, interval: 1800).count
        low = high
    }
    return n
}
