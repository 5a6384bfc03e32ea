import Foundation
import ZIPFoundation

/// Bodies sent compressed with `Content-Encoding: gzip` (RFC 1952): each member's header, its
/// deflate stream (RFC 1951) and the CRC-32 and length that close it, all checked. The output is
/// bounded by `limit`, so a small body cannot inflate without end, and the reader never looks
/// outside its input: a damaged body is an error that says what is wrong, never a crash. (CompressNIO's
/// zlib path, tried first, acknowledged bodies whose CRC was damaged or whose trailer was cut short:
/// readings must not be stored from a body that is not the one sent.)
public enum Gzip {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notGzip
        case truncated
        case corrupt(String)
        case tooLarge(limit: Int)

        public var description: String {
            switch self {
            case .notGzip: "not gzip data (it does not start with the gzip signature)"
            case .truncated: "the gzip data ends early"
            case .corrupt(let why): "corrupt gzip data: \(why)"
            case .tooLarge(let limit): "it inflates to more than \(limit) bytes"
            }
        }
    }

    /// The bytes of every member, in order.
    public static func decompress(_ data: [UInt8], limit: Int) throws(Failure) -> [UInt8] {
        var inflater = Inflater(input: data, limit: limit)
        repeat {
            let start = inflater.out.count
            try inflater.header()
            try inflater.deflateStream()
            inflater.alignToByte()
            let crc = try inflater.littleEndian32(), size = try inflater.littleEndian32()
            let member = Data(inflater.out[start...])
            guard member.crc32(checksum: 0) == crc else { throw .corrupt("its CRC-32 does not match") }
            guard UInt32(truncatingIfNeeded: member.count) == size else { throw .corrupt("its length does not match") }
        } while inflater.pos < data.count
        return inflater.out
    }
}

/// A deflate decoder in the manner of zlib's `puff`: canonical Huffman codes read a bit at a time.
private struct Inflater {
    let input: [UInt8]
    let limit: Int
    var pos = 0
    var out: [UInt8] = []
    private var bitBuffer: UInt32 = 0
    private var bitCount = 0

    init(input: [UInt8], limit: Int) {
        self.input = input
        self.limit = limit
    }

    mutating func byte() throws(Gzip.Failure) -> UInt8 {
        guard pos < input.count else { throw .truncated }
        defer { pos += 1 }
        return input[pos]
    }

