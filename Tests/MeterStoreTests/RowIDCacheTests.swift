import Testing
import MeterCore
@testable import MeterStore

/// A batch's row ids come from the cache as the cache stands: a list whose meters are all known is
/// remembered, one with a meter still unknown is not, so a meter committed later is found.
@Suite struct RowIDCacheTests {
    let meters = (0..<40).map { MeterID("G-\($0)")! }

    @Test func aListIsRememberedOnlyOnceEveryMeterIsKnown() {
        let cache = RowIDCache()
        #expect(cache.rowIDs(of: meters).allSatisfy { $0 == nil })
        cache.merge(Dictionary(uniqueKeysWithValues: meters.dropLast().enumerated().map { ($1, Int64($0 + 1)) }))
        #expect(cache.rowIDs(of: meters) == meters.dropLast().indices.map { Int64($0 + 1) } + [nil])
        cache.merge([meters[39]: 40])
        let all = (1...40).map { Int64($0) as Int64? }
        #expect(cache.rowIDs(of: meters) == all)
        // Again, from the remembered list, for an equal list of its own.
        #expect(cache.rowIDs(of: (0..<40).map { MeterID("G-\($0)")! }) == all)
        #expect(cache.rowIDs(of: Array(meters.reversed())) == all.reversed())
        #expect(cache[meters[7]] == 8)
    }

    @Test func anIdThatChangesIsNotServedFromAnOldList() {
        let cache = RowIDCache()
        cache.merge(Dictionary(uniqueKeysWithValues: meters.enumerated().map { ($1, Int64($0 + 1)) }))
        #expect(cache.rowIDs(of: meters)[3] == 4)
        cache.merge([meters[3]: 400])
        #expect(cache.rowIDs(of: meters)[3] == 400)
    }
}
