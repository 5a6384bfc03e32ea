import Foundation
import MeterCore
import MeterIngest

// Reads each file given (layout detected, as `nutcracker import` does) and prints one line per
// file: rows, readings, best wall time of the runs, rows per second.
//   bench-readers [--runs N] [--timezone Z] FILE...
// With --live-bodies N it reads instead N request bodies as the ingest benchmark posts them (CSV, one
// reading for each of 1,000 meters a body) through the HTTP route's reader, and prints ns per row.
//   bench-readers --live-bodies 2000
var args = Array(CommandLine.arguments.dropFirst())
var runs = 3
var options = ReadOptions()
var liveBodies = 0
while let first = args.first, first.hasPrefix("--") {
    args.removeFirst()
    switch first {
    case "--runs": runs = Int(args.removeFirst()) ?? 3
    case "--live-bodies": liveBodies = Int(args.removeFirst()) ?? 2000
    case "--timezone":
        options.time.zone = TimeZoneSpec(args.removeFirst()) ?? .utc
        options.zoneGiven = true
    default: FileHandle.standardError.write(Data("unknown option \(first)\n".utf8)); exit(2)
    }
}
if liveBodies > 0 {
    let bodies = (0..<20).map { k -> Data in
        let stamp = ISO8601.format(1_767_225_600 + Int64(k) * 1800)
        var text = "meter_id,timestamp,kwh\n"
        for i in 0..<1000 { text += "W0-\(String(format: "%05d", i)),\(stamp),\(Double((i * 37 + k * 11) % 1000) / 1000)\n" }
        return Data(text.utf8)
    }
    var best = Double.infinity
    for _ in 0..<runs {
        var rows = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        for n in 0..<liveBodies {
            rows += (try? ReadingsPayload.read(bodies[n % bodies.count], format: .csv, origin: "http", options: options))?.batch.count ?? 0
        }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / Double(max(rows, 1)))
    }
    print(String(format: "live request bodies (CSV, 1,000 meters each): %.0f ns/row", best))
    exit(0)
}
for path in args {
    var best = Double.infinity
    var result = IngestResult()
    for _ in 0..<runs {
        let t0 = DispatchTime.now().uptimeNanoseconds
        do {
            result = try FileReading(options: options, workers: 1).read(path: path)
        } catch {
            print("\(path): \(error)")
            exit(1)
        }
        best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    let name = (path as NSString).lastPathComponent
    print("\(name)\t\(result.rowsRead)\t\(result.batch.count)\t\(String(format: "%.3f", best))\t\(Int(Double(result.rowsRead) / best))\t\(result.layout.prefix(60))")
}
