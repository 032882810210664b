import Contracts
import Foundation
import Testing

/// What the fuzzer found, fixed (the inputs are also in fuzz/corpus as `regression-*`).
@Suite struct FuzzFindingsTests {
    /// `json` family, GetStatsResponse with "\u0000" in a key: protobuf-c strings end at NUL, so the value the
    /// gateway accepted reached the service cut short. JSON with U+0000 in any contract string is now refused.
    @Test func jsonStringWithNULIsRefusedNamingTheField() throws {
        let text = #"{"channel":"pos","externalId":"1","text":"до\u0000после"}"#
        let error = #expect(throws: DecodingError.self) { try JSONDecoder().decode(AppealV1.IncomingAppeal.self, from: Data(text.utf8)) }
        #expect("\(String(describing: error))".contains("text contains a NUL character (U+0000)"))
        let list = #"{"attachmentUrls":["https://a","b\u0000c"]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(AppealV1.IncomingAppeal.self, from: Data(list.utf8)) }
        // Everything else still decodes.
        let ok = try JSONDecoder().decode(AppealV1.IncomingAppeal.self, from: Data(#"{"text":"до\u0001после"}"#.utf8))
        #expect(ok.text == "до\u{1}после")
    }

    /// A NUL that reaches encoding another way (a Swift value built in code) no longer cuts the text; the services
    /// would refuse one on the wire (`WireText`), so nothing stored is ever cut short.
    @Test func nulInASwiftValueTravelsAsReplacementCharacter() throws {
        var m = AppealV1.IncomingAppeal()
        m.text = "до\u{0}после"
        m.attachmentUrls = ["a\u{0}b"]
        let back = try AppealV1.IncomingAppeal(serializedBytes: m.serializedBytes())
        #expect(back.text == "до\u{FFFD}после")
        #expect(back.attachmentUrls == ["a\u{FFFD}b"])
    }
}
