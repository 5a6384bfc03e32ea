import Foundation
import MeterCore

/// The settings of a simulated fleet: its size, shape and the defects it injects.
public struct FleetConfig: Sendable, Hashable {
    public var seed: UInt64 = 42
    public var sources: [SourceID] = ["A", "B", "C"].compactMap { SourceID($0) }
    public var metersPerSource = 10
    /// Share of meters that report a cumulative register rather than interval energy.
    public var registerShare = 0.2
    public var interval: IntervalLength = .halfHour
    /// Per reading: sent twice.
    public var duplicateRate = 0.002
    /// Per reading: never sent (a gap).
    public var missingRate = 0.003
    /// Per reading: sent with an empty or unreadable value.
    public var invalidRate = 0.001
    /// Per reading: a spike of 5 to 15 times the normal value.
    public var outlierRate = 0.001
    /// Per source and day: the whole source at zero for 4 to 8 hours.
    public var loadSheddingRate = 0.02
    /// Per fleet and week: one meter held near a constant for 72 to 120 hours.
    public var tamperingRate = 0.3

    public init() {}

    /// A fleet with no defects at all.
    public static var clean: FleetConfig {
        var c = FleetConfig()
        c.duplicateRate = 0; c.missingRate = 0; c.invalidRate = 0; c.outlierRate = 0
        c.loadSheddingRate = 0; c.tamperingRate = 0
        return c
    }
}

/// A defect the simulator put in on purpose: the ground truth that detectors are scored against.
public struct InjectedDefect: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case duplicate, missing, invalid, outlier, loadShedding = "load_shedding", tampering
    }
    public var kind: Kind
    public var meter: MeterID?
    public var source: SourceID?
    /// First affected slot start and the end (exclusive), UTC epoch seconds.
    public var start: Int64
    public var end: Int64
}

/// One row the simulated fleet sends.
public struct SimulatedReading: Hashable, Sendable {
    public var meter: Meter
    public var start: Int64
    /// Interval energy (interval meters) or register value (register meters); nil for an invalid row.
    public var value: Double?
    /// The text sent for an invalid row (`""`, `NaN`, `n/a`).
    public var invalidText: String?
}

/// A deterministic fleet of smart meters across sources A, B, C: realistic half-hourly profiles
/// (night base load, morning and evening peaks, livelier weekends) and the defects of the
/// blueprint at configurable rates. The same seed and start give the same rows, slot by slot.
public struct FleetSimulator: Sendable {
    public let config: FleetConfig
    public let meters: [Meter]
    private let shape: [Profile]
    private var registers: [Double]
    /// Defects injected so far, in slot order.
    public private(set) var injected: [InjectedDefect] = []

    struct Profile: Sendable {
        var base: Double, morning: Double, evening: Double, weekend: Double
    }

    public init(_ config: FleetConfig = FleetConfig()) {
        self.config = config
        var rng = SplitMix64(seed: config.seed)
        var meters: [Meter] = []
        var shape: [Profile] = []
        var used = Set<Int>()
        for source in config.sources {
            for _ in 0..<config.metersPerSource {
                var n = 10_000 + Int(rng.next() % 90_000)
                while used.contains(n) { n = 10_000 + Int(rng.next() % 90_000) }
                used.insert(n)
                let letter = source.rawValue.first.map(String.init) ?? "X"
                let kind: MeterKind = rng.unit() < config.registerShare ? .register : .interval
                if let id = MeterID("SMR\(n)\(letter)") {
                    meters.append(Meter(id: id, source: source, kind: kind, interval: config.interval))
                    let scale = Double(config.interval.minutes) / 30
                    shape.append(Profile(base: (0.05 + 0.3 * rng.unit()) * scale, morning: (0.1 + 0.7 * rng.unit()) * scale,
                                         evening: (0.3 + 1.3 * rng.unit()) * scale, weekend: 1.1 + 0.3 * rng.unit()))
                }
            }
        }
        self.meters = meters
        self.shape = shape
        registers = (0..<meters.count).map { _ in Double(Int(rng.next() % 60_000)) + 1000 }
    }

    /// The expected energy of a meter in the slot starting at `start`, before noise and defects.
    public func expected(meter m: Int, at start: Int64) -> Double {
        let p = shape[m]
        let secondOfDay = Double(((start % 86_400) + 86_400) % 86_400)
        let hour = secondOfDay / 3600 + Double(config.interval.minutes) / 120
        let morning = exp(-0.5 * pow((hour - 7.5) / 1.2, 2))
        let evening = exp(-0.5 * pow((hour - 19.0) / 1.8, 2))
        let weekday = CivilDate(epochSeconds: start).isoWeekday
        let weekend = weekday >= 6 ? p.weekend : 1
        return (p.base + p.morning * morning + p.evening * evening) * weekend
    }

