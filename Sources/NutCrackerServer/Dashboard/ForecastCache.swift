import Foundation
import MeterCore
import NutCrackerEngine

/// The day-ahead forecast a meter page draws, kept until the meter's readings move an hour past
/// its origin, so that live redraws do not refit a model each time.
actor ForecastCache {
    private var entries: [MeterID: MeterForecasting.Result] = [:]
    /// The dashboard's model: fitted once per forecast, cheap enough to draw on demand.
    let model: String

    init(model: String = "regression") { self.model = model }

    func dayAhead(deps: ServerDependencies, meter: MeterID, latest: Int64?) async -> MeterForecasting.Result? {
        if let cached = entries[meter], let origin = cached.starts.first, let latest, latest < origin + 3600 {
            return cached
        }
        guard let (points, _) = try? await MeterForecasting.points(store: deps.store, meter: meter, source: nil, windowDays: 28),
              !points.starts.isEmpty else { return nil }
        let horizon = Int(86_400 / max(60, points.stepSeconds))
        let model = model
        let result = await Task.detached(priority: .utility) { () -> MeterForecasting.Result? in
            for name in [model, "snaive"] {
                if let r = try? MeterForecasting.forecast(points, horizon: horizon, levels: [0.8, 0.95], model: name, windowDays: 28) {
                    return r
                }
            }
            return nil
        }.value
        if let result { entries[meter] = result }
        return result
    }
}
