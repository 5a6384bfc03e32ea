import Foundation

/// A small neural quantile model: a one-hidden-layer perceptron on `LagFeatures` plus the time of
/// day (two harmonics) and the weekday, trained on the CPU with Adam on the pinball loss of several
/// quantiles at once. Its median is the point forecast; its outer quantiles are available through
/// `quantileForecast`. Deterministic for a given seed.
public struct QuantileMLP: ForecastModel {
    public var hidden: Int
    public var epochs: Int
    public var learningRate: Double
    public var seed: UInt64
    /// The quantiles trained together; 0.5 must be among them.
    public var quantiles: [Double]

    public init(hidden: Int = 24, epochs: Int = 40, learningRate: Double = 0.003, seed: UInt64 = 7,
                quantiles: [Double] = [0.1, 0.5, 0.9]) {
        self.hidden = hidden
        self.epochs = epochs
        self.learningRate = learningRate
        self.seed = seed
        self.quantiles = quantiles.contains(0.5) ? quantiles : (quantiles + [0.5]).sorted()
    }

    public var name: String { "mlp" }

    public func minimumHistory(season: Int) -> Int { 9 * season }

    public func pointForecast(_ input: ForecastInput, horizon: Int) throws -> [Double] {
        try fit(input, horizon: horizon).forecast(after: input, horizon: horizon)
    }

    /// Per step, the forecast of each of `quantiles`, sorted so they never cross.
    public func quantileForecast(_ input: ForecastInput, horizon: Int) throws -> [[Double]] {
        guard let fitted = try fit(input, horizon: horizon) as? Fitted else { return [] }
        return fitted.quantiles(after: input, horizon: horizon)
    }

    public func fit(_ input: ForecastInput, horizon: Int) throws -> any FittedForecast {
        try checked(input, horizon: horizon)
        return train(input, useTemperature: input.hasTemperature(horizon: horizon))
    }

    /// The network's inputs for one target step.
    struct Design: Sendable {
        let lags: LagFeatures
        var width: Int { lags.count + 4 + 7 }

        func features(_ x: [Double], _ input: ForecastInput, origin: Int, target: Int) -> [Double] {
            var core = [Double](repeating: 0, count: lags.count)
            lags.fill(x, input, origin: origin, target: target, into: &core)
            let a = 2 * Double.pi * Double(input.slot(target)) / Double(input.season)
            var f = core + [sin(a), cos(a), sin(2 * a), cos(2 * a)]
            var day = [Double](repeating: 0, count: 7)
            day[input.weekday(target)] = 1
            f += day
            return f
        }
    }

    struct Fitted: FittedForecast {
        let design: Design
        let net: Network
        let mu: [Double], sd: [Double]
        let yMean: Double, ySD: Double
        let median: Int

        func quantiles(after history: ForecastInput, horizon: Int) -> [[Double]] {
            var rows: [[Double]] = []
            _ = DayByDay.forecast(history, horizon: horizon) { h, steps in
                let n = h.count
                let block = (n..<(n + steps)).map { t -> [Double] in
                    let f = design.features(h.values, h, origin: n, target: t)
                    let z = (0..<design.width).map { (f[$0] - mu[$0]) / sd[$0] }
                    return net.predict(z).map { $0 * ySD + yMean }.sorted()
                }
                rows += block
                return block.map { $0[median] }
            }
            return rows
        }

        func forecast(after history: ForecastInput, horizon: Int) throws -> [Double] {
            quantiles(after: history, horizon: horizon).map { $0[median] }
        }
    }

    private func train(_ input: ForecastInput, useTemperature: Bool) -> Fitted {
        let s = input.season
        let design = Design(lags: LagFeatures(season: s, useTemperature: useTemperature))
        let x = input.values
        let n = x.count
        let width = design.width
        var inputs: [[Double]] = []
        var targets: [Double] = []
        for o in design.lags.trainingOrigins(historyCount: n, origin: n) {
            for t in o..<min(o + s, n) {
                inputs.append(design.features(x, input, origin: o, target: t))
                targets.append(x[t])
            }
        }
        // Standardise features and target on the training rows.
        var mu = [Double](repeating: 0, count: width), sd = [Double](repeating: 1, count: width)
        if !inputs.isEmpty {
            for j in 0..<design.lags.count {
                let col = inputs.map { $0[j] }
                let m = col.reduce(0, +) / Double(col.count)
                let v = col.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(col.count)
                mu[j] = m
                sd[j] = v > 1e-18 ? v.squareRoot() : 1
            }
        }
        let yMean = targets.isEmpty ? 0 : targets.reduce(0, +) / Double(targets.count)
        let ySD = targets.isEmpty ? 1 : max(1e-9, (targets.reduce(0) { $0 + ($1 - yMean) * ($1 - yMean) } / Double(targets.count)).squareRoot())
        var net = Network(inputs: width, hidden: hidden, outputs: quantiles.count, seed: seed)
        let xs = inputs.map { f in (0..<width).map { (f[$0] - mu[$0]) / sd[$0] } }
        let ys = targets.map { ($0 - yMean) / ySD }
        net.train(xs, ys, quantiles: quantiles, epochs: epochs, learningRate: learningRate, seed: seed)
        return Fitted(design: design, net: net, mu: mu, sd: sd, yMean: yMean, ySD: ySD, median: quantiles.firstIndex(of: 0.5) ?? 0)
    }

