import Foundation
import MeterCore
import Synchronization

/// Counters, gauges and histograms kept in memory and written in the Prometheus text format.
///
/// Families are created on first use with their help text; label values are escaped on output.
/// All updates take one lock, held for a dictionary update, so any thread may record.
public final class MetricsRegistry: Sendable {
    private struct Family {
        var help: String
        var type: String
        var counters: [[String]: Double] = [:]
        var labelNames: [String]
        var buckets: [Double] = []
        /// Per label set: bucket counts (cumulative on output), sum, count.
        var histograms: [[String]: (counts: [UInt64], sum: Double, count: UInt64)] = [:]

        /// Counts one observation in place (the family is never copied out of the registry).
        mutating func observe(_ key: [String], _ value: Double) {
            let bucket = buckets.firstIndex { value <= $0 }
            let empty = (counts: [UInt64](repeating: 0, count: buckets.count), sum: 0.0, count: UInt64(0))
            histograms[key, default: empty].sum += value
            histograms[key, default: empty].count += 1
            if let bucket { histograms[key, default: empty].counts[bucket] += 1 }
        }
    }

    private let families = Mutex<[String: Family]>([:])
    private let gauges = Mutex<[(name: String, help: String, read: @Sendable () -> Double)]>([])

    public init() {}

    /// Adds `by` to the counter `name{labels}`.
    public func count(_ name: String, help: String, labels: [String: String] = [:], by value: Double = 1) {
        let names = labels.keys.sorted()
        let key = names.map { labels[$0] ?? "" }
        families.withLock { f in
            f[name, default: Family(help: help, type: "counter", labelNames: names)].counters[key, default: 0] += value
        }
    }

    /// Records one observation in the histogram `name{labels}` with the given bucket bounds.
    public func observe(_ name: String, help: String, buckets: [Double], labels: [String: String] = [:], _ value: Double) {
        let names = labels.keys.sorted()
        let key = names.map { labels[$0] ?? "" }
        families.withLock { f in
            f[name, default: Family(help: help, type: "histogram", labelNames: names, buckets: buckets)].observe(key, value)
        }
    }

    /// A gauge read when metrics are written (queue depth, connected clients).
    public func gauge(_ name: String, help: String, _ read: @escaping @Sendable () -> Double) {
        gauges.withLock { $0.append((name, help, read)) }
    }

    /// The current value of a counter (tests and summaries).
    public func value(_ name: String, labels: [String: String] = [:]) -> Double {
        let key = labels.keys.sorted().map { labels[$0] ?? "" }
        return families.withLock { $0[name]?.counters[key] ?? 0 }
    }

    /// Everything, in the Prometheus text exposition format (version 0.0.4).
    public func prometheusText() -> String {
        var out = ""
        let snapshot = families.withLock { $0 }
        for name in snapshot.keys.sorted() {
            guard let f = snapshot[name] else { continue }
            out += "# HELP \(name) \(f.help)\n# TYPE \(name) \(f.type)\n"
            if f.type == "counter" {
                for (key, v) in f.counters.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    out += "\(name)\(Self.labels(f.labelNames, key)) \(Self.number(v))\n"
                }
            } else {
                for (key, h) in f.histograms.sorted(by: { $0.key.lexicographicallyPrecedes($1.key) }) {
                    var cumulative: UInt64 = 0
                    for (i, bound) in f.buckets.enumerated() {
                        cumulative += h.counts[i]
                        out += "\(name)_bucket\(Self.labels(f.labelNames + ["le"], key + [Self.number(bound)])) \(cumulative)\n"
                    }
                    out += "\(name)_bucket\(Self.labels(f.labelNames + ["le"], key + ["+Inf"])) \(h.count)\n"
                    out += "\(name)_sum\(Self.labels(f.labelNames, key)) \(Self.number(h.sum))\n"
                    out += "\(name)_count\(Self.labels(f.labelNames, key)) \(h.count)\n"
                }
            }
        }
        for g in gauges.withLock({ $0 }) {
            out += "# HELP \(g.name) \(g.help)\n# TYPE \(g.name) gauge\n\(g.name) \(Self.number(g.read()))\n"
        }
        return out
    }

    private static func labels(_ names: [String], _ values: [String]) -> String {
        guard !names.isEmpty else { return "" }
        return "{" + zip(names, values).map { "\($0)=\"\(escape($1))\"" }.joined(separator: ",") + "}"
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    private static func number(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(v)
    }
}

extension MetricsRegistry {
    /// Counts a stored batch: readings per source and outcome, and every VEE rule outcome.
    /// Counts the detectors' reports by kind and by whether the event is still open (opened, or
    /// updated while it lasts) or closed (at its end, or an event of one moment).
    public func record(_ reports: [Anomaly]) {
        for a in reports {
            count("nutcracker_anomaly_reports_total", help: "Anomaly reports stored, by kind and whether the event is still open.",
                  labels: ["kind": a.kind.rawValue, "state": a.open ? "open" : "closed"])
        }
    }

    public func record(_ s: IngestSummary, source: String) {
        for (outcome, n) in [("stored", s.stored), ("unchanged", s.unchanged), ("quarantined", s.quarantined), ("estimated", s.estimated)] where n > 0 {
            count("nutcracker_readings_total", help: "Readings ingested, by source and outcome.", labels: ["source": source, "outcome": outcome], by: Double(n))
        }
        for (key, n) in s.report.totals where n > 0 {
            let parts = key.split(separator: "/", maxSplits: 1)
            count("nutcracker_vee_outcomes_total", help: "VEE rule outcomes (rule hits), by rule and outcome.",
                  labels: ["rule": String(parts.first ?? ""), "outcome": String(parts.count > 1 ? parts[1] : "")], by: Double(n))
        }
    }
}
