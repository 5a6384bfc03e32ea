import MeterCore
import MeterCleanse

/// Each live interval meter's anchor (the latest reading its next batch continues from), kept in a
/// dense table by slot. A meter's slot never changes, so the slots of a recent request's list of
/// meters are remembered (`MeterListMemo`): a gateway's next request, naming the same meters, finds
/// their anchors without a hash lookup per meter.
struct SeriesAnchors {
    private var slotOf: [MeterID: Int32] = [:]
    private var values: [SeriesAnchor?] = []
    private var recent = MeterListMemo<[Int32]>()

    subscript(meter: MeterID) -> SeriesAnchor? {
        get { slotOf[meter].flatMap { values[Int($0)] } }
        set {
            if let s = slotOf[meter] {
                values[Int(s)] = newValue
            } else if let newValue {
                slotOf[meter] = Int32(values.count)
                values.append(newValue)
            }
        }
    }

    /// The slots of a batch's meters, in the order of its meter table; meters new to the table get
    /// one (with no anchor).
    mutating func slots(of meters: [MeterID]) -> [Int32] {
        if let known = recent.value(for: meters) { return known }
        let slots = meters.map { m in
            if let s = slotOf[m] { return s }
            let s = Int32(values.count)
            slotOf[m] = s
            values.append(nil)
            return s
        }
        recent.remember(slots, for: meters)
        return slots
    }

    /// The anchor in a slot from `slots(of:)`.
    func anchor(at slot: Int32) -> SeriesAnchor? { values[Int(slot)] }

    /// Moves a slot's anchor on to a later reading (an earlier one leaves it as it is).
    mutating func advance(_ slot: Int32, start: Int64, value: Double) {
        if let old = values[Int(slot)], old.start >= start { return }
        values[Int(slot)] = SeriesAnchor(start: start, value: value)
    }

    /// Moves each meter's anchor on to its latest reading in a batch; `slots`: those of the batch's
    /// meter table. One call a batch: an actor's stored table is checked for exclusive access at
    /// each mutating call.
    mutating func advance(to batch: ReadingBatch, slots: [Int32]) {
        for i in 0..<batch.count {
            advance(slots[Int(batch.meterIndex[i])], start: batch.start[i], value: batch.kwh[i])
        }
    }
}
