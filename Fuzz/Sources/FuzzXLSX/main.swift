import Foundation
import FuzzDriver
import MeterIngest

/// Any bytes as a worksheet part (the streaming XML scanner and the cell decoder, fed in small
/// chunks so tags are cut at every place) and, from the same bytes, as a whole workbook file.
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let buffer = UnsafeBufferPointer(start: data, count: size)
    _ = try? XLSXWorkbook.rows(ofSheetXML: buffer, chunk: 7, shared: ["a", "b"], dateStyles: [false, true])
    let path = "/tmp/nutcracker-fuzz-\(getpid()).xlsx"
    if (try? Data(buffer).write(to: URL(fileURLWithPath: path))) != nil {
        _ = try? FileReading().read(path: path)
    }
    return 0
}

runFuzzer { fuzz($0, $1) }
