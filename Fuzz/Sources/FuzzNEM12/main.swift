import Foundation
import FuzzDriver
import MeterIngest

/// Any bytes read as NEM12 records (the layout forced, so every record type is reached).
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var o = ReadOptions()
    o.layout = .nem12
    o.detectRows = 4
    var ingest = TableIngest(origin: "fuzz", options: o)
    try? CSVRecords.forEach(bytes: bytes, delimiter: 0x2C) { row in
        try ingest.push(row)
        return true
    }
    _ = try? ingest.finish()
    return 0
}

runFuzzer { fuzz($0, $1) }
