/// The last few excursions (confirmed spikes) of one meter, with when they happened: the bounded
/// memory that tells a household's recurring appliance (a water heater's 2 kWh half-hour at night,
/// week after week) from a spike it has never had. An excursion is habitual when the meter has had
/// enough like it within a recent span; habitual ones are remembered but not reported, so an
/// operator hears of a new behaviour a few times, not every night.
public struct ExcursionMemory: Sendable {
    /// Excursions kept, and how many like one within `span` seconds make it habitual.
    public let capacity: Int
    public let habitAfter: Int
    public let span: Int64
    private var times: [Int64] = []
    private var values: [Double] = []
    private var next = 0

    public init(capacity: Int = 8, habitAfter: Int = 3, span: Int64 = 90 * 86_400) {
        self.capacity = max(1, capacity)
        self.habitAfter = habitAfter
        self.span = span
    }

    /// Whether, at `time`, the meter has had `habitAfter` excursions within the span for which `alike`
    /// (given each one's time and value) holds.
    public func isHabitual(at time: Int64, _ alike: (Int64, Double) -> Bool) -> Bool {
        var n = 0
        for i in times.indices where time - times[i] <= span && alike(times[i], values[i]) { n += 1 }
        return n >= habitAfter
    }

    public mutating func record(at time: Int64, value: Double) {
        if times.count < capacity {
            times.append(time)
            values.append(value)
        } else {
            times[next] = time
            values[next] = value
        }
        next = (next + 1) % capacity
    }
}
