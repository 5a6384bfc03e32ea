/// Which columns of a tabular file hold the meter, the time, the value and optional extras.
///
/// Each role is given by header name (case and punctuation ignored) or 1-based position (`#3`),
/// or left nil to be guessed from common names.
public struct ColumnMapping: Sendable, Hashable {
    public var meter: String?
    public var time: String?
    public var value: String?
    public var source: String?
    public var quality: String?
    public var kind: String?
    /// The interval's end, when the file gives start and end.
    public var end: String?

    public init(meter: String? = nil, time: String? = nil, value: String? = nil, source: String? = nil, quality: String? = nil,
                kind: String? = nil, end: String? = nil) {
        self.kind = kind
        self.end = end
        self.meter = meter
        self.time = time
        self.value = value
        self.source = source
        self.quality = quality
    }

    /// Names tried, in order, when a role is not given.
    public static let meterNames = ["meter_id", "meter", "meterid", "customer_id", "nmi", "mpan", "mprn", "icp", "device_id", "serial", "id"]
    public static let timeNames = ["start", "startdate", "start_time", "startdatetime", "interval_start_time", "from", "timestamp", "reading_datetime", "datetime", "date_time", "interval_start", "read_time", "time", "date"]
    public static let valueNames = ["kwh", "value", "general_supply_kwh", "energy_kwh", "consumption", "energy", "reading", "usage", "import_kwh", "profilereadvalue", "read_value", "interval_value"]
    public static let sourceNames = ["source"]
    public static let qualityNames = ["quality", "quality_flag", "qualityflag", "estimated", "is_estimated"]
    public static let kindNames = ["kind", "meter_kind"]
    public static let endNames = ["end", "enddate", "end_time", "enddatetime", "interval_end", "to"]

    /// Column indices found in a header.
    public struct Resolved: Sendable, Hashable {
        public var meter: Int?
        public var time: Int
        public var value: Int
        public var source: Int?
        public var quality: Int?
        public var kind: Int?
        public var end: Int?
        public var names: [String]

        /// `meter_id=customer_id, start=reading_datetime, kwh=general_supply_kwh`: what was chosen.
        public var summary: String {
            func n(_ i: Int?) -> String { i.map { $0 < names.count ? names[$0] : "#\($0 + 1)" } ?? "-" }
            return "meter_id=\(n(meter)), start=\(n(time)), kwh=\(n(value))"
                + (end.map { ", end=\(n($0))" } ?? "")
            + (source.map { ", source=\(n($0))" } ?? "") + (quality.map { ", quality=\(n($0))" } ?? "")
        }
    }

    /// Finds each role's column in `header`, or says what it looked for.
    public func resolve(header: [String], meterOptional: Bool) -> Result<Resolved, IngestError> {
        let keys = header.map(Self.normalise)
        func find(_ given: String?, _ guesses: [String], role: String, required: Bool) -> Result<Int?, IngestError> {
            if let given {
                if given.hasPrefix("#"), let k = Int(given.dropFirst()), k >= 1, k <= header.count { return .success(k - 1) }
                if let k = keys.firstIndex(of: Self.normalise(given)) { return .success(k) }
                return .failure(.columnNotFound(role: role, lookedFor: [given], header: header))
            }
            for g in guesses { if let k = keys.firstIndex(of: Self.normalise(g)) { return .success(k) } }
            return required ? .failure(.columnNotFound(role: role, lookedFor: guesses, header: header)) : .success(nil)
        }
        do throws(IngestError) {
            let m = try find(meter, Self.meterNames, role: "meter", required: !meterOptional).get()
            guard let t = try find(time, Self.timeNames, role: "time", required: true).get(),
                  let v = try find(value, Self.valueNames, role: "value", required: true).get() else {
                return .failure(.columnNotFound(role: "time", lookedFor: Self.timeNames, header: header))
            }
            let s = try find(source, Self.sourceNames, role: "source", required: false).get()
            let q = try find(quality, Self.qualityNames, role: "quality", required: false).get()
            let k = try find(kind, Self.kindNames, role: "kind", required: false).get()
            let e = try find(end, Self.endNames, role: "end", required: false).get()
            return .success(Resolved(meter: m, time: t, value: v, source: s, quality: q, kind: k, end: e == t ? nil : e, names: header))
        } catch {
            return .failure(error)
        }
    }

    /// Lower case, letters and digits only: `Reading DateTime` and `reading_datetime` match.
    public static func normalise(_ s: String) -> String {
        String(s.lowercased().unicodeScalars.filter { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") })
    }
}
