import Hummingbird
import MeterCore
import NutCrackerEngine

/// `/metrics` in the Prometheus text format.
struct MetricsRoutes {
    let deps: ServerDependencies

    func add(to router: Router<AppContext>) {
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: deps.metrics.prometheusText())))
        }
    }
}

/// Counts every HTTP request by route (the matched pattern, not the raw path) and status.
struct MetricsMiddleware: RouterMiddleware {
    let metrics: MetricsRegistry

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        func record(_ status: Int, _ route: String?) {
            let d = ContinuousClock.now - started
            let labels = ["method": request.method.rawValue, "route": route ?? "unmatched", "status": String(status)]
            metrics.count("nutcracker_http_requests_total", help: "HTTP requests by method, route and status.", labels: labels)
            metrics.observe("nutcracker_http_request_seconds", help: "HTTP request latency by route.",
                            buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
                            labels: ["route": route ?? "unmatched"],
                            d.inSeconds)
        }
        do {
            let response = try await next(request, context)
            record(response.status.code, context.endpointPath)
            return response
        } catch let error as HTTPResponseError {
            record(error.status.code, context.endpointPath)
            throw error
        } catch {
            record(500, context.endpointPath)
            throw error
        }
    }
}
