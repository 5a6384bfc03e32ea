import Foundation
import MeterCore
import MeterIngest

// Reads each file given (layout detected, as `nutcracker import` does) and prints one line per
// file: rows, readings, best wall time of the runs, rows per second.
//   bench-readers [--runs N] [--timezone Z] FILE...
var args = Array(CommandLine.arguments.dropFirst())
var runs = 3
var options = ReadOptions()
while let first = args.first, first.hasPrefix("--") {
    args.removeFirst()
    switch first {
    case "--runs": runs = Int(args.removeFirst()) ?? 3
    case "--timezone":
        options.time.zone = TimeZoneSpec(args.removeFirst()) ?? .utc
        options.zoneGiven = true
    default: FileHandle.standardError.write(Data("unknown option \(first)\n".utf8)); exit(2)
    }
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
