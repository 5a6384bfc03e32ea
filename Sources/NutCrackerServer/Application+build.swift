import Hummingbird
import Logging

/// Builds the HTTP application: the routes over the engine, bound to `host:port`.
public func buildApplication(_ deps: ServerDependencies, host: String = "127.0.0.1", port: Int = 8080,
                             logger: Logger = Logger(label: "nutcracker.http")) -> some ApplicationProtocol {
    let router = buildRouter(deps)
    return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "nutcracker"),
                       logger: logger)
}

/// The router alone, for tests that drive it without a socket.
public func buildRouter(_ deps: ServerDependencies) -> Router<BasicRequestContext> {
    let router = Router()
    HealthRoutes(deps: deps).add(to: router)
    MeterRoutes(deps: deps).add(to: router)
    AnomalyRoutes(deps: deps).add(to: router)
    DashboardRoutes().add(to: router)
    return router
}
