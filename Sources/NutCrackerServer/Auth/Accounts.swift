import Crypto
import Foundation
import HummingbirdBcrypt
import JWTKit
import MeterCore
import MeterStore
import Synchronization

/// Users, device keys and tokens over a `CredentialStore`.
///
/// Passwords are kept as bcrypt hashes. Device keys are `nck_<id>_<secret>`: the id is public and
/// looks the key up, the secret is 32 random bytes kept only as its SHA-256 (a random secret needs
/// no slow hash, and the check stays cheap on every ingest request). A key is looked up in the store
/// on every request, so revoking it (from another process too) takes effect at once. Tokens are HS256 JWTs signed
/// with a secret the store generates once, so they survive restarts.
public final class Accounts: Sendable {
    public let store: any CredentialStore
    private let keys: JWTKeyCollection
    /// How long an issued token is valid.
    public let tokenLifetime: TimeInterval
    /// Tokens whose signature has been checked, with what they prove and when they expire. A
    /// client sends the same token with every request, and checking it (decoding its JSON, an HMAC)
    /// cost a live request more than its routing. A token is the same string only with the same
    /// signature, so a hit proves what the first check did; its expiry is checked at every use.
    private let verified = Mutex<[String: (identity: Identity, expires: Date)]>([:])
    private static let verifiedLimit = 4096

    /// Loads (or creates) the signing secret.
    public init(store: any CredentialStore, tokenLifetime: TimeInterval = 12 * 3600) async throws {
        self.store = store
        self.tokenLifetime = tokenLifetime
        let secret = try await store.settingOrInsert("jwt_secret", Self.randomHex(32))
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    // MARK: users

    /// Creates a user or sets their password and role. Refuses passwords under 8 characters.
    public func addUser(name: String, password: String, role: Role) async throws {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || "._-@".contains($0) }) else {
            throw AccountError.invalid("user name must be 1-64 letters, digits or ._-@")
        }
        guard password.count >= 8 else { throw AccountError.invalid("password must be at least 8 characters") }
        try await store.saveUser(name: name, passwordHash: Bcrypt.hash(password, cost: 10), role: role.rawValue)
    }

    /// The user's role when the password matches; nil otherwise (the same answer for an unknown user).
    public func authenticate(name: String, password: String) async throws -> Role? {
        guard let user = try await store.user(name: name) else {
            _ = Bcrypt.verify(password, hash: Self.decoyHash)
            return nil
        }
        guard Bcrypt.verify(password, hash: user.passwordHash) else { return nil }
        return Role(rawValue: user.role)
    }

    private static let decoyHash = Bcrypt.hash("not a password of anyone", cost: 10)

    // MARK: tokens

    /// A signed token for the user, valid for `tokenLifetime`.
    public func issueToken(name: String, role: Role, now: Date = Date()) async throws -> (token: String, expires: Date) {
        let expires = now.addingTimeInterval(tokenLifetime)
        let payload = TokenPayload(sub: .init(value: name), role: role.rawValue, exp: .init(value: expires), iat: .init(value: now))
        return (try await keys.sign(payload), expires)
    }

    /// The identity a bearer credential proves, or nil when it proves nothing (wrong, expired, tampered).
    public func identity(bearer credential: String) async -> Identity? {
        if credential.hasPrefix("nck_") { return await deviceIdentity(credential) }
        if let known = verified.withLock({ $0[credential] }) { return known.expires > Date() ? known.identity : nil }
        guard let payload = try? await keys.verify(credential, as: TokenPayload.self), let role = Role(rawValue: payload.role) else { return nil }
        let identity = Identity.user(name: payload.sub.value, role: role)
        verified.withLock { v in
            if v.count >= Self.verifiedLimit { v.removeAll() }
            v[credential] = (identity, payload.exp.value)
        }
        return identity
    }

    // MARK: device keys

    /// Creates a key for a source; the full key is shown once, only its hash is kept.
    public func createDeviceKey(source: SourceID, label: String = "") async throws -> (id: String, key: String) {
        let id = Self.randomHex(6)
        let secret = Self.randomHex(32)
        try await store.saveDeviceKey(StoredDeviceKey(id: id, secretHash: Self.sha256(secret), source: source.rawValue, label: label,
                                                      createdAt: Int64(Date().timeIntervalSince1970)))
        return (id, "nck_\(id)_\(secret)")
    }

    public func revokeDeviceKey(id: String) async throws -> Bool {
        try await store.revokeDeviceKey(id: id)
    }

    private func deviceIdentity(_ credential: String) async -> Identity? {
        guard let (id, secret) = Self.split(credential),
              let key = try? await store.deviceKey(id: id), !key.revoked,
              Self.constantTimeEqual(Self.sha256(secret), key.secretHash),
              let source = SourceID(key.source) else { return nil }
        return .device(key: id, source: source)
    }

    private static func split(_ credential: String) -> (String, String)? {
        let parts = credential.split(separator: "_", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "nck", parts[1].count == 12, parts[2].count == 64 else { return nil }
        return (String(parts[1]), String(parts[2]))
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A random password for an account nobody types into (the demo's admin).
    public static func randomPassword() -> String { randomHex(16) }

    static func randomHex(_ bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// The claims of a user token.
struct TokenPayload: JWTPayload {
    var sub: SubjectClaim
    var role: String
    var exp: ExpirationClaim
    var iat: IssuedAtClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// A request to create or change an account that cannot be met, with the reason.
public enum AccountError: Error, CustomStringConvertible {
    case invalid(String)
    public var description: String {
        switch self { case .invalid(let s): s }
    }
}
