import Contracts
import Foundation
import Logging
import Synchronization
import Taxonomy
import TextAnalysis
import VecheRuntime

/// One set of the non-thread-safe text tools (each owns a Snowball stemmer).
final class TextPipeline {
    let classifier: AppealClassifier
    let redactor = PIIRedactor()
    let monitor: MonitoringDetector

    init(model: ClassifierModel) throws {
        classifier = try AppealClassifier(model: model)
        monitor = try MonitoringDetector()
    }
}

/// A small pool of pipelines: each call checks one out, so they are never shared between threads.
/// The model can be replaced while the service runs (`ClassifierModelWatcher`); pipelines built for
/// the previous model are dropped when they come back.
final class TextPipelinePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [TextPipeline] = []
    private var current: ClassifierModel

    init(model: ClassifierModel) { current = model }

    /// The model new pipelines are built with.
    var model: ClassifierModel { lock.withLock { current } }

    func replace(with model: ClassifierModel) {
        lock.withLock {
            current = model
            idle.removeAll()
        }
    }

    func with<T>(_ body: (TextPipeline) -> T) throws -> T {
        let (reused, model) = lock.withLock { (idle.popLast(), current) }
        let p = try reused ?? TextPipeline(model: model)
        defer {
            lock.withLock { if p.classifier.model.versionID == current.versionID { idle.append(p) } }
        }
        return body(p)
    }
}

/// Groups appeals about the same problem from any channel (text + topic + place + time window).
/// The in-memory index is rebuilt from the last days of appeals at start-up.
final class ProblemGrouper: @unchecked Sendable {
    private let lock = NSLock()
    private let index: DuplicateIndex
    private var groupIDs: [Int: String] = [:]

    init() throws { index = try DuplicateIndex() }

    /// Returns the problem group id for `candidate`; `ownID` becomes the id of a new group.
    func assign(_ candidate: DuplicateCandidate, ownID: String, storedGroup: String? = nil) -> String {
        lock.withLock {
            let decision = index.add(candidate)
            if let existing = groupIDs[decision.groupId] { return existing }
            let id = storedGroup.flatMap { $0.isEmpty ? nil : $0 } ?? ownID
            groupIDs[decision.groupId] = id
            return id
        }
    }

    var count: Int { lock.withLock { index.count } }
}

/// Intake enrichment for issue #3: classification (topic, category, confidence), PII redaction,
/// special-monitoring flags, duplicate grouping, municipality and agency routing via AgencyService.
struct TextEnricher: AppealEnricher {
    let pipelines: TextPipelinePool
    /// The confidence threshold below which an appeal goes to the operators' triage queue.
    let settings: ClassifierSettings
    let grouper: ProblemGrouper
    let agencies: AgencyV1.AgencyService.Client?
    let municipalities: MunicipalityResolver?
    let logger: Logger
    var callTimeout: Duration = .seconds(2)

    func enrich(_ appeal: AppealV1.Appeal, categoryHint: String) async -> Enrichment {
        var e = Enrichment(municipalityOktmo: appeal.municipalityOktmo)
        let text = AppealClassifier.inputText(title: appeal.title, body: appeal.text)
        do {
            let (cls, threshold, redacted, hits) = try pipelines.with { p in
                (p.classifier.classify(text, channel: appeal.channel.name), settings.threshold(for: p.classifier.model), p.redactor.redact(appeal.text).text, p.monitor.detect(text))
            }
            e.topicCode = cls.topicCode
            e.categoryCode = cls.categoryCode
            e.confidence = cls.topicConfidence
            e.classifierVersion = cls.modelVersion
            e.needsTriage = cls.topicConfidence < threshold
            e.redactedText = redacted
            e.monitoringFlags = Array(Set(hits.map(\.flag.rawValue))).sorted()
            // A category the citizen chose explicitly (Open311 service_code) wins over the model.
            if let chosen = Taxonomy.category(code: categoryHint) {
                e.topicCode = chosen.topicCode
                e.categoryCode = chosen.code
                e.confidence = 1
                e.classifierVersion = AppealClassifier.citizenChoiceVersion
                e.needsTriage = false
            }
        } catch {
            logger.error("text pipeline unavailable", metadata: ["error": "\(error)"])
            e.redactedText = ""
            e.needsTriage = true
        }
        if e.municipalityOktmo.isEmpty, let resolver = municipalities,
           let oktmo = await resolver.resolve(location: appeal.location, address: appeal.address) {
            e.municipalityOktmo = oktmo
        }
        let candidate = DuplicateCandidate(id: appeal.id, text: text, topicCode: e.topicCode, categoryCode: e.categoryCode,
                                           latitude: appeal.location?.latitude, longitude: appeal.location?.longitude,
                                           date: Date(timeIntervalSince1970: Double(appeal.receivedAtMs) / 1000))
        e.problemGroupID = grouper.assign(candidate, ownID: appeal.id)

        if let agencies, !e.topicCode.isEmpty, !e.needsTriage {
            do {
                let options = CallOptions(timeout: callTimeout)
                do {
                    let r = try await agencies.route(.init(topicCode: e.topicCode, categoryCode: e.categoryCode, municipalityOktmo: e.municipalityOktmo), options: options)
                    e.agencyID = r.agency?.id ?? ""
                } catch let err as RPCError where err.code == .invalidArgument && !e.municipalityOktmo.isEmpty {
                    // Territory unknown to the directory: route region-wide rather than not at all.
                    e.notes.append("municipality \(e.municipalityOktmo) unknown to the directory: \(err.message)")
                    let r = try await agencies.route(.init(topicCode: e.topicCode, categoryCode: e.categoryCode), options: options)
                    e.agencyID = r.agency?.id ?? ""
                }
            } catch {
                e.notes.append("routing unavailable: \(error)")
                logger.warning("routing failed; appeal stays for manual assignment", metadata: ["error": "\(error)"])
            }
        }
        return e
    }

    /// Re-adds recent appeals to the duplicate index so groups survive restarts.
    static func warmUp(grouper: ProblemGrouper, pool: PGPool, days: Int = 8) async throws -> Int {
        let rows = try await pool.query("""
            SELECT id::text AS id, title, body, topic_code, category_code, latitude, longitude, received_at, problem_group_id
            FROM appeals WHERE received_at > now() - make_interval(days => \(days)) ORDER BY received_at
            """).rows
        for r in rows {
            let text = AppealClassifier.inputText(title: r.string("title"), body: r.string("body"))
            let c = DuplicateCandidate(id: r.string("id"), text: text, topicCode: r.string("topic_code"), categoryCode: r.string("category_code"),
                                       latitude: r.isNull("latitude") ? nil : r.double("latitude"),
                                       longitude: r.isNull("longitude") ? nil : r.double("longitude"),
                                       date: r.date("received_at") ?? Date())
            _ = grouper.assign(c, ownID: r.string("id"), storedGroup: r.string("problem_group_id"))
        }
        return rows.count
    }
}
