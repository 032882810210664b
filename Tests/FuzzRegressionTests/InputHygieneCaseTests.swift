import Contracts
import Foundation
import FuzzSupport
import GatewayRequests
import Testing

/// The gateway's input hygiene as the fuzz targets exercise it: the text check of every body lists every string
/// of the body, URLs with an encoded NUL or non-UTF-8 bytes are refused and nothing else is, and a refusal is a
/// clean rejection for the fuzz properties (not a violation).
@Suite struct InputHygieneCaseTests {
    static let corpus = FuzzCorpusTests.corpus

    /// For every gateway body, a NUL put into any one string of its documented seed is refused: `texts` forgets
    /// no field (the `json/gateway.*` property checks the same on fuzzed inputs).
    @Test func everyStringOfEveryBodyIsChecked() throws {
        var checked = 0
        for type in GatewayRequests.all {
            let seed = Self.corpus.appendingPathComponent("json/gateway.\(type)/seed.json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: seed)) as? [String: Any])
            for (key, value) in object where value is String {
                var poisoned = object
                poisoned[key] = "до\u{0}после"
                let body = try JSONSerialization.data(withJSONObject: poisoned)
                // Enum fields (`action`, `status`) are not free text: a NUL there does not decode at all.
                guard let decoded = try? JSONDecoder().decode(type, from: body) else { continue }
                #expect(throws: RPCError.self, "\(type).\(key)") { try decoded.checkTexts() }
                checked += 1
            }
            // The seed itself passes.
            try JSONDecoder().decode(type, from: Data(contentsOf: seed)).checkTexts()
        }
        #expect(checked >= 10)
    }

    @Test func urlsWithAnEncodedNULOrBrokenUTF8AreRefused() {
        #expect(RequestText.problem(inURL: "/api/v1/appeals?q=%00drop") == "contains a NUL character (U+0000)")
        #expect(RequestText.problem(inURL: "/api/v1/appeals/%FF%FE") == "is not valid UTF-8")
        #expect(RequestText.problem(inURL: "/api/v1/appeals?q=%Z%00") != nil)
        // Text that is fine stays fine: Cyrillic, a literal % without two hex digits, a sign after %.
        #expect(RequestText.problem(inURL: "/api/v1/appeals?q=%D1%8F%D0%BC%D0%B0") == nil)
        #expect(RequestText.problem(inURL: "/api/v1/appeals?q=100%&r=%+0&s=%-0") == nil)
    }

    @Test func refusalsAreCleanRejectionsForTheFuzzProperties() throws {
        let url = ContractFuzzCases.url
        let input = try #require(url.input(case: "url/gateway.url", payload: Array("/a?q=%00".utf8)))
        #expect(throws: Never.self) { try url.run(input) }
        let json = ContractFuzzCases.json
        let body = try #require(json.input(case: "json/gateway.RatingBody", payload: Array(#"{"satisfaction":5,"comment":"a\u0000b"}"#.utf8)))
        #expect(throws: Never.self) { try json.run(body) }
    }
}
