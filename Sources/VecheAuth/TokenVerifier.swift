import Foundation
import JWTKit
import Logging

/// What a verified access token says about its holder (before the directory adds roles).
public struct VerifiedToken: Sendable, Hashable {
    public var kind: Principal.Kind
    /// Username (people) or client id (machines).
    public var name: String
    public var clientID: String
    public var subject: String
    public var expiresAt: Date
    public var raw: String
}

/// The claims of an access token: the registered ones through jwt-kit's claim types, plus every string
/// claim by name (which claim names a user or a client is configuration).
struct AccessTokenClaims: JWTPayload {
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    var exp: ExpirationClaim?
    var nbf: NotBeforeClaim?
    var sub: SubjectClaim?
    var strings: [String: String] = [:]

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        iss = try c.decodeIfPresent(IssuerClaim.self, forKey: Key("iss"))
        aud = try c.decodeIfPresent(AudienceClaim.self, forKey: Key("aud"))
        exp = try c.decodeIfPresent(ExpirationClaim.self, forKey: Key("exp"))
        nbf = try c.decodeIfPresent(NotBeforeClaim.self, forKey: Key("nbf"))
        sub = try c.decodeIfPresent(SubjectClaim.self, forKey: Key("sub"))
        for k in c.allKeys {
            if let s = try? c.decode(String.self, forKey: k) { strings[k.stringValue] = s }
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encodeIfPresent(iss, forKey: Key("iss"))
        try c.encodeIfPresent(aud, forKey: Key("aud"))
        try c.encodeIfPresent(exp, forKey: Key("exp"))
        try c.encodeIfPresent(nbf, forKey: Key("nbf"))
        try c.encodeIfPresent(sub, forKey: Key("sub"))
    }

    /// The signature is checked by jwt-kit; the claims by `TokenVerifier` (it knows issuer, audience, leeway).
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Verifies access tokens with the provider's JWKS (jwt-kit): RS/ES signatures, `kid` required, `exp`, `nbf`,
/// `iss` and `aud` checked. An unknown `kid` makes it fetch the JWKS again (key rotation), at most once per
/// `jwksMinRefreshInterval`, so a stream of forged `kid`s cannot hammer the provider.
public actor TokenVerifier {
    public let settings: OIDCSettings
    let logger: Logger
    private var keys = JWTKeyCollection()
    private var kids: Set<String> = []
    private var lastFetch: ContinuousClock.Instant?
    private var lastFailure: ContinuousClock.Instant?
    private var inFlight: Task<Void, any Error>?
    /// How often the JWKS was fetched (observable in tests of key rotation and of the refresh bound).
    public private(set) var fetches = 0

    public init(settings: OIDCSettings, logger: Logger) {
        self.settings = settings
        self.logger = logger
    }

    /// Verifies `token` as of `now` (the publish time for messages that waited in a stream).
    public func verify(_ token: String, now: Date = Date()) async throws -> VerifiedToken {
        // A token whose signature was checked a moment ago (every message of an intake batch carries the same one)
        // is not checked again: its claims are, as of `now`, and only while its key is still in the JWKS.
        if let hit = verifiedSignatures[token], ContinuousClock.now < hit.until, kids.contains(hit.kid) {
            return try check(hit.claims, raw: token, now: now)
        }
        let kid = try Self.keyID(of: token)
        let collection = try await keys(for: kid)
        let claims: AccessTokenClaims
        do {
            claims = try await collection.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw AuthError.unauthenticated("access token rejected: \(Self.describe(error))")
        }
        if verifiedSignatures.count >= Self.verifiedSignatureLimit { verifiedSignatures.removeAll(keepingCapacity: true) }
        verifiedSignatures[token] = (claims, kid, ContinuousClock.now + Self.verifiedSignatureLifetime)
        return try check(claims, raw: token, now: now)
    }

    /// Tokens whose signature was verified recently (bounded; each entry lives `verifiedSignatureLifetime`).
    private var verifiedSignatures: [String: (claims: AccessTokenClaims, kid: String, until: ContinuousClock.Instant)] = [:]
    static let verifiedSignatureLimit = 1024
    static let verifiedSignatureLifetime: Duration = .seconds(60)

    func check(_ c: AccessTokenClaims, raw: String, now: Date) throws -> VerifiedToken {
        let leeway = Double(settings.leeway.components.seconds)
        guard let exp = c.exp else { throw AuthError.unauthenticated("access token has no exp") }
        do {
            try exp.verifyNotExpired(currentDate: now.addingTimeInterval(-leeway))
            try c.nbf?.verifyNotBefore(currentDate: now.addingTimeInterval(leeway))
            guard let aud = c.aud else { throw AuthError.unauthenticated("access token has no aud") }
            // glewlwyd names the granted scope list as the audience, one space-separated string ("openid veche"):
            // an audience identifier never contains a space, so its items are the audiences.
            let audiences = aud.value.flatMap { $0.split(separator: " ").map(String.init) }
            try AudienceClaim(value: audiences).verifyIntendedAudience(includes: settings.audience)
        } catch let e as AuthError {
            throw e
        } catch {
            throw AuthError.unauthenticated("access token rejected: \(Self.describe(error))")
        }
        guard c.iss?.value == settings.issuer else {
            throw AuthError.unauthenticated("access token from issuer \(c.iss?.value ?? "(none)"), expected \(settings.issuer)")
        }
        let client = c.strings[settings.clientIDClaim] ?? ""
        if let user = c.strings[settings.usernameClaim], !user.isEmpty {
            return VerifiedToken(kind: .user, name: user, clientID: client, subject: c.sub?.value ?? "", expiresAt: exp.value, raw: raw)
        }
        guard !client.isEmpty else {
            throw AuthError.unauthenticated("access token names neither a user (\(settings.usernameClaim)) nor a client (\(settings.clientIDClaim))")
        }
        return VerifiedToken(kind: .client, name: client, clientID: client, subject: c.sub?.value ?? "", expiresAt: exp.value, raw: raw)
    }

    /// The `kid` of the token's header (required: it selects the key and drives rotation).
    public static func keyID(of token: String) throws -> String {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Base64URL.decode(String(parts[0])),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
            throw AuthError.unauthenticated("access token is not a JWT")
        }
        guard let kid = object["kid"] as? String, !kid.isEmpty else { throw AuthError.unauthenticated("access token has no kid") }
        return kid
    }

