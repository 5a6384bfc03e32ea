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

    /// Events and folded ids the set holds in memory.
    var remembered: Int { events.count + folded.count + order.count }

    /// Every event so far, in the order they were first reported, each in its latest version
    /// (without `keepsHistory`, none).
    public var anomalies: [Anomaly] { order.compactMap { events[$0] } }

    private mutating func index(_ meter: MeterID, _ source: SourceID?) -> Int {
        if let i = meters[meter] { return i }
        var fresh = template
        fresh.id = meter
        fresh.source = source
        if let source { fresh.sourceSlot = slot(source) }
        state.append(fresh)
        meters[meter] = state.count - 1
        silences.add(meter: state.count - 1, source: source)
        return state.count - 1
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
    /// with the same reports. While one is judged, memory is asked for what the reading a few places
    /// ahead will touch (its time-of-day rings, its sketches' bins, its windows): at a fleet's scale
    /// a meter's state is not in the processor's caches (its rings were last touched a day before),
    /// and a reading would otherwise wait for each line in turn.
    public mutating func observe(_ readings: [Sighting], interval: Int64) -> [Anomaly] {
        let ahead = 4
        var out: [Anomaly] = []
        // The places of the meters known so far (a new meter is placed when its first reading comes),
        // and each reading's slot, worked out once for the prefetch and the judgement.
        let places = readings.map { meters[$0.meter] ?? -1 }
        var slots: [(slot: Int, weekend: Bool)] = []
        slots.reserveCapacity(readings.count)
        for r in readings { slots.append(slotOfDay(r.start, interval: interval)) }
        let tens = readings.map { Observation.log10($0.value) }
        for k in readings.indices {
            if k + ahead < readings.count, case let p = places[k + ahead], p >= 0 {
                Self.prefetch(&state[p], slot: slots[k + ahead].slot, weekend: slots[k + ahead].weekend,
                              bin: QuantileSketch.bin(of: readings[k + ahead].value, log10: tens[k + ahead]))
            }
            let r = readings[k]
            let reports = observe(meter: r.meter, source: r.source, start: r.start, value: r.value, interval: interval, judgingSource: true,
                                  place: places[k], slot: slots[k], log10: tens[k])
            // Most readings report nothing: appending nothing would still make `out` a buffer of its own.
            if !reports.isEmpty { out += reports }
        }
        return out
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

    /// `place`: the meter's index in `state` when known already; `slot` and `log10`: the reading's, when worked out already.
    private mutating func observe(meter: MeterID, source: SourceID?, start: Int64, value: Double, interval: Int64,
                                  judgingSource: Bool, place: Int = -1, slot known: (slot: Int, weekend: Bool)? = nil,
                                  log10 known10: Double? = nil) -> [Anomaly] {
        var out: [Anomaly] = []
        if silences.advance(to: start, judging: judgingSource) { sweepSilences(into: &out) }
        let i = place >= 0 ? place : index(meter, source)
        if let s = source {
            let k = s == state[i].source ? state[i].sourceSlot : slot(s)
            if judgingSource {
                outageStep(k, start: start, interval: interval, zero: value <= 0, into: &out)
            } else if start > sources[k].slot {
                // A replay sets the source's clock the next live reading is judged by, without judging.
                sources[k].slot = start
                sources[k].interval = interval
            }
        }
        // The meter's detectors take its readings in time order: one not later than its latest (a
        // correction, a repeat, history sent late) is stored, but not news to them.
        guard silences.arrived(meter: i, start: start, interval: interval, judging: judgingSource) else { return out }
        let (slot, weekend) = known ?? slotOfDay(start, interval: interval)
        let o = Observation(meter: meter, source: source, start: start, value: value, interval: interval, slotOfDay: slot, weekend: weekend,
                            log10Value: known10 ?? Observation.log10(value))
        var raw: [Anomaly] = []
        // Whether a hold is open, read in place (a read through the array copies the detector).
        let held = Self.observe(o, with: &state[i].flatline, into: &raw)
        state[i].spike.learns = !held
        state[i].spike.observe(o, into: &raw)
        state[i].zeroRun.observe(o, into: &raw)
        state[i].gap.observe(o, into: &raw)
        state[i].boundary.observe(o, into: &raw)
        state[i].level.observe(o, into: &raw)
        state[i].deviation.observe(o, into: &raw)
        state[i].burst.observe(o, into: &raw)
        if silences.anySilent, let late = silences.resumed(meter: i, reports: raw) { raw.append(late) }
        // A valley between two readings at one level may be a stray value at the start of a hold: it
        // waits while the readings stay at that level, until the hold opens (and explains it) or a
        // flatline window has passed; otherwise it is reported at once.
        let tolerance = config.flatline.tolerance, window = Int64(config.flatline.window) * interval
        var due: [Anomaly] = []
        if !state[i].pending.isEmpty {
            state[i].pending.removeAll { p in
                guard abs(value - p.level) > tolerance * p.level || p.valley.start + window < start || held else { return false }
                var a = p.valley
                a.detectedAt = start
                due.append(a)
                return true
            }
        }
        // A learned limit breached by a spike is the spike.
        // (An operating-band excursion is an episode of its own: neither its opening nor its closing is dropped.)
        if raw.contains(where: { $0.kind == .spike }) {
            raw.removeAll { $0.kind == .boundary && $0.severity != .critical && !$0.open && events[$0.id] == nil }
        }
        let before = state[i].before.0
        for a in raw {
            if a.open && !state[i].mayBeOpen { state[i].mayBeOpen = true; state[i].sinceRefresh = 0 }
            if a.kind == .valley, abs(value - before) <= tolerance * max(value, before) {
                state[i].pending.append((a, value))
            } else {
                accept(a, meter: i, into: &out)
            }
        }
        for a in due { accept(a, meter: i, into: &out) }
        state[i].before = (state[i].before.1, value)
        if state[i].mayBeOpen {
            state[i].sinceRefresh += interval
            if config.refreshOpen > 0, state[i].sinceRefresh >= config.refreshOpen {
                state[i].sinceRefresh = 0
                state[i].mayBeOpen = refreshOpen(meter: i, into: &out)
            }
        }
        return out
    }

    /// Reports again each event of a meter that is open and has grown since it was last reported;
    /// returns whether any is open.
    private mutating func refreshOpen(meter i: Int, into out: inout [Anomaly]) -> Bool {
        var open = refresh(Self.current(&state[i].flatline), meter: i, into: &out)
        open = refresh(Self.current(&state[i].zeroRun), meter: i, into: &out) || open
        open = refresh(Self.current(&state[i].level), meter: i, into: &out) || open
        open = refresh(Self.current(&state[i].boundary), meter: i, into: &out) || open
        open = refresh(Self.current(&state[i].deviation), meter: i, into: &out) || open
        return refresh(Self.current(&state[i].burst), meter: i, into: &out) || open
    }

    private mutating func refresh(_ a: Anomaly?, meter i: Int, into out: inout [Anomaly]) -> Bool {
        guard let a else { return false }
        if let last = events[a.id], last.end != a.end { accept(a, meter: i, into: &out) }
        return true
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

    /// Feeds the hold detector and says whether a hold is open, both in place.
    private static func observe(_ o: Observation, with flatline: inout FlatlineDetector, into raw: inout [Anomaly]) -> Bool {
        flatline.observe(o, into: &raw)
        return flatline.isOpen
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

    /// Whether an event of a meter falls inside a hold of that meter.
    private func inHold(_ a: Anomaly, meter i: Int) -> Bool {
        if let since = state[i].flatline.openSince, a.end > since { return true }
        for (s, e) in state[i].holds where a.start < e && s < a.end { return true }
        return false
    }

    /// Folds a meter's report into a cause already known, or records it. An event reported open
    /// before its cause was known is closed where it stands (a report of its own), so no store keeps
    /// it open while the set has stopped reporting it.
    private mutating func accept(_ a: Anomaly, meter i: Int, into out: inout [Anomaly]) {
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
            : (a.kind == .valley || a.kind == .levelShift) && inHold(a, meter: i) ? "the meter's hold" : nil
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
        a.detail = "source \(s) at zero for \(String(format: "%.1f", a.score)) h\(a.open ? " so far" : "") (up to \(Int(a.observed)) meters together)"
        return a
    }
}
