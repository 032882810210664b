/// Header names that carry identity on the bus and over HTTP, shared by the RPC vocabulary (`Contracts`)
/// and the token code (`VecheAuth`) so that neither defines them twice.
public enum IdentityHeaders {
    /// A citizen's appeal token, sent instead of `Authorization` (see `CitizenToken`).
    public static let citizenToken = "Veche-Citizen-Token"
}
