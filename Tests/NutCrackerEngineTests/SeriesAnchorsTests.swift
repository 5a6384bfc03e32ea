import Testing
import MeterCore
import MeterCleanse
@testable import NutCrackerEngine

/// Anchors read by slot, for a remembered list of meters or a new one, are the anchors read by
/// meter, whatever was set, moved on or forgotten in between.
@Suite struct SeriesAnchorsTests {
    let meters = (0..<50).map { MeterID("S-\($0)")! }

    @Test func slotsAndMetersAgree() {
        var anchors = SeriesAnchors()
        anchors[meters[0]] = SeriesAnchor(start: 100, value: 1)
        let slots = anchors.slots(of: meters)
        #expect(Set(slots).count == meters.count)
        #expect(anchors.anchor(at: slots[0]) == SeriesAnchor(start: 100, value: 1))
        #expect(anchors.anchor(at: slots[1]) == nil)
        for (k, s) in slots.enumerated() { anchors.advance(s, start: 1800, value: Double(k)) }
        // The same list again (remembered), built afresh as the next request's parse builds it.
        let again = anchors.slots(of: (0..<50).map { MeterID("S-\($0)")! })
        #expect(again == slots)
        for (k, m) in meters.enumerated() {
            #expect(anchors[m] == SeriesAnchor(start: 1800, value: Double(k)))
            #expect(anchors.anchor(at: again[k]) == anchors[m])
        }
        // An earlier reading leaves an anchor where it is; forgetting one is seen by slot too.
        anchors.advance(slots[2], start: 0, value: 99)
        #expect(anchors[meters[2]]?.value == 2)
        anchors[meters[3]] = nil
        #expect(anchors.anchor(at: anchors.slots(of: meters)[3]) == nil)
        // A list in another order, and one with a meter new to the table, find the same slots.
        let reversed = anchors.slots(of: meters.reversed())
        #expect(reversed == slots.reversed())
        let grown = anchors.slots(of: meters + [MeterID("S-new")!])
        #expect(Array(grown.prefix(50)) == slots && !slots.contains(grown[50]))
    }
}
