import GatewayRequests

/// The gateway's URL hygiene (`RequestText.problem(inURL:)`, run on the path and the query before routing)
/// against a model of how Hummingbird decodes what the routes read: every component between `/`, `?`, `&`
/// and `=` is percent-decoded on its own, and a component with a malformed escape is kept as it is. A URL the
/// check accepts must not decode to a NUL character or to bytes that are not UTF-8 in any component.
enum URLCase {
    static let gatewayURL = FuzzCase(name: "url/gateway.url") { bytes in
        let url = String(decoding: bytes, as: UTF8.self)
        guard RequestText.problem(inURL: url) == nil else { return }
        for component in url.utf8.split(whereSeparator: { "/?&=".utf8.contains($0) }) {
            guard let decoded = percentDecoded(component) else { continue }
            if decoded.contains(0) { throw FuzzViolation("accepted, but \(String(decoding: component, as: UTF8.self)) decodes to a NUL") }
            if String(validating: decoded, as: UTF8.self) == nil {
                throw FuzzViolation("accepted, but \(String(decoding: component, as: UTF8.self)) decodes to bytes that are not UTF-8")
            }
        }
    }

    /// Strict percent-decoding (nil when a `%` is not followed by two hex digits), as Hummingbird's.
    static func percentDecoded(_ s: Substring.UTF8View) -> [UInt8]? {
        var out: [UInt8] = []
        var it = s.makeIterator()
        while let c = it.next() {
            guard c == UInt8(ascii: "%") else { out.append(c); continue }
            guard let h = it.next().flatMap(hexValue), let l = it.next().flatMap(hexValue) else { return nil }
            out.append(h << 4 | l)
        }
        return out
    }

    static func hexValue(_ c: UInt8) -> UInt8? { c < 0x80 ? Character(Unicode.Scalar(c)).hexDigitValue.map(UInt8.init) : nil }
}
