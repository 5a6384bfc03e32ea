import Foundation
import Hummingbird

/// `GET /openapi.json`: the OpenAPI 3.1 description of every route. A test checks that the
/// router's routes and this document's operations are the same set.
struct OpenAPIRoutes {
    func add(to router: Router<AppContext>) {
        let body = OpenAPIDocument.json()
        router.get("/openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }
}

enum OpenAPIDocument {
    /// One operation: method, path (OpenAPI form), what it does, who may call it.
    struct Op {
        var method: String
        var path: String
        var summary: String
        var tag: String
        var auth: String? = "viewer"
        var query: [(String, String, String)] = []
        var body: [String: Any]? = nil
        var response: [String: Any] = ["type": "object"]
        var responseType = "application/json"
        var statuses: [Int] = []
    }

    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }
    static let time = ("from", "string", "start of the range (ISO 8601, inclusive)")
    static let timeTo = ("to", "string", "end of the range (ISO 8601, exclusive)")

    static var operations: [Op] { [
        Op(method: "get", path: "/health", summary: "The process answers", tag: "service", auth: nil, response: ref("Health")),
        Op(method: "get", path: "/ready", summary: "The store answers", tag: "service", auth: nil, response: ref("Health"), statuses: [503]),
        Op(method: "get", path: "/metrics", summary: "Prometheus metrics", tag: "service", auth: nil, response: ["type": "string"],
           responseType: "text/plain"),
        Op(method: "get", path: "/openapi.json", summary: "This document", tag: "service", auth: nil),
        Op(method: "post", path: "/api/v1/auth/token", summary: "Issue a signed, expiring token for a user", tag: "auth", auth: nil,
           body: ["application/json": ["schema": ref("Credentials")]], response: ref("Token"), statuses: [400, 401]),
        Op(method: "get", path: "/login", summary: "Sign-in page (with ?token=, sets the dashboard cookie)", tag: "dashboard", auth: nil,
           query: [("token", "string", "a token already issued"), ("next", "string", "the dashboard page to go to once signed in")], response: ["type": "string"], responseType: "text/html", statuses: [303]),
        Op(method: "post", path: "/login", summary: "Sign in from the form; sets the dashboard cookie", tag: "dashboard", auth: nil,
           body: ["application/x-www-form-urlencoded": ["schema": ref("Credentials")]], response: ["type": "string"], responseType: "text/html",
           statuses: [303, 401]),
        Op(method: "get", path: "/logout", summary: "Clear the dashboard cookie", tag: "dashboard", auth: nil, response: ["type": "string"],
           responseType: "text/html", statuses: [303]),
        Op(method: "post", path: "/api/v1/readings", summary: "Ingest readings (JSON array, NDJSON or CSV); answered after commit",
           tag: "ingest", auth: "operator or a device key of the source",
           query: [("source", "string", "source of the readings' meters"), ("timezone", "string", "zone of times without an offset"),
                   ("interval", "integer", "interval length in minutes (1, 5, 15, 30, 60)")],
           body: ["application/json": ["schema": array(ref("ReadingIn"))], "application/x-ndjson": ["schema": ref("ReadingIn")],
                  "text/csv": ["schema": ["type": "string"]]],
           response: ref("IngestAnswer"), statuses: [400, 401, 403, 413, 415, 503]),
        Op(method: "get", path: "/api/v1/meters", summary: "Meters with their source, kind, latest reading and health, a page at a time", tag: "query",
           query: [("source", "string", "only this source's meters"), ("q", "string", "only meters whose id contains this text (any case)"),
                   ("offset", "integer", "meters skipped (paging)"), ("limit", "integer", "most meters returned"),
                   ("recent", "integer", "add each meter's last N values")], response: ref("MeterList"), statuses: [400]),
        Op(method: "get", path: "/api/v1/meters/{id}/readings", summary: "A meter's readings in a time range, oldest first", tag: "query",
           query: [time, timeTo, ("limit", "integer", "most readings returned (paging: continue from the last start)")],
           response: ref("ReadingList"), statuses: [400]),
        Op(method: "get", path: "/api/v1/meters/{id}/rollups", summary: "A meter's rollups", tag: "query",
           query: [("period", "string", "period, hour, day, week or month"), time, timeTo, ("timezone", "string", "calendar zone")],
           response: ref("RollupList"), statuses: [400]),
        Op(method: "get", path: "/api/v1/rollups", summary: "Rollups of a meter, a source or the fleet", tag: "query",
           query: [("period", "string", "period, hour, day, week or month"), ("meter", "string", "one meter"), ("source", "string", "one source's total"),
                   time, timeTo, ("timezone", "string", "calendar zone")],
           response: ref("RollupList"), statuses: [400]),
        Op(method: "get", path: "/api/v1/quarantine", summary: "Quarantined rows, newest first, with reason and raw text", tag: "query",
           query: [("limit", "integer", "most entries")], response: ref("QuarantineList")),
        Op(method: "get", path: "/api/v1/quality", summary: "The quality report: VEE outcomes in total and per meter", tag: "query",
           response: ref("Quality")),
        Op(method: "get", path: "/api/v1/anomalies", summary: "Anomalies by kind, meter, source and time", tag: "analytics",
           query: [("kind", "string", "comma-separated kinds"), ("meter", "string", "one meter"), ("source", "string", "one source"), time, timeTo,
                   ("open", "boolean", "only open events"), ("limit", "integer", "most events")],
           response: ref("AnomalyList"), statuses: [400]),
        Op(method: "get", path: "/api/v1/health/meters", summary: "Meters most likely to need a visit over the fleet's last week, with reasons", tag: "analytics",
           query: [("limit", "integer", "most meters")], response: ["type": "object"], statuses: [503]),
        Op(method: "get", path: "/api/v1/meters/{id}/forecast", summary: "A meter's forecast with prediction intervals", tag: "analytics",
           query: [("horizon", "integer", "steps ahead (default 48)"), ("level", "string", "interval levels in percent, e.g. 80,95"),
                   ("model", "string", "auto, snaive, mstl, sarima, regression, mlp or ensemble"), ("window_days", "integer", "days of history fitted")],
           response: ref("Forecast"), statuses: [400, 404]),
        Op(method: "get", path: "/api/v1/meters/{id}/cost", summary: "A meter's energy and cost per day or month under the standard tariff",
           tag: "analytics", query: [("by", "string", "day or month"), ("days", "integer", "days of history")], response: ["type": "object"],
           statuses: [400]),
        Op(method: "post", path: "/api/v1/meters/{id}/tariffs/compare", summary: "Several tariffs priced over a meter's history, cheapest first",
           tag: "analytics", query: [("days", "integer", "days of history (default 365)")],
           body: ["application/json": ["schema": ["type": "object", "properties": ["tariffs": array(["type": "object", "properties": [
               "name": ["type": "string"], "standardRate": ["type": "number"], "standingCharge": ["type": "number"],
               "bands": array(["type": "object", "properties": ["name": ["type": "string"], "from": ["type": ["string", "integer"]],
                                                               "to": ["type": ["string", "integer"]], "rate": ["type": "number"]]])]])],
                                                  "required": ["tariffs"]]]],
           response: ["type": "object"], statuses: [400, 404]),
        Op(method: "post", path: "/api/v1/whatif", summary: "A scenario applied to the forecast of a meter, a source or the fleet", tag: "analytics",
           body: ["application/json": ["schema": ["type": "object", "properties": [
               "meter": ["type": "string"], "source": ["type": "string"], "horizon": ["type": "integer"], "model": ["type": "string"],
               "scenario": ["type": "object", "properties": ["loadFactor": ["type": "number"], "evShare": ["type": "number"], "ev": ["type": "object"],
                                                             "tariff": ["type": "object"]]],
               "tariff": ["type": "object"]]]]],
           response: ["type": "object"], statuses: [400, 404]),
        Op(method: "post", path: "/api/predict", summary: "Quantiles of the steps after a sequence of half-hourly values", tag: "analytics",
           body: ["application/json": ["schema": ["type": "object", "properties": ["sequence": array(["type": "number"]), "horizon": ["type": "integer"]],
                                                  "required": ["sequence"]]]],
           response: ["type": "object", "properties": ["model": ["type": "string"], "predicted_quantiles": ["type": "object", "properties": [
               "q_0.025": array(["type": "number"]), "q_0.500": array(["type": "number"]), "q_0.975": array(["type": "number"])]]]],
           statuses: [400]),
        Op(method: "get", path: "/api/v1/stream", summary: "WebSocket: ingest with acks; subscribe to a meter, a source or the fleet",
           tag: "stream", auth: "viewer (subscribe); operator or device key (readings)", response: ["type": "string"], statuses: [101]),
        Op(method: "post", path: "/graphql", summary: "GraphQL over the same queries", tag: "query",
           body: ["application/json": ["schema": ref("GraphQLRequest")]], response: ["type": "object"]),
        Op(method: "get", path: "/", summary: "Dashboard: the fleet", tag: "dashboard", response: ["type": "string"], responseType: "text/html",
           statuses: [303]),
        Op(method: "get", path: "/quality", summary: "Dashboard: VEE outcomes since start, the meters most cleansed and the quarantine", tag: "dashboard",
           response: ["type": "string"], responseType: "text/html", statuses: [303]),
        Op(method: "get", path: "/meters", summary: "Dashboard: every meter, a page at a time", tag: "dashboard",
           query: [("source", "string", "only this source's meters"), ("q", "string", "only meters whose id contains this text"), ("page", "integer", "page, from 1")],
           response: ["type": "string"], responseType: "text/html", statuses: [303]),
        Op(method: "get", path: "/meters/{id}", summary: "Dashboard: one meter", tag: "dashboard", query: [("days", "integer", "days shown")],
           response: ["type": "string"], responseType: "text/html", statuses: [303, 404]),
        Op(method: "get", path: "/meters/{id}/chart", summary: "A meter's readings chart", tag: "dashboard", query: [("days", "integer", "days shown")],
           response: ["type": "string"], responseType: "image/svg+xml"),
        Op(method: "get", path: "/meters/{id}/daily", summary: "A meter's daily totals of its last 30 days, as bars", tag: "dashboard",
           response: ["type": "string"], responseType: "image/svg+xml"),
        Op(method: "get", path: "/assets/app.css", summary: "Dashboard stylesheet", tag: "dashboard", auth: nil, response: ["type": "string"],
           responseType: "text/css"),
        Op(method: "get", path: "/assets/app.js", summary: "Dashboard script", tag: "dashboard", auth: nil, response: ["type": "string"],
           responseType: "text/javascript"),
    ] }

    static var schemas: [String: Any] { [
        "Forecast": ["type": "object", "properties": [
            "meter": ["type": "string"], "model": ["type": "string"], "step_minutes": ["type": "integer"], "history_steps": ["type": "integer"],
            "timestamps": array(["type": "string", "format": "date-time"]), "mean": array(["type": "number"]),
            "intervals": array(["type": "object", "properties": ["level": ["type": "number"], "lower": array(["type": "number"]),
                                                                 "upper": array(["type": "number"])]])]],
        "Health": ["type": "object", "properties": ["status": ["type": "string"], "readings_stored": ["type": "integer"]], "required": ["status"]],
        "Error": ["type": "object", "properties": ["error": ["type": "object", "properties": ["message": ["type": "string"]]]]],
        "Credentials": ["type": "object", "properties": ["username": ["type": "string"], "password": ["type": "string"]], "required": ["username", "password"]],
        "Token": ["type": "object", "properties": ["token": ["type": "string"], "token_type": ["type": "string"], "expires_at": ["type": "string", "format": "date-time"],
                                                   "role": ["type": "string", "enum": Role.allCases.map(\.rawValue)]]],
        "ReadingIn": ["type": "object", "description": "Keys are matched like CSV headers: meter_id, start (or timestamp), kwh; optional source, quality.",
                      "properties": ["meter_id": ["type": "string"], "start": ["type": "string"], "kwh": ["type": ["number", "string"]],
                                     "source": ["type": "string"], "quality": ["type": "string"]]],
        "Reading": ["type": "object", "properties": ["meter_id": ["type": "string"], "start": ["type": "string", "format": "date-time"], "minutes": ["type": "integer"],
                                                     "kwh": ["type": "number"], "quality": ["type": "string"], "rule": ["type": ["string", "null"]]]],
        "IngestAnswer": ["type": "object", "properties": [
            "batch": ["type": "integer"], "received": ["type": "integer"], "stored": ["type": "integer"], "inserted": ["type": "integer"],
            "corrected": ["type": "integer"], "unchanged": ["type": "integer"], "estimated": ["type": "integer"], "quarantined": ["type": "integer"],
            "outcomes": ["type": "object", "additionalProperties": ["type": "integer"]],
            "rejected": array(["type": "object", "properties": ["index": ["type": "integer"], "line": ["type": "integer"], "field": ["type": ["string", "null"]],
                                                                "reason": ["type": "string"], "detail": ["type": "string"]]]),
        ]],
        "MeterList": ["type": "object", "properties": [
            "total": ["type": "integer"], "offset": ["type": "integer"], "health_through": ["type": ["string", "null"]],
            "meters": array(["type": "object", "properties": [
                "meter_id": ["type": "string"], "source": ["type": "string"], "kind": ["type": "string"], "minutes": ["type": "integer"], "latest": ref("Reading"),
                "recent": array(["type": "number"]), "health_score": ["type": ["number", "null"]], "health_reasons": array(["type": "string"]),
            ]]),
        ]],
        "ReadingList": ["type": "object", "properties": ["meter_id": ["type": "string"], "readings": array(ref("Reading"))]],
        "RollupList": ["type": "object", "properties": ["scope": ["type": "string"], "period": ["type": "string"], "rows": array(["type": "object", "properties": [
            "name": ["type": "string"], "period": ["type": "string"], "start": ["type": "string"], "kwh": ["type": "number"], "readings": ["type": "integer"],
            "actual": ["type": "integer"], "estimated": ["type": "integer"], "min": ["type": "number"], "max": ["type": "number"],
        ]])]],
        "QuarantineList": ["type": "object", "properties": ["entries": array(["type": "object", "properties": [
            "origin": ["type": "string"], "line": ["type": "integer"], "field": ["type": ["string", "null"]], "reason": ["type": "string"],
            "detail": ["type": "string"], "raw": ["type": "string"], "meter_id": ["type": ["string", "null"]], "start": ["type": ["string", "null"]],
        ]])]],
        "Quality": ["type": "object", "properties": ["totals": ["type": "object", "additionalProperties": ["type": "integer"]],
                                                     "meters": ["type": "object", "additionalProperties": ["type": "object", "additionalProperties": ["type": "integer"]]],
                                                     "summaries": ["type": "object", "additionalProperties": ["type": "string"],
                                                                   "description": "What each outcome counted means, by key"]]],
        "AnomalyList": ["type": "object", "properties": ["anomalies": array(["type": "object", "properties": [
            "id": ["type": "string"], "kind": ["type": "string"], "meter_id": ["type": ["string", "null"]], "source": ["type": ["string", "null"]],
            "start": ["type": "string"], "end": ["type": "string"], "severity": ["type": "string"], "score": ["type": "number"],
            "expected": ["type": "number"], "observed": ["type": "number"], "detail": ["type": "string"], "open": ["type": "boolean"],
        ]])]],
        "GraphQLRequest": ["type": "object", "properties": ["query": ["type": "string"], "variables": ["type": "object"]], "required": ["query"]],
    ] }

    static func json() -> Data {
        var paths: [String: [String: Any]] = [:]
        for op in operations {
            var o: [String: Any] = ["summary": op.summary, "tags": [op.tag], "operationId": op.method + op.path.replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "").replacingOccurrences(of: ".", with: "_")]
            var params: [[String: Any]] = op.query.map { ["name": $0.0, "in": "query", "required": false, "schema": ["type": $0.1], "description": $0.2] }
            if op.path.contains("{id}") {
                params.insert(["name": "id", "in": "path", "required": true, "schema": ["type": "string"], "description": "meter id"], at: 0)
            }
            if !params.isEmpty { o["parameters"] = params }
            if let body = op.body { o["requestBody"] = ["required": true, "content": body] }
            var responses: [String: Any] = ["200": ["description": "OK", "content": [op.responseType: ["schema": op.response]]]]
            for s in op.statuses {
                responses[String(s)] = ["description": HTTPResponse.Status(code: s).reasonPhrase, "content": ["application/json": ["schema": ref("Error")]]]
            }
            if let auth = op.auth {
                o["security"] = [["bearer": []]]
                o["description"] = "Needs: \(auth)."
                responses["401"] = ["description": "Missing, wrong, expired or tampered credentials"]
                responses["403"] = ["description": "The identity lacks the role (or the source) this needs"]
            } else {
                o["security"] = [] as [Any]
            }
            o["responses"] = responses
            paths[op.path, default: [:]][op.method] = o
        }
        let doc: [String: Any] = [
            "openapi": "3.1.0",
            "info": ["title": "Nut Cracker", "version": "1.0.0",
                     "description": "A digital twin of an energy-metering estate: ingest, cleanse, store, analyse and serve meter readings."],
            "servers": [["url": "/"]],
            "paths": paths,
            "components": [
                "schemas": schemas,
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer",
                                               "description": "A user token from /api/v1/auth/token, or a device key (nck_...)"]],
            ],
        ]
        return (try? JSONSerialization.data(withJSONObject: doc, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data("{}".utf8)
    }
}
