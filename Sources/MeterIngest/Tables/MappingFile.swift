import Foundation
import MeterCore

/// A vendor's layout described in a TOML file, so a new retailer's export needs no code:
///
/// ```toml
/// layout = "long"            # long, wide-day or grid-load
/// timezone = "Europe/London"
/// date_order = "dmy"
/// interval = 30
/// unit = "Wh"                # Wh, kWh or MWh: values are converted to kWh
/// [columns]
/// meter = "Device"
/// time = "Read At"
/// value = "Energy"
/// quality = "Flag"
/// ```
public struct MappingFile: Sendable, Hashable {
    public var layout: LayoutKind?
    public var columns = ColumnMapping()
    public var timezone: TimeZoneSpec?
    public var dateOrder: DateOrder?
    public var ambiguous: AmbiguousTimePolicy?
    public var interval: IntervalLength?
    public var delimiter: UInt8?
    public var decimalComma: Bool?
    public var meter: MeterID?
    /// kWh per unit of the file's values.
    public var scale: Double = 1
    /// Whether times name the end of each interval (grid-load files).
    public var timeIsEnd: Bool?

    public init() {}

    public static func load(path: String) throws -> MappingFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw IngestError.unreadable(path: path, reason: "no such file") }
        do {
            return try parse(String(decoding: data, as: UTF8.self))
        } catch let e as TOMLError {
            throw IngestError.invalidOption("\(path): \(e)")
        } catch let e as IngestError {
            throw IngestError.invalidOption("\(path): \(e)")
        }
    }

    /// Reads a mapping; every key is checked, so a misspelt one is an error, not silently ignored.
    public static func parse(_ text: String) throws -> MappingFile {
        let tables = try TOML.parse(text)
        var m = MappingFile()
        let top = tables[""] ?? [:]
        func string(_ key: String, _ v: TOMLValue) throws -> String {
            guard let s = v.string else { throw IngestError.invalidOption("'\(key)' must be a string") }
            return s
        }
        for (key, v) in top {
            switch key {
            case "layout":
                let s = try string(key, v)
                guard let l = LayoutKind(rawValue: s) else {
                    throw IngestError.invalidOption("layout '\(s)' is not one of \(LayoutKind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                m.layout = l
            case "timezone":
                let s = try string(key, v)
                guard let z = TimeZoneSpec(s) else { throw IngestError.invalidOption("timezone '\(s)' is not UTC, an offset or an IANA zone") }
                m.timezone = z
            case "date_order":
                let s = try string(key, v)
                guard let d = DateOrder(rawValue: s) else { throw IngestError.invalidOption("date_order must be dmy or mdy") }
                m.dateOrder = d
            case "ambiguous":
                let s = try string(key, v)
                guard let a = AmbiguousTimePolicy(rawValue: s) else { throw IngestError.invalidOption("ambiguous must be reject, earlier, later or file-order") }
                m.ambiguous = a
            case "interval":
                guard let i = v.integer, let l = IntervalLength(minutes: i) else { throw IngestError.invalidOption("interval must be 1, 5, 15, 30 or 60") }
                m.interval = l
            case "delimiter":
                switch try string(key, v) {
                case ",": m.delimiter = 0x2C
                case ";": m.delimiter = 0x3B
                case "\t", "tab": m.delimiter = 0x09
                default: throw IngestError.invalidOption("delimiter must be ',', ';' or 'tab'")
                }
            case "decimal_comma":
                guard let b = v.bool else { throw IngestError.invalidOption("decimal_comma must be true or false") }
                m.decimalComma = b
            case "meter":
                let s = try string(key, v)
                guard let id = MeterID(s) else { throw IngestError.invalidOption("meter '\(s)' is not a meter id") }
                m.meter = id
            case "unit":
                switch try string(key, v).lowercased() {
                case "wh": m.scale = 0.001
                case "kwh": m.scale = 1
                case "mwh": m.scale = 1000
                default: throw IngestError.invalidOption("unit must be Wh, kWh or MWh")
                }
            case "time_is":
                switch try string(key, v) {
                case "start": m.timeIsEnd = false
                case "end": m.timeIsEnd = true
                default: throw IngestError.invalidOption("time_is must be start or end")
                }
            default:
                throw IngestError.invalidOption("unknown key '\(key)'")
            }
        }
        for (key, v) in tables["columns"] ?? [:] {
            let s: String
            if let str = v.string { s = str } else if let i = v.integer { s = "#\(i)" } else {
                throw IngestError.invalidOption("columns.\(key) must be a header name or a 1-based position")
            }
            switch key {
            case "meter": m.columns.meter = s
            case "time", "start", "date": m.columns.time = s
            case "value": m.columns.value = s
            case "quality": m.columns.quality = s
            case "source": m.columns.source = s
            case "end": m.columns.end = s
            default: throw IngestError.invalidOption("unknown column role 'columns.\(key)' (meter, time, value, quality, source, end)")
            }
        }
        for name in tables.keys where name != "" && name != "columns" {
            throw IngestError.invalidOption("unknown table [\(name)]")
        }
        return m
    }
}
