/// An optional value kept behind a pointer. A detector's rarely set event (an open hold, a spike
/// waiting for its confirmation) then costs the meter's state eight bytes, not a hundred and more,
/// and the fields every reading touches share fewer cache lines: at a fleet's scale each line is a
/// wait on memory. Reading it allocates nothing; setting it allocates a new box (boxes are never
/// shared mutably, so a copy of the detector is a true copy).
struct Rare<Value: Sendable>: Sendable {
    private final class Box: Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box?

    init() {}

    /// Whether a value is held: a test of the pointer alone, without copying the value out (the
    /// question every reading asks).
    var isSet: Bool { box != nil }

    var value: Value? {
        get { box?.value }
        set { box = newValue.map(Box.init) }
    }
}
