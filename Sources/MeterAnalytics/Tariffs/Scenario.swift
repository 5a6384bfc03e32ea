/// A what-if change to forecast consumption: scale all load, add electric-vehicle charging to a
/// share of the meters, and/or price it under another tariff.
public struct Scenario: Sendable, Codable, Equatable {
    /// Multiplies every step's energy (1.2 is all load +20%).
    public var loadFactor: Double
    /// Share of meters (0 to 1) that start charging a vehicle.
    public var evShare: Double
    /// Each charging meter's profile.
    public var ev: EVProfile
    /// The tariff the scenario is priced under; nil keeps the baseline's.
    public var tariff: Tariff?

    public init(loadFactor: Double = 1, evShare: Double = 0, ev: EVProfile = EVProfile(), tariff: Tariff? = nil) {
        self.loadFactor = loadFactor
        self.evShare = evShare
        self.ev = ev
        self.tariff = tariff
    }

    enum CodingKeys: String, CodingKey { case loadFactor, evShare, ev, tariff }

    /// Every field is optional in JSON; what is absent keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        loadFactor = try c.decodeIfPresent(Double.self, forKey: .loadFactor) ?? 1
        evShare = try c.decodeIfPresent(Double.self, forKey: .evShare) ?? 0
        ev = try c.decodeIfPresent(EVProfile.self, forKey: .ev) ?? EVProfile()
        tariff = try c.decodeIfPresent(Tariff.self, forKey: .tariff)
    }

    /// A nightly charge: `kw` from local `startMinute` until `kwhPerDay` is delivered.
    public struct EVProfile: Sendable, Codable, Equatable {
        public var kw: Double
        public var kwhPerDay: Double
        public var startMinute: Int

        public init(kw: Double = 7, kwhPerDay: Double = 10, startMinute: Int = 23 * 60) {
            self.kw = kw
            self.kwhPerDay = kwhPerDay
            self.startMinute = startMinute
        }

        enum CodingKeys: String, CodingKey { case kw, kwhPerDay, startMinute }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            kw = try c.decodeIfPresent(Double.self, forKey: .kw) ?? 7
            kwhPerDay = try c.decodeIfPresent(Double.self, forKey: .kwhPerDay) ?? 10
            startMinute = try c.decodeIfPresent(Int.self, forKey: .startMinute) ?? 23 * 60
        }

        /// Energy the charger draws in the step starting at a local minute of the day.
        public func kwh(minute: Int, stepMinutes: Int) -> Double {
            guard kw > 0, kwhPerDay > 0, stepMinutes > 0 else { return 0 }
            let hours = kwhPerDay / kw
            let end = Double(startMinute) + hours * 60
            let a = Double(minute), b = Double(minute + stepMinutes)
            // Overlap of [a, b) with the charging window, which may wrap past midnight.
            func overlap(_ lo: Double, _ hi: Double) -> Double { max(0, min(b, hi) - max(a, lo)) }
            let minutes = overlap(Double(startMinute), end) + overlap(Double(startMinute) - 1440, end - 1440)
            return kw * minutes / 60
        }
    }

    public func problems() -> [String] {
        var out: [String] = []
        if !(loadFactor.isFinite && loadFactor >= 0) { out.append("load factor must be at least 0") }
        if !(evShare >= 0 && evShare <= 1) { out.append("EV share must lie between 0 and 1") }
        if !(ev.kw > 0 && ev.kw.isFinite) { out.append("EV charger power must be above 0 kW") }
        if !(ev.kwhPerDay >= 0 && ev.kwhPerDay.isFinite) { out.append("EV energy per day must be at least 0 kWh") }
        if !(0..<1440).contains(ev.startMinute) { out.append("EV charging start must be a minute of the day (0 to 1439)") }
        if let tariff { out += tariff.problems() }
        return out
    }
}
