import Foundation

/// A small, fast, deterministic random generator (SplitMix64): the same seed gives the same
/// sequence on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one cell of a grid, independent of the order cells are visited in.
    public init(seed: UInt64, _ a: UInt64, _ b: UInt64 = 0) {
        var s = SplitMix64(seed: seed ^ (a &* 0x9E37_79B9_7F4A_7C15))
        state = s.next() ^ (b &* 0xC2B2_AE3D_27D4_EB4F)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Standard normal (Box-Muller).
    public mutating func normal() -> Double {
        let u1 = max(unit(), 1e-300), u2 = unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

