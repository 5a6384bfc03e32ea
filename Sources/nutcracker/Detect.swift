import ArgumentParser
import Foundation
import MeterAnalytics
import MeterCore
import MeterStore
import NutCrackerEngine

struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The meters most likely to need a visit: a health score per meter with its reasons, worst first.")

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "How many meters to list.") var top = 10
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        let store = try await storeOptions.open()
        let list = try await HealthReport.compute(store: store)
        if json {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            printOut(String(decoding: try enc.encode(Array(list.prefix(top))), as: UTF8.self) + "\n")
            return
        }
        printOut("meter            source   health  reasons\n")
        for h in list.prefix(top) {
            let name = h.meter.rawValue.padding(toLength: max(16, h.meter.rawValue.count), withPad: " ", startingAt: 0)
            let src = (h.source?.rawValue ?? "-").padding(toLength: max(7, (h.source?.rawValue ?? "-").count), withPad: " ", startingAt: 0)
            printOut("\(name) \(src)  \(String(format: "%5.0f", h.score))   \(h.reasons.isEmpty ? "healthy" : h.reasons.joined(separator: "; "))\n")
        }
    }
}
