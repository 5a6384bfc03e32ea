import Synchronization

/// Work waiting for the background detectors, in commit order. The one task that runs them takes
/// everything waiting at once (`take`), so under load several groups' readings are judged as one
/// batch, each meter's together; a producer never waits.
final class DetectionQueue<Job: Sendable>: Sendable {
    private struct State {
        var jobs: [Job] = []
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false
    }

    private let state = Mutex(State())

    /// Adds a job behind those waiting.
    func push(_ job: Job) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.jobs.append(job)
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// No more jobs: `take` returns what is left, then nothing.
    func close() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            s.closed = true
            defer { s.waiter = nil }
            return s.waiter
        }
        waiter?.resume()
    }

    /// Every job waiting, once there is at least one; empty once closed and emptied.
    func take() async -> [Job] {
        while true {
            let taken = state.withLock { s -> [Job]? in
                if !s.jobs.isEmpty {
                    defer { s.jobs = [] }
                    return s.jobs
                }
                return s.closed ? [] : nil
            }
            if let taken { return taken }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let now = state.withLock { s -> Bool in
                    guard s.jobs.isEmpty, !s.closed else { return true }
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
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
