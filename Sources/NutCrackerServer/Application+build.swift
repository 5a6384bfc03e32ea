import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import HummingbirdWSCompression
import Logging

/// Builds the HTTP application: the routes over the engine, bound to `host:port`, with WebSocket
/// upgrades for `/api/v1/stream`.
public func buildApplication(_ deps: ServerDependencies, host: String = "127.0.0.1", port: Int = 8080,
                             logger: Logger = Logger(label: "nutcracker.http")) -> some ApplicationProtocol {
    let router = buildRouter(deps)
    return Application(router: router, server: httpWithStream(deps, router: router),
                       configuration: .init(address: .hostname(host, port: port), serverName: "nutcracker"), logger: logger)
}

/// HTTP/1 with the WebSocket upgrade of `/api/v1/stream`, whose frames may be as large as an ingest
/// request's body: a gateway's batch fits in one message as it fits in one request. A client that
/// offers permessage-deflate (every browser does) gets its messages of 256 bytes or more compressed,
/// and may send compressed ones, inflated within the same limit.
public func httpWithStream(_ deps: ServerDependencies, router: Router<AppContext>) -> HTTPServerBuilder {
    .http1WebSocketUpgrade(webSocketRouter: router, configuration: .init(
        maxFrameSize: deps.limits.maxBodyBytes,
        extensions: [.perMessageDeflate(maxDecompressedFrameSize: deps.limits.maxBodyBytes, minFrameSizeToCompress: 256)]))
}

/// The router alone, for tests that drive it without a socket.
public func buildRouter(_ deps: ServerDependencies) -> Router<AppContext> {
    let router = Router(context: AppContext.self)
    router.middlewares.add(MetricsMiddleware(metrics: deps.metrics))
    router.middlewares.add(AuthMiddleware(accounts: deps.accounts))
    HealthRoutes(deps: deps).add(to: router)
    MetricsRoutes(deps: deps).add(to: router)
    AuthRoutes(deps: deps).add(to: router)
    IngestRoutes(deps: deps).add(to: router)
    MeterRoutes(deps: deps).add(to: router)
    AnomalyRoutes(deps: deps).add(to: router)
    QueryRoutes(deps: deps).add(to: router)
    ForecastRoutes(deps: deps).add(to: router)
    StreamRoutes(deps: deps).add(to: router)
    DashboardRoutes(deps: deps).add(to: router)
    OpenAPIRoutes().add(to: router)
    GraphQLRoutes(deps: deps).add(to: router)
    return router
}
