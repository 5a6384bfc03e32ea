import Foundation
import Hummingbird
import MeterCore
import MeterStore
import NutCrackerEngine

/// The dashboard: the fleet page at `/`, every meter a page at a time at `/meters`, data quality and the quarantine at `/quality`, a page per meter at `/meters/{id}`, and its chart and its
/// daily totals alone at `/meters/{id}/chart` and `/meters/{id}/daily` (what the page fetches to redraw). Pages need a signed-in viewer; without
/// one they send the person to `/login`.
struct DashboardRoutes {
    let deps: ServerDependencies

    func add(to router: Router<AppContext>) {
        AssetRoutes().add(to: router)
        router.get("/") { request, context -> Response in
            guard Self.viewer(context) else { return Self.toLogin(request) }
            return Pages.html(try await FleetPage.render(deps: deps))
        }
        router.get("/quality") { request, context -> Response in
            guard Self.viewer(context) else { return Self.toLogin(request) }
            return Pages.html(try await QualityPage.render(deps: deps))
        }
        router.get("/meters") { request, context -> Response in
            guard Self.viewer(context) else { return Self.toLogin(request) }
            let q = request.uri.queryParameters
            return Pages.html(try await MeterListPage.render(deps: deps, source: q.get("source"), text: q.get("q"),
                                                             page: q.get("page").flatMap { Int($0) } ?? 1))
        }
        router.get("/meters/{id}") { request, context -> Response in
            guard Self.viewer(context) else { return Self.toLogin(request) }
            let id = try Self.meter(context)
            guard let page = try await MeterPage.render(deps: deps, meter: id, days: Self.days(request)) else {
                return Pages.html(Pages.shell(title: "Not found", body: "<main><h1>No meter \(Pages.esc(id.rawValue))</h1><p><a href=\"/\">Back to the fleet</a></p></main>"),
                                  status: .notFound)
            }
            return Pages.html(page)
        }
        router.get("/meters/{id}/chart") { request, context -> Response in
            try context.require(.viewer)
            return Self.svg(try await MeterPage.chart(deps: deps, meter: try Self.meter(context), days: Self.days(request)))
        }
        router.get("/meters/{id}/daily") { _, context -> Response in
            try context.require(.viewer)
            let id = try Self.meter(context)
            return Self.svg(try await MeterPage.daily(deps: deps, meter: id, latest: try await deps.store.latest(meters: [id])[id]))
        }
    }

    static func svg(_ svg: String) -> Response {
        Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: svg)))
    }

    /// To the sign-in page, which brings the person back here once signed in.
    static func toLogin(_ request: Request) -> Response {
        let here = request.uri.description
        let encoded = here.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~/")) ?? "/"
        return Response(status: .seeOther, headers: [.location: here == "/" ? "/login" : "/login?next=\(encoded)"])
    }

    static func viewer(_ context: AppContext) -> Bool {
        if case .user? = context.identity { return true }
        return false
    }

    static func meter(_ context: AppContext) throws -> MeterID {
        let text = try context.parameters.require("id")
        guard let id = MeterID(text) else { throw HTTPError(.badRequest, message: "not a meter id: \(text.prefix(60))") }
        return id
    }

    static func days(_ request: Request) -> Int {
        min(max(request.uri.queryParameters.get("days").flatMap { Int($0) } ?? 2, 1), 90)
    }
}
