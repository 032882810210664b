import Contracts
import Foundation
import Testing

@Suite("Contracts: generated Swift layer over protobuf-c")
struct ContractsTests {
    @Test func roundTripsNestedRepeatedAndEnums() throws {
        var a = AppealV1.Appeal()
        a.id = "0b7f6a43-8f3e-4a55-9d4c-3f1f1c0e2a11"
        a.channel = .social
        a.status = .inProgress
        a.text = "Во дворе дома №5 по ул. Ленина не убирают мусор 🗑"
        a.author = CommonV1.Person(fullName: "Иванов Иван", email: "ivanov@example.ru")
        a.location = CommonV1.GeoPoint(latitude: 51.73, longitude: 36.19)
        a.monitoringFlags = ["corruption", ""]
        a.deadlines = AppealV1.Deadlines(registerDueMs: 1, forwardDueMs: -2, answerDueMs: Int64.max)
        a.classificationConfidence = 0.875
        a.attachmentUrls = []
        let bytes = a.serializedBytes()
        let back = try AppealV1.Appeal(serializedBytes: bytes)
        #expect(back == a)

        var list = AppealV1.ListAppealsRequest()
        list.statuses = [.registered, .extended]
        list.channels = [.pos]
        list.page = CommonV1.PageRequest(pageSize: 10, pageToken: "abc")
        #expect(try AppealV1.ListAppealsRequest(serializedBytes: list.serializedBytes()) == list)

        var batch = SurveyV1.ResultBatch(batchId: "b1", surveyId: "s1")
        batch.responses = [SurveyV1.Response(respondentId: "r1", baseWeight: 2.5, answers: [SurveyV1.Answer(questionCode: "q1", optionCodes: ["a", "b"])])]
        #expect(try SurveyV1.ResultBatch(serializedBytes: batch.serializedBytes()) == batch)
    }

    @Test func emptyMessageEncodesToNothingAndDecodes() throws {
        #expect(CommonV1.Empty().serializedBytes().isEmpty)
        #expect(try AppealV1.Appeal(serializedBytes: []) == AppealV1.Appeal())
    }

    @Test func malformedBytesThrowClearError() {
        #expect(throws: ProtoDecodingError.self) { try AppealV1.Appeal(serializedBytes: [0xFF, 0xFF, 0xFF]) }
    }

    @Test func unknownEnumValueFallsBackToUnspecified() throws {
        // field 5 (status), varint 99
        let a = try AppealV1.Appeal(serializedBytes: [0x28, 99])
        #expect(a.status == .unspecified)
    }

    @Test func jsonUsesStableNamesAndToleratesMissingFields() throws {
        let json = #"{"channel":"pos","externalId":"x-1","text":"Нет горячей воды","location":{"latitude":51.7}}"#
        let a = try JSONDecoder().decode(AppealV1.IncomingAppeal.self, from: Data(json.utf8))
        #expect(a.channel == .pos)
        #expect(a.location?.latitude == 51.7)
        #expect(a.metadata.isEmpty)
        let out = String(decoding: try JSONEncoder().encode(AppealV1.Appeal(status: .inProgress)), as: UTF8.self)
        #expect(out.contains(#""status":"in_progress""#))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(AppealV1.IncomingAppeal.self, from: Data(#"{"channel":"pigeon"}"#.utf8))
        }
    }

    @Test func subjectsComeFromTheContract() {
        #expect(AppealV1.AppealService.Method.SubmitAppeal.subject == "veche.appeal.v1.SubmitAppeal")
        #expect(Subjects.Intake.subject(for: .email) == "veche.intake.v1.email")
        #expect(Subjects.AppealEvents.subject(for: .answered) == "veche.events.v1.appeal.answered")
        #expect(Subjects.token("team 7/Курск") == "team_7______")
    }
}
