/// What was worked out for a few recent lists of meters, found again by comparing a new list with
/// each remembered one element by element. A gateway names the same meters in the same order in
/// every request, and comparing two lists reads the ids' cached hashes in order, far cheaper than
/// a hash-table lookup per meter in a table the processor's caches no longer hold.
///
/// Holds `capacity` lists, the most recently remembered first, none shorter than `shortest` (a
/// short list is cheap to look up meter by meter); a caller remembers only what stays true for that
/// list (a value that later changes must be remembered again or not at all).
public struct MeterListMemo<Value: Sendable>: Sendable {
    public let capacity: Int
    public let shortest: Int
    private var entries: [(meters: [MeterID], value: Value)] = []

    public init(capacity: Int = 8, shortest: Int = 32) {
        self.capacity = max(1, capacity)
        self.shortest = max(1, shortest)
    }

    /// What was remembered for an equal list.
    public func value(for meters: [MeterID]) -> Value? {
        guard meters.count >= shortest else { return nil }
        for e in entries where e.meters.count == meters.count && e.meters == meters { return e.value }
        return nil
    }

    /// Remembers a list's value, in place of an equal list's and before the others; the oldest
    /// goes beyond `capacity`.
    public mutating func remember(_ value: Value, for meters: [MeterID]) {
        guard meters.count >= shortest else { return }
        entries.removeAll { $0.meters.count == meters.count && $0.meters == meters }
        entries.insert((meters, value), at: 0)
        if entries.count > capacity { entries.removeLast(entries.count - capacity) }
    }

    /// Lists remembered.
    public var count: Int { entries.count }

    public mutating func removeAll() { entries.removeAll() }
}
