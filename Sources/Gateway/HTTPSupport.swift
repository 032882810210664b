import Contracts
import Foundation
import GatewayRequests
import Hummingbird
import HTTPTypes
import VecheAuth

/// JSON response for any Encodable value (generated contract types are Codable).
struct JSONResponse<Value: Encodable & Sendable>: ResponseGenerator {
    var value: Value
    var status: HTTPResponse.Status = .ok

    init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try EncodedJSON(value, status: status).response(from: request, context: context)
    }
}

/// A JSON body encoded once (the gateway's one JSON format: sorted keys, unescaped slashes), to be served as
/// often as needed — a shared dashboard snapshot is encoded once per refresh, not once per viewer.
struct EncodedJSON: ResponseGenerator, Sendable {
    let bytes: ByteBuffer
    var status: HTTPResponse.Status = .ok

    /// Contract messages write themselves (`ProtoJSONWritable`: the same bytes, several times faster); other
    /// values go through `JSONEncoder`.
    init(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws {
        if let message = value as? any ProtoJSONWritable {
            bytes = ByteBuffer(bytes: try ProtoJSONWriter.encode(message))
        } else {
            bytes = ByteBuffer(bytes: try ProtoJSONWriter.matchingEncoder.encode(value))
        }
        self.status = status
    }

    /// JSON already written (a reply passed through as JSON: `RPCTransport.unaryJSON`).
    init(json: [UInt8], status: HTTPResponse.Status = .ok) {
        bytes = ByteBuffer(bytes: json)
        self.status = status
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: bytes))
    }
}

struct HTMLResponse: ResponseGenerator {
    var html: String
    var status: HTTPResponse.Status = .ok
    /// A live page: its own origin's scripts may run and read from it (the dashboard's `dash.js` and events).
    var live = false

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = SecurityHeadersMiddleware<BasicRequestContext>.htmlPolicy(html, live: live)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

struct ErrorBody: Codable, Sendable {
    struct Detail: Codable, Sendable {
        var code: Int
        var status: String
        var message: String
    }
    var error: Detail
}

extension RPCStatusCode {
    var httpStatus: HTTPResponse.Status {
        switch self {
        case .invalidArgument: return .badRequest
        case .unauthenticated: return .unauthorized
        case .permissionDenied: return .forbidden
        case .notFound: return .notFound
        case .alreadyExists: return .conflict
        case .failedPrecondition: return .conflict
        case .unprocessable: return .unprocessableContent
        case .resourceExhausted: return .tooManyRequests
        case .unimplemented: return .notImplemented
        case RPCStatusCode(rawValue: 415): return .unsupportedMediaType
        case .unavailable: return .serviceUnavailable
        case .deadlineExceeded: return .gatewayTimeout
        default: return .internalServerError
        }
    }
}

extension AuthError {
    /// 401, 403 or 503 (the identity provider cannot be reached).
    var httpStatus: HTTPResponse.Status { HTTPResponse.Status(code: statusCode) }
}

/// Turns backend `RPCError`s, refused identities, bad JSON and Hummingbird's own `HTTPError`s into JSON error bodies with the matching HTTP status.
struct RPCErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as RPCError {
            return try Self.errorResponse(status: e.code.httpStatus, code: e.code.rawValue, message: e.message, request: request, context: context)
        } catch let e as AuthError {
            var response = try Self.errorResponse(status: e.httpStatus, code: e.statusCode, message: e.message, request: request, context: context)
            if e.statusCode == 401 { response.headers[.wwwAuthenticate] = "Bearer realm=\"veche\"" }
            return response
        } catch let e as DecodingError {
            return try Self.errorResponse(status: .badRequest, code: 400, message: "invalid JSON body: \(Self.describe(e))", request: request, context: context)
        } catch let e as HTTPError {
            // Hummingbird's own refusals (a body that is not JSON, a number out of range, no such route) in the same body.
            return try Self.errorResponse(status: e.status, code: e.status.code, message: e.body ?? e.status.reasonPhrase,
                                          request: request, context: context)
        }
    }

    static func errorResponse(status: HTTPResponse.Status, code: Int, message: String, request: Request, context: Context) throws -> Response {
        try JSONResponse(ErrorBody(error: .init(code: code, status: status.reasonPhrase, message: message)), status: status)
            .response(from: request, context: context)
    }

    static func describe(_ e: DecodingError) -> String {
        switch e {
        case .dataCorrupted(let c): return c.debugDescription + path(c.codingPath)
        case .keyNotFound(let k, let c): return "missing key \(k.stringValue)" + path(c.codingPath)
        case .typeMismatch(_, let c), .valueNotFound(_, let c): return c.debugDescription + path(c.codingPath)
        @unknown default: return "\(e)"
        }
    }

    static func path(_ p: [any CodingKey]) -> String { p.isEmpty ? "" : " at " + p.map(\.stringValue).joined(separator: ".") }
}

extension Request {
    /// Decodes a JSON body of one of the gateway's own routes (`GatewayRequests`), refusing a NUL character in
    /// its text (400). Contract messages are decoded with `decode(as:context:)`: their generated `Codable`
    /// refuses U+0000 in every string field, naming it.
    func decodeBody<T: GatewayRequestBody>(as type: T.Type, context: some RequestContext) async throws -> T {
        let value = try await decode(as: T.self, context: context)
        try value.checkTexts()
        return value
    }

    /// Query parameter helpers that reject malformed values with 400 instead of ignoring them.
    func queryInt(_ name: String) throws -> Int64? {
        guard let raw = uri.queryParameters.get(name), !raw.isEmpty else { return nil }
        guard let v = Int64(raw) else { throw RPCError.invalidArgument("query parameter \(name) must be an integer") }
        return v
    }

    func queryString(_ name: String) -> String { uri.queryParameters.get(name) ?? "" }

    func queryList(_ name: String) -> [String] {
        uri.queryParameters.getAll(name).flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty }
    }

    func queryEnums<E: ProtoEnum>(_ name: String, as: E.Type) throws -> [E] {
        try queryList(name).map { raw in
            guard let v = E(name: raw) else {
                throw RPCError.invalidArgument("unknown \(name) '\(raw)'; expected one of: \(E.allCases.dropFirst().map(\.name).joined(separator: ", "))")
            }
            return v
        }
    }

    /// ISO 8601 date or date-time, or epoch milliseconds.
    func queryInstantMs(_ name: String) throws -> Int64 {
        let raw = queryString(name)
        if raw.isEmpty { return 0 }
        if let ms = Int64(raw) { return ms }
        let f = ISO8601DateFormatter()
        if let d = f.date(from: raw) { return Int64(d.timeIntervalSince1970 * 1000) }
        f.formatOptions = [.withFullDate]
        if let d = f.date(from: raw) { return Int64(d.timeIntervalSince1970 * 1000) }
        throw RPCError.invalidArgument("query parameter \(name) must be an ISO 8601 date/time or epoch milliseconds")
    }
}
