import Foundation

/// Seasonal ARIMA (p,0,q)(P,1,Q) with the day as season and a constant, orders chosen
/// automatically: a stepwise search in the manner of Hyndman and Khandakar over p ≤ 3, q ≤ 2,
/// P ≤ 1, Q ≤ 1 by AICc, each candidate fitted by conditional sum of squares on the recent weeks.
public struct SeasonalARIMA: ForecastModel {
    /// Orders (p, q, P, Q); nil chooses them.
    public var orders: Orders?
    /// How many days of the history the estimation uses (the most recent).
    public var fittingDays: Int

    public struct Orders: Sendable, Hashable, CustomStringConvertible {
        public var p, q, seasonalP, seasonalQ: Int
        public init(p: Int, q: Int, seasonalP: Int, seasonalQ: Int) {
            self.p = p; self.q = q; self.seasonalP = seasonalP; self.seasonalQ = seasonalQ
        }
        public var description: String { "(\(p),0,\(q))(\(seasonalP),1,\(seasonalQ))" }
    }

    public init(orders: Orders? = nil, fittingDays: Int = 42) {
        self.orders = orders
        self.fittingDays = fittingDays
    }

    public var name: String { "sarima" }

    public func minimumHistory(season: Int) -> Int { 4 * season }

    public func pointForecast(_ input: ForecastInput, horizon: Int) throws -> [Double] {
        try checked(input, horizon: horizon)
        let fit = self.fit(input)
        return fit.forecast(input.values, season: input.season, horizon: horizon)
    }

    /// The chosen orders and their coefficients.
    func fit(_ input: ForecastInput) -> Fitted {
        let s = input.season
        let y = Array(input.values.suffix(max(fittingDays, 4) * s))
        let z = (s..<y.count).map { y[$0] - y[$0 - s] }
        let mean = z.reduce(0, +) / Double(max(1, z.count))
        let w = z.map { $0 - mean }
        if let orders { return Self.estimate(w, orders: orders, season: s, mean: mean) }
        var tried: [Orders: Fitted] = [:]
        func attempt(_ o: Orders) -> Fitted? {
            guard (0...3).contains(o.p), (0...2).contains(o.q), (0...1).contains(o.seasonalP), (0...1).contains(o.seasonalQ) else { return nil }
            if let f = tried[o] { return f }
            let f = Self.estimate(w, orders: o, season: s, mean: mean)
            tried[o] = f
            return f
        }
        let starts = [Orders(p: 2, q: 2, seasonalP: 1, seasonalQ: 1), Orders(p: 0, q: 0, seasonalP: 0, seasonalQ: 0),
                      Orders(p: 1, q: 0, seasonalP: 1, seasonalQ: 0), Orders(p: 0, q: 1, seasonalP: 0, seasonalQ: 1)]
        var best = starts.compactMap(attempt).min { $0.aicc < $1.aicc } ?? Self.estimate(w, orders: starts[1], season: s, mean: mean)
        var improved = true
        while improved, tried.count < 24 {
            improved = false
            let o = best.orders
            let neighbours = [
                Orders(p: o.p + 1, q: o.q, seasonalP: o.seasonalP, seasonalQ: o.seasonalQ),
                Orders(p: o.p - 1, q: o.q, seasonalP: o.seasonalP, seasonalQ: o.seasonalQ),
                Orders(p: o.p, q: o.q + 1, seasonalP: o.seasonalP, seasonalQ: o.seasonalQ),
                Orders(p: o.p, q: o.q - 1, seasonalP: o.seasonalP, seasonalQ: o.seasonalQ),
                Orders(p: o.p, q: o.q, seasonalP: 1 - o.seasonalP, seasonalQ: o.seasonalQ),
                Orders(p: o.p, q: o.q, seasonalP: o.seasonalP, seasonalQ: 1 - o.seasonalQ),
                Orders(p: o.p + 1, q: o.q + 1, seasonalP: o.seasonalP, seasonalQ: o.seasonalQ),
                Orders(p: o.p - 1, q: o.q - 1, seasonalP: o.seasonalP, seasonalQ: o.seasonalQ),
            ]
            for candidate in neighbours where tried[candidate] == nil {
                if let f = attempt(candidate), f.aicc < best.aicc {
                    best = f
                    improved = true
                }
            }
        }
        return best
    }

