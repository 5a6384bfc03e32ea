import Foundation
import MeterCore

/// The front door for live ingest: requests wait here and are written in groups, one transaction
/// per group (group commit), so many small concurrent requests cost one commit, not one each.
///
/// Guarantees: `submit` returns only once the request's readings are durable, or throws and
/// nothing of it is stored. Memory is bounded: while more than `maxDetectionBacklog` committed
/// readings wait for the background detectors, no new group is taken (acknowledgements slow down to
/// the detectors' pace, and the CPU goes to them); when the rows waiting exceed `maxPendingRows`, a
/// request is refused at once with `IngestQueueError.saturated` instead of queued.
public actor IngestQueue {
    public let pipeline: Pipeline
    public let maxPendingRows: Int
    public let maxGroupRows: Int
    public let maxDetectionBacklog: Int
    private let metrics: MetricsRegistry?
    private typealias Pending = (request: IngestRequest, rows: Int, done: CheckedContinuation<IngestSummary, any Error>)
    private var pending: [Pending] = []
    private var pendingRows = 0
    private var draining = false
    /// Rows waiting, readable from any thread (the queue-depth gauge).
    private let depth = SharedCount()

    public init(pipeline: Pipeline, maxPendingRows: Int = 500_000, maxGroupRows: Int = 50_000, maxDetectionBacklog: Int = 250_000,
                metrics: MetricsRegistry? = nil) {
        self.pipeline = pipeline
        self.maxPendingRows = maxPendingRows
        self.maxGroupRows = maxGroupRows
        self.maxDetectionBacklog = maxDetectionBacklog
        self.metrics = metrics
        let depth = self.depth, backlog = pipeline.detectionBacklog
        metrics?.gauge("nutcracker_ingest_queue_rows", help: "Rows waiting for the next group commit.") { Double(depth.value) }
        metrics?.gauge("nutcracker_detection_queue_readings", help: "Readings committed and waiting for the anomaly detectors.") { Double(backlog.value) }
    }

    /// Stores a request with the next group; returns its summary once committed.
    public func submit(_ request: IngestRequest) async throws -> IngestSummary {
        let rows = max(request.batch.count + request.problems.count, 1)
        if !pending.isEmpty, pendingRows + rows > maxPendingRows {
            metrics?.count("nutcracker_ingest_refused_total", help: "Requests refused because the ingest queue was full.")
            throw IngestQueueError.saturated(retryAfter: 1)
        }
        return try await withCheckedThrowingContinuation { done in
            pending.append((request, rows, done))
            pendingRows += rows
            depth.set(pendingRows)
            if !draining {
                draining = true
                Task { await self.drain() }
            } else {
                // A drain waiting for its group's write can stage this one meanwhile.
                wake()
            }
        }
    }

    /// Rows waiting now.
    public var waiting: Int { pendingRows }

    /// Groups in flight: the next group's VEE runs while the one before is being written.
    private static let inFlight = 2
    private var running = 0

    private func drain() async {
        while !pending.isEmpty || running > 0 {
            guard !pending.isEmpty, running < Self.inFlight else {
                await withCheckedContinuation { slotFreed = $0 }
                continue
            }
            // The detectors keep up: no new group while they are too far behind.
            if pipeline.detectionBacklog.value > maxDetectionBacklog {
                metrics?.count("nutcracker_ingest_detection_waits_total", help: "Groups held back until the anomaly detectors caught up.")
                while pipeline.detectionBacklog.value > maxDetectionBacklog { try? await Task.sleep(for: .milliseconds(2)) }
            }
            var take = 0, rows = 0
            while take < pending.count, take == 0 || rows + pending[take].rows <= maxGroupRows {
                rows += pending[take].rows
                take += 1
            }
            let group = Array(pending.prefix(take))
            pending.removeFirst(take)
            pendingRows -= rows
            depth.set(pendingRows)
            running += 1
            // Staged here, in the order taken; written by its own task while the next group is staged.
            let started = ContinuousClock.now
            let staged = await pipeline.stage(group.map(\.request))
            Task {
                let result: Result<[IngestSummary], any Error>
                do { result = .success(try await self.pipeline.write(staged)) } catch { result = .failure(error) }
                self.finished(group, result, started: started)
            }
        }
        draining = false
    }

    private var slotFreed: CheckedContinuation<Void, Never>?

    private func finished(_ group: [Pending], _ result: Result<[IngestSummary], any Error>, started: ContinuousClock.Instant) {
        running -= 1
        switch result {
        case .success(let summaries):
            let elapsed = ContinuousClock.now - started
            metrics?.observe("nutcracker_commit_seconds", help: "Time to cleanse and commit one group of requests.",
                             buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
                             elapsed.inSeconds)
            metrics?.count("nutcracker_commits_total", help: "Group commits.")
            for (item, summary) in zip(group, summaries) { item.done.resume(returning: summary) }
        case .failure(let error):
            for item in group { item.done.resume(throwing: error) }
        }
        wake()
    }

    private func wake() {
        slotFreed?.resume()
        slotFreed = nil
    }
}

/// Why the ingest queue refused a request.
public enum IngestQueueError: Error, CustomStringConvertible {
    /// Too many rows are waiting; try again after the given seconds.
    case saturated(retryAfter: Int)

    public var description: String {
        switch self {
        case .saturated(let s): "ingest is saturated: too many readings are waiting to be committed; retry after \(s) s"
        }
    }
}
