/// Why a whole input could not be read (as opposed to one bad row, which goes to quarantine).
public enum IngestError: Error, Hashable, Sendable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case empty(path: String)
    case columnNotFound(role: String, lookedFor: [String], header: [String])
    case invalidOption(String)

    public var description: String {
        switch self {
        case .unreadable(let p, let r): return "\(p): cannot read: \(r)"
        case .empty(let p): return "\(p): no header line: the file is empty"
        case .columnNotFound(let role, let looked, let header):
            return "no \(role) column: looked for \(looked.joined(separator: ", ")) in header [\(header.prefix(20).joined(separator: ", "))]"
        case .invalidOption(let m): return m
        }
    }
}
