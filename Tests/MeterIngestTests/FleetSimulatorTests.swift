import Foundation
import MeterCore
import MeterIngest
import Testing

@Suite struct FleetSimulatorTests {
    let t0: Int64 = 1_795_824_000

    @Test func namesKindsAndSources() {
        let sim = FleetSimulator(FleetConfig())
        #expect(sim.meters.count == 30)
        #expect(Set(sim.meters.map(\.source.rawValue)) == ["A", "B", "C"])
        #expect(sim.meters.allSatisfy { $0.id.rawValue.range(of: #"^SMR\d{5}[ABC]$"#, options: .regularExpression) != nil })
        #expect(sim.meters.allSatisfy { $0.id.rawValue.hasSuffix($0.source.rawValue) })
        #expect(sim.meters.contains { $0.kind == .register } && sim.meters.contains { $0.kind == .interval })
    }

    @Test func sameSeedSameRowsOtherSeedOtherRows() {
        var a = FleetSimulator(FleetConfig()), b = FleetSimulator(FleetConfig())
        var other = FleetConfig()
        other.seed = 7
        var c = FleetSimulator(other)
        for k in 0..<48 {
            let t = t0 + Int64(k) * 1800
            let ra = a.rows(forSlotStarting: t), rb = b.rows(forSlotStarting: t)
            #expect(ra == rb)
            if k == 0 { #expect(ra != c.rows(forSlotStarting: t)) }
        }
        #expect(a.injected == b.injected)
    }

    @Test func profileHasEveningPeakAboveNightBase() {
        let sim = FleetSimulator(FleetConfig.clean)
        for m in 0..<sim.meters.count {
            let night = sim.expected(meter: m, at: t0 + 3 * 3600)
            let evening = sim.expected(meter: m, at: t0 + 19 * 3600)
            #expect(evening > night * 1.5)
        }
    }

    @Test func cleanFleetSendsOneRowPerMeterPerSlot() {
        var sim = FleetSimulator(FleetConfig.clean)
        let rows = sim.rows(forSlotStarting: t0)
        #expect(rows.count == sim.meters.count)
        #expect(rows.allSatisfy { ($0.value ?? -1) >= 0 })
        #expect(sim.injected.isEmpty)
    }

    @Test func defectsAreInjectedAtRoughlyTheirRatesAndRecorded() {
        var config = FleetConfig.clean
        config.duplicateRate = 0.01
        config.missingRate = 0.02
        config.invalidRate = 0.01
        config.outlierRate = 0.01
        config.registerShare = 0
        var sim = FleetSimulator(config)
        var rows = 0
        for k in 0..<(48 * 30) { rows += sim.rows(forSlotStarting: t0 + Int64(k) * 1800).count }
        let n = Double(48 * 30 * sim.meters.count)
        func rate(_ kind: InjectedDefect.Kind) -> Double { Double(sim.injected.filter { $0.kind == kind }.count) / n }
        #expect(abs(rate(.duplicate) - 0.01) < 0.003)
        #expect(abs(rate(.missing) - 0.02) < 0.004)
        #expect(abs(rate(.invalid) - 0.01) < 0.003)
        #expect(abs(rate(.outlier) - 0.01) < 0.003)
        #expect(rows == Int(n) - sim.injected.filter { $0.kind == .missing }.count + sim.injected.filter { $0.kind == .duplicate }.count)
    }

    @Test func loadSheddingZeroesAWholeSourceForFourToEightHours() {
        var config = FleetConfig.clean
        config.loadSheddingRate = 1
        config.registerShare = 0
        var sim = FleetSimulator(config)
        var zeroSlots: [SourceID: Int] = [:]
        for k in 0..<(48 * 3) {
            for r in sim.rows(forSlotStarting: t0 + Int64(k) * 1800) where r.value == 0 { zeroSlots[r.meter.source, default: 0] += 1 }
        }
        let events = sim.injected.filter { $0.kind == .loadShedding }
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { ($0.end - $0.start) >= 4 * 3600 && ($0.end - $0.start) <= 8 * 3600 && $0.source != nil })
        #expect(zeroSlots.values.allSatisfy { $0 % config.metersPerSource == 0 })
    }

    @Test func tamperingHoldsOneMeterNearAConstantForDays() {
        var config = FleetConfig.clean
        config.tamperingRate = 1
        config.registerShare = 0
        var sim = FleetSimulator(config)
        var values: [MeterID: [Double]] = [:]
        for k in 0..<(48 * 14) {
            for r in sim.rows(forSlotStarting: t0 + Int64(k) * 1800) { values[r.meter.id, default: []].append(r.value ?? 0) }
        }
        guard let event = sim.injected.first(where: { $0.kind == .tampering }), let meter = event.meter else {
            Issue.record("no tampering injected")
            return
        }
        let hours = Double(event.end - event.start) / 3600
        #expect(hours >= 72 && hours <= 120)
        let from = Int((event.start - t0) / 1800), to = min(Int((event.end - t0) / 1800), 48 * 14)
        let held = values[meter]?[max(from, 0)..<to] ?? []
        let mean = held.reduce(0, +) / Double(max(held.count, 1))
        #expect(held.allSatisfy { abs($0 - mean) <= 0.05 * mean + 0.002 })
    }

    @Test func writesCSVThatReadsBack() throws {
        var sim = FleetSimulator(FleetConfig())
        var text = ""
        sim.writeCSV(from: t0, slots: 48) { text += $0 }
        let r = try CSVReader().read(text: text)
        #expect(r.problems.isEmpty)
        #expect(r.batch.meters.count == 30)
        #expect(Set(r.sources.values.map(\.rawValue)) == ["A", "B", "C"])
        #expect(r.kinds.values.contains(.register))
    }
}
