import FuzzDriver
import MeterIngest

/// Any bytes as a gzip-compressed request body, inflated within a small limit.
func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    _ = try? Gzip.decompress(Array(UnsafeBufferPointer(start: data, count: size)), limit: 1 << 20)
    return 0
}

runFuzzer { fuzz($0, $1) }
