import Foundation
import MeterCore

/// Settings of every detector.
public struct DetectorConfig: Sendable, Hashable {
    public var spike = SpikeValleyDetector.Config()
    public var flatline = FlatlineDetector.Config()
    public var zeroRun = ZeroRunDetector.Config()
    public var gap = CommunicationGapDetector.Config()
    public var boundary = BoundaryDetector.Config()
    public var levelShift = LevelShiftDetector.Config()
    public var deviation = ProfileDeviationDetector.Config()
    public var burst = SpikeBurstDetector.Config()
    public var registerSize = 100_000.0
    /// Share of a source's reporting meters at zero in one interval that makes an outage.
    public var outageShare = 0.6
    /// Fewest meters reporting for a source-level judgement.
    public var outageMinMeters = 3
    /// Zone of the meters' days (time of day and weekends).
    public var zone: TimeZoneSpec = .utc
    /// How often, in the meters' own time (seconds), an event still open is reported again with its
    /// end, score and description as they stand, so a hold shows how long it has lasted while it
    /// lasts; 0 reports open events only when they open and close.
    public var refreshOpen: Int64 = 3600
    public init() {}
}

/// Every detector over a fleet, fed readings in time order: per-meter detectors with bounded
/// state, and the source-level outage judgement across meters. It folds events together so an
/// operator sees one thing per cause: meters at zero during their source's outage are the outage,
/// not one alarm each; a flatline explains the valleys it contains. Returns each report as it
/// happens (for live subscribers) and keeps the final version of every event, or, running live,
/// only of those still open.
public struct DetectorSet: Sendable {
    public let config: DetectorConfig
    /// Whether the set keeps every event it has reported (`anomalies`). A live set keeps only the
    /// events still open (and the ids of open ones it folded), so its memory stays bounded per meter
    /// however long it runs; its reports are the same.
    public let keepsHistory: Bool

    private struct PerMeter: Sendable {
        var id: MeterID
        var source: SourceID?
        /// The source's place in `sources` (-1: none).
        var sourceSlot = -1
        var spike: SpikeValleyDetector
        var flatline: FlatlineDetector
        var zeroRun: ZeroRunDetector
        var gap: CommunicationGapDetector
        var boundary: BoundaryDetector
        var level: LevelShiftDetector
        var deviation: ProfileDeviationDetector
        var burst: SpikeBurstDetector
        var register: RegisterDetector
        /// Valleys held back while a hold may be forming around them, with the hold's level: a stray
        /// low value in the first hours of a hold is part of the hold once the hold is certain.
        var pending: [(valley: Anomaly, level: Double)] = []
        /// The two readings before this one.
        var before = (Double.nan, Double.nan)
        /// Recent flatlines (start to end), by start.
        var holds: [Int64: Int64] = [:]
        /// Whether one of its detectors may have an event open, and the meter time since its open
        /// events were last reported.
        var mayBeOpen = false
        var sinceRefresh: Int64 = 0
    }

    private struct PerSource: Sendable {
        var slot: Int64 = .min
        var interval: Int64 = 1800
        var reporting = 0
        var zeros = 0
        var open: Anomaly?
        /// Recent outages (start, end), for folding meter events into them.
        var past: [(Int64, Int64)] = []
        /// Time since the open outage was last reported again.
        var sinceRefresh: Int64 = 0

        /// Counts a reading of the source's current interval; false for one that starts another.
        mutating func count(start: Int64, zero: Bool) -> Bool {
            guard start == slot else { return false }
            reporting += 1
            if zero { zeros += 1 }
            return true
        }
    }

