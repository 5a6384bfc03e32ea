import Foundation
import MeterAnalytics
import MeterCleanse
import MeterCore
import MeterIngest
import MeterReports
import Synchronization

/// The file-to-file daily job: raw readings in, one row per meter and UTC day out, with totals,
/// extremes and how many slots were measured, estimated, missing, invalid or duplicated.
///
/// Built from the product's own parts: the CSV reader, the VEE rule set (duplicates, validation,
/// gap estimation), `OutcomesByDay` for the per-day counts and the day rollup. Meters are
/// independent, so the rule set runs on all cores, each on its share of the meters.
public struct DailyJob: Sendable {
    public var maxKwh: Double
    public var maxGap: Int
    /// Worker count for the cleansing stage.
    public var parallelism: Int
    /// Peak memory the job plans for, in bytes. An input whose rows would not fit is split by
    /// meter into partition files on disk and done one partition at a time.
    public var memoryLimit: Int

    /// Half of the machine's memory.
    public static var defaultMemoryLimit: Int { Int(ProcessInfo.processInfo.physicalMemory / 2) }

    public init(maxKwh: Double = 100, maxGap: Int = 4, parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
                memoryLimit: Int = DailyJob.defaultMemoryLimit) {
        self.maxKwh = maxKwh
        self.maxGap = maxGap
        self.parallelism = max(1, parallelism)
        self.memoryLimit = max(memoryLimit, 1 << 20)
    }

    /// Memory the job needs per input row held in memory: the row's columns, its place in the
    /// per-meter order and working space (measured: about 42 bytes a row at 38 million rows).
    static let bytesPerRow = 64

    public static let header = "meter_id,date,total_kwh,n_actual,n_estimated,n_missing,n_invalid,n_duplicate,min_kwh,max_kwh"

    /// What a run did.
    public struct Summary: Sendable, Codable, Equatable {
        public var rowsRead = 0
        public var meters = 0
        public var days = 0
        public var unreadable = 0
        /// Partition files used (0: the input fit in memory).
        public var partitions = 0
        /// Wall seconds per stage: read, cleanse, write.
        public var seconds: [String: Double] = [:]
        public var report = QualityReport()
    }

    /// Reads `input`, writes `output`. `progress` gets a short phrase per stage and read progress.
    public func run(input: String, output: String, progress: (@Sendable (String) -> Void)? = nil) async throws -> Summary {
        var reader = CSVReader(mapping: ColumnMapping(meter: "meter_id", time: "timestamp", value: "kwh"))
        reader.keepsLines = false
        let need = Self.estimatedRows(input) * Self.bytesPerRow
        if need > memoryLimit {
            let parts = Int((need + memoryLimit / 2 - 1) / (memoryLimit / 2))
            return try await runPartitioned(reader, input: input, output: output, partitions: parts, need: need, progress: progress)
        }
        let clock = ContinuousClock()
        var t = clock.now
        var summary = Summary()
        func lap(_ stage: String) {
            let now = clock.now
            let d = now - t
            summary.seconds[stage] = d.inSeconds
            t = now
        }
        let parsed = try reader.read(path: input, workers: parallelism) { done, total in
            progress?("reading \(total > 0 ? 100 * done / total : 0)%")
        }
        lap("read")
        progress?("cleansing \(parsed.batch.count) rows")
        let result = await cleanse(parsed.batch)
        lap("cleanse")
        progress?("writing")
        summary.rowsRead = parsed.rowsRead
        summary.unreadable = parsed.problems.count
        summary.meters = parsed.batch.meters.count
        summary.report = result.report
        summary.days = try write(result, meters: parsed.batch.meters, to: output)
        lap("write")
        return summary
    }

    /// Rows in a file, estimated from its size and the line lengths of its first 64 KiB.
    static func estimatedRows(_ path: String) -> Int {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        guard let h = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? h.close() }
        let head = (try? h.read(upToCount: 64 * 1024)) ?? Data()
        let lines = max(1, head.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
        return size / max(1, head.count / lines)
    }

