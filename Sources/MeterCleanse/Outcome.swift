import MeterCore

/// A named result of a VEE rule, such as `duplicate/conflict` or `gap_estimation/estimated`.
///
/// Rules declare their outcomes as static constants; the pipeline reports each occurrence to an
/// `OutcomeSink`, which is how the quality report, `/metrics` and the daily job count them without
/// code at each call site. A row passing a rule is not an outcome: only what a rule did is.
public struct Outcome: Hashable, Sendable, CustomStringConvertible {
    /// What happened to the row or slot.
    public enum Action: String, Sendable, Codable {
        /// Removed as redundant (an exact duplicate); nothing is lost.
        case dropped
        /// Removed and kept in quarantine with its reason and raw text.
        case quarantined
        /// Stored, with the value or quality the rule set.
        case kept
        /// A grid slot the rule filled in, flagged `estimated`.
        case estimated
        /// A grid slot left empty.
        case missing
    }

    public let rule: String
    public let name: String
    public let action: Action
    /// What it means to a person reading a count of it ("Gaps estimated").
    public let summary: String

    public init(rule: String, name: String, action: Action, summary: String) {
        self.rule = rule
        self.name = name
        self.action = action
        self.summary = summary
    }

    /// `rule/name`, the key used in reports and metrics.
    public var key: String { "\(rule)/\(name)" }
    public var description: String { key }

    public static func == (a: Outcome, b: Outcome) -> Bool { a.rule == b.rule && a.name == b.name && a.action == b.action }
    public func hash(into h: inout Hasher) {
        h.combine(rule)
        h.combine(name)
        h.combine(action)
    }

    /// Every outcome the rules declare.
    public static let declared: [Outcome] = [
        NotANumberCheck.empty, NotANumberCheck.unparseable, NegativeCheck.negative, LimitCheck.aboveMax, GridCheck.offGrid,
        DuplicateCheck.exact, DuplicateCheck.conflict, GapEstimation.estimated, GapEstimation.missing,
        RegisterDifference.baseline, RegisterDifference.rollover, RegisterDifference.reset, RegisterDifference.spread,
    ]

    private static let summaries = Dictionary(declared.map { ($0.key, $0.summary) }, uniquingKeysWith: { a, _ in a })

    /// The summary of an outcome named by its key, as reports and metrics carry it; rows a reader
    /// could not read (`parse/<reason>`) are named by their reason.
    public static func summary(ofKey key: String) -> String? {
        if let s = summaries[key] { return s }
        if key.hasPrefix("parse/") { return "Rows not read (\(key.dropFirst(6).replacingOccurrences(of: "_", with: " ")))" }
        return nil
    }
}

/// Receives every outcome the VEE pipeline produces.
///
/// `row` is the index of the input row, or -1 for a grid slot that had no row (estimated, missing).
public protocol OutcomeSink {
    mutating func record(_ outcome: Outcome, meter: Int32, start: Int64, row: Int32)
    /// `count` consecutive slots from `start`, `step` seconds apart, with the same outcome and no row.
    mutating func recordRun(_ outcome: Outcome, meter: Int32, start: Int64, step: Int64, count: Int)
}

extension OutcomeSink {
    public mutating func recordRun(_ outcome: Outcome, meter: Int32, start: Int64, step: Int64, count: Int) {
        for k in 0..<count { record(outcome, meter: meter, start: start + Int64(k) * step, row: -1) }
    }
}

/// A sink that ignores everything.
public struct NullSink: OutcomeSink {
    public init() {}
    @inline(__always) public mutating func record(_ outcome: Outcome, meter: Int32, start: Int64, row: Int32) {}
}