    private func keys(for kid: String) async throws -> JWTKeyCollection {
        if kids.contains(kid) { return keys }
        // A fetch under way (e.g. the first one) may bring the key: wait for it rather than refuse.
        if let inFlight {
            try await inFlight.value
            if kids.contains(kid) { return keys }
        }
        if let last = lastFetch, ContinuousClock.now - last < settings.jwksMinRefreshInterval {
            throw AuthError.unauthenticated("access token signed with unknown key \(kid)")
        }
        if let failed = lastFailure, ContinuousClock.now - failed < settings.jwksFailureBackoff {
            throw AuthError.providerUnavailable("the identity provider's signing keys cannot be fetched now; retry shortly")
        }
        try await refresh()
        guard kids.contains(kid) else { throw AuthError.unauthenticated("access token signed with unknown key \(kid)") }
        return keys
    }

    /// Fetches the JWKS (one fetch at a time; concurrent callers wait for it).
    public func refresh() async throws {
        if let inFlight { return try await inFlight.value }
        let task = Task { try await self.fetch() }
        inFlight = task
        defer { inFlight = nil }
        try await task.value
    }

    private func fetch() async throws {
        fetches += 1
        let jwks: JWKS
        do {
            let resolved = try await settings.discovered(timeout: settings.providerTimeout)
            guard let url = resolved.jwksURL else { throw AuthError.providerUnavailable("the provider publishes no JWKS") }
            jwks = try JSONDecoder().decode(JWKS.self, from: try await HTTP.get(url, timeout: settings.providerTimeout))
        } catch {
            lastFailure = .now
            logger.warning("JWKS fetch failed", metadata: ["issuer": "\(settings.issuer)", "error": "\(error)"])
            throw AuthError.providerUnavailable("cannot fetch the identity provider's signing keys now; retry shortly")
        }
        lastFetch = .now
        lastFailure = nil
        let collection = JWTKeyCollection()
        var found: Set<String> = []
        for jwk in jwks.keys {
            guard let kid = jwk.keyIdentifier?.string else { continue }
            do {
                try await collection.add(jwk: jwk)
                found.insert(kid)
            } catch {
                logger.notice("JWKS key skipped", metadata: ["kid": "\(kid)", "error": "\(error)"])
            }
        }
        keys = collection
        kids = found
        logger.info("JWKS loaded", metadata: ["keys": "\(found.sorted().joined(separator: ","))"])
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? JWTError { return e.reason ?? e.errorType.description }
        return "\(error)"
    }
}

/// base64url without padding (RFC 7515 §2).
enum Base64URL {
    static func decode(_ s: String) -> Data? {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return Data(base64Encoded: b)
    }

    static func encode(_ d: Data) -> String {
        // One pass over the standard encoding's bytes (three Foundation replacements cost more than the
        // randomness of a citizen token at intake).
        var out = [UInt8]()
        out.reserveCapacity((d.count * 4 + 2) / 3)
        for c in d.base64EncodedData() {
            switch c {
            case UInt8(ascii: "+"): out.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: out.append(c)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
