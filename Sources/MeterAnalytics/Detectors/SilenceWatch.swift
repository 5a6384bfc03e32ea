import MeterCore

/// Meters, and whole sources, that have stopped reporting, judged against the fleet's clock (the
/// latest interval any meter has reported). A gap in a meter's readings shows when they resume
/// (`CommunicationGapDetector`); a meter that has stopped would never be reported that way. Here it
/// is an open gap from its last reading once it has missed `minMissing` intervals while others
/// report, the same event its return closes: as a gap when readings are missing, or as readings that
/// came late when none are. When every meter of a source is silent, that is one gap of the source.
/// Readings that usually arrive behind the fleet (a gateway that uploads once a day) are silent only
/// beyond half as much again as their usual lag.
///
/// Part of `DetectorSet`, which owns the meters' indices and decides what is recorded or folded.
struct SilenceWatch: Sendable {
    /// How far behind the fleet's clock readings usually arrive: the largest lag lately, fading by a
    /// thirtieth a day of the fleet's time.
    struct ArrivalLag: Sendable {
        var usual: Int64 = 0
        var at: Int64 = .min

        mutating func arrived(behind lag: Int64, clock: Int64) {
            let faded = at == .min ? 0 : usual - usual * min(max(0, clock - at), 30 * 86_400) / (30 * 86_400)
            usual = max(lag, faded)
            at = clock
        }

        /// Whether a silence this long is beyond the usual lag.
        func exceeded(by silence: Int64) -> Bool { silence > usual * 3 / 2 }
    }

    /// A source's meters, its silence open now and recent ones (start, end), and its lag.
    struct Source: Sendable {
        var meters: [Int] = []
        var silence: Anomaly?
        var past: [(Int64, Int64)] = []
        var lag = ArrivalLag()
    }

    let minMissing: Int
    let minMeters: Int
    /// Seconds of the fleet's time between reports of a silence that lasts (0: when seen and when over).
    let refresh: Int64
    private(set) var clock: Int64 = .min
    /// Per meter index: the start of its latest reading, its interval, its lag; kept in arrays of
    /// their own so a sweep reads a few bytes a meter.
    private var lastStart: [Int64] = []
    private var interval: [Int64] = []
    private var lag: [ArrivalLag] = []
    /// Silences open now, by meter index.
    private var silent: [Int: Anomaly] = [:]
    private var sources: [SourceID: Source] = [:]

    init(minMissing: Int, minMeters: Int, refresh: Int64) {
        self.minMissing = minMissing
        self.minMeters = minMeters
        self.refresh = refresh
    }

    mutating func add(meter i: Int, source: SourceID?) {
        lastStart.append(.min)
        interval.append(1800)
        lag.append(ArrivalLag())
        if let source { sources[source, default: Source()].meters.append(i) }
    }

    /// Moves the clock to a reading's start; true when it reached a new interval after an earlier one
    /// (time to `sweep`). A replayed reading moves it without a sweep.
    mutating func advance(to start: Int64, judging: Bool) -> Bool {
        guard start > clock else { return false }
        let was = clock
        clock = start
        return judging && was != .min
    }

    /// A reading of meter `i` arrived (how far behind the clock it came is learned when live); false
    /// when it is not later than the meter's latest (a correction, a repeat, late history).
    mutating func arrived(meter i: Int, start: Int64, interval step: Int64, judging: Bool) -> Bool {
        guard start > lastStart[i] else { return false }
        if judging, lastStart[i] != .min { lag[i].arrived(behind: clock - lastStart[i], clock: clock) }
        lastStart[i] = start
        interval[i] = step
        return true
    }

    /// The start of meter `i`'s latest reading (`Int64.min`: none yet).
    func latest(meter i: Int) -> Int64 { lastStart[i] }

    /// Whether any meter's silence is open (a reading need not ask `resumed` otherwise).
    var anySilent: Bool { !silent.isEmpty }

