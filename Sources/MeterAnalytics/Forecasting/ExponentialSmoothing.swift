import Foundation

/// Exponential smoothing of a non-seasonal series with additive errors: level only (ETS(A,N,N)),
/// additive trend (A,A,N) or damped trend (A,Ad,N), each fitted by least squares on one-step
/// errors and the form chosen by AICc, as AutoETS does for MSTL's seasonally adjusted series.
struct ExponentialSmoothing: Sendable {
    enum Form: String, Sendable, CaseIterable { case level = "ANN", trend = "AAN", damped = "AAdN" }

    let form: Form
    let alpha: Double
    let beta: Double
    let phi: Double
    let level: Double
    let slope: Double
    let aicc: Double

    /// Fits every form and keeps the one with the lowest AICc.
    static func auto(_ y: [Double]) -> ExponentialSmoothing {
        Form.allCases.map { fit(y, form: $0) }.min { $0.aicc < $1.aicc } ?? fit(y, form: .level)
    }

    static func fit(_ y: [Double], form: Form) -> ExponentialSmoothing {
        let n = y.count
        let l0 = y.prefix(min(n, 8)).reduce(0, +) / Double(max(1, min(n, 8)))
        let b0 = n > 16 ? (y[8..<16].reduce(0, +) - y[0..<8].reduce(0, +)) / 64 : 0
        func squash(_ v: Double, _ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) / (1 + exp(-v)) }
        func params(_ p: [Double]) -> (Double, Double, Double) {
            let a = squash(p[0], 1e-4, 0.9999)
            switch form {
            case .level: return (a, 0, 0)
            case .trend: return (a, squash(p[1], 1e-4, 1) * a, 1)
            case .damped: return (a, squash(p[1], 1e-4, 1) * a, squash(p[2], 0.8, 0.98))
            }
        }
        let dims = form == .level ? 1 : form == .trend ? 2 : 3
        let best = NelderMead.minimise([Double](repeating: 0, count: dims), step: 1) { p in
            let (a, b, f) = params(p)
            return run(y, alpha: a, beta: b, phi: f, l0: l0, b0: form == .level ? 0 : b0).sse
        }
        let (a, b, f) = params(best.point)
        let r = run(y, alpha: a, beta: b, phi: f, l0: l0, b0: form == .level ? 0 : b0)
        let k = Double(dims + (form == .level ? 1 : 2) + 1)
        let nn = Double(n)
        let aicc = nn * log(max(r.sse, 1e-300) / nn) + 2 * k + (nn - k - 1 > 0 ? 2 * k * (k + 1) / (nn - k - 1) : 0)
        return ExponentialSmoothing(form: form, alpha: a, beta: b, phi: f, level: r.level, slope: r.slope, aicc: aicc)
    }

    private static func run(_ y: [Double], alpha: Double, beta: Double, phi: Double, l0: Double, b0: Double) -> (sse: Double, level: Double, slope: Double) {
        var l = l0, b = b0, sse = 0.0
        for v in y {
            let f = l + phi * b
            let e = v - f
            sse += e * e
            l = f + alpha * e
            b = phi * b + beta * e
        }
        return (sse, l, b)
    }

    func forecast(_ horizon: Int) -> [Double] {
        var damp = 0.0, power = 1.0
        return (1...max(1, horizon)).map { _ in
            power *= phi
            damp += power
            return level + damp * slope
        }
    }
}
