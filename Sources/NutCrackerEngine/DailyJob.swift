import Foundation
import MeterAnalytics
import MeterCleanse
import MeterCore
import MeterIngest
import MeterReports

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

    public init(maxKwh: Double = 100, maxGap: Int = 4, parallelism: Int = ProcessInfo.processInfo.activeProcessorCount) {
        self.maxKwh = maxKwh
        self.maxGap = maxGap
        self.parallelism = max(1, parallelism)
    }

    public static let header = "meter_id,date,total_kwh,n_actual,n_estimated,n_missing,n_invalid,n_duplicate,min_kwh,max_kwh"

    /// What a run did.
    public struct Summary: Sendable, Codable, Equatable {
        public var rowsRead = 0
        public var meters = 0
        public var days = 0
        public var unreadable = 0
        public var report = QualityReport()
    }

    /// Reads `input`, writes `output`. `progress` gets a short phrase per stage and read progress.
    public func run(input: String, output: String, progress: (@Sendable (String) -> Void)? = nil) async throws -> Summary {
        let reader = CSVReader(mapping: ColumnMapping(meter: "meter_id", time: "timestamp", value: "kwh"))
        let parsed = try reader.read(path: input) { done, total in
            progress?("reading \(total > 0 ? 100 * done / total : 0)%")
        }
        progress?("cleansing \(parsed.batch.count) rows")
        let result = await cleanse(parsed.batch)
        progress?("writing")
        var summary = Summary()
        summary.rowsRead = parsed.rowsRead
        summary.unreadable = parsed.problems.count
        summary.meters = parsed.batch.meters.count
        summary.report = result.report
        summary.days = try write(result, batch: parsed.batch, to: output)
        return summary
    }

    /// VEE and the day rollup over a batch, meters split across workers.
    struct Cleansed: Sendable {
        var cells: [RollupCell] = []
        var outcomes = OutcomesByDay()
        var report = QualityReport()
    }

    func cleanse(_ batch: ReadingBatch) async -> Cleansed {
        let rules = RuleSet(VEEConfig(interval: .halfHour, maxKwh: maxKwh, maxGap: maxGap))
        let groups = RuleSet.rowsByMeter(batch)
        let parts = Self.split(groups, into: parallelism)
        return await withTaskGroup(of: (Int, Cleansed).self) { group in
            for (k, part) in parts.enumerated() {
                group.addTask {
                    var sink = Tee(OutcomesByDay(), QualityReportSink(meters: batch.meters))
                    let out = rules.run(batch, groups: part, sink: &sink)
                    var acc = RollupAccumulator(period: .day)
                    var cells: [RollupCell] = []
                    for i in 0..<out.batch.count {
                        if let c = acc.add(key: out.batch.meterIndex[i], start: out.batch.start[i], kwh: out.batch.kwh[i],
                                           quality: out.batch.quality[i]) { cells.append(c) }
                    }
                    if let c = acc.flush() { cells.append(c) }
                    return (k, Cleansed(cells: cells, outcomes: sink.first, report: sink.second.report))
                }
            }
            var results = [Cleansed](repeating: Cleansed(), count: parts.count)
            for await (k, r) in group { results[k] = r }
            var all = Cleansed()
            for r in results {
                all.cells += r.cells
                all.outcomes.merge(r.outcomes)
                all.report.merge(r.report)
            }
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
    func write(_ r: Cleansed, batch: ReadingBatch, to path: String) throws -> Int {
        // Each meter's first and last input day, over every row it sent.
        let m = batch.meters.count
        var firstDay = [Int64](repeating: .max, count: m), lastDay = [Int64](repeating: .min, count: m)
        for i in 0..<batch.count {
            let k = Int(batch.meterIndex[i])
            let d = CivilDate.floorDiv(batch.start[i], 86_400)
            if d < firstDay[k] { firstDay[k] = d }
            if d > lastDay[k] { lastDay[k] = d }
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
        let invalidRules: Set<String> = [GridCheck.name, NotANumberCheck.name, NegativeCheck.name, LimitCheck.name]
        let isInvalid: (Outcome) -> Bool = { invalidRules.contains($0.rule) }
        let isDuplicate: (Outcome) -> Bool = { $0.rule == DuplicateCheck.name }
        let isMissing: (Outcome) -> Bool = { $0 == GapEstimation.missing }

        guard FileManager.default.createFile(atPath: path, contents: nil), let out = FileHandle(forWritingAtPath: path) else {
            throw IngestError.unreadable(path: path, reason: "cannot create the output file")
        }
        defer { try? out.close() }
        var text = Self.header + "\n"
        var rows = 0
        let order = (0..<m).sorted { batch.meters[$0].rawValue < batch.meters[$1].rawValue }
        for k in order where firstDay[k] <= lastDay[k] {
            let name = batch.meters[k].rawValue
            var c = cellRange[k].lowerBound
            for day in firstDay[k]...lastDay[k] {
                while c < cellRange[k].upperBound, r.cells[c].start < day * 86_400 { c += 1 }
                let cell = c < cellRange[k].upperBound && r.cells[c].start == day * 86_400 ? r.cells[c] : nil
                let mk = Int32(k)
                text += name
                text += ","
                text += CivilDate(daysSinceEpoch: day).description
                text += ","
                text += CSVWriter.number(cell?.kwh ?? 0)
                text += ",\(cell?.actual ?? 0),\(cell?.estimated ?? 0),"
                text += "\(r.outcomes.count(meter: mk, day: day, where: isMissing)),"
                text += "\(r.outcomes.count(meter: mk, day: day, where: isInvalid)),"
                text += "\(r.outcomes.count(meter: mk, day: day, where: isDuplicate)),"
                if let cell, cell.readings > 0 {
                    text += CSVWriter.number(cell.min)
                    text += ","
                    text += CSVWriter.number(cell.max)
                } else {
                    text += ","
                }
                text += "\n"
                rows += 1
                if text.utf8.count > 1 << 20 { out.write(Data(text.utf8)); text = "" }
            }
        }
        out.write(Data(text.utf8))
        return rows
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
