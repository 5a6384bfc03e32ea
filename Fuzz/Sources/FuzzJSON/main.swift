import Foundation
import FuzzDriver
import MeterIngest

/// Any bytes as a JSON array or NDJSON of readings.
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    _ = try? JSONReadings.read(data: Data(bytes: data, count: size), origin: "fuzz", options: ReadOptions())
    return 0
}

runFuzzer { fuzz($0, $1) }
