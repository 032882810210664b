import Contracts
import Foundation
import FuzzSupport
import GatewayRequests
import Testing

/// The fuzz targets' cases without the fuzzer: coverage of every contract type, the selector encoding, and
/// every committed seed and regression input of fuzz/corpus replayed through its property.
@Suite struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fuzz/corpus")

    @Test func everyMessageAndBodyHasACase() {
        #expect(ContractFuzzCases.proto.cases.count == ContractRegistry.messages.count)
        #expect(ContractFuzzCases.json.cases.count == ContractRegistry.messages.count + GatewayRequests.all.count)
        #expect(ContractRegistry.messages.count >= 100)
        let names = ContractFuzzCases.families.flatMap(\.cases).map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.contains("proto/veche.appeal.v1.IncomingAppeal"))
        #expect(names.contains("json/gateway.TransitionBody"))
        #expect(names.contains("url/gateway.url"))
    }

    @Test func selectorRoundTripsToTheNamedCase() throws {
        let family = ContractFuzzCases.proto
        for c in family.cases {
            let input = try #require(family.input(case: c.name, payload: [1, 2, 3]))
            let (selected, payload) = try #require(family.split(input))
            #expect(selected.name == c.name)
            #expect(Array(payload) == [1, 2, 3])
        }
        #expect(family.split([7]) == nil)
    }

    @Test func everySeedAndRegressionInputHolds() throws {
        let inputs = FuzzDriver.payloads(root: Self.corpus, families: ContractFuzzCases.families)
        // Every case has at least one committed seed (scripts/fuzz_seeds.py).
        let covered = Set(inputs.map(\.0.name))
        #expect(covered == Set(ContractFuzzCases.families.flatMap(\.cases).map(\.name)))
        for (c, file) in inputs {
            #expect(throws: Never.self, "\(file.lastPathComponent)") { try c.check([UInt8](try Data(contentsOf: file))) }
        }
    }

    @Test func seedsDecodeToPopulatedMessages() throws {
        // The seeds are real messages, not inputs the decoders reject.
        let appeal = try Data(contentsOf: Self.corpus.appendingPathComponent("proto/veche.appeal.v1.IncomingAppeal/real-kursk-843"))
        let m = try AppealV1.IncomingAppeal(serializedBytes: [UInt8](appeal))
        #expect(m.text.contains("наружное освещение"))
        let json = try Data(contentsOf: Self.corpus.appendingPathComponent("json/veche.survey.v1.ResultBatch/real-apistrat.json"))
        #expect(try JSONDecoder().decode(SurveyV1.ResultBatch.self, from: json).responses.count == 5)
        let body = try Data(contentsOf: Self.corpus.appendingPathComponent("json/gateway.TransitionBody/seed.json"))
        #expect(try JSONDecoder().decode(GatewayRequests.TransitionBody.self, from: body).action == .assign)
    }

    @Test func aBrokenPropertyIsReportedWithItsCase() {
        let family = FuzzFamily(name: "t", cases: [FuzzCase(name: "t/always") { _ in throw FuzzViolation("boom") }])
        let error = #expect(throws: FuzzViolation.self) { try family.run([0, 0, 1]) }
        #expect(error?.description == "t/always: boom")
        #expect(throws: Never.self) { try family.run([0]) } // shorter than the selector: not run
    }
}
