/// A detector's settings, held once and referenced by every meter's detector made from the same
/// set (`DetectorSet` copies one template per meter). A fleet's detectors read their settings at
/// every reading: one shared copy stays in the caches, while a copy per meter would take a few
/// cache lines of each meter's state, the memory a reading waits on. Setting a value gives that
/// detector a copy of its own.
@propertyWrapper
public struct SharedSettings<Value: Sendable>: Sendable {
    private final class Box: Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box

    public init(wrappedValue: Value) { box = Box(wrappedValue) }

    public var wrappedValue: Value {
        get { box.value }
        set { box = Box(newValue) }
    }
}
