import ArgumentParser
import Foundation
import MeterAnalytics
import MeterCore
import MeterStore
import NutCrackerEngine

struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write stored readings, or their rollups, as CSV.")

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Only this meter.") var meter: String?
    @Option(help: "Only meters of this source.") var source: String?
    @Option(help: "From this time (inclusive), ISO 8601.") var from: String?
    @Option(help: "Until this time (exclusive), ISO 8601.") var to: String?
    @Option(help: "Roll up into: period (settlement), hour, day, week or month.") var rollup: RollupPeriod?
    @Option(help: "Calendar zone for days, weeks and months (default UTC).") var timezone: String?
    @Option(help: "Only these qualities, comma-separated (actual,estimated,edited,suspect).") var quality: String?
    @Option(help: "Output format: csv or xlsx (a workbook with the data and a quality sheet; needs --output).") var format = "csv"
    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.") var output: String?

    func run() async throws {
        guard format == "csv" || format == "xlsx" else { throw ValidationError("--format must be csv or xlsx") }
        if format == "xlsx" && output == nil { throw ValidationError("--format xlsx writes a workbook: give --output FILE.xlsx") }
        var filter = ReadingFilter()
        if let meter {
            guard let id = MeterID(meter) else { throw ValidationError("--meter: '\(meter)' is not a meter id") }
            filter.meter = id
        }
        if let source {
            guard let s = SourceID(source) else { throw ValidationError("--source: '\(source)' is not a source id") }
            filter.source = s
        }
        filter.from = try from.map { try parseTime($0, "from") }
        filter.to = try to.map { try parseTime($0, "to") }
        let qualities = try quality.map { list in
            Set(try list.split(separator: ",").map { q -> Quality in
                guard let v = Quality(name: String(q)) else { throw ValidationError("--quality: unknown quality '\(q)'") }
                return v
            })
        }
        let store = try await storeOptions.open()
        if format == "xlsx", let output {
            let exporter = Exporter(filter: filter, rollup: rollup, zone: try parseZone(timezone), qualities: qualities)
            let rows = try await exporter.runXLSX(store: store, path: output)
            FileHandle.standardError.write(Data("wrote \(rows) rows to \(output)\n".utf8))
            return
        }
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil), let h = FileHandle(forWritingAtPath: output) else {
                throw ValidationError("--output: cannot write \(output)")
            }
            handle = h
        } else {
            handle = FileHandle.standardOutput
        }
        let exporter = Exporter(filter: filter, rollup: rollup, zone: try parseZone(timezone), qualities: qualities)
        try await exporter.run(store: store) { handle.write(Data($0.utf8)) }
        if output != nil { try handle.close() }
    }
}

extension RollupPeriod: ExpressibleByArgument {}
