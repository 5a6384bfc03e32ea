/// Derivative-free minimisation (Nelder and Mead's simplex), for the few smoothing and ARMA
/// parameters the models estimate. Non-finite objective values count as +infinity.
enum NelderMead {
    static func minimise(_ start: [Double], step: Double = 0.1, iterations: Int = 400, tolerance: Double = 1e-8,
                         _ f: ([Double]) -> Double) -> (point: [Double], value: Double) {
        let n = start.count
        func eval(_ x: [Double]) -> Double {
            let v = f(x)
            return v.isFinite ? v : .infinity
        }
        guard n > 0 else { return (start, eval(start)) }
        var simplex = [start]
        for i in 0..<n {
            var p = start
            p[i] += step
            simplex.append(p)
        }
        var values = simplex.map(eval)
        for _ in 0..<iterations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if abs(values[n] - values[0]) <= tolerance * (abs(values[0]) + tolerance) { break }
            var centroid = [Double](repeating: 0, count: n)
            for p in simplex.dropLast() { for i in 0..<n { centroid[i] += p[i] / Double(n) } }
            func along(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }
            let reflected = along(-1)
            let fr = eval(reflected)
            if fr < values[0] {
                let expanded = along(-2)
                let fe = eval(expanded)
                if fe < fr { simplex[n] = expanded; values[n] = fe } else { simplex[n] = reflected; values[n] = fr }
            } else if fr < values[n - 1] {
                simplex[n] = reflected
                values[n] = fr
            } else {
                let contracted = fr < values[n] ? along(-0.5) : along(0.5)
                let fc = eval(contracted)
                if fc < min(fr, values[n]) {
                    simplex[n] = contracted
                    values[n] = fc
                } else {
                    for j in 1...n {
                        simplex[j] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[j][$0] - simplex[0][$0]) }
                        values[j] = eval(simplex[j])
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] } ?? 0
        return (simplex[best], values[best])
    }
}
