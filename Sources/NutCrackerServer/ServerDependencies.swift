import MeterStore
import NutCrackerEngine

/// What the routes need, passed in when the application is built.
public struct ServerDependencies: Sendable {
    public var store: any ReadingStore
    public var pipeline: Pipeline

    public init(store: any ReadingStore, pipeline: Pipeline) {
        self.store = store
        self.pipeline = pipeline
    }
}
