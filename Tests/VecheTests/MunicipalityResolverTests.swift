import Contracts
import Testing
@testable import AppealService

/// Where an appeal without a named municipality is placed: by coordinates (a city before the district around it),
/// else by the city in its address; the remembered city names change nothing on a second pass.
@Suite("Municipality of an appeal from its coordinates or address")
struct MunicipalityResolverTests {
    let list = [
        AgencyV1.Municipality(oktmo: "38701000", name: "город Курск", type: .urbanOkrug, center: .init(latitude: 51.7304, longitude: 36.1926)),
        AgencyV1.Municipality(oktmo: "38705000", name: "город Железногорск", type: .urbanOkrug, center: .init(latitude: 52.339, longitude: 35.351)),
        AgencyV1.Municipality(oktmo: "38620000", name: "Курский район", type: .municipalDistrict, center: .init(latitude: 51.70, longitude: 36.15)),
        AgencyV1.Municipality(oktmo: "38601000", name: "Беловский район", type: .municipalDistrict, center: .init(latitude: 51.153, longitude: 35.73)),
    ]

    @Test func coordinatesThenAddress() {
        let r = MunicipalityResolver()
        for _ in 0..<2 {
            // Inside Курск: the city, although the district's centre is nearer.
            #expect(r.resolve(in: list, location: .init(latitude: 51.705, longitude: 36.16), address: "") == "38701000")
            // Near Белая, outside every city's radius: the district.
            #expect(r.resolve(in: list, location: .init(latitude: 51.16, longitude: 35.74), address: "") == "38601000")
            // Far away (St Petersburg): the address decides, in its several spellings.
            let spb = CommonV1.GeoPoint(latitude: 59.94, longitude: 30.31)
            #expect(r.resolve(in: list, location: spb, address: "г. Железногорск, ул. Ленина, 5") == "38705000")
            #expect(r.resolve(in: list, location: spb, address: "Курск, ул. Дзержинского") == "38701000")
            #expect(r.resolve(in: list, location: spb, address: "город курск") == "38701000")
            #expect(r.resolve(in: list, location: spb, address: "д. Ивановка") == nil)
            #expect(r.resolve(in: list, location: nil, address: "") == nil)
        }
        #expect(r.resolve(in: [], location: .init(latitude: 51.73, longitude: 36.19), address: "г. Курск") == nil)
    }
}
