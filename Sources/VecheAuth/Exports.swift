/// The Principal / role / grant model lives in `VecheIdentity` (no cryptography, so `Contracts` and the fuzz
/// targets can use it without jwt-kit and BoringSSL); everyone who imports `VecheAuth` sees it too.
@_exported import VecheIdentity
