/// Locally linear smoothing with tricube weights on equally spaced points (Cleveland's loess, as
/// STL uses it): the value at a position is the weighted linear fit of its `window` nearest points.
/// Positions may lie outside the data, which extrapolates the local line (STL's one-cycle extension).
/// With `degree: 0` the fit is a locally weighted mean (what R's `stl` uses for the seasonal).
enum Loess {
    static func smooth(_ y: [Double], window: Int, at positions: [Double], degree: Int = 1) -> [Double] {
        let n = y.count
        guard n > 0 else { return positions.map { _ in 0 } }
        guard n > 1 else { return positions.map { _ in y[0] } }
        let q = min(max(window, 2), n)
        return positions.map { x in
            var lo = Int((x - Double(q) / 2).rounded(.up))
            lo = min(max(lo, 0), n - q)
            let hi = lo + q - 1
            let reach = max(x - Double(lo), Double(hi) - x) * (q < window ? Double(window) / Double(q) : 1) + 1e-9
            var sw = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0
            for i in lo...hi {
                let d = abs(Double(i) - x) / reach
                guard d < 1 else { continue }
                let c = 1 - d * d * d
                let w = c * c * c
                let xi = Double(i)
                sw += w; sx += w * xi; sy += w * y[i]; sxx += w * xi * xi; sxy += w * xi * y[i]
            }
            guard sw > 0 else { return y[min(max(Int(x.rounded()), 0), n - 1)] }
            let mx = sx / sw, my = sy / sw
            guard degree > 0 else { return my }
            let vx = sxx / sw - mx * mx
            guard vx > 1e-12 else { return my }
            return my + (sxy / sw - mx * my) / vx * (x - mx)
        }
    }

    /// Smooths every point, fitting at every `jump`-th one (and the last) and interpolating
    /// linearly between them, as STL's jump parameters do (about a tenth of the window).
    static func smooth(_ y: [Double], window: Int, jump: Int = 1) -> [Double] {
        let n = y.count
        let step = max(1, jump)
        guard step > 1, n > 2 * step else { return smooth(y, window: window, at: y.indices.map(Double.init)) }
        var at = Array(stride(from: 0, to: n, by: step))
        if at.last != n - 1 { at.append(n - 1) }
        let fitted = smooth(y, window: window, at: at.map(Double.init))
        var out = [Double](repeating: 0, count: n)
        for k in 0..<(at.count - 1) {
            let a = at[k], b = at[k + 1]
            for i in a...b {
                let w = Double(i - a) / Double(b - a)
                out[i] = fitted[k] * (1 - w) + fitted[k + 1] * w
            }
        }
        return out
    }
}
