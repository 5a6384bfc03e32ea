import Foundation

/// Reads a decimal number from bytes without making a String: optional sign, digits, a decimal
/// point (or comma when allowed), an exponent. Correctly rounded: the fast path is exact for up to
/// 15 significant digits and small exponents; anything else goes through `strtod`.
public enum NumberParser {
    /// 10^k for 0 <= k <= 22, all exact in a Double.
    @inline(__always)
    static func powerOf10(_ k: Int) -> Double {
        switch k {
        case 0: 1e0; case 1: 1e1; case 2: 1e2; case 3: 1e3; case 4: 1e4; case 5: 1e5; case 6: 1e6; case 7: 1e7
        case 8: 1e8; case 9: 1e9; case 10: 1e10; case 11: 1e11; case 12: 1e12; case 13: 1e13; case 14: 1e14
        case 15: 1e15; case 16: 1e16; case 17: 1e17; case 18: 1e18; case 19: 1e19; case 20: 1e20; case 21: 1e21
        default: 1e22
        }
    }

    /// The value, or nil when the bytes are not one number (surrounding blanks are allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer, decimalComma: Bool = false) -> Double? {
        var lo = 0, hi = bytes.count
        while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo += 1 }
        while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09 { hi -= 1 }
        guard lo < hi else { return nil }
        var i = lo
        var negative = false
        if bytes[i] == UInt8(ascii: "-") { negative = true; i += 1 } else if bytes[i] == UInt8(ascii: "+") { i += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        var sawDigit = false
        while i < hi, bytes[i] &- 0x30 < 10 {
            if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- 0x30); if mantissa > 0 { digits += 1 } } else { scale += 1 }
            sawDigit = true
            i += 1
        }
        if i < hi, bytes[i] == UInt8(ascii: ".") || (decimalComma && bytes[i] == UInt8(ascii: ",")) {
            i += 1
            while i < hi, bytes[i] &- 0x30 < 10 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[i] &- 0x30); if mantissa > 0 { digits += 1 }; scale -= 1 }
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if i < hi, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < hi, bytes[i] == UInt8(ascii: "-") { expNegative = true; i += 1 } else if i < hi, bytes[i] == UInt8(ascii: "+") { i += 1 }
            var sawExp = false
            while i < hi, bytes[i] &- 0x30 < 10 {
                if exponent < 10_000 { exponent = exponent * 10 + Int(bytes[i] &- 0x30) }
                sawExp = true
                i += 1
            }
            guard sawExp else { return nil }
            if expNegative { exponent = -exponent }
        }
        guard i == hi else { return nil }
        let e = scale + exponent
        if digits <= 15, e >= -22, e <= 22 {
            let m = Double(mantissa)
            let v = e < 0 ? m / powerOf10(-e) : m * powerOf10(e)
            return negative ? -v : v
        }
        return slowPath(bytes, lo, hi, decimalComma: decimalComma)
    }

    private static func slowPath(_ bytes: UnsafeRawBufferPointer, _ lo: Int, _ hi: Int, decimalComma: Bool) -> Double? {
        var chars = [CChar](repeating: 0, count: hi - lo + 1)
        for k in lo..<hi {
            let b = bytes[k]
            chars[k - lo] = CChar(bitPattern: decimalComma && b == UInt8(ascii: ",") ? UInt8(ascii: ".") : b)
        }
        return chars.withUnsafeBufferPointer { buf -> Double? in
            guard let base = buf.baseAddress else { return nil }
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(base, &end)
            guard let end, end - UnsafeMutablePointer(mutating: base) == hi - lo else { return nil }
            return v
        }
    }

    public static func parse(_ text: String, decimalComma: Bool = false) -> Double? {
        var s = text
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0), decimalComma: decimalComma) }
    }
}