    /// After meter `i`'s detectors saw its reading: its silence, if one was open, ends. The gap
    /// detector's report among `reports` closes it when readings are missing; otherwise it is
    /// returned closed as readings that came late.
    mutating func resumed(meter i: Int, reports: ArraySlice<Anomaly>) -> Anomaly? {
        guard !silent.isEmpty, let open = silent.removeValue(forKey: i), !reports.contains(where: { $0.id == open.id }) else { return nil }
        return CommunicationGapDetector.late(open, until: clock)
    }

    /// A source's reading starts a new interval after `slot` (its previous one): its lag is learned
    /// and its silence, if open, is returned closed.
    mutating func sourceAdvanced(_ s: SourceID, to start: Int64, from slot: Int64, interval step: Int64) -> Anomaly? {
        guard slot != .min, sources[s] != nil else { return nil }
        sources[s]?.lag.arrived(behind: clock - slot, clock: clock)
        guard let silence = sources[s]?.silence else { return nil }
        let a = start > silence.start
            ? CommunicationGapDetector.gap(meter: nil, source: s, after: silence.start - step, until: start, interval: step,
                                           detectedAt: start, open: false)
            : CommunicationGapDetector.late(silence, until: clock)
        sources[s]?.silence = nil
        sources[s]?.past.append((a.start, a.end))
        if (sources[s]?.past.count ?? 0) > 16 { sources[s]?.past.removeFirst() }
        return a
    }

    /// Whether a meter's gap began in a silence of its whole source (one that began earlier is the meter's own).
    func explains(_ a: Anomaly, source: SourceID?) -> Bool {
        guard a.kind == .communicationGap, let source, let group = sources[source] else { return false }
        if let open = group.silence, a.start >= open.start { return true }
        for (s, e) in group.past where s <= a.start && a.start < e { return true }
        return false
    }

    /// At a new interval of the clock: the silences seen or grown since last reported, as sources'
    /// events (meter nil) and meters' (with their index).
    /// - Parameters:
    ///   - slot: a source's latest interval and its length.
    ///   - id: a meter index's id.
    mutating func sweep(slot: (SourceID) -> (start: Int64, interval: Int64)?, id: (Int) -> MeterID) -> [(meter: Int?, event: Anomaly)] {
        var out: [(meter: Int?, event: Anomaly)] = []
        func due(_ open: Anomaly?) -> Bool { open.map { refresh > 0 && clock - $0.end >= refresh } ?? true }
        for (s, group) in sources {
            if group.meters.count >= minMeters, let (last, step) = slot(s),
               CommunicationGapDetector.missing(after: last, before: clock, interval: step) >= minMissing, group.lag.exceeded(by: clock - last) {
                if due(group.silence) {
                    let a = CommunicationGapDetector.gap(meter: nil, source: s, after: last, until: clock, interval: step, detectedAt: clock, open: true)
                    sources[s]?.silence = a
                    out.append((nil, a))
                }
                continue
            }
            for i in group.meters where lastStart[i] != .min
                && CommunicationGapDetector.missing(after: lastStart[i], before: clock, interval: interval[i]) >= minMissing
                && lag[i].exceeded(by: clock - lastStart[i]) && due(silent[i]) {
                let a = CommunicationGapDetector.gap(meter: id(i), source: s, after: lastStart[i], until: clock, interval: interval[i],
                                                     detectedAt: clock, open: true)
                silent[i] = a
                out.append((i, a))
            }
        }
        return out
    }

    /// Every silence still open, closed with the input, and forgotten.
    mutating func finish() -> [(meter: Int?, event: Anomaly)] {
        var out: [(meter: Int?, event: Anomaly)] = []
        for s in sources.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
            guard var a = sources[s]?.silence else { continue }
            sources[s]?.silence = nil
            a.open = false
            out.append((nil, a))
        }
        for (i, open) in silent.sorted(by: { $0.key < $1.key }) {
            var a = open
            a.open = false
            out.append((i, a))
        }
        silent = [:]
        return out
    }
}
