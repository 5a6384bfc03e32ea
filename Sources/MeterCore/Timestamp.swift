/// What a timestamp field said, before a time zone is applied.
public enum ParsedTime: Hashable, Sendable {
    /// An instant: the text carried `Z` or an offset, or was an epoch count (UTC epoch seconds).
    case instant(Int64)
    /// A wall-clock time with no zone: the local fields encoded as if they were UTC epoch seconds.
    case naive(Int64)
}

/// Why a timestamp could not be read.
public enum TimestampError: Error, Hashable, Sendable, CustomStringConvertible {
    case empty
    case unrecognised
    case outOfRange
    /// The text reads as a date more than one way (e.g. `03/04/2020` without a date order).
    case ambiguousDateOrder

    public var description: String {
        switch self {
        case .empty: "empty timestamp"
        case .unrecognised: "not a recognised date/time"
        case .outOfRange: "date/time field out of range"
        case .ambiguousDateOrder: "date reads both day-first and month-first"
        }
    }
}

/// Which of the first two numbers of a date like `03/04/2020` is the day.
public enum DateOrder: String, Sendable, CaseIterable {
    /// Decided by the value: `26/9/18` can only be day first; `3/4/20` is refused as ambiguous.
    case auto
    /// `dd/mm/yyyy` (Europe, Australia).
    case dayFirst = "dmy"
    /// `mm/dd/yyyy` (United States).
    case monthFirst = "mdy"
}

/// How numbers in a time column are read.
public enum NumericTimeFormat: String, Sendable, CaseIterable {
    /// Guess by magnitude: epoch milliseconds, epoch seconds, or an Excel serial date.
    case auto
    case epochSeconds = "epoch"
    case epochMilliseconds = "epoch-ms"
    /// Days since 1899-12-30 (Excel's 1900 date system), fraction is time of day; naive local time.
    case excel1900 = "excel"
    /// Days since 1904-01-01 (Excel's 1904 date system).
    case excel1904 = "excel1904"
}

/// Byte-level timestamp parsing: ISO 8601 (with or without offset, `T` or space, optional
/// seconds and fraction), epoch seconds or milliseconds, and Excel serial dates.
///
/// Never traps on any input; the fraction of a second is dropped.
public enum TimestampParser {
    public static func parse(_ text: String, numeric: NumericTimeFormat = .auto, order: DateOrder = .auto) -> Result<ParsedTime, TimestampError> {
        var s = text
        return s.withUTF8 { parse(UnsafeRawBufferPointer($0), numeric: numeric, order: order) }
    }

    /// The last date a canonical timestamp named and its day number: rows of one day share it.
    public struct DayCache: Sendable {
        var key: UInt64 = 0
        var hasKey = false
        var days: Int64 = 0
        public init() {}
    }

    /// `parse`, remembering the last canonical date so a file of rows from the same day converts
    /// each date once.
    @inline(__always)
    public static func parse(_ bytes: UnsafeRawBufferPointer, numeric: NumericTimeFormat, order: DateOrder = .auto,
                             cache: inout DayCache) -> Result<ParsedTime, TimestampError> {
        if bytes.count == 20, let t = parseCanonicalUTC(bytes, 0, cache: &cache) { return .success(.instant(t)) }
        return parse(bytes, numeric: numeric, order: order)
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, numeric: NumericTimeFormat = .auto,
                             order: DateOrder = .auto) -> Result<ParsedTime, TimestampError> {
        var lo = 0
        var hi = bytes.count
        while lo < hi, bytes[lo] == 0x20 || bytes[lo] == 0x09 { lo += 1 }
        while hi > lo, bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09 { hi -= 1 }
        if lo == hi { return .failure(.empty) }
        let n = hi - lo
        var cache = DayCache()
        if n == 20, let fast = parseCanonicalUTC(bytes, lo, cache: &cache) { return .success(.instant(fast)) }
        let field = DigitField(bytes: bytes, lo: lo, hi: hi)
        @inline(__always) func at(_ i: Int) -> UInt8 { field.at(i) }
        @inline(__always) func digit(_ i: Int) -> Int? { field.digit(i) }
        @inline(__always) func digits(_ i: Int, _ count: Int) -> Int? { field.digits(i, count) }
        // ISO date: yyyy-mm-dd or yyyy/mm/dd.
        if n >= 10, let y = digits(0, 4), at(4) == UInt8(ascii: "-") || at(4) == UInt8(ascii: "/"), at(7) == at(4),
           let mo = digits(5, 2), let d = digits(8, 2) {
            let date = CivilDate(year: y, month: mo, day: d)
            guard date.isValid else { return .failure(.outOfRange) }
            let secs = date.daysSinceEpoch * 86_400
            var i = 10
            if i == n { return .success(.naive(secs)) }
            guard at(i) == UInt8(ascii: "T") || at(i) == UInt8(ascii: " ") || at(i) == UInt8(ascii: "t") else {
                return .failure(.unrecognised)
            }
            i += 1
            // hh:mm[:ss[.fff]] ; allow a single-digit hour.
            return time(bytes, lo: lo, hi: hi, at: i, date: secs, allowOffset: true)
        }
        if let result = parseNumericDate(bytes, lo: lo, hi: hi, order: order) { return result }
        return parseNumber(bytes, lo: lo, hi: hi, numeric: numeric)
    }