    mutating func littleEndian32() throws(Gzip.Failure) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v |= UInt32(try byte()) << (8 * k) }
        return v
    }

    mutating func header() throws(Gzip.Failure) {
        guard pos + 2 <= input.count, input[pos] == 0x1F, input[pos + 1] == 0x8B else {
            if pos == 0 { throw .notGzip }
            throw pos + 2 <= input.count ? .corrupt("bytes after the last member are not another member") : .truncated
        }
        pos += 2
        guard try byte() == 8 else { throw .corrupt("compression method is not deflate") }
        let flags = try byte()
        guard flags & 0xE0 == 0 else { throw .corrupt("reserved header flags are set") }
        for _ in 0..<6 { _ = try byte() } // modification time, extra flags, operating system
        if flags & 0x04 != 0 { // FEXTRA
            let length = Int(try byte()) | Int(try byte()) << 8
            guard pos + length <= input.count else { throw .truncated }
            pos += length
        }
        if flags & 0x08 != 0 { while try byte() != 0 {} } // FNAME
        if flags & 0x10 != 0 { while try byte() != 0 {} } // FCOMMENT
        if flags & 0x02 != 0 { _ = try byte(); _ = try byte() } // FHCRC
    }

    mutating func bits(_ n: Int) throws(Gzip.Failure) -> Int {
        while bitCount < n {
            bitBuffer |= UInt32(try byte()) << UInt32(bitCount)
            bitCount += 8
        }
        let v = Int(bitBuffer & ((1 << UInt32(n)) - 1))
        bitBuffer >>= UInt32(n)
        bitCount -= n
        return v
    }

    /// Drops the bits left in the current byte.
    mutating func alignToByte() {
        bitBuffer = 0
        bitCount = 0
    }

    mutating func emit(_ b: UInt8) throws(Gzip.Failure) {
        guard out.count < limit else { throw .tooLarge(limit: limit) }
        out.append(b)
    }

    mutating func deflateStream() throws(Gzip.Failure) {
        var last = false
        repeat {
            last = try bits(1) == 1
            switch try bits(2) {
            case 0: try stored()
            case 1: try codes(Self.fixed.lengths, Self.fixed.distances)
            case 2:
                let (lengths, distances) = try dynamicTables()
                try codes(lengths, distances)
            default: throw .corrupt("a block of the reserved type 3")
            }
        } while !last
    }

    mutating func stored() throws(Gzip.Failure) {
        alignToByte()
        let length = Int(try byte()) | Int(try byte()) << 8
        let complement = Int(try byte()) | Int(try byte()) << 8
        guard length == ~complement & 0xFFFF else { throw .corrupt("a stored block's length does not match its complement") }
        guard pos + length <= input.count else { throw .truncated }
        guard out.count + length <= limit else { throw .tooLarge(limit: limit) }
        out.append(contentsOf: input[pos..<(pos + length)])
        pos += length
    }

    struct Huffman {
        /// Codes of each length (0 to 15), and the symbols in code order.
        var count = [Int](repeating: 0, count: 16)
        var symbol: [Int]

        /// No codes at all.
        static let empty = Huffman(count: [Int](repeating: 0, count: 16), symbol: [])

        init(count: [Int], symbol: [Int]) {
            self.count = count
            self.symbol = symbol
        }

        /// From code lengths. An incomplete code is accepted (deflate allows one, as for a single
        /// distance code); a code not in it is an error when read.
        init(_ lengths: [Int]) throws(Gzip.Failure) {
            symbol = [Int](repeating: 0, count: lengths.count)
            for l in lengths {
                guard l >= 0 && l <= 15 else { throw .corrupt("a code length over 15") }
                count[l] += 1
            }
            var left = 1
            for len in 1...15 {
                left <<= 1
                left -= count[len]
                guard left >= 0 else { throw .corrupt("an over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + count[len] }
            for (s, l) in lengths.enumerated() where l != 0 {
                symbol[offsets[l]] = s
                offsets[l] += 1
            }
        }
    }

    mutating func decode(_ h: Huffman) throws(Gzip.Failure) -> Int {
        var code = 0, first = 0, index = 0
        for len in 1...15 {
            code |= try bits(1)
            let count = h.count[len]
            if code - first < count {
                let k = index + code - first
                guard k < h.symbol.count else { break }
                return h.symbol[k]
            }
            index += count
            first = (first + count) << 1
            code <<= 1
        }
        throw .corrupt("a code that is not in its Huffman table")
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                               4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    /// The fixed codes of block type 1.
    static let fixed: (lengths: Huffman, distances: Huffman) = {
        let lengths = (0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 }
        // Both are complete codes; building them cannot fail.
        let l = (try? Huffman(lengths)) ?? Huffman.empty
        let d = (try? Huffman([Int](repeating: 5, count: 30))) ?? Huffman.empty
        return (l, d)
    }()

    mutating func codes(_ lengths: Huffman, _ distances: Huffman) throws(Gzip.Failure) {
        while true {
            let symbol = try decode(lengths)
            if symbol < 256 {
                try emit(UInt8(symbol))
            } else if symbol == 256 {
                return
            } else {
                let i = symbol - 257
                guard i < Self.lengthBase.count else { throw .corrupt("a length code out of range") }
                let length = Self.lengthBase[i] + (try bits(Self.lengthExtra[i]))
                let d = try decode(distances)
                guard d < Self.distanceBase.count else { throw .corrupt("a distance code out of range") }
                let distance = Self.distanceBase[d] + (try bits(Self.distanceExtra[d]))
                guard distance <= out.count else { throw .corrupt("a distance back past the start of the data") }
                guard out.count + length <= limit else { throw .tooLarge(limit: limit) }
                for _ in 0..<length { out.append(out[out.count - distance]) }
            }
        }
    }

    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    mutating func dynamicTables() throws(Gzip.Failure) -> (Huffman, Huffman) {
        let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw .corrupt("too many length or distance codes") }
        var codeLengths = [Int](repeating: 0, count: 19)
        for k in 0..<ncode { codeLengths[Self.codeLengthOrder[k]] = try bits(3) }
        let lengthCode = try Huffman(codeLengths)
        var lengths: [Int] = []
        lengths.reserveCapacity(nlen + ndist)
        while lengths.count < nlen + ndist {
            let symbol = try decode(lengthCode)
            switch symbol {
            case 0...15: lengths.append(symbol)
            case 16:
                guard let previous = lengths.last else { throw .corrupt("a repeat with no length before it") }
                lengths.append(contentsOf: repeatElement(previous, count: 3 + (try bits(2))))
            case 17: lengths.append(contentsOf: repeatElement(0, count: 3 + (try bits(3))))
            default: lengths.append(contentsOf: repeatElement(0, count: 11 + (try bits(7))))
            }
        }
        guard lengths.count == nlen + ndist else { throw .corrupt("code lengths run past their count") }
        guard lengths[256] != 0 else { throw .corrupt("no end-of-block code") }
        return (try Huffman(Array(lengths[0..<nlen])), try Huffman(Array(lengths[nlen...])))
    }
}
