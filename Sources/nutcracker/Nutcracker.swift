import ArgumentParser
import Foundation
import Logging

@main
struct Nutcracker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nutcracker",
        abstract: "A digital twin of an energy-metering estate: ingest, cleanse, store, analyse and serve meter readings.",
        subcommands: [Demo.self, Serve.self, Import.self, Export.self, Simulate.self, Migrate.self, Batch.self, Eval.self, ForecastCommand.self, CostCommand.self, WhatIfCommand.self, Health.self, User.self, Token.self])

    /// Logs go to standard error (standard output carries the data), at `NUTCRACKER_LOG_LEVEL`
    /// or `warning` by default.
    static func main() async {
        let level = ProcessInfo.processInfo.environment["NUTCRACKER_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return h
        }
        do {
            var command = try parseAsRoot()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
