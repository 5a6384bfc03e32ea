import Foundation

/// The zone that naive (offset-less) times are read in: UTC, a fixed offset such as `+10:00`,
/// or a named IANA zone with its daylight-saving rules.
public enum TimeZoneSpec: Hashable, Sendable, CustomStringConvertible {
    case utc
    case fixed(seconds: Int)
    case named(String)

    /// Reads `UTC`, `Z`, `+10:00`, `-0500`, or an IANA name such as `Australia/Sydney`.
    public init?(_ text: String) {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.isEmpty { return nil }
        if let off = TimestampParser.parseOffset(t) {
            self = off == 0 ? .utc : .fixed(seconds: off)
            return
        }
        guard TimeZone(identifier: t) != nil else { return nil }
        self = .named(t)
    }

    public var description: String {
        switch self {
        case .utc: return "UTC"
        case .fixed(let s):
            let a = abs(s)
            let h = a / 3600, m = (a % 3600) / 60
            return (s < 0 ? "-" : "+") + (h < 10 ? "0" : "") + "\(h):" + (m < 10 ? "0" : "") + "\(m)"
        case .named(let n): return n
        }
    }
}

/// What to do with a wall-clock time that occurs twice (the repeated hour when clocks go back).
public enum AmbiguousTimePolicy: String, Sendable, CaseIterable {
    /// Quarantine the row with reason `ambiguous_local_time`.
    case reject
    /// Take the first occurrence (daylight time).
    case earlier
    /// Take the second occurrence (standard time).
    case later
    /// The first row of a meter that names the repeated time is the first occurrence (daylight
    /// time), the second row is the second occurrence: how files written in time order repeat it.
    case fileOrder = "file-order"
}

/// What to do with a wall-clock time that never occurs (the skipped hour when clocks go forward).
public enum NonexistentTimePolicy: String, Sendable, CaseIterable {
    /// Quarantine the row with reason `nonexistent_local_time`.
    case reject
    /// Read it with the offset in force before the change (so 02:30 becomes 03:30 after a one-hour skip).
    case shiftForward = "shift-forward"
}

/// Why a naive time could not be placed in its zone.
public enum LocalTimeError: Error, Hashable, Sendable, CustomStringConvertible {
    case ambiguous
    case nonexistent

    public var reason: String {
        switch self {
        case .ambiguous: "ambiguous_local_time"
        case .nonexistent: "nonexistent_local_time"
        }
    }

    public var description: String {
        switch self {
        case .ambiguous: "local time occurs twice in its zone (clocks went back)"
        case .nonexistent: "local time does not exist in its zone (clocks went forward)"
        }
    }
}

/// Turns naive local times into UTC instants under explicit policies for the repeated and the
/// skipped hour. Never moves a time silently: with `.reject` policies those times fail.
///
/// Caches zone offsets per local quarter hour, so a file of half-hourly rows asks the zone
/// database once per quarter hour seen, not once per row.
public struct LocalTimeResolver: Sendable {
    public let spec: TimeZoneSpec
    public var ambiguous: AmbiguousTimePolicy
    public var nonexistent: NonexistentTimePolicy
    private let zone: TimeZone?
    private var cache: [Int64: Candidates] = [:]

    private struct Candidates: Sendable {
        var earlierOffset: Int   // offset of the first valid reading (or the offset before a gap)
        var laterOffset: Int
        var count: Int           // 0 nonexistent, 1 unique, 2 ambiguous
    }

    public init(_ spec: TimeZoneSpec, ambiguous: AmbiguousTimePolicy = .reject, nonexistent: NonexistentTimePolicy = .reject) {
        self.spec = spec
        self.ambiguous = ambiguous
        self.nonexistent = nonexistent
        if case .named(let name) = spec { zone = TimeZone(identifier: name) } else { zone = nil }
    }

    /// The UTC offset (seconds east) in force at an instant.
    public func offset(atInstant epochSeconds: Int64) -> Int {
        switch spec {
        case .utc: return 0
        case .fixed(let s): return s
        case .named: return zone?.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(epochSeconds))) ?? 0
        }
    }

    /// Resolves a parsed time: instants pass through, naive times are placed in the zone.
    public mutating func resolve(_ t: ParsedTime) -> Result<Int64, LocalTimeError> {
        switch t {
        case .instant(let s): return .success(s)
        case .naive(let local): return resolve(local: local)
        }
    }

    /// Resolves a naive local time (local fields encoded as UTC epoch seconds).
    public mutating func resolve(local: Int64) -> Result<Int64, LocalTimeError> {
        switch spec {
        case .utc: return .success(local)
        case .fixed(let s): return .success(local - Int64(s))
        case .named: break
        }
        let bucket = CivilDate.floorDiv(local, 900)
        let c: Candidates
        if let hit = cache[bucket] {
            c = hit
        } else {
            c = candidates(local: local)
            cache[bucket] = c
        }
        switch c.count {
        case 1:
            return .success(local - Int64(c.earlierOffset))
        case 2:
            switch ambiguous {
            case .reject, .fileOrder: return .failure(.ambiguous)
            case .earlier: return .success(local - Int64(c.earlierOffset))
            case .later: return .success(local - Int64(c.laterOffset))
            }
        default:
            switch nonexistent {
            case .reject: return .failure(.nonexistent)
            case .shiftForward: return .success(local - Int64(c.earlierOffset))
            }
        }
    }

    /// Both instants a repeated wall-clock time names, earlier first; nil when it names one or none.
    public mutating func instants(ofAmbiguous local: Int64) -> (earlier: Int64, later: Int64)? {
        guard case .named = spec else { return nil }
        let bucket = CivilDate.floorDiv(local, 900)
        let c = cache[bucket] ?? candidates(local: local)
        cache[bucket] = c
        guard c.count == 2 else { return nil }
        return (local - Int64(c.earlierOffset), local - Int64(c.laterOffset))
    }

    private func candidates(local: Int64) -> Candidates {
        // Offsets either side of any transition near this wall time; no zone changes twice in a day.
        let before = offset(atInstant: local - 86_400)
        let after = offset(atInstant: local + 86_400)
        var valid: [Int] = []
        for off in before == after ? [before] : [before, after] {
            if offset(atInstant: local - Int64(off)) == off { valid.append(off) }
        }
        if valid.isEmpty {
            // Maybe a transition less than a day away on one side only; try the offset right here.
            let here = offset(atInstant: local)
            if offset(atInstant: local - Int64(here)) == here { valid.append(here) }
        }
        switch valid.count {
        case 0:
            return Candidates(earlierOffset: before, laterOffset: after, count: 0)
        case 1:
            return Candidates(earlierOffset: valid[0], laterOffset: valid[0], count: 1)
        default:
            // The earlier instant is the one with the larger offset.
            let hi = max(valid[0], valid[1]), lo = min(valid[0], valid[1])
            return Candidates(earlierOffset: hi, laterOffset: lo, count: 2)
        }
    }
}
