import Foundation
import MeterAnalytics
import MeterCore
import MeterStore
import NutCrackerEngine

/// The fleet page's meters to visit: meter health over the fleet's last week (`HealthReport`),
/// worked out in the background at most every `maxAge`, so that a page never waits long for a scan
/// of the store. A page shows the last list worked out, and the first one as soon as it is ready.
actor HealthCache {
    struct Listing: Sendable {
        var computedAt: Date
        /// The end of the week judged: the fleet's latest reading when it was worked out.
        var through: Int64
        var meters: [MeterHealth]
        /// Each meter's health, by meter.
        var byMeter: [MeterID: MeterHealth]

        init(computedAt: Date, through: Int64, meters: [MeterHealth]) {
            self.computedAt = computedAt
            self.through = through
            self.meters = meters
            byMeter = Dictionary(meters.map { ($0.meter, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    private var current: Listing?
    private var running: Task<Listing?, Never>?
    let maxAge: TimeInterval
    let days: Int

    init(maxAge: TimeInterval = 300, days: Int = 7) {
        self.maxAge = maxAge
        self.days = days
    }

    /// The latest listing, starting a fresh one when it is older than `maxAge`; before there is
    /// any, waits up to `wait` for the first.
    func listing(store: any ReadingStore, wait: Duration = .seconds(2)) async -> Listing? {
        if running == nil, current.map({ Date().timeIntervalSince($0.computedAt) > maxAge }) ?? true {
            let days = days
            running = Task.detached(priority: .utility) {
                guard let meters = try? await store.meters(), let end = meters.compactMap(\.latest?.start).max(),
                      let list = try? await HealthReport.compute(store: store, from: end - Int64(days) * 86_400) else { return nil }
                return Listing(computedAt: Date(), through: end, meters: list)
            }
            let task = running
            Task { await finished(await task?.value) }
        }
        if let current { return current }
        guard let task = running else { return nil }
        return await withTaskGroup(of: Listing?.self) { group in
            group.addTask { await task.value }
            group.addTask { try? await Task.sleep(for: wait); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    private func finished(_ listing: Listing?) {
        if let listing { current = listing }
        running = nil
    }
}