    private var meters: [MeterID: Int] = [:]
    private var state: [PerMeter] = []
    /// Each meter's id by its place in `state`, apart from its cold detectors; and the place of the
    /// reading that followed its reading in the last batch (-1: none). A gateway's readings come in
    /// the same order of meters every interval, so a batch finds nearly every reading's place from
    /// the reading before it, checked against `ids`, without hashing its meter.
    private var ids: [MeterID] = []
    private var following: [Int32] = []
    /// Meters of `state` that `place` has placed (all of them between batches).
    private var placed = 0
    /// Per meter: the last reading of a batch seen so far while the batch is put in meter order
    /// (-1 between batches).
    private var lastInBatch: [Int32] = []
    /// A new meter's detectors, before any reading.
    private let template: PerMeter
    private var silences: SilenceWatch
    /// Per source, by its place (`sourceSlots`): every reading counts towards its source's interval
    /// in place, without hashing the source's name.
    private var sources: [PerSource] = []
    private var sourceIDs: [SourceID] = []
    private var sourceSlots: [SourceID: Int] = [:]
    private var events: [String: Anomaly] = [:]
    private var order: [String] = []
    private var folded: Set<String> = []
    private var offsetHour: Int64 = .min
    private var offset: Int64 = 0
    private let resolver: LocalTimeResolver
    /// Events reported, by kind (each event once, whatever its updates).
    public private(set) var counts: [AnomalyKind: Int] = [:]

    public init(config: DetectorConfig = DetectorConfig(), keepsHistory: Bool = true) {
        self.config = config
        self.keepsHistory = keepsHistory
        resolver = LocalTimeResolver(config.zone)
        let c = config
        // Every meter's detectors start as copies of these, so they share one copy of each setting.
        template = PerMeter(id: .unknown, source: nil, spike: SpikeValleyDetector(config: c.spike), flatline: FlatlineDetector(config: c.flatline),
                            zeroRun: ZeroRunDetector(config: c.zeroRun), gap: CommunicationGapDetector(config: c.gap),
                            boundary: BoundaryDetector(config: c.boundary), level: LevelShiftDetector(config: c.levelShift),
                            deviation: ProfileDeviationDetector(config: c.deviation), burst: SpikeBurstDetector(config: c.burst),
                            register: RegisterDetector(registerSize: c.registerSize))
        silences = SilenceWatch(minMissing: config.gap.minMissing, minMeters: config.outageMinMeters, refresh: config.refreshOpen)
    }

    /// Meters the set has seen.
    public var meterCount: Int { state.count }

    /// Events and folded ids the set holds in memory.
    var remembered: Int { events.count + folded.count + order.count }

    /// Every event so far, in the order they were first reported, each in its latest version
    /// (without `keepsHistory`, none).
    public var anomalies: [Anomaly] { order.compactMap { events[$0] } }

    /// A meter's place in `state`, fully placed (its silence watch and source slot too).
    private mutating func index(_ meter: MeterID, _ source: SourceID?) -> Int {
        let i = stateIndex(meter, source)
        while placed <= i { place(placed) }
        return i
    }

    /// A meter's place in `state`, its detectors made on first sight; `place` then gives it its part
    /// of the fleet's watch, in the order readings come (a batch makes its new meters' detectors
    /// before it judges any reading).
    private mutating func stateIndex(_ meter: MeterID, _ source: SourceID?) -> Int {
        if let i = meters[meter] { return i }
        var fresh = template
        fresh.id = meter
        fresh.source = source
        state.append(fresh)
        ids.append(meter)
        following.append(-1)
        meters[meter] = state.count - 1
        return state.count - 1
    }

    /// The next meter made and not yet watched: watched for silence, and given its source's slot.
    private mutating func place(_ i: Int) {
        silences.add(meter: i, source: state[i].source)
        if let source = state[i].source { state[i].sourceSlot = slot(source) }
        placed += 1
    }

    /// A source's place in `sources`, given one on first sight.
    private mutating func slot(_ s: SourceID) -> Int {
        if let k = sourceSlots[s] { return k }
        sources.append(PerSource())
        sourceIDs.append(s)
        sourceSlots[s] = sources.count - 1
        return sources.count - 1
    }

    private mutating func localOffset(_ t: Int64) -> Int64 {
        let hour = CivilDate.floorDiv(t, 3600)
        if hour != offsetHour {
            offsetHour = hour
            offset = Int64(resolver.offset(atInstant: t))
        }
        return offset
    }

