import MeterStore
import NutCrackerEngine

/// What the routes need, passed in when the application is built.
public struct ServerDependencies: Sendable {
    public var store: any ReadingStore
    public var pipeline: Pipeline
    public var accounts: Accounts
    public var ingest: IngestQueue
    public var metrics: MetricsRegistry
    public var limits: IngestLimits
    /// Day-ahead forecasts drawn on meter pages.
    let forecasts = ForecastCache()
    /// The fleet page's meters to visit.
    let health = HealthCache()
    /// Each source's latest list of meters, a hint for reading its next CSV request.
    let meterLists = MeterListHints()

    public init(store: any ReadingStore, pipeline: Pipeline, accounts: Accounts, ingest: IngestQueue? = nil,
                metrics: MetricsRegistry = MetricsRegistry(), limits: IngestLimits = IngestLimits()) {
        self.store = store
        self.pipeline = pipeline
        self.accounts = accounts
        self.metrics = metrics
        self.ingest = ingest ?? IngestQueue(pipeline: pipeline, metrics: metrics)
        self.limits = limits
    }
}

/// How much one ingest request may carry.
public struct IngestLimits: Sendable {
    public var maxBodyBytes = 8 << 20
    public var maxRows = 50_000
    /// Most bytes of live messages waiting for one WebSocket client that reads slower than they come;
    /// past it, messages are dropped and the client is told how many (`lagged`).
    public var maxQueuedStreamBytes = 16 << 20

    public init(maxBodyBytes: Int = 8 << 20, maxRows: Int = 50_000, maxQueuedStreamBytes: Int = 16 << 20) {
        self.maxBodyBytes = maxBodyBytes
        self.maxRows = maxRows
        self.maxQueuedStreamBytes = maxQueuedStreamBytes
    }
}
