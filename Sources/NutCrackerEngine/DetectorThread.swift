import Dispatch
import MeterAnalytics
import MeterCore
import Synchronization

/// The background detectors' own thread: the detector set lives here and takes each committed batch
/// whole, on a serial queue outside the cooperative pool. The operating system then shares the
/// processor between it and the threads that parse, cleanse and commit, so detection keeps pace with
/// ingest instead of waiting its turn behind every request in the pool's queue.
final class DetectorThread: Sendable {
    private let queue = DispatchQueue(label: "nutcracker.detectors", qos: .userInitiated)
    private let set: Mutex<DetectorSet>

    init(_ set: consuming DetectorSet) { self.set = Mutex(set) }

    /// Runs the detectors over one batch's sightings, in the order batches are handed in.
    func run(registers: [Pipeline.Sighting], readings: [Pipeline.Sighting], interval: Int64) async -> [Anomaly] {
        await withCheckedContinuation { done in
            queue.async {
                let reports = self.set.withLock { Pipeline.apply(&$0, registers: registers, readings: readings, interval: interval) }
                done.resume(returning: reports)
            }
        }
    }
}
