/// How far a stored value can be trusted.
public enum Quality: UInt8, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// As measured.
    case actual = 0
    /// Filled in by an estimation rule; the rule is recorded on the reading.
    case estimated = 1
    /// Changed by a person or an editing rule.
    case edited = 2
    /// Stored but flagged by a check as doubtful.
    case suspect = 3

    public var name: String {
        switch self {
        case .actual: "actual"
        case .estimated: "estimated"
        case .edited: "edited"
        case .suspect: "suspect"
        }
    }

    public init?(name: some StringProtocol) {
        switch name.lowercased() {
        case "actual", "a": self = .actual
        case "estimated", "e": self = .estimated
        case "edited", "substituted", "s": self = .edited
        case "suspect": self = .suspect
        default: return nil
        }
    }

    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let q = Quality(name: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown quality \(text)"))
        }
        self = q
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }
}
