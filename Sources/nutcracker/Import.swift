import ArgumentParser
import Foundation
import MeterAnalytics
import MeterCleanse
import MeterCore
import MeterIngest
import MeterStore
import NutCrackerEngine

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import reading files into the store through VEE, and print what happened.")

    @OptionGroup var storeOptions: StoreOptions

    @Argument(help: "Files of readings: CSV or other delimited text, .xlsx workbooks, NEM12, JSON or NDJSON. The layout is detected and reported.")
    var files: [String]

    @Option(help: "Layout of the files instead of detecting it: long, wide-day, grid-load or nem12.")
    var layout: LayoutKind?

    @Option(help: "A TOML file that describes a vendor layout (columns, zone, date order, unit).")
    var mapping: String?

    @Option(help: "Sheet of a workbook to read (name or #position); the first one whose layout is recognised when omitted.")
    var sheet: String?

    @Option(help: "Dates like 03/04/2020: dmy or mdy; detected from the file when omitted.")
    var dateOrder: DateOrder = .auto

    @Option(help: "Source the meters belong to when the file has no source column.")
    var source = "default"

    @Option(help: "Zone of times without an offset: UTC, an offset like +10:00, or an IANA name like Europe/London.")
    var timezone: String?

    @Option(help: "Local times that occur twice (clocks going back): reject, earlier, later or file-order (default: reject; file-order for grid-load files).")
    var ambiguous: AmbiguousTimePolicy?

    @Option(help: "Local times that never occur (clocks going forward): reject or shift-forward.")
    var nonexistent: NonexistentTimePolicy = .reject

    @Option(help: "How numbers in the time column are read: auto, epoch, epoch-ms, excel, excel1904.")
    var numericTime: NumericTimeFormat = .auto

    @Option(help: "Column of the meter id (header name or #position); guessed when omitted.")
    var meterColumn: String?

    @Option(help: "Column of the interval start time; guessed when omitted.")
    var timeColumn: String?

    @Option(help: "Column of the energy in kWh; guessed when omitted.")
    var valueColumn: String?

    @Option(help: "Meter id for a file of one meter with no meter column.")
    var meter: String?

    @Option(help: "Field delimiter: ',', ';' or 'tab'; detected when omitted.")
    var delimiter: String?

    @Flag(help: "Read ',' as the decimal mark (detected for ';' and tab files).")
    var decimalComma = false

    @Option(help: "Interval length in minutes: 1, 5, 15, 30 or 60 (default: what the file states or implies, else 30).")
    var interval: Int?

    @Option(help: "Largest credible energy of one interval (kWh; default 100, no limit for grid-load files).")
    var maxKwh: Double?

    @Option(help: "Longest run of empty slots to estimate by interpolation (0: no estimation).")
    var maxGap = 4

    @Flag(help: "Print the summary as one JSON object.")
    var json = false

    @Flag(help: "Run the anomaly detectors over the imported readings and store what they find.")
    var detect = false

    func run() async throws {
        guard let sourceID = SourceID(source) else { throw ValidationError("--source: '\(source)' is not a source id") }
        let length = try interval.map { m -> IntervalLength in
            guard let l = IntervalLength(minutes: m) else { throw ValidationError("--interval must be 1, 5, 15, 30 or 60") }
            return l
        }
        let meterID = try meter.map { m -> MeterID in
            guard let id = MeterID(m) else { throw ValidationError("--meter: '\(m)' is not a meter id") }
            return id
        }
        let delim: UInt8? = try delimiter.map { d in
            switch d {
            case ",": return 0x2C
            case ";": return 0x3B
            case "tab", "\\t", "\t": return 0x09
            default: throw ValidationError("--delimiter must be ',', ';' or 'tab'")
            }
        }
        var options = ReadOptions()
        options.time = TimeOptions(zone: try parseZone(timezone), ambiguous: ambiguous ?? .reject, nonexistent: nonexistent,
                                   numeric: numericTime, dateOrder: dateOrder)
        options.zoneGiven = timezone != nil
        options.ambiguousGiven = ambiguous != nil
        options.mapping = ColumnMapping(meter: meterColumn, time: timeColumn, value: valueColumn)
        options.meter = meterID
        options.delimiter = delim
        options.decimalComma = decimalComma ? true : nil
        options.layout = layout
        options.sheet = sheet
        options.interval = length
        if let mapping {
            do { options = options.applying(try MappingFile.load(path: mapping)) } catch { throw ValidationError("--mapping: \(error)") }
        }
        let vee = VEEConfig(interval: length ?? options.interval ?? .halfHour, maxKwh: maxKwh ?? 100, maxGap: maxGap)
        let store = try await storeOptions.open()
        var detectors: DetectorConfig?
        if detect {
            var c = DetectorConfig()
            c.zone = options.time.zone
            detectors = c
        }
        let pipeline = Pipeline(store: store, rules: RuleSet(vee), detectors: detectors)
        var importer = FileImporter(reading: FileReading(options: options), source: sourceID, vee: vee,
                                    intervalGiven: length != nil || options.interval != nil)
        importer.limitGiven = maxKwh != nil
        var total: IngestSummary?
        var summaries: [IngestSummary] = []
        for file in files {
            let progress = ProgressLine("reading \(file)")
            let s: IngestSummary
            do {
                s = try await importer.importFile(file, into: pipeline) { progress.update($0, $1) }
            } catch {
                progress.finish()
                throw ValidationError("\(file): \(error)")
            }
            progress.finish()
            summaries.append(s)
            if total == nil { total = s } else { total?.merge(s) }
            if !json { printOut(s.text + "\n") }
        }
        if detect, !json {
            let found = try await store.anomalies(AnomalyFilter(), limit: 100_000)
            var byKind: [AnomalyKind: Int] = [:]
            for a in found { byKind[a.kind, default: 0] += 1 }
            printOut("anomalies stored: \(found.count)" + (byKind.isEmpty ? "" : " (" + byKind.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ") + ")") + "\n")
        }
        if json, let t = total {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            enc.keyEncodingStrategy = .convertToSnakeCase
            var out = t
            if summaries.count > 1 { out.origin = files.joined(separator: ",") }
            printOut(String(decoding: try enc.encode(out), as: UTF8.self) + "\n")
        }
    }
}
