import Crypto
import Foundation

/// The token a citizen receives when an appeal is filed: it opens that appeal's status and lets the citizen
/// rate each answer once. Only its SHA-256 hash is stored, so a database leak does not leak the tokens.
public enum CitizenToken {
    /// Header that carries the token on HTTP and NATS requests.
    public static let header = IdentityHeaders.citizenToken

    /// 32 random bytes, base64url (43 characters).
    public static func generate() -> String { SecureRandom.token() }

    /// Lower-case hex SHA-256 of the token text.
    public static func hash(_ token: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in SHA256.hash(data: Data(token.utf8)) {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A token as `generate` makes them (anything else is refused before any look-up).
    public static func isWellFormed(_ token: String) -> Bool {
        token.utf8.count == 43 && token.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }
}

/// Unguessable tokens from the system's CSPRNG (citizen tokens, CSRF tokens, PKCE verifiers, OAuth state).
public enum SecureRandom {
    /// `bytes` random bytes, base64url without padding.
    public static func token(bytes: Int = 32) -> String {
        // Eight bytes per draw from the system generator (one draw per byte was a system call per byte).
        var rng = SystemRandomNumberGenerator()
        var data = Data(capacity: bytes + 7)
        while data.count < bytes { withUnsafeBytes(of: rng.next() as UInt64) { data.append(contentsOf: $0) } }
        return Base64URL.encode(data.prefix(bytes))
    }

    /// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
    public static func pkceChallenge(_ verifier: String) -> String {
        Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
    }
}
