import Foundation
import Hummingbird

/// Reads the credentials of a request into `context.identity`: `Authorization: Bearer <token or
/// device key>`, or (for GET requests from the dashboard) the `nc_token` cookie. A credential that
/// is present but proves nothing is refused here with 401; routes decide what each identity may do.
struct AuthMiddleware: RouterMiddleware {
    let accounts: Accounts

    func handle(_ request: Request, context: AppContext, next: (Request, AppContext) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer"], message: "Authorization must be 'Bearer <token or device key>'")
            }
            guard let identity = await accounts.identity(bearer: Self.trimmed(header.dropFirst(7))) else {
                throw HTTPError(.unauthorized, headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""],
                                message: "the bearer credential is wrong, expired or tampered with")
            }
            context.identity = identity
        } else if request.method == .get, let token = request.cookies["nc_token"]?.value, !token.isEmpty {
            // An expired cookie is treated as none, so pages can send the person to sign in.
            context.identity = await accounts.identity(bearer: token)
        }
        return try await next(request, context)
    }

    /// A credential without the spaces or tabs around it (Foundation's trimming costs more than the
    /// rest of a request's authentication).
    static func trimmed(_ s: Substring) -> String {
        func blank(_ c: Character) -> Bool { c == " " || c == "\t" }
        var t = s.drop(while: blank)
        while let last = t.last, blank(last) { t = t.dropLast() }
        return String(t)
    }
}
