import Foundation
import MeterCore

/// Rows of a batch routed by meter into partition files, so a job can work on one partition at a
/// time in bounded memory. Within a partition rows keep their arrival order.
///
/// File format: blocks of `[count: Int][meterIndex × count][start × count][kwh × count][status × count]`,
/// native byte order (the files live only as long as the job).
struct PartitionSpill {
    let directory: URL
    let count: Int
    private var handles: [FileHandle]
    private var buffers: [ReadingBatch]
    private static let flushRows = 32_768

    init(directory: URL, count: Int) throws {
        self.directory = directory
        self.count = count
        handles = []
        var empty = ReadingBatch()
        empty.keepsLines = false
        buffers = [ReadingBatch](repeating: empty, count: count)
        for p in 0..<count {
            let path = Self.path(directory, p)
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
            }
            handles.append(h)
        }
    }

    static func path(_ dir: URL, _ p: Int) -> String { dir.appendingPathComponent("part-\(p).bin").path }

    mutating func append(_ batch: ReadingBatch) throws {
        for i in 0..<batch.count {
            let p = Int(batch.meterIndex[i]) % count
            buffers[p].append(meter: batch.meterIndex[i], start: batch.start[i], kwh: batch.kwh[i], status: batch.status[i])
            if buffers[p].count >= Self.flushRows { try flush(p) }
        }
    }

    private mutating func flush(_ p: Int) throws {
        let b = buffers[p]
        guard !b.isEmpty else { return }
        var data = Data()
        withUnsafeBytes(of: b.count) { data.append(contentsOf: $0) }
        b.meterIndex.withUnsafeBytes { data.append(contentsOf: $0) }
        b.start.withUnsafeBytes { data.append(contentsOf: $0) }
        b.kwh.withUnsafeBytes { data.append(contentsOf: $0) }
        b.status.withUnsafeBytes { data.append(contentsOf: $0) }
        try handles[p].write(contentsOf: data)
        buffers[p].removeAllRows()
    }

    mutating func finish() throws {
        for p in 0..<count {
            try flush(p)
            try handles[p].close()
        }
    }

    /// One partition's rows, in arrival order.
    func load(_ p: Int) throws -> ReadingBatch {
        let data = try Data(contentsOf: URL(fileURLWithPath: Self.path(directory, p)))
        var out = ReadingBatch()
        out.keepsLines = false
        try data.withUnsafeBytes { raw in
            var pos = 0
            func take<T>(_ n: Int, _ type: T.Type) throws -> UnsafeRawBufferPointer {
                let bytes = n * MemoryLayout<T>.stride
                guard pos + bytes <= raw.count else { throw CocoaError(.fileReadCorruptFile) }
                defer { pos += bytes }
                return UnsafeRawBufferPointer(rebasing: raw[pos..<pos + bytes])
            }
            while pos < raw.count {
                let n = try take(1, Int.self).loadUnaligned(as: Int.self)
                guard n > 0, n <= raw.count else { throw CocoaError(.fileReadCorruptFile) }
                let m = try take(n, Int32.self), s = try take(n, Int64.self), k = try take(n, Double.self), st = try take(n, UInt8.self)
                for i in 0..<n {
                    out.append(meter: m.loadUnaligned(fromByteOffset: i * 4, as: Int32.self),
                               start: s.loadUnaligned(fromByteOffset: i * 8, as: Int64.self),
                               kwh: k.loadUnaligned(fromByteOffset: i * 8, as: Double.self),
                               status: ValueStatus(rawValue: st[i]) ?? .notANumber)
                }
            }
        }
        return out
    }
}
