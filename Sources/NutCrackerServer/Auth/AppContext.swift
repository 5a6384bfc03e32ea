import Hummingbird
import HummingbirdWebSocket
import MeterCore

/// The request context of every route: the core storage, the WebSocket hand-off, and who is asking.
public struct AppContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// Set by `AuthMiddleware` when the request carried valid credentials.
    public var identity: Identity?

    public init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
    }

    /// Bodies are collected by the routes themselves, against their own limits.
    public var maxUploadSize: Int { 64 << 20 }

    /// The identity, if it has at least `role`; 401 without credentials, 403 with too few rights.
    /// A device key reads nothing but may write its source (see `requireWriter`).
    @discardableResult
    public func require(_ role: Role) throws -> Identity {
        switch identity {
        case nil:
            throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "credentials required: a bearer token or a device key")
        case .user(let name, let r)? where r >= role:
            return .user(name: name, role: r)
        case .user(let name, let r)?:
            throw HTTPError(.forbidden, message: "user \(name) has role \(r.rawValue); this needs \(role.rawValue)")
        case .device(let key, _)?:
            throw HTTPError(.forbidden, message: "device key \(key) may only write readings of its source")
        }
    }

    /// Checks that the identity may write readings of every source in `sources`: an operator (or
    /// admin) any source, a device key only its own.
    public func requireWriter(of sources: Set<SourceID>) throws {
        switch identity {
        case .device(let key, let own)?:
            if let other = sources.first(where: { $0 != own }) {
                throw HTTPError(.forbidden, message: "device key \(key) is scoped to source \(own.rawValue), not \(other.rawValue)")
            }
        default:
            try require(.operator)
        }
    }
}
