import Contracts
import Foundation
import GatewayRequests

/// The fuzz cases of the Veche contracts and the gateway's request bodies.
///
/// * `proto/<message>` — protobuf wire bytes through protobuf-c and the generated Swift bridge
///   (`init(serializedBytes:)`), for every message of `ContractRegistry`. A decoded message must encode,
///   decode again to the same value, and survive a JSON round trip.
/// * `json/<message>` — JSON through the generated `Codable` conformance, as the gateway decodes request
///   bodies (`JSONDecoder()`, Hummingbird's default). A decoded message must reach the wire and come back
///   unchanged: what the gateway accepts is what the services receive.
/// * `json/gateway.<body>` — the gateway's own request bodies (`GatewayRequests`) with the gateway's text check
///   (`checkTexts`): what passes carries no U+0000 anywhere, and decode → encode → decode is stable.
/// * `url/gateway.url` — a request URL through the gateway's input hygiene (`RequestText.problem(inURL:)`).
///
/// Every decoded message's JSON is also written from its wire form (`json(serializedBytes:)`, the gateway's
/// pass-through of replies) and must be the same bytes.
///
/// Protobuf decoding includes the service side's text check (`WireText`: no NUL, only UTF-8), so the round
/// trips also prove that what a service accepts is stored as sent.
public enum ContractFuzzCases {
    public static var proto: FuzzFamily { FuzzFamily(name: "proto", cases: ContractRegistry.messages.map { protoCase($0) }) }

    public static var json: FuzzFamily {
        FuzzFamily(name: "json", cases: ContractRegistry.messages.map { jsonCase($0) }
                   + GatewayRequests.all.map { bodyCase($0) })
    }

    public static var url: FuzzFamily { FuzzFamily(name: "url", cases: [URLCase.gatewayURL]) }

    public static var families: [FuzzFamily] { [proto, json, url] }

    static func protoCase<M: ProtoMessage>(_: M.Type) -> FuzzCase {
        FuzzCase(name: "proto/" + M.protoName) { bytes in
            guard let m = try? M(serializedBytes: bytes) else { return }
            try roundTrips(m)
        }
    }

    static func jsonCase<M: ProtoMessage>(_: M.Type) -> FuzzCase {
        FuzzCase(name: "json/" + M.protoName) { bytes in
            guard let m = try? JSONDecoder().decode(M.self, from: Data(bytes)) else { return }
            try roundTrips(m)
        }
    }

    static func bodyCase<B: GatewayRequestBody>(_: B.Type) -> FuzzCase {
        FuzzCase(name: "json/gateway.\(B.self)") { bytes in
            guard let b = try? JSONDecoder().decode(B.self, from: Data(bytes)), (try? b.checkTexts()) != nil else { return }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let once = try encoder.encode(b)
            // `texts` must list every string: a NUL in one it forgets would pass the gateway's check.
            guard !String(decoding: once, as: UTF8.self).contains("\\u0000") else { throw FuzzViolation("an accepted body carries U+0000") }
            let back: B
            do { back = try JSONDecoder().decode(B.self, from: once) } catch { throw FuzzViolation("re-encoded body does not decode: \(error)") }
            guard try encoder.encode(back) == once else { throw FuzzViolation("body changes on a JSON round trip") }
        }
    }

    /// A message that decoded must encode to wire bytes that decode to the same value (NaN aside, which
    /// is unequal to itself), and its JSON form must decode to the same wire bytes.
    static func roundTrips<M: ProtoMessage>(_ m: M) throws {
        let wire = m.serializedBytes()
        let again: M
        do { again = try M(serializedBytes: wire) } catch { throw FuzzViolation("own encoding does not decode (\(wire.count) bytes)") }
        // NaN is unequal to itself, so a message holding one cannot be compared by value. `m == m` does not tell: Array's
        // `==` returns true for an array compared with itself without looking at its elements. Two decodings of the
        // same bytes hold separate arrays, so they are equal exactly when no NaN is anywhere (the bytes are checked below).
        let twice = try M(serializedBytes: wire)
        if twice == again, again != m { throw FuzzViolation("value changes on a protobuf round trip") }
        guard again.serializedBytes() == wire else { throw FuzzViolation("encoding is not stable") }
        guard let json = try? JSONEncoder().encode(m) else { return } // NaN and infinities have no JSON form
        // The gateway's direct JSON writer gives the bytes of its JSONEncoder format.
        guard let direct = try? ProtoJSONWriter.encode(m), let reference = try? ProtoJSONWriter.matchingEncoder.encode(m),
              direct == Array(reference) else {
            throw FuzzViolation("direct JSON (ProtoJSONWriter) differs from JSONEncoder's")
        }
        // The JSON written from the wire form (the gateway's pass-through of replies) is the same again.
        guard let fromWire = try? M.json(serializedBytes: wire), fromWire == direct else {
            throw FuzzViolation("JSON written from the wire form differs from the decoded value's")
        }
        let back: M
        do { back = try JSONDecoder().decode(M.self, from: json) } catch { throw FuzzViolation("own JSON does not decode: \(error)") }
        guard back.serializedBytes() == wire else { throw FuzzViolation("value changes on a JSON round trip") }
    }
}
