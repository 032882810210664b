import Contracts
import Foundation
import Testing

/// The contracts' direct JSON writer (`ProtoJSONWritable`, used by the gateway for every contract message) gives
/// the bytes of `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` — on the texts and numbers where
/// hand-written JSON usually goes wrong. (Every message type, populated, is compared by the fuzz corpus replay.)
@Suite("Direct JSON of contract messages")
struct ProtoJSONTests {
    static func reference(_ m: some ProtoMessage) throws -> [UInt8] {
        Array(try ProtoJSONWriter.matchingEncoder.encode(m))
    }

    /// The JSON the gateway writes from a reply's wire form, without decoding it (`json(serializedBytes:)`).
    static func fromWire<M: ProtoMessage>(_ m: M) throws -> [UInt8] {
        try M.json(serializedBytes: m.serializedBytes())
    }

    @Test("escapes and unescaped characters: control characters, quotes, backslash, slash, Cyrillic, emoji, U+2028")
    func textsAreWrittenAsJSONEncoderWritesThem() throws {
        let controls = String(decoding: (0..<0x20).map { UInt8($0) }, as: UTF8.self)
        let texts = ["", controls, "\"кавычки\" и \\слэш\\ / http://a/b", "Дом 5, кв. 12 — «ёлка» 🏠 \u{2028}\u{2029}\u{7F}",
                     "tab\tnew\nline\r\u{8}\u{C}", String(repeating: "я", count: 3_000)]
        for text in texts {
            var a = AppealV1.Appeal()
            a.text = text
            a.title = String(text.reversed())
            a.attachmentUrls = [text, "x"]
            a.author = CommonV1.Person(fullName: text, email: "a@b.ru")
            #expect(try ProtoJSONWriter.encode(a) == Self.reference(a), "«\(text.prefix(40))»")
            if !text.utf8.contains(0) {  // a contract string on the wire carries no NUL
                #expect(try Self.fromWire(a) == Self.reference(a), "«\(text.prefix(40))»")
            }
        }
    }

    @Test("every character JSON escapes, at every position of the eight-byte blocks the writer scans, among ASCII and Cyrillic")
    func escapesAreFoundWhereverTheyFall() throws {
        let specials = ["\"", "\\", "\n", "\u{0}", "\u{1F}", "\u{7F}", "/"]
        for filler in ["a", "я"] {
            for special in specials {
                for position in 0..<20 {
                    let text = String(repeating: filler, count: position) + special + String(repeating: filler, count: 19 - position)
                    var a = AppealV1.Appeal()
                    a.title = text
                    #expect(try ProtoJSONWriter.encode(a) == Self.reference(a), "\(filler) \(special.unicodeScalars.first!.value) at \(position)")
                    if !special.utf8.contains(0) {  // a contract string on the wire carries no NUL
                        #expect(try Self.fromWire(a) == Self.reference(a), "\(filler) \(special.unicodeScalars.first!.value) at \(position)")
                    }
                }
            }
        }
    }

    @Test("written from the wire form, text a service could not store is refused as decoding refuses it")
    func theWireFormsTextIsCheckedBeforeItIsWritten() throws {
        // Field 8 (text) of an Appeal: a NUL, then bytes that are not UTF-8.
        for value: [UInt8] in [[0x61, 0x00, 0x62], [0xD0, 0x28], [0xFF]] {
            let wire: [UInt8] = [0x42, UInt8(value.count)] + value
            #expect(throws: ProtoTextError.self) { try AppealV1.Appeal(serializedBytes: wire) }
            #expect(throws: ProtoTextError.self) { try AppealV1.Appeal.json(serializedBytes: wire) }
        }
        #expect(throws: ProtoDecodingError.self) { try AppealV1.Appeal.json(serializedBytes: [0x42, 0x05, 0x61]) }
    }

    @Test("numbers: integral and fractional doubles, tiny and huge ones, negative zero, 64-bit integers, enums and booleans")
    func numbersAreWrittenAsJSONEncoderWritesThem() throws {
        let doubles: [Double] = [0, 1, -1, 0.1, 0.8, 1.0 / 3, 1e-7, 1e21, 1e22, 123_456_789.125, -0.0, Double.leastNonzeroMagnitude,
                                 1.7976931348623157e308, 100, 2.5e-5]
        for d in doubles {
            var a = AppealV1.Appeal()
            a.classificationConfidence = d
            a.receivedAtMs = Int64.min
            a.version = Int64.max
            a.status = .inProgress
            a.isPublic = true
            #expect(try ProtoJSONWriter.encode(a) == Self.reference(a), "\(d)")
            // The wire form has no -0.0 (proto3 leaves a zero out), so compare with the JSON of what it decodes to.
            #expect(try Self.fromWire(a) == ProtoJSONWriter.encode(AppealV1.Appeal(serializedBytes: a.serializedBytes())), "\(d)")
        }
        var a = AppealV1.Appeal()
        a.classificationConfidence = .nan
        #expect(throws: ProtoJSONNonConformingFloat.self) { try ProtoJSONWriter.encode(a) }
        #expect(throws: ProtoJSONNonConformingFloat.self) { try Self.fromWire(a) }
    }

    @Test("nested and repeated messages, absent optional messages, empty lists")
    func nestedMessagesAreWrittenAsJSONEncoderWritesThem() throws {
        var a = AppealV1.Appeal()
        a.id = "a1"
        a.location = CommonV1.GeoPoint(latitude: 51.73, longitude: 36.19)
        var e = AppealV1.AppealEvent()
        e.appeal = a
        e.type = .received
        var list = AppealV1.ListAppealsResponse()
        list.appeals = [a, AppealV1.Appeal(), a]
        #expect(try ProtoJSONWriter.encode(list) == Self.reference(list))
        #expect(try ProtoJSONWriter.encode(e) == Self.reference(e))
        #expect(try ProtoJSONWriter.encode(AppealV1.ListAppealsResponse()) == Self.reference(AppealV1.ListAppealsResponse()))
        #expect(try Self.fromWire(list) == Self.reference(list))
        #expect(try Self.fromWire(e) == Self.reference(e))
        #expect(try Self.fromWire(AppealV1.ListAppealsResponse()) == Self.reference(AppealV1.ListAppealsResponse()))
    }
}
