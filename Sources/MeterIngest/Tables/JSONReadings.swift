import Foundation
import MeterCore

/// Readings as JSON: an array of objects, or NDJSON (one object per line), as API dumps come.
/// Keys are matched like CSV headers (`meter_id`, `start`, `kwh`, `quality`, ...); a line or element
/// that is not an object with those keys is quarantined with its position.
public enum JSONReadings {
    /// Whether the bytes start like JSON (`[` or `{` after any spaces or a BOM).
    public static func looksLikeJSON(_ head: Data) -> Bool {
        for b in head.prefix(4096) {
            if b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 || b == 0xEF || b == 0xBB || b == 0xBF { continue }
            return b == 0x5B || b == 0x7B
        }
        return false
    }

    public static func read(path: String, options: ReadOptions) throws -> IngestResult {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IngestError.unreadable(path: path, reason: FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        return try read(data: data, origin: path, options: options)
    }

    public static func read(data: Data, origin: String, options: ReadOptions) throws -> IngestResult {
        var result = IngestResult()
        var decoder = RowDecoder(origin: origin, time: options.time, defaultMeter: options.meter)
        var columns: [[String]: ColumnMapping.Resolved] = [:]
        func take(_ object: Any, line: Int, raw: () -> String) {
            guard let dict = object as? [String: Any] else {
                result.rowsRead += 1
                decoder.reject(&result, line: line, field: nil, reason: "not_an_object", detail: "expected a JSON object with meter, time and value", raw: raw())
                return
            }
            let keys = dict.keys.sorted()
            let cols: ColumnMapping.Resolved
            if let c = columns[keys] {
                cols = c
            } else {
                switch options.mapping.resolve(header: keys, meterOptional: options.meter != nil) {
                case .success(let c):
                    columns[keys] = c
                    cols = c
                case .failure(let e):
                    result.rowsRead += 1
                    decoder.reject(&result, line: line, field: nil, reason: "missing_field", detail: "\(e)", raw: raw())
                    return
                }
            }
            func cell(_ i: Int?) -> Cell {
                guard let i, let v = dict[keys[i]] else { return .empty }
                switch v {
                case let s as String: return .text(s)
                case let n as NSNumber:
                    if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }
                    return .number(n.doubleValue)
                default: return .empty
                }
            }
            let quality = cols.quality.flatMap { QualityWords.quality(cell($0).text) } ?? .actual
            let meter = cols.meter.map { cell($0).text }
            decoder.decode(meter: meter, time: cell(cols.time), value: cell(cols.value), quality: quality, line: line, into: &result, raw: raw)
            if let s = cols.source, let m = meter.flatMap(MeterID.init), let src = SourceID(cell(s).text) { result.sources[m] = src }
        }
        let trimmed = data.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF })
        if trimmed.first == 0x5B {
            let any: Any
            do {
                any = try JSONSerialization.jsonObject(with: Data(trimmed))
            } catch {
                throw IngestError.unreadable(path: origin, reason: "not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error)")
            }
            guard let array = any as? [Any] else { throw IngestError.unreadable(path: origin, reason: "expected a JSON array of readings") }
            for (i, element) in array.enumerated() {
                take(element, line: i + 1) { rawText(element) }
            }
            result.layout = "JSON array of \(array.count) readings" + (columns.first.map { ": \($0.value.summary)" } ?? "")
        } else {
            var lineNo = 0
            for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
                lineNo += 1
                let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if text.isEmpty { continue }
                guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else {
                    result.rowsRead += 1
                    decoder.reject(&result, line: lineNo, field: nil, reason: "invalid_json", detail: "line is not a JSON object", raw: rawText(line: text))
                    continue
                }
                take(object, line: lineNo) { rawText(line: text) }
            }
            result.layout = "NDJSON readings" + (columns.first.map { ": \($0.value.summary)" } ?? "")
        }
        return result
    }

    /// The raw text of the rows numbered `lines` (as `read` numbers them: an array's elements from 1,
    /// NDJSON's lines), as `read` quotes a row it refuses: for rows refused after reading (by VEE).
    public static func rawRows(data: Data, lines: Set<Int>) -> [Int: String] {
        guard let last = lines.max() else { return [:] }
        var out: [Int: String] = [:]
        let trimmed = data.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF })
        if trimmed.first == 0x5B {
            guard let array = (try? JSONSerialization.jsonObject(with: Data(trimmed))) as? [Any] else { return [:] }
            for line in lines where line >= 1 && line <= array.count { out[line] = rawText(array[line - 1]) }
        } else {
            var lineNo = 0
            for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
                lineNo += 1
                if lineNo > last { break }
                if lines.contains(lineNo) { out[lineNo] = rawText(line: String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
        }
        return out
    }

    /// An array element as quarantine keeps it: compact JSON, keys sorted.
    static func rawText(_ element: Any) -> String {
        (try? JSONSerialization.data(withJSONObject: element, options: [.sortedKeys, .fragmentsAllowed]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "\(element)"
    }

    /// An NDJSON line as quarantine keeps it: trimmed, its first thousand characters.
    static func rawText(line: String) -> String { String(line.prefix(1000)) }
}
