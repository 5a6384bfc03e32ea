/// Identifies one meter: 1 to 64 characters of `A-Za-z0-9._:-`.
///
/// Construction validates, so a `MeterID` in hand is always well formed.
///
/// An id carries its own hash (the standard library's keyed hash of its text, worked out once when
/// it is made): a live reading's meter is looked up in several tables on its way in, and each lookup
/// then only mixes in the table's seed instead of hashing the text again. The hash stays keyed, so
/// ids chosen to collide cannot be crafted from outside.
public struct MeterID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String
    private let hash: Int

    private init(validated text: String) {
        rawValue = text
        hash = text.hashValue
    }

    /// The longest identifier accepted.
    public static let maxLength = 64

    public init?(_ text: some StringProtocol) {
        var s = String(text)
        guard s.withUTF8({ Self.isWellFormed(UnsafeRawBufferPointer($0), maxLength: Self.maxLength) }) else { return nil }
        self.init(validated: s)
    }

    /// A meter id from its bytes as they stand in the input (a reader's field), checked byte by byte.
    public init?(utf8 bytes: UnsafeRawBufferPointer) {
        guard Self.isWellFormed(bytes, maxLength: Self.maxLength) else { return nil }
        self.init(validated: String(decoding: bytes, as: UTF8.self))
    }

    /// Whether bytes spell an id of the meter-id alphabet, 1 to `maxLength` long. A plain loop over
    /// contiguous bytes: every new meter of every live request is checked here.
    static func isWellFormed(_ bytes: UnsafeRawBufferPointer, maxLength: Int) -> Bool {
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        for b in bytes where !isAllowed(b) { return false }
        return true
    }

    /// Whether a byte may appear in a meter id.
    @inline(__always)
    public static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
             UInt8(ascii: ":"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// Stands in for the meter of a row whose meter could not be read.
    public static let unknown = MeterID(uncheckedLiteral: "unknown")

    init(uncheckedLiteral: String) { self.init(validated: uncheckedLiteral) }

    public var description: String { rawValue }
    public static func < (a: MeterID, b: MeterID) -> Bool { a.rawValue < b.rawValue }
    public static func == (a: MeterID, b: MeterID) -> Bool { a.hash == b.hash && a.rawValue == b.rawValue }
    public func hash(into hasher: inout Hasher) { hasher.combine(hash) }

    /// What sets and dictionaries ask for: the id's own hash mixed with the table's seed (a
    /// bijection, so distinct hashes stay distinct, and each table orders its ids differently).
    public func _rawHashValue(seed: Int) -> Int {
        var x = UInt64(bitPattern: Int64(hash ^ seed))
        x ^= x >> 33
        x &*= 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        return Int(Int64(bitPattern: x))
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = MeterID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "not a meter id: \(text.prefix(80))"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// Names one feed of the estate (`A`, `B`, `C`, ...): 1 to 32 characters of the meter-id alphabet.
public struct SourceID: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String

    public init?(_ text: some StringProtocol) {
        var s = String(text)
        guard s.withUTF8({ MeterID.isWellFormed(UnsafeRawBufferPointer($0), maxLength: 32) }) else { return nil }
        rawValue = s
    }

    /// The source readings belong to when nobody names one.
    public static let unassigned = SourceID(uncheckedLiteral: "default")

    init(uncheckedLiteral: String) { rawValue = uncheckedLiteral }

    public var description: String { rawValue }
    public static func < (a: SourceID, b: SourceID) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = SourceID(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                debugDescription: "not a source id: \(text.prefix(80))"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
