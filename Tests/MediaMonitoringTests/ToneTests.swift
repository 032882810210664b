import Testing
@testable import MediaMonitoring

@Suite struct ToneFeatureTests {
    @Test func placeholder() {}
}
