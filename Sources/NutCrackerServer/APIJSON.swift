import Foundation
import Hummingbird

/// The one JSON encoding of the API's own answers (HTTP bodies and WebSocket messages): sorted keys,
/// slashes unescaped.
enum APIJSON {
    static func data(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: try data(value))))
    }

    /// A WebSocket text message.
    static func text(_ value: some Encodable) -> String {
        (try? data(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