    /// `d/m/yy`, `dd-mm-yyyy hh:mm`, `m/d/yyyy h:mm:ss PM` and the like: a date whose first field
    /// is the day or month (by `order`), then an optional time. Nil when the text is not of that shape.
    static func parseNumericDate(_ bytes: UnsafeRawBufferPointer, lo: Int, hi: Int, order: DateOrder) -> Result<ParsedTime, TimestampError>? {
        var i = lo
        func number(maxDigits: Int) -> Int? {
            var v = 0, k = 0
            while i < hi, k < maxDigits, bytes[i] >= 0x30, bytes[i] <= 0x39 { v = v * 10 + Int(bytes[i] - 0x30); i += 1; k += 1 }
            return k == 0 ? nil : v
        }
        guard let a = number(maxDigits: 2), i < hi else { return nil }
        let sep = bytes[i]
        guard sep == UInt8(ascii: "/") || sep == UInt8(ascii: "-") || sep == UInt8(ascii: ".") else { return nil }
        i += 1
        guard let b = number(maxDigits: 2), i < hi, bytes[i] == sep else { return nil }
        i += 1
        let yStart = i
        guard var year = number(maxDigits: 4) else { return nil }
        switch i - yStart {
        case 2: year += year < 70 ? 2000 : 1900
        case 4: break
        default: return .failure(.unrecognised)
        }
        let day: Int, month: Int
        switch order {
        case .dayFirst: (day, month) = (a, b)
        case .monthFirst: (day, month) = (b, a)
        case .auto:
            if a > 12 && b <= 12 { (day, month) = (a, b) }
            else if b > 12 && a <= 12 { (day, month) = (b, a) }
            else if a == b { (day, month) = (a, b) }
            else { return .failure(a > 12 ? .outOfRange : .ambiguousDateOrder) }
        }
        let date = CivilDate(year: year, month: month, day: day)
        guard date.isValid else { return .failure(.outOfRange) }
        let secs = date.daysSinceEpoch * 86_400
        if i == hi { return .success(.naive(secs)) }
        guard bytes[i] == UInt8(ascii: " ") || bytes[i] == UInt8(ascii: "T") else { return .failure(.unrecognised) }
        while i < hi, bytes[i] == UInt8(ascii: " ") { i += 1 }
        if i < hi, bytes[i] == UInt8(ascii: "T") { i += 1 }
        return time(bytes, lo: lo, hi: hi, at: i - lo, date: secs, allowOffset: false)
    }

