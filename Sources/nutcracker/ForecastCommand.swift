import ArgumentParser
import Foundation
import MeterAnalytics
import MeterCore
import MeterIngest
import NutCrackerEngine

/// Where a series comes from: a file, or the store (a meter, a source or the fleet).
struct SeriesOptions: ParsableArguments {
    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Read the history from this file (any format `import` reads) instead of the store.") var input: String?
    @Option(help: "The meter (in the file, needed when it holds several; in the store).") var meter: String?
    @Option(help: "A source of the store (its meters summed); with neither --meter nor --source, the whole fleet.") var source: String?
    @Option(help: "Zone of naive times in the file, and of days and tariff hours (default UTC).") var timezone: String?
    @Option(help: "Days of history to fit on.") var windowDays = 84

    /// The series, how many meters it sums, and the zone's offset function.
    func load() async throws -> (points: MeterForecasting.Points, meters: Int, offset: @Sendable (Int64) -> Int) {
        let zone = try parseZone(timezone)
        let resolver = LocalTimeResolver(zone)
        let offset: @Sendable (Int64) -> Int = { resolver.offset(atInstant: $0) }
        if let input {
            var options = ReadOptions()
            options.time = TimeOptions(zone: zone)
            options.zoneGiven = timezone != nil
            let result: IngestResult
            do { result = try FileReading(options: options).read(path: input) } catch { throw ValidationError("\(input): \(error)") }
            let b = result.batch
            let ids = Set(b.meters.map(\.rawValue))
            let wanted: MeterID
            if let meter {
                guard ids.contains(meter) else { throw ValidationError("\(input): no meter '\(meter)' (it has \(ids.sorted().prefix(10).joined(separator: ", ")))") }
                guard let id = MeterID(meter) else { throw ValidationError("--meter: '\(meter)' is not a meter id") }
                wanted = id
            } else {
                guard ids.count == 1, let only = b.meters.first else {
                    throw ValidationError("\(input) holds \(ids.count) meters; name one with --meter (e.g. \(ids.sorted().first ?? "-"))")
                }
                wanted = only
            }
            var readings = (0..<b.count).filter { b.status[$0] == .number && b.meters[Int(b.meterIndex[$0])] == wanted }
                .map { b.reading(at: $0) }.sorted { $0.start < $1.start }
            if result.kinds[wanted] == .register {
                // A register counts up: the energy of an interval is the difference from the previous read.
                readings = zip(readings.dropFirst(), readings).compactMap { cur, prev in
                    var r = cur
                    r.kwh = cur.kwh - prev.kwh
                    return r.kwh >= 0 ? r : nil
                }
            }
            return (MeterForecasting.Points(readings: readings), 1, offset)
        }
        let store = try await storeOptions.open()
        var meterID: MeterID?, sourceID: SourceID?
        if let meter {
            guard let id = MeterID(meter) else { throw ValidationError("--meter: '\(meter)' is not a meter id") }
            meterID = id
        }
        if let source {
            guard let id = SourceID(source) else { throw ValidationError("--source: '\(source)' is not a source id") }
            sourceID = id
        }
        let (points, meters) = try await MeterForecasting.points(store: store, meter: meterID, source: sourceID, windowDays: windowDays)
        guard !points.starts.isEmpty else { throw ValidationError("no readings in \(storeOptions.store) for \(meter ?? source ?? "the fleet")") }
        return (points, meters, offset)
    }
}

struct ForecastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forecast",
        abstract: "Forecast a meter, a source or the fleet with prediction intervals; prints CSV timestamp,mean,lo80,hi80,lo95,hi95.")

    @OptionGroup var series: SeriesOptions
    @Option(help: "Steps ahead (48 is a day of half-hours).") var horizon = 48
    @Option(help: "Interval levels in percent, comma-separated.") var level = "80,95"
    @Option(help: "Model: \(ForecastModels.names.joined(separator: ", ")).") var model = "auto"

    func run() async throws {
        let levels: [Double]
        do { levels = try Forecast.levels(level) } catch { throw ValidationError("--\(error)") }
        guard horizon >= 1, horizon <= 48 * 60 else { throw ValidationError("--horizon must be between 1 and 2880 steps") }
        let (points, _, offset) = try await series.load()
        let result: MeterForecasting.Result
        do {
            result = try MeterForecasting.forecast(points, horizon: horizon, levels: levels, model: model,
                                                   windowDays: series.windowDays, offset: offset)
        } catch let e as ForecastError { throw ValidationError("\(e)") }
        FileHandle.standardError.write(Data("model \(result.forecast.model), \(result.historySteps) steps of history\n".utf8))
        printOut(MeterForecasting.csv(result))
    }
}
