import MeterCore

/// The settings of the VEE rule set.
public struct VEEConfig: Sendable, Hashable {
    /// Interval grid of the meters in the batch.
    public var interval: IntervalLength = .halfHour
    /// Largest credible energy of one interval, in kWh; `nil` for no limit.
    public var maxKwh: Double? = 100
    /// Longest run of empty slots that is estimated by interpolation; 0 turns estimation off.
    public var maxGap: Int = 4
    /// The value at which register meters wrap to zero (10^digits).
    public var registerSize: Double = 100_000
    /// How many intervals an interval meter's readings must move past the empty slots after its
    /// latest reading before they are estimated (`GapEstimation`); a reading that arrives out of
    /// order meanwhile fills its slot as measured, never as the correction of an estimate. 0
    /// estimates at once, as a file, whole when it is read, wants.
    public var estimationDelay: Int = 0

    /// The live server's: readings sent over several connections arrive a little out of order.
    public static let live = VEEConfig(estimationDelay: 4)

    public init(interval: IntervalLength = .halfHour, maxKwh: Double? = 100, maxGap: Int = 4, registerSize: Double = 100_000,
                estimationDelay: Int = 0) {
        self.interval = interval
        self.maxKwh = maxKwh
        self.maxGap = maxGap
        self.registerSize = registerSize
        self.estimationDelay = estimationDelay
    }
}
