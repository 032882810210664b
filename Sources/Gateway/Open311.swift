import Contracts
import Foundation
import Hummingbird
import HTTPTypes
import VecheAuth
import WorkCalendar

/// Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) mapped onto appeals:
/// a service is a problem category of the taxonomy (service_code = category code, group = sector topic),
/// a service request is an appeal on channel `open311` (service_request_id = registration number).
/// JSON and XML, form-encoded POST with api_key, tokens, errors as GeoReport error lists.
/// Open311 acts as the gateway itself (`public_portal`): it lists the taxonomy and the public, redacted feed,
/// and takes new requests on channel `open311` only with a valid `api_key`. The JSON API cannot be used to
/// bypass the key: posting `channel=open311` to /api/v1/appeals needs the caller's own grant for that channel.
struct Open311Routes: Sendable {
    let backends: Backends
    let settings: GatewaySettings
    let apiKeys: Set<String>

    var options: CallOptions { CallOptions(timeout: settings.callTimeout) }

    enum Format: String { case json, xml }

    struct Failure: Error {
        var status: HTTPResponse.Status
        var message: String
    }

    func register(on group: RouterGroup<GatewayContext>) {
        group.get(":resource") { request, context in
            try await respond(request, context, file: try context.parameters.require("resource")) { name, format in
                let clients = try backends.portal(context)
                switch name {
                case "services": return try await services(format, clients)
                case "requests": return try await requests(request, format, clients)
                case "discovery": return discovery(format)
                default: throw Failure(status: .notFound, message: "unknown resource \(name)")
                }
            }
        }
        group.get("services/:file") { request, context in
            try await respond(request, context, file: try context.parameters.require("file")) { code, format in
                try await definition(code, format, try backends.portal(context))
            }
        }
        group.get("requests/:file") { request, context in
            try await respond(request, context, file: try context.parameters.require("file")) { id, format in
                try await singleRequest(id, format, try backends.portal(context))
            }
        }
        group.get("tokens/:file") { request, context in
            try await respond(request, context, file: try context.parameters.require("file")) { token, format in
                try await tokenLookup(token, format, try backends.portal(context))
            }
        }
        group.post(":resource") { request, context in
            try await respond(request, context, file: try context.parameters.require("resource")) { name, format in
                guard name == "requests" else { throw Failure(status: .notFound, message: "unknown resource \(name)") }
                let body = try await request.body.collect(upTo: 1 << 20)
                return try await create(form: try Self.parseForm(String(buffer: body)), format, try backends.portal(context),
                                        options: request.callOptions(settings))
            }
        }
    }

    /// Splits "name.json" / "name.xml", runs `body`, and renders GeoReport errors.
    private func respond(_ request: Request, _ context: GatewayContext, file: String,
                                                  _ body: (String, Format) async throws -> Doc) async throws -> Response {
        var format = Format.json
        var name = file
        if let dot = file.lastIndex(of: ".") {
            name = String(file[..<dot])
            guard let f = Format(rawValue: String(file[file.index(after: dot)...]).lowercased()) else {
                return try render(.errors([(400, "format must be .json or .xml")]), .json, status: .badRequest, request, context)
            }
            format = f
        }
        do {
            return try render(try await body(name, format), format, status: .ok, request, context)
        } catch let f as Failure {
            return try render(.errors([(Int(f.status.code), f.message)]), format, status: f.status, request, context)
        } catch let e as RPCError {
            return try render(.errors([(e.code.httpStatus.code, e.message)]), format, status: e.code.httpStatus, request, context)
        } catch let e as AuthError {
            return try render(.errors([(e.statusCode, e.message)]), format, status: e.httpStatus, request, context)
        }
    }

    // MARK: resources

    func discovery(_ format: Format) -> Doc {
        .object("discovery", [("changeset", .text("2026-11-01T00:00:00Z")), ("contact", .text("ЦУР, \(settings.regionName)")),
                              ("endpoints", .list("endpoint", [.object("endpoint", [("specification", .text("http://wiki.open311.org/GeoReport_v2")),
                                                                                     ("formats", .list("format", [.text("application/json"), .text("text/xml")]))])]))])
    }