    /// A fitted model: expanded AR and MA polynomials (lag, coefficient), the differenced mean, and
    /// the last residuals needed to forecast.
    struct Fitted: Sendable {
        var orders: Orders
        var ar: [(lag: Int, value: Double)]
        var ma: [(lag: Int, value: Double)]
        var mean: Double
        var aicc: Double
        var residuals: [Double]
        var differenced: [Double]

        func forecast(_ y: [Double], season s: Int, horizon: Int) -> [Double] {
            var w = differenced
            var e = residuals
            var ext = y
            for _ in 0..<horizon {
                let t = w.count
                var v = 0.0
                for (lag, a) in ar where t - lag >= 0 { v += a * w[t - lag] }
                for (lag, m) in ma where t - lag >= 0 { v += m * e[t - lag] }
                w.append(v)
                e.append(0)
                ext.append(v + mean + ext[ext.count - s])
            }
            return Array(ext.suffix(horizon))
        }
    }

    static func polynomial(_ short: [Double], _ seasonal: [Double], season s: Int, sign: Double) -> [(lag: Int, value: Double)] {
        // (1 + sign·Σ a_i Bⁱ)(1 + sign·Σ A_j B^{sj}) − 1, as the coefficients of the lags.
        var terms: [Int: Double] = [:]
        for (i, a) in short.enumerated() { terms[i + 1, default: 0] += a }
        for (j, b) in seasonal.enumerated() {
            terms[(j + 1) * s, default: 0] += b
            for (i, a) in short.enumerated() { terms[(j + 1) * s + i + 1, default: 0] += sign * a * b }
        }
        return terms.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// Coefficients φ of a stationary 1 − Σ φᵢ Bⁱ from partial autocorrelations (Durbin-Levinson).
    static func fromPartials(_ r: [Double]) -> [Double] {
        var phi: [Double] = []
        for (k, rk) in r.enumerated() {
            var next = phi
            for j in 0..<k { next[j] = phi[j] - rk * phi[k - 1 - j] }
            next.append(rk)
            phi = next
        }
        return phi
    }

    static func estimate(_ w: [Double], orders o: Orders, season s: Int, mean: Double) -> Fitted {
        let k = o.p + o.q + o.seasonalP + o.seasonalQ
        func unpack(_ x: [Double]) -> ([(lag: Int, value: Double)], [(lag: Int, value: Double)]) {
            // Partial autocorrelations in (−0.99, 0.99) map onto stationary AR and invertible MA
            // polynomials (Jones's reparametrisation), so the search never leaves the valid region.
            let t = x.map { 0.99 * tanh($0) }
            let phi = Self.fromPartials(Array(t[0..<o.p]))
            let theta = Self.fromPartials(Array(t[o.p..<(o.p + o.q)])).map { -$0 }
            let bigPhi = Array(t[(o.p + o.q)..<(o.p + o.q + o.seasonalP)]), bigTheta = Array(t[(o.p + o.q + o.seasonalP)...])
            // AR side: (1 − φB)(1 − ΦBˢ) = 1 − Σ c·Bˡ, so the product term enters with a minus.
            return (polynomial(phi, bigPhi, season: s, sign: -1), polynomial(theta, bigTheta, season: s, sign: 1))
        }
        func residuals(_ ar: [(lag: Int, value: Double)], _ ma: [(lag: Int, value: Double)]) -> (sse: Double, e: [Double]) {
            var e = [Double](repeating: 0, count: w.count)
            let start = ar.last?.lag ?? 0
            var sse = 0.0
            for t in start..<w.count {
                var v = w[t]
                for (lag, a) in ar { v -= a * w[t - lag] }
                for (lag, m) in ma where t - lag >= 0 { v -= m * e[t - lag] }
                e[t] = v
                sse += v * v
            }
            return (sse, e)
        }
        var point = [Double](repeating: 0.1, count: k)
        if k > 0 {
            point = NelderMead.minimise(point, step: 0.3, iterations: 60 * k + 100, tolerance: 1e-7) { x in
                let (ar, ma) = unpack(x)
                return residuals(ar, ma).sse
            }.point
        }
        let (ar, ma) = unpack(point)
        let r = residuals(ar, ma)
        let n = Double(w.count - (ar.last?.lag ?? 0))
        let kk = Double(k + 2)
        let aicc = n * log(max(r.sse, 1e-300) / max(n, 1)) + 2 * kk + (n - kk - 1 > 0 ? 2 * kk * (kk + 1) / (n - kk - 1) : 0)
        return Fitted(orders: o, ar: ar, ma: ma, mean: mean, aicc: aicc, residuals: r.e, differenced: w)
    }
}
