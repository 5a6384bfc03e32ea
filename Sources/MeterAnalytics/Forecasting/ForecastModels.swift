/// The models by name, as the command line and the API accept them.
public enum ForecastModels {
    public static let names = ["auto", "snaive", "snaive-week", "mstl", "sarima", "regression", "mlp", "ensemble"]

    /// The models `auto` chooses among (the forecaster adds the average of the non-baseline ones).
    /// Seasonal ARIMA is left out: on half-hourly load it is slower and no better than the baseline.
    public static var candidates: [any ForecastModel] {
        [SeasonalNaive(), MSTLModel(), LagRegression(), QuantileMLP()]
    }

    /// The members of the `ensemble` model.
    public static var ensembleMembers: [any ForecastModel] { [MSTLModel(), LagRegression(), QuantileMLP()] }

    /// The method a name selects.
    public static func method(_ name: String) throws -> ForecastMethod {
        switch name.lowercased() {
        case "auto": .auto(candidates)
        case "snaive": .model(SeasonalNaive())
        case "snaive-week": .model(SeasonalNaive(weekly: true))
        case "mstl": .model(MSTLModel())
        case "sarima": .model(SeasonalARIMA())
        case "regression": .model(LagRegression())
        case "mlp": .model(QuantileMLP())
        case "ensemble": .model(ModelAverage(ensembleMembers))
        default: throw ForecastError.unknownModel(name)
        }
    }
}

/// One model, or `auto`: the candidate (or the average of the non-baseline candidates) with the
/// lowest error on rolling origins inside the fitting window.
public enum ForecastMethod: Sendable {
    case model(any ForecastModel)
    case auto([any ForecastModel])
}
