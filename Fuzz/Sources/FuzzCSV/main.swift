import Foundation
import FuzzDriver
import MeterIngest

/// Any bytes as a delimited file: the long layout's byte-level path, then detection and every
/// table layout. Must never trap.
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? CSVReader().read(bytes: bytes, origin: "fuzz")
    var o = ReadOptions()
    o.detectRows = 20
    var ingest = TableIngest(origin: "fuzz", options: o)
    try? CSVRecords.forEach(bytes: bytes, delimiter: nil) { row in
        try ingest.push(row)
        return true
    }
    _ = try? ingest.finish()
    return 0
}

runFuzzer { fuzz($0, $1) }
