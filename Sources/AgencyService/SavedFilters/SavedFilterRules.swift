import Contracts
import Foundation
import VecheAuth

/// What a saved filter may hold (one place for the rules the handlers and the gateway's messages rely on).
enum SavedFilterRules {
    static let maxName = 80
    static let maxQuery = 2000
    /// Characters a URL query may carry as it is (percent escapes for everything else).
    static let queryCharacters = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%!$'()*+,;=:@/?&")

    /// The trimmed name, or a refusal in words.
    static func name(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw RPCError.invalidArgument("the filter needs a name") }
        guard name.count <= maxName else { throw RPCError.invalidArgument("the filter name is longer than \(maxName) characters") }
        guard !name.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw RPCError.invalidArgument("the filter name contains control characters")
        }
        return name
    }

    /// The query of `/ws` without `?` (a leading `/ws?` or `?` is dropped): URL-encoded `key=value` pairs.
    static func query(_ raw: String) throws -> String {
        var q = raw.trimmingCharacters(in: .whitespaces)
        for prefix in ["/ws?", "?"] where q.hasPrefix(prefix) { q.removeFirst(prefix.count) }
        guard q.utf8.count <= maxQuery else { throw RPCError.invalidArgument("the filter query is longer than \(maxQuery) bytes") }
        guard q.unicodeScalars.allSatisfy({ queryCharacters.contains($0) }), q.removingPercentEncoding != nil else {
            throw RPCError.invalidArgument("the filter query must be a URL-encoded query string (key=value&…), got \(q.prefix(80).debugDescription)")
        }
        return q
    }

    /// The sector blocks a principal belongs to (its sector roles' topics).
    static func blocks(_ p: Principal) -> Set<String> { Set(p.grants.flatMap(\.topicCodes)) }

    /// A block the caller may share with: their own, or any for the head of the ЦУР.
    static func shareTopic(_ raw: String, caller: Principal) throws -> String {
        let topic = raw.trimmingCharacters(in: .whitespaces)
        guard !topic.isEmpty else { return "" }
        try AgencyHandlers.validateTopic(topic, field: "shared_topic_code")
        guard blocks(caller).contains(topic) || caller.has(.centerHead) else {
            throw RPCError.permissionDenied("a filter can be shared only with your own sector block; '\(topic)' is not yours")
        }
        return topic
    }
}
