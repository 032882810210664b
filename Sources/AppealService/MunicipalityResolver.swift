import AgencyDirectory
import Contracts
import Foundation
import Synchronization

/// Infers the municipality (OKTMO) of an appeal that did not name one: from its coordinates (nearest
/// municipality centre within a radius, urban okrugs first) or from "г. <город>" in the address.
/// The municipalities come from the local copy of AgencyService's directory; without it nothing is inferred.
struct MunicipalityResolver: Sendable {
    var radiusKm = 12.0

    func resolve(in list: [AgencyV1.Municipality], location: CommonV1.GeoPoint?, address: String) -> String? {
        guard !list.isEmpty else { return nil }
        if let loc = location, loc != CommonV1.GeoPoint() {
            // A degree of latitude is 111 km: centres farther north or south than the radius need no trigonometry.
            let latitudeSpan = radiusKm / 111
            let candidates = list.compactMap { m -> (AgencyV1.Municipality, Double)? in
                guard let c = m.center, c != CommonV1.GeoPoint(), abs(c.latitude - loc.latitude) <= latitudeSpan else { return nil }
                return (m, Self.distanceKm(loc, c))
            }.filter { $0.1 <= radiusKm }
            // A city (urban okrug / settlement) beats the surrounding district when both are near.
            let ranked = candidates.sorted { a, b in
                let ra = Self.rank(a.0.type), rb = Self.rank(b.0.type)
                return ra != rb ? ra < rb : a.1 < b.1
            }
            if let best = ranked.first { return best.0.oktmo }
        }
        let lower = address.lowercased()
        guard !lower.isEmpty else { return nil }
        for m in list where m.type == .urbanOkrug || m.type == .urbanSettlement {
            let name = Self.lowerCityName(m.name)
            guard !name.isEmpty else { continue }
            if lower.contains("г. \(name)") || lower.contains("г.\(name)") || lower.contains("город \(name)") || lower.hasPrefix(name + ",") {
                return m.oktmo
            }
        }
        return nil
    }

    static func rank(_ t: AgencyV1.MunicipalityType) -> Int {
        switch t {
        case .urbanOkrug: return 0
        case .urbanSettlement: return 1
        default: return 2
        }
    }

    /// `cityName` lower-cased, remembered per municipality name (the directory's names are few and stable; working
    /// them out again for every appeal was a twentieth of intake's CPU in AppealService).
    static func lowerCityName(_ name: String) -> String {
        if let known = cityNames.withLock({ $0[name] }) { return known }
        let city = cityName(name).lowercased()
        cityNames.withLock { if $0.count < 10_000 { $0[name] = city } }
        return city
    }
    private static let cityNames = Mutex<[String: String]>([:])

    /// "город Курск" → "Курск"; "Курский район" → "".
    static func cityName(_ name: String) -> String {
        for prefix in ["город ", "г. ", "г."] where name.lowercased().hasPrefix(prefix) {
            return String(name.dropFirst(prefix.count)).trimmingCharacters(in: .whitespaces)
        }
        return name.contains(" ") ? "" : name
    }

    static func distanceKm(_ a: CommonV1.GeoPoint, _ b: CommonV1.GeoPoint) -> Double {
        let r = 6371.0, rad = Double.pi / 180
        let dLat = (b.latitude - a.latitude) * rad, dLon = (b.longitude - a.longitude) * rad
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(a.latitude * rad) * cos(b.latitude * rad) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * r * asin(min(1, sqrt(h)))
    }
}