    /// The bounded-memory path: rows are routed by meter into partition files while reading,
    /// then each partition is cleansed and rolled up on its own.
    func runPartitioned(_ reader: CSVReader, input: String, output: String, partitions: Int, need: Int,
                        progress: (@Sendable (String) -> Void)?) async throws -> Summary {
        let dir = URL(fileURLWithPath: output).deletingLastPathComponent()
            .appendingPathComponent(".nutcracker-spill-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let note = "spilling to \(partitions) partitions (input needs ~\(need >> 20) MB, limit \(memoryLimit >> 20) MB)"
        var spill = try PartitionSpill(directory: dir, count: partitions)
        var rowsRead = 0
        let rest = try reader.read(path: input, progress: { done, total in
            progress?("reading \(total > 0 ? 100 * done / total : 0)%, \(note)")
        }, onChunk: { result in
            try spill.append(result.batch)
        })
        rowsRead = rest.rowsRead
        try spill.finish()
        let meters = rest.batch.meters
        var all = Cleansed()
        for p in 0..<partitions {
            progress?("partition \(p + 1)/\(partitions): cleansing, \(note)")
            var batch = try spill.load(p)
            batch.meters = meters
            all.merge(await cleanse(batch))
        }
        progress?("writing")
        var summary = Summary()
        summary.rowsRead = rowsRead
        summary.unreadable = rest.problems.count
        summary.meters = meters.count
        summary.partitions = partitions
        summary.report = all.report
        summary.days = try write(all, meters: meters, to: output)
        return summary
    }

    /// VEE and the day rollup over a batch, meters split across workers.
    struct Cleansed: Sendable {
        var cells: [RollupCell] = []
        var outcomes = OutcomesByDay()
        var report = QualityReport()
        /// (meter, first input day, last input day).
        var span: [(Int32, Int64, Int64)] = []

        mutating func merge(_ r: Cleansed) {
            cells += r.cells
            outcomes.merge(r.outcomes)
            report.merge(r.report)
            span += r.span
        }
    }

    func cleanse(_ batch: ReadingBatch) async -> Cleansed {
        let rules = RuleSet(VEEConfig(interval: .halfHour, maxKwh: maxKwh, maxGap: maxGap))
        let groups = RuleSet.rowsByMeter(batch)
        let parts = Self.split(groups, into: parallelism)
        return await withTaskGroup(of: (Int, Cleansed).self) { group in
            for (k, part) in parts.enumerated() {
                group.addTask {
                    var sink = Tee(OutcomesByDay(), QualityReportSink(meters: batch.meters))
                    var acc = RollupAccumulator(period: .day)
                    var result = Cleansed()
                    var rejections: [Rejection] = []
                    rules.forEachSeries(batch, groups: part, sink: &sink, rejections: &rejections) { series in
                        // Each meter's first and last input day, over every row it sent.
                        if let span = series.loadedSpan {
                            result.span.append((series.meter, CivilDate.floorDiv(span.lowerBound, 86_400),
                                                CivilDate.floorDiv(span.upperBound, 86_400)))
                        }
                        for i in 0..<series.count where series.alive[i] {
                            if let c = acc.add(key: series.meter, start: series.start[i], kwh: series.kwh[i], quality: series.quality[i]) {
                                result.cells.append(c)
                            }
                        }
                    }
                    if let c = acc.flush() { result.cells.append(c) }
                    result.outcomes = sink.first
                    result.report = sink.second.report
                    return (k, result)
                }
            }
            var results = [Cleansed](repeating: Cleansed(), count: parts.count)
            for await (k, r) in group { results[k] = r }
            var all = Cleansed()
            for r in results { all.merge(r) }
            return all
        }
    }

    /// Splits meter groups into `n` parts of about equal row counts.
    static func split(_ groups: [(Int32, ArraySlice<Int32>)], into n: Int) -> [[(Int32, ArraySlice<Int32>)]] {
        let total = groups.reduce(0) { $0 + $1.1.count }
        var parts: [[(Int32, ArraySlice<Int32>)]] = [[]]
        var inPart = 0
        for g in groups {
            if inPart >= (total + n - 1) / n, parts.count < n { parts.append([]); inPart = 0 }
            parts[parts.count - 1].append(g)
            inPart += g.1.count
        }
        return parts
    }

    /// Writes the output file; returns the number of rows.
    func write(_ r: Cleansed, meters: [MeterID], to path: String) throws -> Int {
        let m = meters.count
        var firstDay = [Int64](repeating: .max, count: m), lastDay = [Int64](repeating: .min, count: m)
        for (k, lo, hi) in r.span {
            firstDay[Int(k)] = min(firstDay[Int(k)], lo)
            lastDay[Int(k)] = max(lastDay[Int(k)], hi)
        }
        // Outcome entries per meter, in day order.
        let entries = r.outcomes.sorted()
        var entryRange = [Range<Int>](repeating: 0..<0, count: m)
        var e0 = 0
        while e0 < entries.count {
            var e1 = e0 + 1
            while e1 < entries.count, entries[e1].meter == entries[e0].meter { e1 += 1 }
            if Int(entries[e0].meter) < m { entryRange[Int(entries[e0].meter)] = e0..<e1 }
            e0 = e1
        }
        // Cells per meter (they arrive grouped by meter, in day order).
        var cellRange = [Range<Int>](repeating: 0..<0, count: m)
        var lo = 0
        while lo < r.cells.count {
            var hi = lo + 1
            while hi < r.cells.count, r.cells[hi].key == r.cells[lo].key { hi += 1 }
            cellRange[Int(r.cells[lo].key)] = lo..<hi
            lo = hi
        }

        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            throw IngestError.unreadable(path: path, reason: "cannot create the output file")
        }
        defer { try? out.close() }
        // Day counts of the outcomes the output reports, by outcome column.
        let invalidRules: Set<String> = [GridCheck.name, NotANumberCheck.name, NegativeCheck.name, LimitCheck.name]
        let kinds: [Int] = r.outcomes.outcomes.map { o in
            o.rule == DuplicateCheck.name ? 2 : invalidRules.contains(o.rule) ? 1 : o == GapEstimation.missing ? 0 : -1
        }
        let order = (0..<m).sorted { meters[$0].rawValue < meters[$1].rawValue }.filter { firstDay[$0] <= lastDay[$0] }
        // Meters in sorted order, formatted in slices on every core, written in order.
        let slices = max(1, min(parallelism, order.count))
        let texts = Mutex([[UInt8]](repeating: [], count: slices))
        let rows = Mutex(0)
        let (first, last, ranges, eranges) = (firstDay, lastDay, cellRange, entryRange)
        DispatchQueue.concurrentPerform(iterations: slices) { part in
            let lo = order.count * part / slices, hi = order.count * (part + 1) / slices
            var text: [UInt8] = []
            text.reserveCapacity((hi - lo) * 100 * 64)
            var n = 0
            for k in order[lo..<hi] {
                n += Self.format(meter: meters[k], days: first[k]...last[k], cells: r.cells, range: ranges[k],
                                 entries: entries, entryRange: eranges[k], kinds: kinds, into: &text)
            }
            texts.withLock { $0[part] = text }
            rows.withLock { $0 += n }
        }
        out.write(Data((Self.header + "\n").utf8))
        for text in texts.withLock({ $0 }) { out.write(Data(text)) }
        return rows.withLock { $0 }
    }

