import Foundation
import MeterCore

/// Readings sent over the wire (an HTTP body, a WebSocket message): a JSON array, NDJSON or CSV
/// with a header, told apart by the media type or, without one, by the first byte.
///
/// Rows are numbered for the sender: `index` is the 0-based position of a data row in the payload
/// (the element of a JSON array, the line of NDJSON, the record after a CSV header).
public enum ReadingsPayload {
    public enum Format: String, Sendable {
        case json, ndjson, csv
    }

    /// The format a media type names, or nil when it names none of ours.
    public static func format(mediaType: String?, body: Data) -> Format? {
        let type = (mediaType ?? "").split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch type {
        case "application/json": return .json
        case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/json-lines": return .ndjson
        case "text/csv", "application/csv": return .csv
        case "", "application/octet-stream", "text/plain":
            guard JSONReadings.looksLikeJSON(body) else { return .csv }
            let first = body.first { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) }
            return first == 0x5B ? .json : .ndjson
        default: return nil
        }
    }

    /// Reads the payload. Rows that cannot be read are in `problems`, each with its line; the
    /// payload as a whole is refused (thrown) only when it is not of the format at all.
    public static func read(_ body: Data, format: Format, origin: String, options: ReadOptions) throws -> IngestResult {
        switch format {
        case .json, .ndjson:
            return try JSONReadings.read(data: body, origin: origin, options: options)
        case .csv:
            var reader = CSVReader(time: options.time, delimiter: options.delimiter, meter: options.meter)
            reader.keepsLines = true
            reader.meterHint = options.meterHint
            return try body.withUnsafeBytes { try reader.read(bytes: $0, origin: origin) }
        }
    }

    /// The raw text of the rows `read` numbered `lines`, for rows refused after reading (by VEE):
    /// a CSV record as sent, a JSON element or NDJSON line as `read` quotes the ones it refuses.
    public static func rawRows(_ body: Data, format: Format, lines: Set<Int>, delimiter: UInt8? = nil) -> [Int: String] {
        switch format {
        case .json, .ndjson: JSONReadings.rawRows(data: body, lines: lines)
        case .csv: body.withUnsafeBytes { CSVReader.rawRecords(bytes: $0, lines: lines, delimiter: delimiter ?? 0x2C) }
        }
    }

    /// The 0-based data-row index of a row the reader numbered `line`.
    public static func index(line: Int, format: Format) -> Int {
        switch format {
        case .json, .ndjson: max(line - 1, 0)
        case .csv: max(line - 2, 0)
        }
    }
}
