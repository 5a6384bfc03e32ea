import Dispatch
import Synchronization

/// Work waiting for the background detectors, in commit order. The one thread that runs them takes
/// everything waiting at once (`take`), so under load several groups' readings are judged as one
/// batch, each meter's together; a producer never waits.
final class DetectionQueue<Job: Sendable>: Sendable {
    private struct State {
        var jobs: [Job] = []
        var closed = false
    }

    private let state = Mutex(State())
    /// Signalled at every push and at the close; a taker checks the state again after each wake.
    private let pushed = DispatchSemaphore(value: 0)

    /// Adds a job behind those waiting.
    func push(_ job: Job) {
        state.withLock { $0.jobs.append(job) }
        pushed.signal()
    }

    /// No more jobs: `take` returns what is left, then nothing.
    func close() {
        state.withLock { $0.closed = true }
        pushed.signal()
    }

    /// Every job waiting, once there is at least one; empty once closed and emptied. Blocks the
    /// calling thread (the detectors' own, never one of the concurrency pool's).
    func take() -> [Job] {
        while true {
            let taken = state.withLock { s -> [Job]? in
                if !s.jobs.isEmpty {
                    defer { s.jobs = [] }
                    return s.jobs
                }
                return s.closed ? [] : nil
            }
            if let taken { return taken }
            pushed.wait()
        }
    }

    /// Every job waiting now, without waiting for any.
    func takeWaiting() -> [Job] {
        state.withLock { s in
            defer { s.jobs = [] }
            return s.jobs
        }
    }
}
