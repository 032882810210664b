import Contracts
import Foundation

/// A schematic map of the region for the appeal card: every municipality as a point at its centre (the
/// directory's coordinates, seeded from the repository), the appeal's municipality highlighted and its own
/// location marked. Rendered by `map.mustache` as inline SVG: no tile server, nothing leaves the region.
public struct MunicipalityMap: Sendable {
    /// One municipality on the map: SVG position and radius (as text), name, CSS class and label placement.
    public struct Dot: Sendable {
        public var x: String
        public var y: String
        public var r: String
        public var name: String
        public var css: String
        public var labelX: String
        public var labelY: String
        public var showLabel: Bool
    }

    public var width = 640
    public var height = 420
    public var dots: [Dot]
    public var hasPin: Bool
    public var pinX = "0"
    public var pinY = "0"
    public var caption: String

    /// Projects municipality centres (equirectangular, longitude scaled by cos of the mean latitude) into the
    /// SVG box with a margin. Districts are small dots, urban okrugs larger; `highlight` is the appeal's.
    public init(municipalities: [AgencyV1.Municipality], highlight: String, location: CommonV1.GeoPoint?) {
        let placed = municipalities.compactMap { m -> (AgencyV1.Municipality, Double, Double)? in
            guard let c = m.center, c.latitude != 0 || c.longitude != 0 else { return nil }
            return (m, c.latitude, c.longitude)
        }
        let pin = location.flatMap { ($0.latitude != 0 || $0.longitude != 0) ? ($0.latitude, $0.longitude) : nil }
        let lats = placed.map(\.1) + (pin.map { [$0.0] } ?? []), lons = placed.map(\.2) + (pin.map { [$0.1] } ?? [])
        let minLat = lats.min() ?? 0, maxLat = lats.max() ?? 1, minLon = lons.min() ?? 0, maxLon = lons.max() ?? 1
        let k = cos(((minLat + maxLat) / 2) * .pi / 180)
        let spanX = max((maxLon - minLon) * k, 1e-6), spanY = max(maxLat - minLat, 1e-6)
        let margin = 30.0, w = Double(width) - 2 * margin, h = Double(height) - 2 * margin
        let scale = min(w / spanX, h / spanY)
        func project(_ lat: Double, _ lon: Double) -> (Double, Double) {
            (margin + (lon - minLon) * k * scale, margin + (maxLat - lat) * scale)
        }
        func f(_ v: Double) -> String { String(format: "%.1f", v) }
        var highlightName = ""
        dots = placed.map { m, lat, lon in
            let (x, y) = project(lat, lon)
            let isHighlight = !highlight.isEmpty && m.oktmo == highlight
            if isHighlight { highlightName = m.name }
            let city = m.type == .urbanOkrug
            return Dot(x: f(x), y: f(y), r: isHighlight ? "9" : (city ? "6" : "4"), name: m.name,
                       css: isHighlight ? "muni muni-here" : (city ? "muni muni-city" : "muni"),
                       labelX: f(x + 11), labelY: f(y + 4), showLabel: isHighlight || city)
        }
        if let (lat, lon) = pin {
            let (x, y) = project(lat, lon)
            hasPin = true
            pinX = f(x)
            pinY = f(y)
        } else {
            hasPin = false
        }
        caption = highlightName.isEmpty ? "Муниципальное образование не определено" : highlightName
    }
}
