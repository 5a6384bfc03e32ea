/// Who may use the service: users with a password hash and a role, device keys (stored as a hash of
/// their secret) scoped to a source, and the service's own settings (the token-signing secret).
/// Hashing is the caller's; the store never sees a password or a key in the clear.
public protocol CredentialStore: Sendable {
    /// Creates the user or replaces their password hash and role.
    func saveUser(name: String, passwordHash: String, role: String) async throws
    func user(name: String) async throws -> StoredUser?
    func users() async throws -> [StoredUser]
    func saveDeviceKey(_ key: StoredDeviceKey) async throws
    func deviceKey(id: String) async throws -> StoredDeviceKey?
    /// Marks a key revoked; returns whether it existed.
    func revokeDeviceKey(id: String) async throws -> Bool
    func setting(_ key: String) async throws -> String?
    /// Stores `value` unless the setting exists; returns the setting's value either way.
    func settingOrInsert(_ key: String, _ value: String) async throws -> String
}

/// A user as stored: name, bcrypt hash, role name.
public struct StoredUser: Sendable, Hashable {
    public var name: String
    public var passwordHash: String
    public var role: String

    public init(name: String, passwordHash: String, role: String) {
        self.name = name
        self.passwordHash = passwordHash
        self.role = role
    }
}

/// A device key as stored: its public id, the SHA-256 of its secret (hex), the source it may write.
public struct StoredDeviceKey: Sendable, Hashable {
    public var id: String
    public var secretHash: String
    public var source: String
    public var label: String
    public var createdAt: Int64
    public var revoked: Bool

    public init(id: String, secretHash: String, source: String, label: String, createdAt: Int64, revoked: Bool = false) {
        self.id = id
        self.secretHash = secretHash
        self.source = source
        self.label = label
        self.createdAt = createdAt
        self.revoked = revoked
    }
}
