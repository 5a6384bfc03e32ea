import Foundation
import FuzzDriver
import MeterIngest

/// Any bytes as a JSON array or NDJSON of readings, and as a WebSocket message whose fields are
/// located without being parsed.
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = Data(bytes: data, count: size)
    _ = try? JSONReadings.read(data: bytes, origin: "fuzz", options: ReadOptions())
    if let fields = JSONObjectFields.ranges(bytes) {
        for (_, range) in fields { _ = JSONObjectFields.scalar(bytes, range) }
        if let readings = fields["readings"] {
            _ = try? JSONReadings.read(data: bytes.subdata(in: readings), origin: "fuzz", options: ReadOptions())
        }
    }
    return 0
}

runFuzzer { fuzz($0, $1) }
