import Foundation
import MeterCore

/// What is known about one meter over a period, for its health score.
public struct HealthInputs: Sendable {
    public var meter: MeterID
    public var source: SourceID?
    /// Intervals the period holds for this meter, and how many have a measured or an estimated value.
    public var expected: Int
    public var measured: Int
    public var estimated: Int
    /// Rows quarantined because their time was off the interval grid (a drifting clock).
    public var offGrid: Int
    /// Its mean daily energy, and the median of its source's meters.
    public var dailyMean: Double
    public var peerDailyMedian: Double?
    public var anomalies: [Anomaly]
    /// Hours since its last reading when the fleet has read four intervals or more since (0 otherwise).
    public var silentHours: Double

    public init(meter: MeterID, source: SourceID?, expected: Int, measured: Int, estimated: Int, offGrid: Int, dailyMean: Double,
                peerDailyMedian: Double?, anomalies: [Anomaly], silentHours: Double = 0) {
        self.silentHours = silentHours
        self.meter = meter
        self.source = source
        self.expected = expected
        self.measured = measured
        self.estimated = estimated
        self.offGrid = offGrid
        self.dailyMean = dailyMean
        self.peerDailyMedian = peerDailyMedian
        self.anomalies = anomalies
    }
}

/// A meter's health: 100 is a meter that reports every interval, measured, and behaves like itself
/// and its peers; each problem takes points off, and the reasons say which, largest first, so the
/// list of meters most likely to need a visit explains itself.
public struct MeterHealth: Sendable, Hashable, Codable {
    public var meter: MeterID
    public var source: SourceID?
    public var score: Double
    public var reasons: [String]

    /// The score from what is known; pure, so the same inputs always give the same score.
    public static func score(_ x: HealthInputs) -> MeterHealth {
        var penalties: [(Double, String)] = []
        func add(_ points: Double, _ reason: String) { if points >= 0.5 { penalties.append((points, reason)) } }
        // A meter that has stopped reporting needs a visit whatever its past looked like.
        if x.silentHours > 0 { add(min(40, 10 + x.silentHours / 2), String(format: "silent for %.0f h while its fleet reports", x.silentHours)) }
        let expected = Double(max(1, x.expected))
        let missing = max(0, 1 - Double(x.measured + x.estimated) / expected)
        add(min(30, 300 * missing), String(format: "%.1f%% of intervals missing", missing * 100))
        let estimatedShare = Double(x.estimated) / expected
        add(min(15, 150 * estimatedShare), String(format: "%.1f%% of intervals estimated", estimatedShare * 100))
        let stuck = x.anomalies.filter { $0.kind == .flatline }.reduce(0.0) { $0 + Double($1.end - $1.start) / 3600 }
        add(min(25, stuck / 4), String(format: "held at a constant for %.0f h (tamper or stuck register)", stuck))
        add(min(10, Double(x.offGrid)), "\(counted(x.offGrid, "reading", "readings")) off the interval grid (clock drift)")
        let zeroRuns = x.anomalies.filter { $0.kind == .zeroRun }.count
        add(min(10, 2 * Double(zeroRuns)), "\(counted(zeroRuns, "run", "runs")) at zero")
        let jumps = x.anomalies.filter { [.spike, .valley, .boundary].contains($0.kind) }.count
        add(min(10, Double(jumps)), counted(jumps, "spike, valley or limit breach", "spikes, valleys or limit breaches"))
        let shifts = x.anomalies.filter { $0.kind == .levelShift }.count
        add(min(10, 5 * Double(shifts)), counted(shifts, "lasting change of level", "lasting changes of level"))
        let resets = x.anomalies.filter { $0.kind == .registerReset || $0.kind == .registerReversal }.count
        add(min(15, 5 * Double(resets)), counted(resets, "register reset or reversal", "register resets or reversals"))
        if let peers = x.peerDailyMedian, peers > 0, x.dailyMean > 0 {
            let ratio = x.dailyMean / peers
            if ratio > 3 || ratio < 1.0 / 3 {
                add(10, String(format: "uses %.1fx the median of its source's meters", ratio))
            }
        }
        penalties.sort { $0.0 > $1.0 }
        let total = penalties.reduce(0) { $0 + $1.0 }
        return MeterHealth(meter: x.meter, source: x.source, score: max(0, (100 - total).rounded()), reasons: penalties.map(\.1))
    }

    /// "1 run", "3 runs".
    private static func counted(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
}
