import Foundation

/// A forecast of the steps after a history: the point forecast and, per level (e.g. 0.8, 0.95), the
/// lower and upper bounds of the central prediction interval.
public struct Forecast: Sendable, Equatable {
    /// The model that made it (for `auto`, the one it chose, e.g. `auto(ensemble)`).
    public var model: String
    public var mean: [Double]
    public var intervals: [PredictionInterval]

    public init(model: String, mean: [Double], intervals: [PredictionInterval] = []) {
        self.model = model
        self.mean = mean
        self.intervals = intervals
    }

    public var horizon: Int { mean.count }

    /// Interval levels written as percentages, comma-separated ("80,95"), as fractions.
    public static func levels(_ text: String) throws(ForecastError) -> [Double] {
        var out: [Double] = []
        for part in text.split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let v = Double(trimmed), v > 0, v < 100 else { throw .badLevelText(String(trimmed.prefix(20))) }
            out.append(v / 100)
        }
        return out
    }

    public func interval(level: Double) -> PredictionInterval? {
        intervals.first { abs($0.level - level) < 1e-9 }
    }
}

/// Bounds that should hold the outcome with probability `level`, step by step.
public struct PredictionInterval: Sendable, Equatable {
    public var level: Double
    public var lower: [Double]
    public var upper: [Double]

    public init(level: Double, lower: [Double], upper: [Double]) {
        self.level = level
        self.lower = lower
        self.upper = upper
    }
}

/// Why a forecast could not be made.
public enum ForecastError: Error, Equatable, CustomStringConvertible, Sendable {
    case tooShort(have: Int, need: Int)
    case badHorizon(Int)
    case badLevel(Double)
    case badLevelText(String)
    case unknownModel(String)

    public var description: String {
        switch self {
        case let .tooShort(have, need): "history too short: \(have) steps, at least \(need) needed"
        case let .badHorizon(h): "horizon must be at least 1 step, got \(h)"
        case let .badLevel(l): "interval level must lie between 0 and 100 percent, got \(l)"
        case let .badLevelText(t): "level: '\(t)' is not a percentage between 0 and 100"
        case let .unknownModel(name): "unknown model '\(name)' (known: \(ForecastModels.names.joined(separator: ", ")))"
        }
    }
}
