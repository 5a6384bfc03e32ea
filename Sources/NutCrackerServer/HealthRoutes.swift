import Hummingbird

/// `/health` (the process answers) and `/ready` (the store answers).
struct HealthRoutes {
    let deps: ServerDependencies

    func add(to router: Router<AppContext>) {
        router.get("/health") { _, _ in
            Health(status: "ok", readings_stored: await deps.pipeline.readingsStored)
        }
        router.get("/ready") { _, _ -> Health in
            do {
                _ = try await deps.store.quarantine(limit: 1)
                return Health(status: "ready", readings_stored: await deps.pipeline.readingsStored)
            } catch {
                throw HTTPError(.serviceUnavailable, message: "store not ready: \(error)")
            }
        }
    }
}
