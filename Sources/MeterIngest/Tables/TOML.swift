/// A TOML value, as much of TOML as a mapping file needs: strings, integers, floats, booleans,
/// arrays of those, `[table]` headers and dotted-free bare or quoted keys.
public enum TOMLValue: Sendable, Hashable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([TOMLValue])

    public var string: String? { if case .string(let s) = self { s } else { nil } }
    public var integer: Int? { if case .integer(let i) = self { i } else { nil } }
    public var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
}

/// Why a TOML text could not be read: the line and what was wrong.
public struct TOMLError: Error, Sendable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// Parses TOML text into tables of keys (the top level is the table named "").
public enum TOML {
    public static func parse(_ text: String) throws(TOMLError) -> [String: [String: TOMLValue]] {
        var tables: [String: [String: TOMLValue]] = ["": [:]]
        var current = ""
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNo = n + 1
            var line = Substring(stripComment(String(rawLine))).trimmingCharacters(in: .whitespaces)[...]
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]"), !line.hasPrefix("[[") else { throw TOMLError(line: lineNo, message: "a table header is written [name]") }
                current = try key(String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces), line: lineNo)
                if tables[current] != nil, current != "" { throw TOMLError(line: lineNo, message: "table [\(current)] defined twice") }
                tables[current] = tables[current] ?? [:]
                continue
            }
            guard let eq = indexOfEquals(line) else { throw TOMLError(line: lineNo, message: "expected key = value") }
            let k = try key(String(line[..<eq]).trimmingCharacters(in: .whitespaces), line: lineNo)
            var rest = Substring(String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces))
            let v = try value(&rest, line: lineNo)
            guard rest.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw TOMLError(line: lineNo, message: "unexpected text after the value of '\(k)': \(rest.prefix(20))")
            }
            if tables[current]?[k] != nil { throw TOMLError(line: lineNo, message: "key '\(k)' given twice") }
            tables[current]?[k] = v
        }
        return tables
    }

    static func stripComment(_ s: String) -> String {
        var inString: Character?
        var escaped = false
        for (i, ch) in s.enumerated() {
            if let q = inString {
                if escaped { escaped = false } else if ch == "\\" && q == "\"" { escaped = true } else if ch == q { inString = nil }
            } else if ch == "\"" || ch == "'" {
                inString = ch
            } else if ch == "#" {
                return String(s.prefix(i))
            }
        }
        return s
    }

    static func indexOfEquals(_ s: Substring) -> Substring.Index? {
        var inString: Character?
        var i = s.startIndex
        while i < s.endIndex {
            let ch = s[i]
            if let q = inString { if ch == q { inString = nil } } else if ch == "\"" || ch == "'" { inString = ch } else if ch == "=" { return i }
            i = s.index(after: i)
        }
        return nil
    }

    static func key(_ s: String, line: Int) throws(TOMLError) -> String {
        if s.count >= 2, let f = s.first, f == "\"" || f == "'", s.last == f { return String(s.dropFirst().dropLast()) }
        guard !s.isEmpty, s.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
            throw TOMLError(line: line, message: "'\(s)' is not a key (letters, digits, _ and -, or a quoted string)")
        }
        return s
    }

    static func value(_ s: inout Substring, line: Int) throws(TOMLError) -> TOMLValue {
        s = s.drop(while: { $0 == " " || $0 == "\t" })
        guard let first = s.first else { throw TOMLError(line: line, message: "missing value") }
        if first == "\"" || first == "'" {
            s = s.dropFirst()
            var out = ""
            while let ch = s.first {
                s = s.dropFirst()
                if ch == first { return .string(out) }
                if ch == "\\" && first == "\"" {
                    guard let e = s.first else { break }
                    s = s.dropFirst()
                    switch e {
                    case "n": out.append("\n")
                    case "t": out.append("\t")
                    case "\\": out.append("\\")
                    case "\"": out.append("\"")
                    default: throw TOMLError(line: line, message: "unknown escape \\\(e)")
                    }
                } else {
                    out.append(ch)
                }
            }
            throw TOMLError(line: line, message: "string not closed")
        }
        if first == "[" {
            s = s.dropFirst()
            var items: [TOMLValue] = []
            while true {
                s = s.drop(while: { $0 == " " || $0 == "\t" })
                if s.first == "]" { s = s.dropFirst(); return .array(items) }
                items.append(try value(&s, line: line))
                s = s.drop(while: { $0 == " " || $0 == "\t" })
                if s.first == "," { s = s.dropFirst(); continue }
                if s.first == "]" { s = s.dropFirst(); return .array(items) }
                throw TOMLError(line: line, message: "expected , or ] in an array")
            }
        }
        let token = String(s.prefix(while: { $0 != "," && $0 != "]" && $0 != " " && $0 != "\t" }))
        s = s.dropFirst(token.count)
        switch token {
        case "true": return .bool(true)
        case "false": return .bool(false)
        default:
            let plain = token.replacingOccurrences(of: "_", with: "")
            if let i = Int(plain) { return .integer(i) }
            if let d = Double(plain) { return .float(d) }
            throw TOMLError(line: line, message: "'\(token)' is not a value (strings go in quotes)")
        }
    }
}
