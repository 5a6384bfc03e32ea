/// The length of a meter's intervals; readings start on multiples of it (in UTC).
public enum IntervalLength: Int, Sendable, Codable, CaseIterable, Comparable {
    case oneMinute = 1
    case fiveMinutes = 5
    case fifteenMinutes = 15
    case halfHour = 30
    case hour = 60

    public var minutes: Int { rawValue }
    public var seconds: Int64 { Int64(rawValue) * 60 }

    public init?(minutes: Int) { self.init(rawValue: minutes) }

    /// The slot index of an instant (epoch seconds): which interval of the grid it falls in.
    @inline(__always)
    public func slot(of epochSeconds: Int64) -> Int64 {
        epochSeconds >= 0 ? epochSeconds / seconds : (epochSeconds - seconds + 1) / seconds
    }

    /// The start (epoch seconds) of a slot.
    @inline(__always)
    public func start(ofSlot slot: Int64) -> Int64 { slot * seconds }

    /// Whether an instant lies exactly on the grid.
    @inline(__always)
    public func isAligned(_ epochSeconds: Int64) -> Bool { epochSeconds % seconds == 0 }

    public static func < (a: IntervalLength, b: IntervalLength) -> Bool { a.rawValue < b.rawValue }
}
