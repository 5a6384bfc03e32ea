import Foundation

/// A number's decimal text with a fixed count of places, as C's `%.Nf` writes it, without going
/// through Foundation's formatter: the detectors describe thousands of events a second. The last
/// place is the value times 10^N rounded to the nearest (ties to even), so a value a hair from a tie
/// may round the other way than `%.Nf`, which rounds the exact binary value; outside the range a
/// 64-bit integer holds, and for NaN and infinities, the text is `%.Nf`'s own.
public enum FixedDecimal {
    private static let powers: [Double] = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9]

    public static func format(_ x: Double, places: Int) -> String {
        guard places >= 0, places < powers.count, x.isFinite else { return String(format: "%.\(max(0, places))f", x) }
        let scale = powers[places]
        let scaled = (abs(x) * scale).rounded(.toNearestOrEven)
        guard scaled < 9e15 else { return String(format: "%.\(places)f", x) }
        let n = UInt64(scaled), unit = UInt64(scale)
        var digits: [UInt8] = []
        digits.reserveCapacity(24)
        var whole = n / unit, fraction = n % unit
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(whole % 10))
            whole /= 10
        } while whole > 0
        if x.sign == .minus { digits.append(UInt8(ascii: "-")) }
        digits.reverse()
        if places > 0 {
            digits.append(UInt8(ascii: "."))
            let at = digits.count
            for _ in 0..<places {
                digits.append(UInt8(ascii: "0") + UInt8(fraction % 10))
                fraction /= 10
            }
            digits[at...].reverse()
        }
        return String(decoding: digits, as: UTF8.self)
    }
}
