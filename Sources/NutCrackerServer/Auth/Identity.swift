import MeterCore

/// What a user may do. Each role can do everything the roles below it can.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, `operator`, admin

    private var rank: Int { Role.allCases.firstIndex(of: self) ?? 0 }
    public static func < (a: Role, b: Role) -> Bool { a.rank < b.rank }
}

/// Who made a request: a signed-in user with a role, or a device key scoped to one source.
public enum Identity: Sendable, Hashable {
    case user(name: String, role: Role)
    case device(key: String, source: SourceID)

    /// What the identity is, for logs.
    public var description: String {
        switch self {
        case .user(let name, let role): "user \(name) (\(role.rawValue))"
        case .device(let key, let source): "device key \(key) (source \(source.rawValue))"
        }
    }
}
