/// Who is calling, as the platform established it: from a verified access token (a person or a machine)
/// or from a citizen's appeal token. Request bodies never choose it; it is the actor of every event the
/// call causes and the "who" of every audit entry.
public struct Principal: Sendable, Hashable {
    /// How the caller was identified: a signed-in person, a machine client, or a citizen with an appeal token.
    public enum Kind: String, Sendable, Hashable {
        /// A person signed in through the identity provider (token with a username claim).
        case user
        /// A machine with its own client credentials (services, gateway, integrating systems, survey teams, import).
        case client
        /// A citizen holding the token given at intake for one appeal (only its hash is stored).
        case citizen
    }

    public var kind: Kind
    /// Username, client id, or — for a citizen — the SHA-256 hash of the appeal token (hex).
    public var name: String
    /// The OAuth client through which a person signed in (e.g. `veche-web`); equals `name` for machines.
    public var clientID: String
    /// Roles with their scopes, from the directory.
    public var grants: [Grant]
    /// The bearer token the call carried, forwarded when the service acts for the caller.
    public var bearerToken: String?
    /// Where the call came from, when known (the client address the gateway saw).
    public var source: String

    public init(kind: Kind, name: String, clientID: String = "", grants: [Grant] = [], bearerToken: String? = nil, source: String = "") {
        self.kind = kind
        self.name = name
        self.clientID = clientID.isEmpty && kind == .client ? name : clientID
        self.grants = grants
        self.bearerToken = bearerToken
        self.source = source
    }

    /// The directory key of this principal: `user:<username>` or `client:<client id>`.
    public var key: String { Self.key(kind: kind, name: name) }

    public static func key(kind: Kind, name: String) -> String { kind.rawValue + ":" + name }

    /// The actor recorded in events and audit entries. Citizens are recorded without their token hash.
    public var actor: String { kind == .citizen ? "citizen" : key }

    public func has(_ role: Role) -> Bool { grants.contains { $0.role == role } }

    public func hasAny(_ roles: Set<Role>) -> Bool { grants.contains { roles.contains($0.role) } }

    public func grants(_ role: Role) -> [Grant] { grants.filter { $0.role == role } }

    public var isStaff: Bool { hasAny(Role.staff) }
}