    /// Weights of the perceptron and Adam's moments, in flat arrays.
    struct Network: Sendable {
        let nIn, nHidden, nOut: Int
        var w1: [Double], b1: [Double], w2: [Double], b2: [Double]

        init(inputs: Int, hidden: Int, outputs: Int, seed: UInt64) {
            nIn = inputs; nHidden = hidden; nOut = outputs
            var rng = Xorshift(seed: seed)
            let s1 = (1 / Double(inputs)).squareRoot(), s2 = (1 / Double(hidden)).squareRoot()
            w1 = (0..<(inputs * hidden)).map { _ in rng.normal() * s1 }
            b1 = [Double](repeating: 0, count: hidden)
            w2 = (0..<(hidden * outputs)).map { _ in rng.normal() * s2 * 0.1 }
            b2 = [Double](repeating: 0, count: outputs)
        }

        func predict(_ x: [Double]) -> [Double] {
            var h = [Double](repeating: 0, count: nHidden)
            for j in 0..<nHidden {
                var a = b1[j]
                for i in 0..<nIn { a += w1[i * nHidden + j] * x[i] }
                h[j] = tanh(a)
            }
            return (0..<nOut).map { k in
                var o = b2[k]
                for j in 0..<nHidden { o += w2[j * nOut + k] * h[j] }
                return o
            }
        }

        mutating func train(_ xs: [[Double]], _ ys: [Double], quantiles: [Double], epochs: Int, learningRate: Double, seed: UInt64) {
            guard !xs.isEmpty else { return }
            var rng = Xorshift(seed: seed &+ 1)
            var params = w1 + b1 + w2 + b2
            var m = [Double](repeating: 0, count: params.count), v = m, grad = m
            let o1 = 0, ob1 = w1.count, o2 = ob1 + b1.count, ob2 = o2 + w2.count
            var order = Array(xs.indices)
            let batch = 32
            var step = 0.0
            var h = [Double](repeating: 0, count: nHidden)
            var back = h
            for epoch in 0..<epochs {
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
                let rate = learningRate * (epoch < epochs / 2 ? 1 : 0.3)
                for startIndex in stride(from: 0, to: order.count, by: batch) {
                    for i in grad.indices { grad[i] = 0 }
                    let members = order[startIndex..<min(startIndex + batch, order.count)]
                    for r in members {
                        let x = xs[r]
                        for j in 0..<nHidden {
                            var a = params[ob1 + j]
                            for i in 0..<nIn { a += params[o1 + i * nHidden + j] * x[i] }
                            h[j] = tanh(a)
                        }
                        for j in 0..<nHidden { back[j] = 0 }
                        for k in 0..<nOut {
                            var out = params[ob2 + k]
                            for j in 0..<nHidden { out += params[o2 + j * nOut + k] * h[j] }
                            // Pinball loss gradient: −q above the quantile, 1−q below.
                            let g = (ys[r] > out ? -quantiles[k] : 1 - quantiles[k]) / Double(members.count)
                            grad[ob2 + k] += g
                            for j in 0..<nHidden {
                                grad[o2 + j * nOut + k] += g * h[j]
                                back[j] += g * params[o2 + j * nOut + k]
                            }
                        }
                        for j in 0..<nHidden {
                            let b = back[j] * (1 - h[j] * h[j])
                            grad[ob1 + j] += b
                            for i in 0..<nIn { grad[o1 + i * nHidden + j] += b * x[i] }
                        }
                    }
                    step += 1
                    let c1 = 1 - pow(0.9, step), c2 = 1 - pow(0.999, step)
                    for i in params.indices {
                        m[i] = 0.9 * m[i] + 0.1 * grad[i]
                        v[i] = 0.999 * v[i] + 0.001 * grad[i] * grad[i]
                        params[i] -= rate * (m[i] / c1) / ((v[i] / c2).squareRoot() + 1e-8)
                    }
                }
            }
            w1 = Array(params[o1..<ob1]); b1 = Array(params[ob1..<o2])
            w2 = Array(params[o2..<ob2]); b2 = Array(params[ob2...])
        }
    }

    /// A small deterministic generator for weight initialisation and shuffling.
    struct Xorshift {
        var state: UInt64
        init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
        mutating func next() -> UInt64 {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return state
        }
        mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
        mutating func normal() -> Double {
            let u = max(uniform(), 1e-300), v = uniform()
            return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
        }
    }
}
