import ClassifierStore
import Contracts
import Foundation
import Testing
import TextAnalysis
import VecheRuntime
import VecheTestSupport
@testable import AppealService

@Suite("Classification: operators' corrections, triage, stored models (real nats-server + PostgreSQL)", .serialized)
struct ClassificationServiceTests {
    static let text = "Во дворе дома 5 огромная яма на проезде, машины не могут проехать"

    /// An operator's reclassification (`ReclassifyAppeal`) changes the appeal under its row lock (classifier
    /// version "operator", out of triage), is recorded as a `classified` event and kept as a labelled example
    /// (with what the model had said); bad corrections are refused with clear errors and keep nothing; a
    /// topic-only correction drops the appeal's example (it labels no category to train on).
    @Test func correctionUpdatesAppealEventAndTrainingExample() async throws {
        try await withAppealService { cluster, env, _, client in
            let filed = try #require(try await cluster.appeals(as: posSystem).submitAppeal(.init(appeal: AppealServiceTests.incoming("cls-1", text: Self.text))).appeal)
            let submitted = try #require(try await client.getAppeal(.init(id: filed.id)).appeal)
            let model = try ClassifierModel.loadBundled()
            #expect(submitted.classifierVersion == model.versionID)
            #expect(submitted.classificationConfidence > 0 && submitted.classificationConfidence < 1)

            let r = try await client.reclassifyAppeal(.init(id: submitted.number, topicCode: "roads", categoryCode: "roads.potholes", comment: "яма на дороге"))
            let corrected = try #require(r.appeal)
            #expect(corrected.topicCode == "roads" && corrected.categoryCode == "roads.potholes")
            #expect(corrected.classifierVersion == AppealClassifier.operatorVersion)
            #expect(corrected.classificationConfidence == 1 && !corrected.needsTriage)
            #expect(corrected.version == submitted.version + 1)
            let last = try #require(try await client.getAppeal(.init(id: submitted.id)).history.last)
            #expect(last.type == .classified && last.actor == "user:operator")
            #expect(last.comment == "\(submitted.topicCode)/\(submitted.categoryCode) → roads/roads.potholes: яма на дороге")

            let pool = try env.requirePool()
            var examples = try await pool.withConnection { try ClassificationExamples.all($0) }
            #expect(examples.count == 1)
            let e = try #require(examples.first)
            #expect(e.appealID == submitted.id && e.channel == "pos" && e.categoryCode == "roads.potholes" && e.topicCode == "roads")
            #expect(e.predictedCategory == submitted.categoryCode && e.modelVersion == model.versionID && e.actor == "user:operator")
            #expect(e.text == AppealClassifier.inputText(title: submitted.title, body: submitted.redactedText))
            #expect(e.labeled.source == .correction && e.labeled.topicCode == "roads")

            // A second correction replaces the label but keeps what the model had predicted.
            _ = try await client.reclassifyAppeal(.init(id: submitted.id, topicCode: "housing", categoryCode: "housing.yard_improvement"))
            examples = try await pool.withConnection { try ClassificationExamples.all($0) }
            #expect(examples.map(\.categoryCode) == ["housing.yard_improvement"])
            #expect(examples.first?.predictedCategory == submitted.categoryCode)

            await #expect(throws: RPCError(.invalidArgument, "category_code 'housing.teleport' is not a category of topic 'housing'")) {
                _ = try await client.reclassifyAppeal(.init(id: submitted.id, topicCode: "housing", categoryCode: "housing.teleport"))
            }
            await #expect(throws: RPCError(.invalidArgument, "category_code 'roads.potholes' is not a category of topic 'health'")) {
                _ = try await client.reclassifyAppeal(.init(id: submitted.id, topicCode: "health", categoryCode: "roads.potholes"))
            }
            await #expect(throws: RPCError(.invalidArgument, "unknown topic_code ''")) {
                _ = try await client.reclassifyAppeal(.init(id: submitted.id))
            }
            do {
                _ = try await client.reclassifyAppeal(.init(id: submitted.id, topicCode: "roads", categoryCode: "roads.potholes", expectedVersion: 1))
                Issue.record("a stale expected_version must be refused")
            } catch let e as RPCError { #expect(e.code == .failedPrecondition) }
            do {
                _ = try await client.reclassifyAppeal(.init(id: UUID().uuidString, topicCode: "roads", categoryCode: "roads.potholes"))
                Issue.record("an unknown appeal must be refused")
            } catch let e as RPCError { #expect(e.code == .notFound) }
            #expect(try await pool.withConnection { try ClassificationExamples.all($0) }.map(\.categoryCode) == ["housing.yard_improvement"])

            let topicOnly = try #require(try await client.reclassifyAppeal(.init(id: submitted.id, topicCode: "roads")).appeal)
            #expect(topicOnly.topicCode == "roads" && topicOnly.categoryCode.isEmpty && topicOnly.classifierVersion == AppealClassifier.operatorVersion)
            #expect(try await pool.withConnection { try ClassificationExamples.all($0) }.isEmpty)
        }
    }

    /// The rubric a portal sends in `topic_hint` (St Petersburg's kind of object) reaches the classifier at intake —
    /// the stored classification is the model's with that rubric, not without it — and an operator's correction keeps
    /// it with the training example; a hint that is a category code is the citizen's choice and no rubric.
    @Test func rubricReachesTheClassifierAndTheTrainingExample() async throws {
        let clf = try AppealClassifier()
        try #require(clf.model.features.blocks.contains { $0.kind == .rubric }, "the released model has no rubric block")
        // A text whose classification the rubric changes (the model decides which; several are tried).
        // Intake classifies the title and the text together (`AppealClassifier.inputText`); the test appeals' title is «Мусор».
        let candidates = ["Грязно, мусор валяется", "Сломана скамейка", "Не убирают снег и наледь", "Течёт вода", "Разбито стекло"]
        let picked = candidates.lazy.compactMap { text -> (String, String, Classification)? in
            let input = AppealClassifier.inputText(title: "Мусор", body: text)
            for rubric in ["Двор", "Дом", "Улица"] {
                let with = clf.classify(input, channel: "portal", rubric: rubric)
                if with.categoryCode != clf.classify(input, channel: "portal").categoryCode { return (text, rubric, with) }
            }
            return nil
        }.first
        let (text, rubric, expected) = try #require(picked, "the rubric changes none of the candidate texts")
        try await withAppealService { cluster, env, _, client in
            var inc = AppealServiceTests.incoming("rubric-1", channel: .portal, text: text)
            try #require(inc.title == "Мусор")
            inc.topicHint = rubric
            let portal = try await cluster.appeals(as: .client("veche-integration-portal"))
            let filed = try #require(try await portal.submitAppeal(.init(appeal: inc)).appeal)
            let stored = try #require(try await client.getAppeal(.init(id: filed.id)).appeal)
            #expect(stored.topicCode == expected.topicCode && stored.categoryCode == expected.categoryCode)
            #expect(abs(stored.classificationConfidence - expected.topicConfidence) < 1e-9)

            _ = try await client.reclassifyAppeal(.init(id: filed.id, topicCode: "housing", categoryCode: "housing.yard_improvement"))
            var coded = AppealServiceTests.incoming("rubric-2", channel: .portal, text: text)
            coded.topicHint = "roads.potholes"
            let chosen = try #require(try await portal.submitAppeal(.init(appeal: coded)).appeal)
            #expect(chosen.categoryCode == "roads.potholes" && chosen.classifierVersion == AppealClassifier.citizenChoiceVersion)
            _ = try await client.reclassifyAppeal(.init(id: chosen.id, topicCode: "roads", categoryCode: "roads.signs_markings"))

            let examples = try await env.requirePool().withConnection { try ClassificationExamples.all($0) }
            let e = try #require(examples.first { $0.appealID == filed.id })
            #expect(e.rubric == rubric && e.labeled.rubric == rubric && e.channel == "portal")
            let c = try #require(examples.first { $0.appealID == chosen.id })
            #expect(c.rubric == "roads.potholes" && c.labeled.rubric == "")
        }
    }

    /// Below the confidence threshold an appeal is not routed but waits in the triage queue; an operator's
    /// correction takes it out. Above it nothing goes to triage.
    @Test func lowConfidenceAppealsWaitInTriage() async throws {
        try await withPlatform(appeal: false) { platform in
            let cluster = platform.cluster
            let env = try await cluster.environment("appeal", schema: AppealSchema.name)
            defer { env.close() }
            let client = try await cluster.appeals(as: operatorUser), pos = try await cluster.appeals(as: posSystem)
            let strict = try await AppealServiceApp.build(env: env, classifierSettings: ClassifierSettings(minRoutingConfidence: 1))
            try await withServices(strict.services, logger: cluster.logger) {
                await strict.host.waitUntilReady()
                let filed = try #require(try await pos.submitAppeal(.init(appeal: AppealServiceTests.incoming("tri-1", text: Self.text))).appeal)
                let a = try #require(try await client.getAppeal(.init(id: filed.id)).appeal)
                #expect(a.needsTriage && a.agencyId.isEmpty && a.status == .registered)
                let queue = try await client.listAppeals(.init(triageOnly: true))
                #expect(queue.appeals.map(\.id) == [a.id])
                _ = try await client.reclassifyAppeal(.init(id: a.id, topicCode: "roads", categoryCode: "roads.potholes"))
                #expect(try await client.listAppeals(.init(triageOnly: true)).totalCount == 0)
            }
            let lenient = try await AppealServiceApp.build(env: env, classifierSettings: ClassifierSettings(minRoutingConfidence: 0))
            try await withServices(lenient.services, logger: cluster.logger) {
                await lenient.host.waitUntilReady()
                let filed = try #require(try await pos.submitAppeal(.init(appeal: AppealServiceTests.incoming("tri-2", text: Self.text))).appeal)
                let b = try #require(try await client.getAppeal(.init(id: filed.id)).appeal)
                #expect(!b.needsTriage)
                #expect(try await client.listAppeals(.init(triageOnly: true)).totalCount == 0)
            }
        }
    }

    /// A model activated in the database replaces the bundled one in a running service (new appeals carry
    /// its version); with no active model the service goes back to the bundled one.
    @Test func activatedModelIsPickedUpWithoutRestart() async throws {
        try await withAppealService { cluster, env, built, client in
            let bundled = try ClassifierModel.loadBundled()
            let watcher = try #require(built.services.compactMap { $0 as? ClassifierModelWatcher }.first)
            #expect(try await watcher.refresh() == bundled.versionID)
            let other = try TinyModel.train()
            #expect(other.versionID != bundled.versionID)
            let pool = try env.requirePool()
            try await pool.transaction { conn in
                try ClassifierModels.store(conn, other, metricsJSON: "{}")
                try ClassifierModels.activate(conn, version: other.versionID)
            }
            #expect(try await watcher.refresh() == other.versionID)
            let filed = try #require(try await cluster.appeals(as: posSystem).submitAppeal(.init(appeal: AppealServiceTests.incoming("mdl-1", text: Self.text))).appeal)
            let a = try #require(try await client.getAppeal(.init(id: filed.id)).appeal)
            #expect(a.classifierVersion == other.versionID)
            #expect(try await pool.withConnection { try ClassifierModels.list($0) }.map(\.active) == [true])
            _ = try await pool.query("UPDATE appeal.classifier_models SET active = false")
            #expect(try await watcher.refresh() == bundled.versionID)
        }
    }
}

/// A small model trained in a second from a few labelled texts (a different version from the bundled one).
enum TinyModel {
    static func train() throws -> ClassifierModel {
        let texts: [(String, String)] = [
            ("Яма на дороге, разбит асфальт", "roads.potholes"), ("Глубокие ямы на проезжей части", "roads.potholes"),
            ("Нет отопления, холодные батареи", "housing.heating"), ("Батареи еле тёплые, в квартире холодно", "housing.heating"),
            ("Не вывозят мусор с площадки", "waste.collection"), ("Мусор не вывозят неделю", "waste.collection"),
        ]
        let rows = texts.enumerated().map { LabeledAppeal(correctionOf: UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", $0.offset))!.uuidString,
                                                          text: $0.element.0, channel: "pos", categoryCode: $0.element.1) }
        var config = ClassifierConfig()
        config.minDocumentFrequency = 1
        return ClassifierTrainer.fit(config, train: try FeatureCache(rows: rows)).model
    }
}