    /// The time of day after a date: `h:mm`, `hh:mm:ss[.fff]`, an optional ` AM`/` PM`, then
    /// (for ISO dates) `Z` or an offset. `at` is relative to `lo`.
    private static func time(_ bytes: UnsafeRawBufferPointer, lo: Int, hi: Int, at start: Int, date secs0: Int64,
                             allowOffset: Bool) -> Result<ParsedTime, TimestampError> {
        var secs = secs0
        let n = hi - lo
        var i = start
        let field = DigitField(bytes: bytes, lo: lo, hi: hi)
        @inline(__always) func at(_ i: Int) -> UInt8 { field.at(i) }
        @inline(__always) func digit(_ i: Int) -> Int? { field.digit(i) }
        @inline(__always) func digits(_ i: Int, _ count: Int) -> Int? { field.digits(i, count) }
        do {
            var hour: Int
            if let h2 = digits(i, 2) { hour = h2; i += 2 } else if let h1 = digit(i) { hour = h1; i += 1 } else { return .failure(.unrecognised) }
            guard at(i) == UInt8(ascii: ":"), let minute = digits(i + 1, 2) else { return .failure(.unrecognised) }
            i += 3
            var second = 0
            if at(i) == UInt8(ascii: ":") {
                guard let s = digits(i + 1, 2) else { return .failure(.unrecognised) }
                second = s
                i += 3
                if at(i) == UInt8(ascii: ".") || at(i) == UInt8(ascii: ",") {
                    i += 1
                    let f0 = i
                    while digit(i) != nil { i += 1 }
                    if i == f0 { return .failure(.unrecognised) }
                }
            }
            // 12-hour clock.
            var j = i
            while at(j) == UInt8(ascii: " ") { j += 1 }
            let m0 = at(j) | 0x20, m1 = at(j + 1) | 0x20
            if (m0 == UInt8(ascii: "a") || m0 == UInt8(ascii: "p")) && m1 == UInt8(ascii: "m") && j + 2 == n {
                guard hour >= 1, hour <= 12 else { return .failure(.outOfRange) }
                hour = hour % 12 + (m0 == UInt8(ascii: "p") ? 12 : 0)
                i = n
            }
            guard hour <= 24, minute <= 59, second <= 60 else { return .failure(.outOfRange) }
            if hour == 24 && (minute != 0 || second != 0) { return .failure(.outOfRange) }
            secs += Int64(hour * 3600 + minute * 60 + min(second, 59))
            if i == n { return .success(.naive(secs)) }
            guard allowOffset else { return .failure(.unrecognised) }
            let z = at(i)
            if (z == UInt8(ascii: "Z") || z == UInt8(ascii: "z")) && i + 1 == n { return .success(.instant(secs)) }
            if z == UInt8(ascii: "+") || z == UInt8(ascii: "-") {
                guard let off = parseOffset(bytes, from: lo + i, to: hi) else { return .failure(.unrecognised) }
                return .success(.instant(secs - Int64(off)))
            }
            return .failure(.unrecognised)
        }
    }

