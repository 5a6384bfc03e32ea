import Synchronization

/// An integer any thread may read and change: what a gauge reads (queue depth, connected clients).
public final class SharedCount: Sendable {
    private let v = Mutex(0)

    public init() {}

    public var value: Int { v.withLock { $0 } }
    public func set(_ n: Int) { v.withLock { $0 = n } }
    public func add(_ n: Int) { v.withLock { $0 += n } }
}