    /// Appends a meter's output lines, one per day; returns how many.
    static func format(meter: MeterID, days: ClosedRange<Int64>, cells: [RollupCell], range: Range<Int>,
                       entries: [OutcomesByDay.Entry], entryRange: Range<Int>, kinds: [Int], into text: inout [UInt8]) -> Int {
        let comma = UInt8(ascii: ",")
        let name = Array(meter.rawValue.utf8)
        var c = range.lowerBound
        var e = entryRange.lowerBound
        for day in days {
            while c < range.upperBound, cells[c].start < day * 86_400 { c += 1 }
            let cell = c < range.upperBound && cells[c].start == day * 86_400 ? cells[c] : nil
            var counts = (missing: 0, invalid: 0, duplicate: 0)
            while e < entryRange.upperBound, Int64(entries[e].day) < day { e += 1 }
            while e < entryRange.upperBound, Int64(entries[e].day) == day {
                let v = Int(entries[e].count)
                switch kinds[Int(entries[e].outcome)] {
                case 0: counts.missing += v
                case 1: counts.invalid += v
                case 2: counts.duplicate += v
                default: break
                }
                e += 1
            }
            text.append(contentsOf: name)
            text.append(comma)
            CSVWriter.appendDate(CivilDate(daysSinceEpoch: day), to: &text)
            text.append(comma)
            CSVWriter.appendNumber(cell?.kwh ?? 0, to: &text)
            text.append(comma)
            CSVWriter.appendInt(cell?.actual ?? 0, to: &text)
            text.append(comma)
            CSVWriter.appendInt(cell?.estimated ?? 0, to: &text)
            text.append(comma)
            CSVWriter.appendInt(counts.missing, to: &text)
            text.append(comma)
            CSVWriter.appendInt(counts.invalid, to: &text)
            text.append(comma)
            CSVWriter.appendInt(counts.duplicate, to: &text)
            text.append(comma)
            if let cell, cell.readings > 0 {
                CSVWriter.appendNumber(cell.min, to: &text)
                text.append(comma)
                CSVWriter.appendNumber(cell.max, to: &text)
            } else {
                text.append(comma)
            }
            text.append(0x0A)
        }
        return days.count
    }
}

/// Sends every outcome to two sinks.
public struct Tee<A: OutcomeSink, B: OutcomeSink>: OutcomeSink {
    public var first: A
    public var second: B

    public init(_ a: A, _ b: B) {
        first = a
        second = b
    }

    public mutating func record(_ outcome: Outcome, meter: Int32, start: Int64, row: Int32) {
        first.record(outcome, meter: meter, start: start, row: row)
        second.record(outcome, meter: meter, start: start, row: row)
    }

    public mutating func recordRun(_ outcome: Outcome, meter: Int32, start: Int64, step: Int64, count: Int) {
        first.recordRun(outcome, meter: meter, start: start, step: step, count: count)
        second.recordRun(outcome, meter: meter, start: start, step: step, count: count)
    }
}