    func services(_ format: Format, _ clients: ServiceClients) async throws -> Doc {
        let topics = try await clients.agencies.listTopics(.init(), options: options).topics
        var list: [Doc] = []
        for t in topics {
            for c in t.categories {
                list.append(.object("service", [("service_code", .text(c.code)), ("service_name", .text(c.name)),
                                                ("description", .text("\(t.name): \(c.name)")), ("metadata", .bool(true)),
                                                ("type", .text("realtime")), ("keywords", .text(t.code)), ("group", .text(t.name))]))
            }
        }
        return .list("services", list)
    }

    static let attributes: [(code: String, datatype: String, required: Bool, description: String, values: [(String, String)])] = [
        ("urgency", "singlevaluelist", false, "Насколько срочно (угроза жизни и здоровью — звоните 112)", [("low", "Не срочно"), ("normal", "Обычно"), ("high", "Срочно")]),
        ("apartment", "string", false, "Квартира / помещение (не публикуется)", []),
        ("people_affected", "number", false, "Сколько человек затронуто", []),
    ]

    func definition(_ code: String, _ format: Format, _ clients: ServiceClients) async throws -> Doc {
        let topics = try await clients.agencies.listTopics(.init(), options: options).topics
        guard topics.contains(where: { $0.categories.contains { $0.code == code } }) else {
            throw Failure(status: .notFound, message: "service_code \(code) not found")
        }
        let attrs: [Doc] = Self.attributes.enumerated().map { i, a in
            .object("attribute", [("variable", .bool(true)), ("code", .text(a.code)), ("datatype", .text(a.datatype)), ("required", .bool(a.required)),
                                  ("datatype_description", .text("")), ("order", .number(Double(i + 1))), ("description", .text(a.description)),
                                  ("values", .list("value", a.values.map { .object("value", [("key", .text($0.0)), ("name", .text($0.1))]) }))])
        }
        return .object("service_definition", [("service_code", .text(code)), ("attributes", .list("attribute", attrs))])
    }

    func create(form: [(String, String)], _ format: Format, _ clients: ServiceClients, options submitOptions: CallOptions) async throws -> Doc {
        func value(_ k: String) -> String { form.last { $0.0 == k }?.1.trimmingCharacters(in: .whitespacesAndNewlines) ?? "" }
        guard apiKeys.contains(value("api_key")) else { throw Failure(status: .forbidden, message: "api_key is missing or not valid") }
        let code = value("service_code")
        guard !code.isEmpty else { throw Failure(status: .badRequest, message: "service_code is required") }
        let topics = try await clients.agencies.listTopics(.init(), options: options).topics
        guard topics.contains(where: { $0.categories.contains { $0.code == code } }) else {
            throw Failure(status: .badRequest, message: "service_code \(code) not found")
        }
        let description = value("description")
        guard !description.isEmpty else { throw Failure(status: .badRequest, message: "description is required") }
        var inc = AppealV1.IncomingAppeal()
        inc.channel = .open311
        let token = UUID().uuidString.lowercased()
        inc.externalId = token
        inc.text = description
        inc.topicHint = code
        inc.address = value("address_string")
        if !value("lat").isEmpty || !value("long").isEmpty {
            guard let lat = Double(value("lat")), let lon = Double(value("long")) else { throw Failure(status: .badRequest, message: "lat and long must be numbers") }
            inc.location = CommonV1.GeoPoint(latitude: lat, longitude: lon)
        }
        if inc.location == nil && inc.address.isEmpty { throw Failure(status: .badRequest, message: "a location is required: lat/long or address_string") }
        inc.author = CommonV1.Person(fullName: [value("first_name"), value("last_name")].filter { !$0.isEmpty }.joined(separator: " "),
                                     email: value("email"), phone: value("phone"))
        if !value("media_url").isEmpty { inc.attachmentUrls = [value("media_url")] }
        inc.metadata = form.compactMap { k, v -> CommonV1.KeyValue? in
            guard k.hasPrefix("attribute["), k.hasSuffix("]") else { return nil }
            return CommonV1.KeyValue(key: String(k.dropFirst(10).dropLast()), value: v)
        } + [CommonV1.KeyValue(key: "device_id", value: value("device_id")), CommonV1.KeyValue(key: "account_id", value: value("account_id"))].filter { !$0.value.isEmpty }
        let r = try await clients.appeals.submitAppeal(.init(appeal: inc), options: submitOptions)
        let number = r.appeal?.number ?? ""
        // citizen_token (extension): opens the request's status and rating for its author (/api/v1/citizen/appeal).
        return .list("service_requests", [.object("request", [("service_request_id", .text(number)), ("token", .text(token)),
                                                               ("service_notice", .text(r.appeal.map(serviceNotice) ?? "")),
                                                               ("account_id", .text(value("account_id"))),
                                                               ("citizen_token", .text(r.citizenToken))])])
    }

