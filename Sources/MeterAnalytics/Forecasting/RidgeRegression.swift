/// Least squares with an L2 penalty, solved through the normal equations and a Cholesky factor.
/// Columns are scaled to unit spread before the penalty applies; columns listed in `unpenalised`
/// (intercepts) are neither scaled nor penalised.
struct RidgeRegression: Sendable {
    private(set) var weights: [Double]
    private let scale: [Double]

    /// Accumulates XᵀX and Xᵀy row by row so that the design matrix is never held whole.
    struct Accumulator {
        let width: Int
        var xtx: [Double]
        var xty: [Double]
        var sum: [Double]
        var sumSquares: [Double]
        var rows = 0

        init(width: Int) {
            self.width = width
            xtx = Array(repeating: 0, count: width * width)
            xty = Array(repeating: 0, count: width)
            sum = Array(repeating: 0, count: width)
            sumSquares = Array(repeating: 0, count: width)
        }

        mutating func add(_ x: [Double], _ y: Double) {
            rows += 1
            for i in 0..<width where x[i] != 0 {
                let xi = x[i]
                sum[i] += xi
                sumSquares[i] += xi * xi
                xty[i] += xi * y
                let base = i * width
                for j in i..<width where x[j] != 0 { xtx[base + j] += xi * x[j] }
            }
        }
    }

    init(_ acc: Accumulator, lambda: Double, unpenalised: Range<Int>) {
        let k = acc.width
        let n = Double(max(acc.rows, 1))
        var scale = [Double](repeating: 1, count: k)
        for i in 0..<k where !unpenalised.contains(i) {
            let mean = acc.sum[i] / n
            let sd = (acc.sumSquares[i] / n - mean * mean).squareRoot()
            scale[i] = sd > 1e-12 ? sd : 1
        }
        var a = [Double](repeating: 0, count: k * k)
        var b = [Double](repeating: 0, count: k)
        for i in 0..<k {
            b[i] = acc.xty[i] / scale[i]
            for j in i..<k {
                let v = acc.xtx[i * k + j] / (scale[i] * scale[j])
                a[i * k + j] = v
                a[j * k + i] = v
            }
            a[i * k + i] += unpenalised.contains(i) ? 1e-8 * n : lambda
        }
        let w = Cholesky.solve(a, b, size: k) ?? Array(repeating: 0, count: k)
        self.scale = scale
        weights = (0..<k).map { w[$0] / scale[$0] }
    }

    func predict(_ x: [Double]) -> Double {
        var s = 0.0
        for i in 0..<weights.count { s += weights[i] * x[i] }
        return s
    }
}

/// Solves a symmetric positive definite system; nil when it is not positive definite.
enum Cholesky {
    static func solve(_ a: [Double], _ b: [Double], size k: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: k * k)
        for i in 0..<k {
            for j in 0...i {
                var s = a[i * k + j]
                for m in 0..<j { s -= l[i * k + m] * l[j * k + m] }
                if i == j {
                    guard s > 0 else { return nil }
                    l[i * k + i] = s.squareRoot()
                } else {
                    l[i * k + j] = s / l[j * k + j]
                }
            }
        }
        var y = [Double](repeating: 0, count: k)
        for i in 0..<k {
            var s = b[i]
            for m in 0..<i { s -= l[i * k + m] * y[m] }
            y[i] = s / l[i * k + i]
        }
        var x = [Double](repeating: 0, count: k)
        for i in stride(from: k - 1, through: 0, by: -1) {
            var s = y[i]
            for m in (i + 1)..<k { s -= l[m * k + i] * x[m] }
            x[i] = s / l[i * k + i]
        }
        return x
    }
}