    /// One interval reading (measured, in kWh). Returns the reports it caused.
    @discardableResult
    public mutating func observe(meter: MeterID, source: SourceID?, start: Int64, value: Double, interval: Int64) -> [Anomaly] {
        observe(meter: meter, source: source, start: start, value: value, interval: interval, judgingSource: true)
    }

    /// A stored reading replayed to bring a meter's detectors up to date (after a restart, from the
    /// meter's last weeks): it teaches them what the meter does and leaves open what is open at its
    /// end, as a live reading would, but nothing is returned (it was reported when it first came), and
    /// the source-level outage judgement, which needs an interval's readings of every meter together,
    /// does not see it. A meter's readings are replayed in time order, one meter after another.
    public mutating func replay(meter: MeterID, source: SourceID?, start: Int64, value: Double, interval: Int64) {
        _ = observe(meter: meter, source: source, start: start, value: value, interval: interval, judgingSource: false)
    }

    /// The events open now, each as last reported.
    public var openEvents: [Anomaly] { events.values.filter(\.open) }

    /// Each meter's learned operating band (`OperatingEnvelope.Learned`), for a store to keep: the
    /// one part of a meter's detector state that a replay of its last weeks cannot rebuild.
    public func operatingBands() -> [(meter: MeterID, learned: OperatingEnvelope.Learned)] {
        state.compactMap { m in m.boundary.envelope.learned.map { (m.id, $0) } }
    }

    /// Gives meters the operating bands an earlier process learned; before their readings are
    /// replayed, which then reopens what was open without learning those readings twice.
    public mutating func restore(operatingBands bands: [(meter: MeterID, source: SourceID?, learned: OperatingEnvelope.Learned)]) {
        for b in bands {
            let i = index(b.meter, b.source)
            state[i].boundary.envelope.restore(b.learned)
        }
    }

    /// A reading as the set takes it in a batch.
    public struct Sighting: Sendable {
        public var meter: MeterID
        public var source: SourceID?
        public var start: Int64
        public var value: Double

        public init(meter: MeterID, source: SourceID?, start: Int64, value: Double) {
            self.meter = meter
            self.source = source
            self.start = start
            self.value = value
        }
    }

    /// Readings in time order, each taken as `observe(meter:source:start:value:interval:)` takes it,
    /// with the same reports in the same order. A reading's work is in two parts: what only its
    /// meter's own state decides (its detectors, its held valleys, its open events due to be reported
    /// again), which `learn` does meter by meter, so a meter's state, not in the processor's caches at
    /// a fleet's scale, is fetched once for all its readings in the batch; and what the fleet decides
    /// (the clock and silences, its source's outage, folding into causes, recording), which `judge`
    /// then does reading by reading in time order, from what `learn` noted.
    public mutating func observe(_ readings: [Sighting], interval: Int64) -> [Anomaly] {
        var pass = begin(readings, interval: interval)
        learn(&pass)
        var out: [Anomaly] = []
        for k in readings.indices {
            let note = pass.noted[k] >= 0 ? pass.notes[Int(pass.noted[k])] : nil
            judge(readings[k], place: Int(pass.places[k]), interval: interval, judging: true, note: note, found: pass.found, into: &out)
        }
        return out
    }

    /// A batch of readings on its way through `learn` and `judge`.
    private struct Pass {
        let readings: [Sighting]
        let interval: Int64
        /// Each reading's meter in `state`.
        let places: [Int32]
        /// Each reading's slot of its local day, whether that day is a weekend, and its base-10 log.
        let slots: [(slot: Int, weekend: Bool)]
        let tens: [Double]
        /// The readings in meter order (meters as they first come, each meter's in time order).
        let order: [Int32]
        /// What `learn` made of each reading (an index into `notes`, -1: no news or nothing to say).
        var noted: [Int32]
        var notes: [Note] = []
        var found: [Anomaly] = []
    }

