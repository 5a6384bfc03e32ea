import Foundation

/// The raw byte ranges of a JSON object's top-level values, found without building them: lets a
/// message's small fields be read on their own while a large field (a batch of readings) goes to
/// its reader untouched, parsed once.
///
/// Returns nil when the text is not one JSON object (unbalanced brackets, a key that is not a
/// string, text after the object). Values are not validated beyond their bracket structure; their
/// own readers do that. Never traps on any input.
public enum JSONObjectFields {
    public static func ranges(_ data: Data) -> [String: Range<Int>]? {
        let bytes = [UInt8](data)
        var i = 0
        func skipSpace() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 } }
        /// Moves past a string starting at `i` (a quote); false when it does not close.
        func skipString() -> Bool {
            guard i < bytes.count, bytes[i] == 0x22 else { return false }
            i += 1
            while i < bytes.count {
                if bytes[i] == 0x5C { i += 2; continue }
                if bytes[i] == 0x22 { i += 1; return true }
                i += 1
            }
            return false
        }
        /// Moves past one value of any kind; false when its brackets do not balance.
        func skipValue() -> Bool {
            guard i < bytes.count else { return false }
            switch bytes[i] {
            case 0x22: return skipString()
            case 0x7B, 0x5B:
                var depth = 0
                while i < bytes.count {
                    switch bytes[i] {
                    case 0x22: if !skipString() { return false }; continue
                    case 0x7B, 0x5B: depth += 1
                    case 0x7D, 0x5D:
                        depth -= 1
                        if depth == 0 { i += 1; return true }
                    default: break
                    }
                    i += 1
                }
                return false
            default:
                let start = i
                while i < bytes.count, ![0x2C, 0x7D, 0x5D, 0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
                return i > start
            }
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        skipSpace()
        guard i < bytes.count, bytes[i] == 0x7B else { return nil }
        i += 1
        var out: [String: Range<Int>] = [:]
        skipSpace()
        if i < bytes.count, bytes[i] == 0x7D {
            i += 1
        } else {
            while true {
                skipSpace()
                let keyStart = i
                guard skipString() else { return nil }
                guard let key = (try? JSONSerialization.jsonObject(with: Data(bytes[keyStart..<i]), options: .fragmentsAllowed)) as? String else { return nil }
                skipSpace()
                guard i < bytes.count, bytes[i] == 0x3A else { return nil }
                i += 1
                skipSpace()
                let valueStart = i
                guard skipValue() else { return nil }
                out[key] = valueStart..<i
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == 0x2C { i += 1; continue }
                guard bytes[i] == 0x7D else { return nil }
                i += 1
                break
            }
        }
        skipSpace()
        return i == bytes.count ? out : nil
    }

    /// A small top-level value read on its own (a string, number, boolean or null), or nil.
    public static func scalar(_ data: Data, _ range: Range<Int>?) -> Any? {
        guard let range, range.lowerBound >= 0, range.upperBound <= data.count else { return nil }
        let slice = data.subdata(in: (data.startIndex + range.lowerBound)..<(data.startIndex + range.upperBound))
        return try? JSONSerialization.jsonObject(with: slice, options: .fragmentsAllowed)
    }
}
