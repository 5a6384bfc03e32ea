import Foundation

/// Counts in equal bins over a fixed range, decayed a little with every value so the last few weeks
/// weigh most (half-life about 1,400 values: four weeks of half hours). The bounded memory behind
/// the quantile sketches, counted in single precision: a fleet's detectors keep six per meter and
/// touch them all at every reading, so their size is what stays in the processor's cache.
public struct DecayedHistogram: Sendable {
    public let low: Double, high: Double
    private var counts: [Float]
    /// Decayed weight of every value added, and of those counted in a bin.
    public private(set) var total = 0.0
    public private(set) var weight = 0.0
    public var decay = 0.9995
    public private(set) var seen = 0
    /// The lowest and highest bins ever counted in (the scans start there).
    private var lowestUsed = Int.max, highestUsed = -1
    /// How many bins (`counts.count`), kept beside the reference: a fleet's histograms are not in the
    /// cache, and a bin's address worked out from the array's own header would wait for that line
    /// before asking for the bin's; from this, both are asked for at once.
    private let bins: Int
    /// Where the counts were when last written: what `prefetch` asks for without reading the array's
    /// header (itself a wait on memory). A stale address (after a copy) only wastes the hint.
    private var storage: UInt = 0

    public init(low: Double, high: Double, bins: Int) {
        self.low = low
        self.high = high
        self.bins = max(1, bins)
        counts = [Float](repeating: 0, count: self.bins)
        storage = counts.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
    }

    /// Adds a value (outside the range, to the end bin); `counted` false only ages the others.
    public mutating func add(_ x: Double, counted: Bool = true) {
        seen += 1
        if seen % 256 == 0 {
            let f = pow(decay, 256)
            let g = Float(f)
            for i in counts.indices { counts[i] *= g }
            total *= f
            weight *= f
        }
        total += 1
        guard counted else { return }
        weight += 1
        let bin = bin(of: x)
        storage = counts.withUnsafeMutableBufferPointer { c in
            c[bin] += 1
            return UInt(bitPattern: c.baseAddress)
        }
        lowestUsed = Swift.min(lowestUsed, bin)
        highestUsed = Swift.max(highestUsed, bin)
    }

    /// The bin a value is counted in.
    func bin(of x: Double) -> Int { Self.bin(of: x, low: low, high: high, bins: bins) }

    static func bin(of x: Double, low: Double, high: Double, bins: Int) -> Int {
        let k = (x - low) / (high - low) * Double(bins)
        return k.isNaN ? 0 : Int(Swift.min(Swift.max(k, 0), Double(bins - 1)))
    }

    /// Asks memory for the counts' header and a bin's line (a fleet's histograms are not in the
    /// processor's caches; a reading a few places ahead asks for its own).
    mutating func prefetch(bin: Int) {
        guard let start = UnsafeRawPointer(bitPattern: storage) else { return }
        Prefetch.array(elements: start, offset: MemoryLayout<Float>.stride * Swift.min(Swift.max(bin, 0), bins - 1))
    }

    /// The same for the lowest and highest bins counted in, where tail quantiles are read.
    mutating func prefetchEnds() {
        prefetch(bin: highestUsed)
        if lowestUsed < bins { prefetch(bin: lowestUsed) }
    }

    /// The upper edge of the bin holding the `target`-th counted weight. A target in the upper half is
    /// found from the top, so tail quantiles read a few bins, not all of them.
    public func value(atWeight target: Double) -> Double? {
        guard weight > 0 else { return nil }
        func edge(_ i: Int) -> Double { low + Double(i + 1) / Double(bins) * (high - low) }
        if target > weight / 2 {
            // The lowest bin whose weight from the bottom reaches the target: the weight above it is under weight - target.
            var above = 0.0
            var i = highestUsed
            while i > 0, above + Double(counts[i]) <= weight - target { above += Double(counts[i]); i -= 1 }
            return edge(i)
        }
        var acc = 0.0
        for i in Swift.max(0, lowestUsed)..<bins {
            acc += Double(counts[i])
            if acc >= target { return edge(i) }
        }
        return high
    }
}

/// A meter's value distribution: log-spaced 4%-wide bins from 0.001 to 1000 over the last few weeks,
/// zeros kept apart. Gives the upper and lower envelope of what a meter does (its 1st and 99th
/// percentiles of non-zero values) to within a bin.
public struct QuantileSketch: Sendable {
    private var histogram = DecayedHistogram(low: QuantileSketch.range.low, high: QuantileSketch.range.high, bins: QuantileSketch.range.bins)
    /// Log10 of the values, in 360 bins.
    private static let range = (low: -3.0, high: 3.0, bins: 360)
    /// How much wider the top of a bin is than its bottom (quantiles are bin tops).
    public static let binWidth = pow(10, (range.high - range.low) / Double(range.bins))

    public init() {}

    public var seen: Int { histogram.seen }

    public mutating func add(_ v: Double) {
        add(v, log10: v > 0 ? log10(v) : 0)
    }

    /// Adds a value whose base-10 log (of a positive value; anything for others) is known already.
    private mutating func add(_ v: Double, log10 l: Double) {
        guard v.isFinite else { return }
        histogram.add(v > 0 ? l : 0, counted: v > 0)
    }

    /// Adds an observed value, its log worked out once for every sketch of the reading.
    public mutating func add(_ o: Observation) { add(o.value, log10: o.log10Value) }

    /// The bin of a positive value (every sketch of a reading counts it in the same one), its
    /// `Observation.log10(_:)` known already.
    static func bin(of v: Double, log10 l: Double) -> Int {
        v > 0 ? DecayedHistogram.bin(of: l, low: range.low, high: range.high, bins: range.bins) : 0
    }

    /// Asks memory for what adding a value in this bin will touch.
    public mutating func prefetch(bin: Int) { histogram.prefetch(bin: bin) }

    /// The value below which a share `q` of the positive values fall.
    public func quantile(_ q: Double) -> Double? {
        histogram.value(atWeight: q * histogram.weight).map { pow(10, $0) }
    }
}

/// The distribution of a meter's residuals against its own profile (log of value over expected), in
/// 0.05-wide bins from -6 to 6 over the last few weeks. Its tails say how far from its usual a meter
/// naturally goes, so a threshold fits a quiet meter and a lively household alike.
public struct ResidualSketch: Sendable {
    private var histogram = DecayedHistogram(low: -6, high: 6, bins: 240)

    public init() {}

    public var seen: Int { histogram.seen }

    public mutating func add(_ r: Double) {
        guard r.isFinite else { return }
        histogram.add(r)
    }

    /// Asks memory for the counts' header and the bins about a residual (a line either side: the
    /// next residual is seldom far from a likely one), and with `tails` the tails' bins.
    public mutating func prefetch(near r: Double, tails: Bool = false) {
        let bin = histogram.bin(of: r)
        histogram.prefetch(bin: bin - 16)
        histogram.prefetch(bin: bin)
        histogram.prefetch(bin: bin + 16)
        if tails { histogram.prefetchEnds() }
    }

    /// The residual below which a share `q` fall.
    public func quantile(_ q: Double) -> Double? { histogram.value(atWeight: q * histogram.weight) }
}