    func requests(_ request: Request, _ format: Format, _ clients: ServiceClients) async throws -> Doc {
        let ids = request.queryList("service_request_id")
        var appeals: [AppealV1.Appeal] = []
        if !ids.isEmpty {
            for id in ids.prefix(100) {
                // An unknown (or not public) id is left out of the list, as GeoReport does; a backend that does not answer
                // fails the request (503) instead of passing for "no such requests".
                do {
                    if let a = try await clients.appeals.getAppeal(.init(id: id), options: options).appeal { appeals.append(a) }
                } catch let e as RPCError where [.notFound, .invalidArgument, .permissionDenied].contains(e.code) {
                    continue
                }
            }
        } else {
            var q = AppealV1.ListAppealsRequest()
            let codes = request.queryList("service_code")
            if codes.count == 1 { q.categoryCode = codes[0] }
            let now = Date()
            let end = try request.queryInstantMs("end_date")
            let start = try request.queryInstantMs("start_date")
            q.receivedToMs = end > 0 ? end : 0
            q.receivedFromMs = start > 0 ? start : Int64((end > 0 ? Double(end) / 1000 : now.timeIntervalSince1970) * 1000) - 90 * 86_400_000
            if q.receivedToMs > 0, q.receivedToMs - q.receivedFromMs > 90 * 86_400_000 {
                throw Failure(status: .badRequest, message: "start_date and end_date may not span more than 90 days")
            }
            let statuses = request.queryList("status")
            for s in statuses where s != "open" && s != "closed" { throw Failure(status: .badRequest, message: "status must be open or closed") }
            if statuses == ["open"] { q.statuses = AppealV1.Status.allCases.filter { !Self.closedStatuses.contains($0) && $0 != .unspecified } }
            if statuses == ["closed"] { q.statuses = Array(Self.closedStatuses) }
            q.page = CommonV1.PageRequest(pageSize: 500)
            appeals = try await clients.appeals.listAppeals(q, options: options).appeals.filter { codes.isEmpty || codes.contains($0.categoryCode) }
        }
        return .list("service_requests", try await appeals.asyncMap { try await requestDoc($0) })
    }

    func singleRequest(_ id: String, _ format: Format, _ clients: ServiceClients) async throws -> Doc {
        guard let a = try await clients.appeals.getAppeal(.init(id: id), options: options).appeal else {
            throw Failure(status: .notFound, message: "service request \(id) not found")
        }
        return .list("service_requests", [try await requestDoc(a)])
    }

    func tokenLookup(_ token: String, _ format: Format, _ clients: ServiceClients) async throws -> Doc {
        let found = try await clients.appeals.listAppeals(.init(channels: [.open311], externalId: token), options: options).appeals.first
        guard let a = found else { throw Failure(status: .notFound, message: "token \(token) not found") }
        return .list("service_requests", [.object("request", [("service_request_id", .text(a.number)), ("token", .text(token))])])
    }

    static let closedStatuses: Set<AppealV1.Status> = [.answered, .closed]

    func requestDoc(_ a: AppealV1.Appeal) async throws -> Doc {
        let closed = Self.closedStatuses.contains(a.status)
        var fields: [(String, Doc)] = [
            ("service_request_id", .text(a.number)),
            ("status", .text(closed ? "closed" : "open")),
            ("status_notes", .text(closed ? a.answerText : "Статус: \(a.status.name)")),
            ("service_name", .text(a.categoryCode)),
            ("service_code", .text(a.categoryCode)),
            ("description", .text(a.redactedText.isEmpty ? "" : a.redactedText)),
            ("agency_responsible", .text(a.agencyId)),
            ("service_notice", .text("")),
            ("requested_datetime", .text(w3(a.receivedAtMs))),
            ("updated_datetime", .text(w3(a.updatedAtMs))),
            ("expected_datetime", .text(w3(a.deadlines?.answerDueMs ?? 0))),
            ("address", .text(a.address)),
            ("address_id", .text("")),
            ("zipcode", .text("")),
        ]
        if let loc = a.location {
            fields.append(("lat", .number(loc.latitude)))
            fields.append(("long", .number(loc.longitude)))
        }
        fields.append(("media_url", .text(a.attachmentUrls.first ?? "")))
        return .object("request", fields)
    }

