import Foundation

/// A time-of-use tariff: a standard unit rate, bands of the day with their own rate, and a daily
/// standing charge. Rates are in pence per kWh, the standing charge in pence per day; bands are in
/// local time, `from` inclusive and `to` exclusive, in minutes of the day (a band may wrap midnight).
public struct Tariff: Sendable, Codable, Equatable {
    public var name: String
    public var standardRate: Double
    public var standingCharge: Double
    public var bands: [Band]

    public struct Band: Sendable, Codable, Equatable {
        public var name: String
        public var from: Int
        public var to: Int
        public var rate: Double
        /// Days the band applies on, 0 = Monday; nil for every day.
        public var weekdays: [Int]?

        public init(name: String, from: Int, to: Int, rate: Double, weekdays: [Int]? = nil) {
            self.name = name
            self.from = from
            self.to = to
            self.rate = rate
            self.weekdays = weekdays
        }

        enum CodingKeys: String, CodingKey { case name, from, to, rate, weekdays }

        /// `from` and `to` may be minutes of the day or "HH:MM".
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name)
            rate = try c.decode(Double.self, forKey: .rate)
            weekdays = try c.decodeIfPresent([Int].self, forKey: .weekdays)
            func minute(_ key: CodingKeys) throws -> Int {
                if let m = try? c.decode(Int.self, forKey: key) { return m }
                let text = try c.decode(String.self, forKey: key)
                guard let m = Tariff.minuteOfDay(text) else {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "'\(text)' is not a time of day like 16:00")
                }
                return m
            }
            from = try minute(.from)
            to = try minute(.to)
        }

        public func contains(minute m: Int, weekday: Int) -> Bool {
            if let weekdays, !weekdays.contains(weekday) { return false }
            return from <= to ? (m >= from && m < to) : (m >= from || m < to)
        }
    }

    /// Reads a JSON file holding one tariff or an array of them, refusing any with problems.
    public static func load(json data: [UInt8], file: String) throws -> [Tariff] {
        let decoder = JSONDecoder()
        let d = Data(data)
        let list: [Tariff]
        do {
            if let many = try? decoder.decode([Tariff].self, from: d) {
                list = many
            } else {
                list = [try decoder.decode(Tariff.self, from: d)]
            }
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw TariffFileError(file: file, reason: "missing \((ctx.codingPath + [key]).map(\.stringValue).joined(separator: "."))")
        } catch let DecodingError.dataCorrupted(ctx) {
            throw TariffFileError(file: file, reason: "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): \(ctx.debugDescription)")
        } catch let DecodingError.typeMismatch(_, ctx) {
            throw TariffFileError(file: file, reason: "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): wrong type")
        } catch {
            throw TariffFileError(file: file, reason: "not a tariff: \(error)")
        }
        let problems = list.flatMap { $0.problems() }
        guard problems.isEmpty else { throw TariffFileError(file: file, reason: problems.joined(separator: "; ")) }
        guard !list.isEmpty else { throw TariffFileError(file: file, reason: "no tariffs") }
        return list
    }

    enum CodingKeys: String, CodingKey { case name, standardRate, standingCharge, bands }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        standardRate = try c.decode(Double.self, forKey: .standardRate)
        standingCharge = try c.decodeIfPresent(Double.self, forKey: .standingCharge) ?? 0
        bands = try c.decodeIfPresent([Band].self, forKey: .bands) ?? []
    }

    public init(name: String, standardRate: Double, standingCharge: Double = 0, bands: [Band] = []) {
        self.name = name
        self.standardRate = standardRate
        self.standingCharge = standingCharge
        self.bands = bands
    }

    /// Minutes since midnight of a clock time "HH:MM" (00:00 to 24:00), or nil.
    public static func minuteOfDay(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
              (0...24).contains(h), (0..<60).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }

    /// Standard 34p/kWh, off-peak 00:00 to 06:00 at 18p, peak 16:00 to 19:00 at 42p, 60p a day.
    public static let standard = Tariff(name: "standard", standardRate: 34, standingCharge: 60, bands: [
        Band(name: "off-peak", from: 0, to: 6 * 60, rate: 18),
        Band(name: "peak", from: 16 * 60, to: 19 * 60, rate: 42),
    ])

    /// The band in force at a local minute of the day (the first listed wins), nil for the standard rate.
    public func band(minute: Int, weekday: Int) -> Band? {
        bands.first { $0.contains(minute: minute, weekday: weekday) }
    }

    /// Pence per kWh at a local minute of the day.
    public func rate(minute: Int, weekday: Int) -> Double {
        band(minute: minute, weekday: weekday)?.rate ?? standardRate
    }

    /// What is wrong with the tariff, if anything.
    public func problems() -> [String] {
        var out: [String] = []
        if !(standardRate.isFinite && standardRate >= 0) { out.append("\(name): standard rate must be a number of pence, at least 0") }
        if !(standingCharge.isFinite && standingCharge >= 0) { out.append("\(name): standing charge must be at least 0") }
        for b in bands {
            if !(0...1440).contains(b.from) || !(0...1440).contains(b.to) || b.from == b.to {
                out.append("\(name): band \(b.name) must run between two different minutes of the day (0 to 1440)")
            }
            if !(b.rate.isFinite && b.rate >= 0) { out.append("\(name): band \(b.name) has a rate below 0") }
            if let d = b.weekdays, d.contains(where: { !(0...6).contains($0) }) { out.append("\(name): band \(b.name) weekdays must be 0 (Monday) to 6") }
        }
        return out
    }
}

/// A tariff file that could not be used, and why.
public struct TariffFileError: Error, CustomStringConvertible {
    public var file: String
    public var reason: String
    public var description: String { "\(file): \(reason)" }
}