    /// What a reading's meter alone made of it, for `judge`: its reports in `found`, taken in order:
    /// those to record now, valleys held back that came due, and open events due to be reported again.
    struct Note: Sendable {
        var first: Int32
        var now: Int32
        var due: Int32
        var refresh: Int32
        /// Whether one of them is a spike (a learned limit it breached is then the spike's).
        var spike: Bool
        /// When the meter's hold, open after the reading, began (events inside it are the hold's).
        var holdSince: Int64?
    }

    /// Makes the batch's new meters' detectors and puts its readings in meter order.
    private mutating func begin(_ readings: [Sighting], interval: Int64) -> Pass {
        var places: [Int32] = []
        places.reserveCapacity(readings.count)
        var previous = -1
        for r in readings {
            let guess = previous >= 0 ? Int(following[previous]) : -1
            let p = guess >= 0 && ids[guess] == r.meter ? guess : stateIndex(r.meter, r.source)
            if previous >= 0 { following[previous] = Int32(p) }
            places.append(Int32(p))
            previous = p
        }
        var slots: [(slot: Int, weekend: Bool)] = []
        slots.reserveCapacity(readings.count)
        for r in readings { slots.append(slotOfDay(r.start, interval: interval)) }
        let tens = readings.map { Observation.log10($0.value) }
        // Each meter's readings chained in time order, the meters in the order they first come.
        if lastInBatch.count < state.count { lastInBatch += repeatElement(-1, count: state.count - lastInBatch.count) }
        var next = [Int32](repeating: -1, count: readings.count)
        var heads: [Int32] = []
        for (k, p) in places.enumerated() {
            let last = lastInBatch[Int(p)]
            if last < 0 { heads.append(Int32(k)) } else { next[Int(last)] = Int32(k) }
            lastInBatch[Int(p)] = Int32(k)
        }
        var order: [Int32] = []
        order.reserveCapacity(readings.count)
        for h in heads {
            lastInBatch[Int(places[Int(h)])] = -1
            var k = h
            while k >= 0 { order.append(k); k = next[Int(k)] }
        }
        return Pass(readings: readings, interval: interval, places: places, slots: slots, tens: tens, order: order,
                    noted: [Int32](repeating: -1, count: readings.count))
    }

    /// Runs the meters' own detectors over the pass's readings in meter order. While one is taken,
    /// memory is asked for what the reading a few places ahead will touch (its time-of-day rings,
    /// its sketches' bins), and, further ahead, for that reading's own entries in the pass: they are
    /// stored in the order readings came, so taken in meter order they are scattered over a batch
    /// of tens of thousands.
    private mutating func learn(_ pass: inout Pass) {
        let ahead = 4, further = 16
        let readings = Self.address(pass.readings), slots = Self.address(pass.slots), tens = Self.address(pass.tens),
            places = Self.address(pass.places)
        // The latest start each meter's detectors have seen, carried along its readings.
        var latest = Int64.min, meter = -1
        for j in pass.order.indices {
            if j + further < pass.order.count {
                let k = Int(pass.order[j + further])
                Self.prefetch(readings, k, Sighting.self)
                Self.prefetch(slots, k, (slot: Int, weekend: Bool).self)
                Self.prefetch(tens, k, Double.self)
                Self.prefetch(places, k, Int32.self)
            }
            if j + ahead < pass.order.count {
                let k = Int(pass.order[j + ahead]), p = Int(pass.places[k])
                Self.prefetch(&state[p], slot: pass.slots[k].slot, weekend: pass.slots[k].weekend,
                              bin: QuantileSketch.bin(of: pass.readings[k].value, log10: pass.tens[k]))
            }
            let k = Int(pass.order[j]), i = Int(pass.places[k])
            if i != meter {
                meter = i
                latest = i < placed ? silences.latest(meter: i) : .min
            }
            let r = pass.readings[k]
            // The meter's detectors take its readings in time order: one not later than its latest (a
            // correction, a repeat, history sent late) is stored, but not news to them.
            guard r.start > latest else { continue }
            latest = r.start
            if let note = Self.learn(&state[i], r, interval: pass.interval, slot: pass.slots[k], log10: pass.tens[k],
                                     config: config, into: &pass.found) {
                pass.noted[k] = Int32(pass.notes.count)
                pass.notes.append(note)
            }
        }
    }

