/// Maps short byte strings (meter ids) to small integers without making a String per lookup:
/// an open-addressing table of FNV-1a hashes over one arena of key bytes.
public struct ByteInterner: Sendable {
    private var slots: [Int32]          // index into keys, or -1
    private var hashes: [UInt64] = []   // per key
    private var offsets: [Int] = [0]    // key k is arena[offsets[k]..<offsets[k+1]]
    private var arena: [UInt8] = []
    private var mask: Int

    public init(capacity: Int = 1024) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
    }

    public var count: Int { hashes.count }

    @inline(__always)
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h ^ (h >> 29)
    }

    /// The index of `bytes` if seen before.
    @inline(__always)
    public func find(_ bytes: UnsafeRawBufferPointer) -> Int32? {
        let h = Self.hash(bytes)
        var i = Int(truncatingIfNeeded: h) & mask
        while true {
            let k = slots[i]
            if k < 0 { return nil }
            if hashes[Int(k)] == h, equal(Int(k), bytes) { return k }
            i = (i + 1) & mask
        }
    }

    /// Adds `bytes` (not yet present) under the next index, which it returns.
    public mutating func insert(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        if (hashes.count + 1) * 2 > slots.count { grow() }
        let h = Self.hash(bytes)
        let k = Int32(hashes.count)
        hashes.append(h)
        arena.append(contentsOf: bytes)
        offsets.append(arena.count)
        place(k, h)
        return k
    }

    private mutating func place(_ k: Int32, _ h: UInt64) {
        var i = Int(truncatingIfNeeded: h) & mask
        while slots[i] >= 0 { i = (i + 1) & mask }
        slots[i] = k
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (k, h) in hashes.enumerated() { place(Int32(k), h) }
    }

    @inline(__always)
    private func equal(_ k: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        let lo = offsets[k], hi = offsets[k + 1]
        guard hi - lo == bytes.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            var i = 0
            while i < bytes.count {
                if a[lo + i] != bytes[i] { return false }
                i += 1
            }
            return true
        }
    }
}