    /// What the citizen is told on filing: the appeal's own answer term once it is registered (terms differ per channel
    /// and can be changed), else that the term starts at registration.
    func serviceNotice(_ a: AppealV1.Appeal) -> String {
        guard a.status != .received, let due = a.deadlines?.answerDueMs, due > 0 else {
            return "Обращение получено; срок ответа отсчитывается с его регистрации (59-ФЗ)"
        }
        let last = LocalClock.lastDay(ofTermEndingAt: Date(timeIntervalSince1970: Double(due) / 1000), in: settings.timeZone)
        return "Обращение зарегистрировано, ответ будет дан до \(last.russian) (59-ФЗ)"
    }

    /// W3C date-time in the region's time zone.
    func w3(_ ms: Int64) -> String {
        guard ms > 0 else { return "" }
        let f = ISO8601DateFormatter()
        f.timeZone = settings.timeZone
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// application/x-www-form-urlencoded; a field that is not UTF-8 or holds a NUL character is refused (400).
    static func parseForm(_ body: String) throws -> [(String, String)] {
        try body.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) throws -> String {
                guard let v = s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw Failure(status: .badRequest, message: "form field is not valid percent-encoded UTF-8")
                }
                if v.utf8.contains(0) { throw Failure(status: .badRequest, message: "form field contains a NUL character (U+0000)") }
                return v
            }
            guard let k = parts.first else { return nil }
            return (try decode(k), parts.count > 1 ? try decode(parts[1]) : "")
        }
    }

    private func render(_ doc: Doc, _ format: Format, status: HTTPResponse.Status, _ request: Request, _ context: GatewayContext) throws -> Response {
        var headers = HTTPFields()
        let body: String
        switch format {
        case .json:
            headers[.contentType] = "application/json; charset=utf-8"
            body = doc.json()
        case .xml:
            headers[.contentType] = "text/xml; charset=utf-8"
            body = #"<?xml version="1.0" encoding="utf-8"?>"# + doc.xml()
        }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

/// A tiny document model rendering the same data as GeoReport JSON or XML.
indirect enum Doc: Sendable {
    case text(String)
    case number(Double)
    case bool(Bool)
    case object(String, [(String, Doc)])
    case list(String, [Doc])

    static func errors(_ list: [(Int, String)]) -> Doc {
        .list("errors", list.map { .object("error", [("code", .number(Double($0.0))), ("description", .text($0.1))]) })
    }

    func json() -> String {
        switch self {
        case .text(let s): return Doc.jsonString(s)
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
        case .bool(let b): return b ? "true" : "false"
        case .object(_, let fields): return "{" + fields.map { Doc.jsonString($0.0) + ":" + $0.1.json() }.joined(separator: ",") + "}"
        case .list(_, let items): return "[" + items.map { $0.json() }.joined(separator: ",") + "]"
        }
    }

    func xml(name: String? = nil) -> String {
        switch self {
        case .text(let s): return wrap(name, Doc.xmlEscape(s))
        case .number, .bool: return wrap(name, json())
        case .object(let tag, let fields): return wrap(name ?? tag, fields.map { $0.1.xml(name: $0.0) }.joined())
        case .list(let tag, let items): return wrap(name ?? tag, items.map { $0.xml() }.joined())
        }
    }

    private func wrap(_ name: String?, _ inner: String) -> String {
        guard let name else { return inner }
        return "<\(name)>\(inner)</\(name)>"
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
            }
        }
        return out + "\""
    }

    static func xmlEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: if c.value >= 0x20 || c == "\n" || c == "\t" { out.unicodeScalars.append(c) }
            }
        }
        return out
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