    /// `yyyy-mm-ddThh:mm:ssZ` exactly (what machines write), in one pass with no branching on
    /// format; nil for anything else, which then takes the general path.
    @inline(__always)
    static func parseCanonicalUTC(_ b: UnsafeRawBufferPointer, _ lo: Int, cache: inout DayCache) -> Int64? {
        guard lo + 20 <= b.count, b[lo + 4] == 0x2D, b[lo + 7] == 0x2D, b[lo + 10] == 0x54, b[lo + 13] == 0x3A,
              b[lo + 16] == 0x3A, b[lo + 19] == 0x5A else { return nil }
        @inline(__always) func d(_ i: Int) -> UInt8 { b[lo + i] &- 0x30 }
        let y0 = d(0), y1 = d(1), y2 = d(2), y3 = d(3), m0 = d(5), m1 = d(6), d0 = d(8), d1 = d(9)
        let h0 = d(11), h1 = d(12), n0 = d(14), n1 = d(15), s0 = d(17), s1 = d(18)
        // Every byte a digit: each value below 10 (a non-digit wraps to 10 or more).
        guard max(y0, y1, y2, y3, m0, m1, d0, d1) < 10, max(h0, h1, n0, n1, s0, s1) < 10 else { return nil }
        let year = Int(y0) * 1000 + Int(y1) * 100 + Int(y2) * 10 + Int(y3)
        let month = Int(m0) * 10 + Int(m1), day = Int(d0) * 10 + Int(d1)
        let hour = Int(h0) * 10 + Int(h1), minute = Int(n0) * 10 + Int(n1), second = Int(s0) * 10 + Int(s1)
        guard hour < 24, minute < 60, second < 60 else { return nil }
        let key = UInt64(year) << 16 | UInt64(month) << 8 | UInt64(day)
        if !cache.hasKey || cache.key != key {
            let date = CivilDate(year: year, month: month, day: day)
            guard date.isValid else { return nil }
            cache.key = key
            cache.hasKey = true
            cache.days = date.daysSinceEpoch
        }
        return cache.days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Parses `+hh:mm`, `+hhmm`, `+hh`, `-...` (and `UTC`/`Z`) to seconds east of UTC.
    public static func parseOffset(_ text: String) -> Int? {
        var s = text
        return s.withUTF8 { buf in
            let raw = UnsafeRawBufferPointer(buf)
            let t = String(text.uppercased())
            if t == "Z" || t == "UTC" || t == "GMT" { return 0 }
            return parseOffset(raw, from: 0, to: raw.count)
        }
    }

    static func parseOffset(_ bytes: UnsafeRawBufferPointer, from lo: Int, to hi: Int) -> Int? {
        guard hi - lo >= 3 else { return nil }
        let sign: Int
        switch bytes[lo] {
        case UInt8(ascii: "+"): sign = 1
        case UInt8(ascii: "-"): sign = -1
        default: return nil
        }
        func d(_ i: Int) -> Int? {
            guard i < hi else { return nil }
            let b = bytes[i]
            return b >= 0x30 && b <= 0x39 ? Int(b - 0x30) : nil
        }
        guard let h1 = d(lo + 1), let h2 = d(lo + 2) else { return nil }
        let hours = h1 * 10 + h2
        var minutes = 0
        var i = lo + 3
        if i < hi, bytes[i] == UInt8(ascii: ":") { i += 1 }
        if i < hi {
            guard let m1 = d(i), let m2 = d(i + 1), i + 2 == hi else { return nil }
            minutes = m1 * 10 + m2
        }
        guard hours <= 18, minutes <= 59 else { return nil }
        return sign * (hours * 3600 + minutes * 60)
    }

    private static func parseNumber(_ bytes: UnsafeRawBufferPointer, lo: Int, hi: Int, numeric: NumericTimeFormat) -> Result<ParsedTime, TimestampError> {
        var intPart: Int64 = 0
        var frac = 0.0
        var scale = 0.1
        var i = lo
        var sawDigit = false
        while i < hi, bytes[i] >= 0x30, bytes[i] <= 0x39 {
            guard intPart < 100_000_000_000_000 else { return .failure(.outOfRange) }
            intPart = intPart * 10 + Int64(bytes[i] - 0x30)
            i += 1
            sawDigit = true
        }
        if i < hi, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < hi, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                frac += Double(bytes[i] - 0x30) * scale
                scale *= 0.1
                i += 1
                sawDigit = true
            }
        }
        guard sawDigit, i == hi else { return .failure(.unrecognised) }
        var format = numeric
        if format == .auto {
            if intPart >= 100_000_000_000 { format = .epochMilliseconds }
            else if intPart >= 100_000_000 { format = .epochSeconds }
            else if intPart < 2_958_466 { format = .excel1900 }
            else { return .failure(.unrecognised) }
        }
        switch format {
        case .epochSeconds:
            return .success(.instant(intPart))
        case .epochMilliseconds:
            return .success(.instant(CivilDate.floorDiv(intPart, 1000)))
        case .excel1900, .excel1904:
            guard intPart < 2_958_466 else { return .failure(.outOfRange) }
            let base: Int64 = format == .excel1900 ? -25_569 : -24_107 // 1899-12-30, 1904-01-01
            // Round the time of day to the nearest second: serials carry binary fractions.
            let secondsOfDay = Int64((frac * 86_400).rounded())
            return .success(.naive((base + intPart) * 86_400 + secondsOfDay))
        case .auto:
            return .failure(.unrecognised)
        }
    }
}

/// The bytes of one field from `lo` to `hi`, read by position relative to `lo`; past the end reads 0.
struct DigitField {
    let bytes: UnsafeRawBufferPointer
    let lo: Int
    let hi: Int

    @inline(__always) func at(_ i: Int) -> UInt8 { lo + i < hi && lo + i >= 0 ? bytes[lo + i] : 0 }

    @inline(__always) func digit(_ i: Int) -> Int? {
        let b = at(i)
        return b >= 0x30 && b <= 0x39 ? Int(b - 0x30) : nil
    }

    /// `count` digits from `i` as a number, or nil if any is not a digit.
    func digits(_ i: Int, _ count: Int) -> Int? {
        var v = 0
        for k in 0..<count {
            guard let d = digit(i + k) else { return nil }
            v = v * 10 + d
        }
        return v
    }
}