    /// Where an array's elements are, for hints only (see `Prefetch`): the array must outlive the hints.
    private static func address<T>(_ a: [T]) -> UInt { a.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) } }

    /// Asks memory for the element at `i` of the array whose elements are at `base` (its first and
    /// last byte: an element may straddle two lines).
    private static func prefetch<T>(_ base: UInt, _ i: Int, _: T.Type) {
        guard base != 0 else { return }
        let at = base &+ UInt(bitPattern: i &* MemoryLayout<T>.stride)
        if let first = UnsafeRawPointer(bitPattern: at) { Prefetch.line(first) }
        if MemoryLayout<T>.size > 8, let last = UnsafeRawPointer(bitPattern: at &+ UInt(MemoryLayout<T>.size - 1)) { Prefetch.line(last) }
    }

    /// The detectors' `prefetch` methods are `mutating` only so they run in place: called on a copy,
    /// they would first copy the detector, and wait for the very memory they ask for.
    private static func prefetch(_ m: inout PerMeter, slot: Int, weekend: Bool, bin: Int) {
        m.spike.prefetch(slot: slot, weekend: weekend, bin: bin)
        m.deviation.prefetch(slot: slot, weekend: weekend)
        m.flatline.prefetch(bin: bin)
        m.burst.prefetch(bin: bin)
    }

    /// A reading's slot of its local day and whether that day is a weekend.
    private mutating func slotOfDay(_ start: Int64, interval: Int64) -> (slot: Int, weekend: Bool) {
        let local = start + localOffset(start)
        let day = CivilDate.floorDiv(local, 86_400)
        return (Int((local - day * 86_400) / max(60, interval)), CivilDate.isoWeekday(daysSinceEpoch: day) >= 6)
    }

    /// One reading, both parts at once.
    private mutating func observe(meter: MeterID, source: SourceID?, start: Int64, value: Double, interval: Int64,
                                  judgingSource: Bool) -> [Anomaly] {
        let i = stateIndex(meter, source)
        let r = Sighting(meter: meter, source: source, start: start, value: value)
        var found: [Anomaly] = []
        var note: Note?
        if start > (i < placed ? silences.latest(meter: i) : .min) {
            note = Self.learn(&state[i], r, interval: interval, slot: slotOfDay(start, interval: interval), log10: Observation.log10(value),
                              config: config, into: &found)
        }
        var out: [Anomaly] = []
        judge(r, place: i, interval: interval, judging: judgingSource, note: note, found: found, into: &out)
        return out
    }

    /// A meter's own part of a reading that is news to it (`slot` and `log10`: the reading's): its detectors; a valley between two readings
    /// at one level held back, as it may be a stray value at the start of a hold (it waits while the
    /// readings stay at that level, until the hold opens and explains it or a flatline window has
    /// passed); and, every `config.refreshOpen` of its time while an event may be open, its open events to
    /// report again. Appends what it has to say to `found`; nil when nothing.
    private static func learn(_ m: inout PerMeter, _ r: Sighting, interval: Int64, slot: (slot: Int, weekend: Bool), log10: Double,
                              config: DetectorConfig, into found: inout [Anomaly]) -> Note? {
        let tolerance = config.flatline.tolerance, window = Int64(config.flatline.window) * interval, refreshEvery = config.refreshOpen
        let o = Observation(meter: r.meter, source: r.source, start: r.start, value: r.value, interval: interval,
                            slotOfDay: slot.slot, weekend: slot.weekend, log10Value: log10)
        var raw: [Anomaly] = []
        m.flatline.observe(o, into: &raw)
        let held = m.flatline.isOpen
        m.spike.learns = !held
        m.spike.observe(o, into: &raw)
        m.zeroRun.observe(o, into: &raw)
        m.gap.observe(o, into: &raw)
        m.boundary.observe(o, into: &raw)
        m.level.observe(o, into: &raw)
        m.deviation.observe(o, into: &raw)
        m.burst.observe(o, into: &raw)
        let value = o.value, start = o.start
        var due: [Anomaly] = []
        if !m.pending.isEmpty {
            m.pending.removeAll { p in
                guard abs(value - p.level) > tolerance * p.level || p.valley.start + window < start || held else { return false }
                var a = p.valley
                a.detectedAt = start
                due.append(a)
                return true
            }
        }
        let first = found.count
        var spike = false
        let before = m.before.0
        for a in raw {
            if a.kind == .spike { spike = true }
            if a.open && !m.mayBeOpen { m.mayBeOpen = true; m.sinceRefresh = 0 }
            if a.kind == .valley, abs(value - before) <= tolerance * max(value, before) {
                m.pending.append((a, value))
            } else {
                found.append(a)
            }
        }
        let now = found.count - first
        found += due
        m.before = (m.before.1, value)
        var refresh = 0
        if m.mayBeOpen {
            m.sinceRefresh += o.interval
            if refreshEvery > 0, m.sinceRefresh >= refreshEvery {
                m.sinceRefresh = 0
                let open = [Self.current(&m.flatline), Self.current(&m.zeroRun), Self.current(&m.level), Self.current(&m.boundary),
                            Self.current(&m.deviation), Self.current(&m.burst)].compactMap { $0 }
                found += open
                refresh = open.count
                m.mayBeOpen = !open.isEmpty
            }
        }
        guard found.count > first else { return nil }
        return Note(first: Int32(first), now: Int32(now), due: Int32(due.count), refresh: Int32(refresh), spike: spike,
                    holdSince: m.flatline.openSince)
    }

    /// The fleet's part of a reading, in time order: the clock and the silences it reveals, its
    /// source's outage, and the reports its meter's detectors made of it (`note`), folded or recorded.
    private mutating func judge(_ r: Sighting, place i: Int, interval: Int64, judging: Bool, note: Note?, found: [Anomaly],
                                into out: inout [Anomaly]) {
        let start = r.start
        if silences.advance(to: start, judging: judging) { sweepSilences(into: &out) }
        while placed <= i { place(placed) }
        if let s = r.source {
            let k = s == state[i].source ? state[i].sourceSlot : slot(s)
            if judging {
                outageStep(k, start: start, interval: interval, zero: r.value <= 0, into: &out)
            } else if start > sources[k].slot {
                // A replay sets the source's clock the next live reading is judged by, without judging.
                sources[k].slot = start
                sources[k].interval = interval
            }
        }
        guard silences.arrived(meter: i, start: start, interval: interval, judging: judging) else { return }
        let first = Int(note?.first ?? 0), now = Int(note?.now ?? 0)
        let reports = found[first..<(first + now)]
        let late = silences.anySilent ? silences.resumed(meter: i, reports: reports) : nil
        guard let note else {
            if let late { accept(late, meter: i, holdSince: nil, into: &out) }
            return
        }
        for a in reports {
            // A learned limit breached by a spike is the spike. (An operating-band excursion is an
            // episode of its own: neither its opening nor its closing is dropped.)
            if note.spike, a.kind == .boundary, a.severity != .critical, !a.open, events[a.id] == nil { continue }
            accept(a, meter: i, holdSince: note.holdSince, into: &out)
        }
        if let late { accept(late, meter: i, holdSince: note.holdSince, into: &out) }
        let due = first + now, refresh = due + Int(note.due)
        for a in found[due..<refresh] { accept(a, meter: i, holdSince: note.holdSince, into: &out) }
        // Open events reported again when they have grown since last reported.
        for a in found[refresh..<(refresh + Int(note.refresh))] {
            if let last = events[a.id], last.end != a.end { accept(a, meter: i, holdSince: note.holdSince, into: &out) }
        }
    }

    /// A detector's open event, read in place (a read through the array copies the detector).
    private static func current(_ detector: inout some MeterDetector) -> Anomaly? { detector.current }

    /// One cumulative register read of a register meter.
    @discardableResult
    public mutating func observeRegister(meter: MeterID, source: SourceID?, start: Int64, value: Double, interval: Int64) -> [Anomaly] {
        var out: [Anomaly] = []
        let i = index(meter, source)
        var raw: [Anomaly] = []
        state[i].register.observe(meter: meter, source: source, start: start, interval: interval, register: value, into: &raw)
        for a in raw { accept(a, meter: i, into: &out) }
        return out
    }

    /// Closes every open event and releases held ones.
    public mutating func finish() -> [Anomaly] {
        var out: [Anomaly] = []
        // Silences still open end with the input.
        for (i, a) in silences.finish() {
            if let i { accept(a, meter: i, into: &out) } else { record(a, into: &out) }
        }
        for k in sources.indices {
            if var a = sources[k].open {
                a.open = false
                sources[k].past.append((a.start, a.end))
                sources[k].open = nil
                record(a, into: &out)
            }
        }
        for i in state.indices {
            var raw: [Anomaly] = []
            state[i].spike.finish(into: &raw)
            state[i].flatline.finish(into: &raw)
            state[i].zeroRun.finish(into: &raw)
            state[i].level.finish(into: &raw)
            state[i].boundary.finish(into: &raw)
            state[i].deviation.finish(into: &raw)
            state[i].burst.finish(into: &raw)
            raw += state[i].pending.map(\.valley)
            state[i].pending = []
            for a in raw { accept(a, meter: i, into: &out) }
        }
        return out
    }

    /// Kinds a source's outage explains when they fall inside it.
    private static let explainedByOutage: Set<AnomalyKind> = [.zeroRun, .valley, .levelShift, .flatline, .communicationGap]

    /// Whether an event of a meter falls inside an outage of its source.
    private func inOutage(_ a: Anomaly, meter i: Int) -> Bool {
        guard state[i].sourceSlot >= 0 else { return false }
        let st = sources[state[i].sourceSlot]
        for (s, e) in st.past where a.start < e && s < a.end { return true }
        if let o = st.open, a.start < max(o.end, a.end), o.start < a.end { return true }
        return false
    }

    /// The silences a new interval of the fleet's clock reveals (`SilenceWatch`), recorded or, for
    /// a meter, accepted (a meter's gap in its source's outage is the outage).
    private mutating func sweepSilences(into out: inout [Anomaly]) {
        let seen = silences.sweep(slot: { s in sourceSlots[s].flatMap { sources[$0].slot == .min ? nil : (sources[$0].slot, sources[$0].interval) } },
                                  id: { state[$0].id })
        for (i, a) in seen {
            if let i { accept(a, meter: i, into: &out) } else { record(a, into: &out) }
        }
    }

    /// Whether an event of a meter falls inside a hold of that meter (`holdSince`: when the hold open
    /// at the event's reading began).
    private func inHold(_ a: Anomaly, meter i: Int, holdSince: Int64?) -> Bool {
        if let since = holdSince, a.end > since { return true }
        for (s, e) in state[i].holds where a.start < e && s < a.end { return true }
        return false
    }

    /// Folds a meter's report into a cause already known, or records it. An event reported open
    /// before its cause was known is closed where it stands (a report of its own), so no store keeps
    /// it open while the set has stopped reporting it.
    private mutating func accept(_ a: Anomaly, meter i: Int, into out: inout [Anomaly]) {
        accept(a, meter: i, holdSince: state[i].flatline.openSince, into: &out)
    }

    /// `holdSince`: when the meter's hold open at the reading that made the report began.
    private mutating func accept(_ a: Anomaly, meter i: Int, holdSince: Int64?, into out: inout [Anomaly]) {
        let id = a.id
        if folded.contains(id) {
            // A folded event's last report: a live set need not remember it any longer.
            if !keepsHistory && !a.open { folded.remove(id) }
            return
        }
        let source = state[i].source?.rawValue ?? "-"
        let outage = Self.explainedByOutage.contains(a.kind) && inOutage(a, meter: i)
        let cause = outage ? "source \(source)'s outage"
            : silences.explains(a, source: state[i].source) ? "source \(source) falling silent"
            : (a.kind == .valley || a.kind == .levelShift) && inHold(a, meter: i, holdSince: holdSince) ? "the meter's hold" : nil
        guard let cause else {
            record(a, into: &out)
            return
        }
        if keepsHistory || a.open { folded.insert(id) }
        if let reported = events[id], reported.open {
            var closed = a
            closed.open = false
            closed.detail = closed.detail.replacingOccurrences(of: " so far", with: "") + "; explained by \(cause)"
            out.append(closed)
            if !keepsHistory { events.removeValue(forKey: id) }
        }
        if outage, events.removeValue(forKey: id) != nil { counts[a.kind, default: 1] -= 1 }
    }

    private mutating func record(_ a: Anomaly, into out: inout [Anomaly]) {
        if events[a.id] == nil {
            if keepsHistory { order.append(a.id) }
            counts[a.kind, default: 0] += 1
        }
        if keepsHistory || a.open { events[a.id] = a } else { events.removeValue(forKey: a.id) }
        out.append(a)
        if a.kind == .flatline, let m = a.meter, let i = meters[m] {
            state[i].holds[a.start] = a.end
            if state[i].holds.count > 8, let oldest = state[i].holds.keys.min() { state[i].holds.removeValue(forKey: oldest) }
        }
    }

    /// The source-level judgement: when an interval closes, the share of the source's meters at zero.
    private mutating func outageStep(_ k: Int, start: Int64, interval: Int64, zero: Bool, into out: inout [Anomaly]) {
        // Most readings only count towards their source's current interval: counted in place.
        if sources[k].count(start: start, zero: zero) { return }
        let s = sourceIDs[k]
        var st = sources[k]
        if start > st.slot, let resumed = silences.sourceAdvanced(s, to: start, from: st.slot, interval: st.interval) { record(resumed, into: &out) }
        if start > st.slot {
            if st.slot != .min {
                let share = st.reporting > 0 ? Double(st.zeros) / Double(st.reporting) : 0
                let isOut = st.reporting >= config.outageMinMeters && share >= config.outageShare
                if isOut {
                    if var a = st.open {
                        a.end = st.slot + st.interval
                        a.observed = max(a.observed, Double(st.zeros))
                        st.open = a
                        st.sinceRefresh += st.interval
                        if config.refreshOpen > 0, st.sinceRefresh >= config.refreshOpen {
                            st.sinceRefresh = 0
                            sources[k] = st
                            record(Self.outageDescribed(a, source: s), into: &out)
                        }
                    } else {
                        let a = Anomaly(kind: .outage, meter: nil, source: s, start: st.slot, end: st.slot + st.interval, detectedAt: start,
                                        severity: .critical, score: share, expected: 0, observed: Double(st.zeros),
                                        detail: "\(st.zeros) of \(st.reporting) meters of source \(s) at zero together", open: true)
                        st.open = a
                        st.sinceRefresh = 0
                        sources[k] = st
                        record(a, into: &out)
                    }
                } else if var a = st.open {
                    a.open = false
                    a.end = st.slot
                    a = Self.outageDescribed(a, source: s)
                    st.past.append((a.start, a.end))
                    if st.past.count > 16 { st.past.removeFirst() }
                    st.open = nil
                    sources[k] = st
                    record(a, into: &out)
                }
            }
            st.slot = start
            st.interval = interval
            st.reporting = 0
            st.zeros = 0
        }
        if start == st.slot {
            st.reporting += 1
            if zero { st.zeros += 1 }
        }
        sources[k] = st
    }

    /// An outage scored by its length, as it closes or as it stands while open.
    private static func outageDescribed(_ a: Anomaly, source s: SourceID) -> Anomaly {
        var a = a
        a.score = Double(a.end - a.start) / 3600
        a.detail = "source \(s) at zero for \(FixedDecimal.format(a.score, places: 1)) h\(a.open ? " so far" : "") (up to \(Int(a.observed)) meters together)"
        return a
    }
}
