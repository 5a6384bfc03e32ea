import Foundation
import ZIPFoundation

/// `bytes` as one gzip member, as `gzip` writes one (zlib's deflate, then the CRC-32 and length),
/// with a file name when given: what a gateway's compressed request body looks like.
public func gzipped(_ bytes: [UInt8], name: String? = nil) throws -> [UInt8] {
    let input = Data(bytes)
    var deflated = Data()
    _ = try Data.compress(size: Int64(input.count), bufferSize: 1 << 14, provider: { position, size in
        input.subdata(in: Int(position)..<min(input.count, Int(position) + size))
    }, consumer: { deflated.append($0) })
    var out: [UInt8] = [0x1F, 0x8B, 8, name == nil ? 0 : 8, 0, 0, 0, 0, 0, 3]
    if let name { out += Array(name.utf8) + [0] }
    out += Array(deflated)
    for v in [input.crc32(checksum: 0), UInt32(truncatingIfNeeded: bytes.count)] {
        for k in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * k))) }
    }
    return out
}