    /// The rows the fleet sends for one slot, in meter order (with duplicates right after their row).
    public mutating func rows(forSlotStarting start: Int64) -> [SimulatedReading] {
        let step = config.interval.seconds
        let slot = config.interval.slot(of: start)
        var out: [SimulatedReading] = []
        out.reserveCapacity(meters.count + 4)
        let shedding = sheddingSources(at: start)
        let tamper = tampering(at: start)
        for (m, meter) in meters.enumerated() {
            var rng = SplitMix64(seed: config.seed, UInt64(m + 1), UInt64(bitPattern: slot))
            var kwh = max(0.001, expected(meter: m, at: start) * exp(0.25 * rng.normal() - 0.03))
            if let t = tamper.first(where: { $0.meter == m }) { kwh = t.level * (1 + 0.005 * rng.normal()) }
            if shedding.contains(meter.source) { kwh = 0 }
            let roll = rng.unit()
            var isOutlier = false
            if roll < config.outlierRate, !shedding.contains(meter.source) {
                kwh *= 5 + 10 * rng.unit()
                isOutlier = true
            }
            kwh = (kwh * 1000).rounded() / 1000
            let value: Double
            if meter.kind == .register {
                registers[m] += kwh
                if registers[m] >= 100_000 { registers[m] -= 100_000 }
                value = (registers[m] * 1000).rounded() / 1000
            } else {
                value = kwh
            }
            let defect = rng.unit()
            if defect < config.missingRate {
                injected.append(InjectedDefect(kind: .missing, meter: meter.id, start: start, end: start + step))
                // A register still counts the energy of a read that never arrives: the outlier shows at the next read.
                if isOutlier, meter.kind == .register {
                    injected.append(InjectedDefect(kind: .outlier, meter: meter.id, start: start, end: start + step))
                }
                continue
            }
            if isOutlier { injected.append(InjectedDefect(kind: .outlier, meter: meter.id, start: start, end: start + step)) }
            var row = SimulatedReading(meter: meter, start: start, value: value)
            if defect < config.missingRate + config.invalidRate, meter.kind == .interval {
                row.value = nil
                row.invalidText = ["", "NaN", "n/a"][Int(rng.next() % 3)]
                injected.append(InjectedDefect(kind: .invalid, meter: meter.id, start: start, end: start + step))
            }
            out.append(row)
            if rng.unit() < config.duplicateRate {
                out.append(row)
                injected.append(InjectedDefect(kind: .duplicate, meter: meter.id, start: start, end: start + step))
            }
        }
        return out
    }

    /// Sources shedding load at an instant; records each event once, at its first slot.
    private mutating func sheddingSources(at start: Int64) -> Set<SourceID> {
        var out = Set<SourceID>()
        let day = CivilDate.floorDiv(start, 86_400)
        for (k, source) in config.sources.enumerated() {
            for d in [day - 1, day] {
                var rng = SplitMix64(seed: config.seed ^ 0x5EED, UInt64(k + 1), UInt64(bitPattern: d))
                guard rng.unit() < config.loadSheddingRate else { continue }
                let from = d * 86_400 + Int64(rng.next() % 48) * 1800
                let hours = 4 + Int64(rng.next() % 5)
                let to = from + hours * 3600
                if start >= from && start < to {
                    out.insert(source)
                    if start == from {
                        injected.append(InjectedDefect(kind: .loadShedding, source: source, start: from, end: to))
                    }
                }
            }
        }
        return out
    }

    /// The meters held near a constant at an instant and the level each is held at (tamper windows
    /// of consecutive weeks may overlap); records each window once, at its first slot.
    private mutating func tampering(at start: Int64) -> [(meter: Int, level: Double)] {
        guard !meters.isEmpty else { return [] }
        var out: [(meter: Int, level: Double)] = []
        let week = CivilDate.floorDiv(start, 7 * 86_400)
        for w in [week - 1, week] {
            var rng = SplitMix64(seed: config.seed ^ 0x7A4B, UInt64(bitPattern: w))
            guard rng.unit() < config.tamperingRate else { continue }
            let m = Int(rng.next() % UInt64(meters.count))
            let from = w * 7 * 86_400 + Int64(rng.next() % 336) * 1800
            let to = from + (72 + Int64(rng.next() % 49)) * 3600
            if start >= from && start < to, !out.contains(where: { $0.meter == m }) {
                if start == from {
                    injected.append(InjectedDefect(kind: .tampering, meter: meters[m].id, start: from, end: to))
                }
                out.append((m, shape[m].base * 1.5))
            }
        }
        return out
    }

    /// Writes the fleet's rows from `from` for `slots` slots as CSV
    /// (`meter_id,source,kind,start,kwh`) to `write`, one chunk per slot.
    public mutating func writeCSV(from: Int64, slots: Int, write: (String) throws -> Void) rethrows {
        try write("meter_id,source,kind,start,kwh\n")
        let step = config.interval.seconds
        for k in 0..<slots {
            let t = from + Int64(k) * step
            var chunk = ""
            for r in rows(forSlotStarting: t) {
                let v = r.value.map { String(format: "%.3f", $0) } ?? (r.invalidText ?? "")
                chunk += "\(r.meter.id),\(r.meter.source),\(r.meter.kind.rawValue),\(ISO8601.format(t)),\(v)\n"
            }
            try write(chunk)
        }
    }
}
