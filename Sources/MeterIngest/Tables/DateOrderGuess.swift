import MeterCore

/// Settles whether a file writes its dates day first or month first, from a sample of its time
/// fields: one `26/9/18` is enough; a file whose every date could be either is refused with a
/// message rather than read one way by guess.
enum DateOrderGuess {
    /// The order the samples show; nil when none is of the `a/b/y` shape. Throws when they show both
    /// orders, or when every one reads both ways.
    static func guess(_ samples: [(text: String, line: Int)], origin: String) throws(IngestError) -> DateOrder? {
        var dayFirst: (String, Int)?
        var monthFirst: (String, Int)?
        var undecided: (String, Int)?
        for (text, line) in samples {
            guard let (a, b) = leadingPair(text) else { continue }
            if a > 12, b <= 12 { dayFirst = dayFirst ?? (text, line) }
            else if b > 12, a <= 12 { monthFirst = monthFirst ?? (text, line) }
            else if a != b { undecided = undecided ?? (text, line) }
        }
        if let d = dayFirst, let m = monthFirst {
            throw .invalidOption("\(origin): dates are written both day first ('\(d.0)', line \(d.1)) and month first ('\(m.0)', line \(m.1)); the file cannot be read one way")
        }
        if dayFirst != nil { return .dayFirst }
        if monthFirst != nil { return .monthFirst }
        if let u = undecided {
            throw .invalidOption("\(origin): the date '\(u.0)' (line \(u.1)) reads both day first and month first, and no date in the first \(samples.count) rows settles it; give --date-order dmy or mdy")
        }
        return nil
    }

    /// The first two numbers of `a/b/y...`, `a-b-y...` or `a.b.y...` with a one- or two-digit `a`.
    static func leadingPair(_ text: String) -> (Int, Int)? {
        let t = text.trimmingSpaces
        var parts: [Int] = []
        var current = 0, digits = 0
        var sep: Character?
        for ch in t {
            if let d = ch.wholeNumberValue, ch.isASCII {
                current = current * 10 + d
                digits += 1
                if digits > 4 { return nil }
            } else if ch == "/" || ch == "-" || ch == "." {
                if sep == nil { sep = ch } else if sep != ch { return nil }
                guard digits > 0, digits <= 2 else { return nil }
                parts.append(current)
                current = 0
                digits = 0
                if parts.count == 2 { return (parts[0], parts[1]) }
            } else {
                return nil
            }
        }
        return nil
    }
}
