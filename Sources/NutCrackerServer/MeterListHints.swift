import MeterCore
import Synchronization

/// The meters each source's latest live CSV request named, in order, for the reader of its next
/// request to take as a hint (`ReadOptions.meterHint`): a gateway names the same meters in the same
/// order every time. Bounded: past `capacity` sources, every list is forgotten and learned again.
final class MeterListHints: Sendable {
    private let lists = Mutex<[SourceID: [MeterID]]>([:])
    let capacity: Int
    /// Lists this short are not worth keeping.
    static let fewest = 32

    init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    subscript(source: SourceID) -> [MeterID] { lists.withLock { $0[source] ?? [] } }

    func remember(_ meters: [MeterID], for source: SourceID) {
        guard meters.count >= Self.fewest else { return }
        lists.withLock { l in
            if l.count >= capacity, l[source] == nil { l.removeAll() }
            l[source] = meters
        }
    }
}
