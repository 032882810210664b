import AgencyDirectory
import Contracts
import Foundation
import Logging
import Synchronization
import Taxonomy
import TextAnalysis
import VecheRuntime

/// A small pool of the intake's text tools (`AppealTextWork`): each call checks a set out, so a set is never
/// shared between threads.
/// The model can be replaced while the service runs (`ClassifierModelWatcher`); pipelines built for
/// the previous model are dropped when they come back.
final class TextPipelinePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [AppealTextWork] = []
    private var current: ClassifierModel
    let duplicateOptions: DuplicateIndexOptions

    init(model: ClassifierModel, duplicateOptions: DuplicateIndexOptions = DuplicateIndexOptions()) {
        current = model
        self.duplicateOptions = duplicateOptions
    }

    /// The model new pipelines are built with.
    var model: ClassifierModel { lock.withLock { current } }

    func replace(with model: ClassifierModel) {
        lock.withLock {
            current = model
            idle.removeAll()
        }
    }

    func with<T>(_ body: (AppealTextWork) -> T) throws -> T {
        let (reused, model) = lock.withLock { (idle.popLast(), current) }
        let p = try reused ?? AppealTextWork(model: model, duplicateOptions: duplicateOptions)
        defer {
            lock.withLock { if p.classifier.model.versionID == current.versionID { idle.append(p) } }
        }
        return body(p)
    }
}

/// Intake enrichment for issue #3: classification (topic, category, confidence), PII redaction,
/// special-monitoring flags, duplicate features (grouped when stored: `ProblemGrouper`), municipality and agency routing from the local copy of
/// AgencyService's directory (no call per appeal). Appeals whose calibrated topic confidence is below the
/// routing threshold (`ClassifierSettings`) are flagged for the operators' triage queue instead of routed. The text work of a batch runs on a bounded pool of CPU
/// threads (`workers`), off Swift's cooperative pool; grouping and routing follow in batch order.
struct TextEnricher: AppealEnricher {
    let pipelines: TextPipelinePool
    /// The confidence threshold below which an appeal goes to the operators' triage queue.
    let settings: ClassifierSettings
    let directory: LocalDirectory
    var municipalities = MunicipalityResolver()
    let logger: Logger

    /// The CPU threads of text analysis, one per core, shared by every enricher of the process.
    static let workers = BlockingExecutor(name: "appeal-text", threads: max(1, ProcessInfo.processInfo.activeProcessorCount), capacity: 1024)

    /// What the text alone tells (computed on a worker thread).
    struct TextFacts: Sendable {
        var topicCode = "", categoryCode = "", confidence = 0.0
        var classifierVersion = ""
        /// Calibrated topic confidence below the model's (or the configured) routing threshold.
        var needsTriage = false
        var redactedText = ""
        /// The full-text search lexemes of `redactedText` (nil: PostgreSQL computes them when it is stored).
        var searchLexemes: [String]?
        var monitoringFlags: [String] = []
        var features: DuplicateFeatures?
    }

    static func text(of a: AppealV1.Appeal) -> String { AppealClassifier.inputText(title: a.title, body: a.text) }

    func enrich(_ appeal: AppealV1.Appeal, categoryHint: String) async -> Enrichment {
        await enrich(batch: [EnrichmentRequest(appeal: appeal, categoryHint: categoryHint)])[0]
    }

    func enrich(batch: [EnrichmentRequest]) async -> [Enrichment] {
        guard !batch.isEmpty else { return [] }
        let facts = await analyse(batch)
        let snapshot = await directory.latest()
        var out: [Enrichment] = []
        out.reserveCapacity(batch.count)
        for (r, f) in zip(batch, facts) { out.append(complete(r, f, snapshot)) }
        return out
    }

    /// Classification, redaction, flags and duplicate features of every appeal, in contiguous slices on the
    /// worker threads (one slice per worker). An appeal whose analysis failed gets empty facts (logged).
    private func analyse(_ appeals: [EnrichmentRequest]) async -> [TextFacts?] {
        let pipelines = self.pipelines
        let settings = self.settings
        let slices = max(1, min(Self.workers.threadCount, appeals.count))
        let size = (appeals.count + slices - 1) / slices
        let result = await withTaskGroup(of: (Int, [TextFacts?]).self) { group in
            for start in stride(from: 0, to: appeals.count, by: size) {
                let slice = Array(appeals[start..<min(appeals.count, start + size)])
                group.addTask {
                    let facts = try? await Self.workers.run {
                        slice.map { r in try? pipelines.with { Self.facts(r.appeal, rubric: r.classifierRubric, $0, settings) } }
                    }
                    return (start, facts ?? Array(repeating: nil, count: slice.count))
                }
            }
            var all = [TextFacts?](repeating: nil, count: appeals.count)
            for await (start, facts) in group {
                for (i, f) in facts.enumerated() { all[start + i] = f }
            }
            return all
        }
        if result.contains(where: { $0 == nil }) { logger.error("text pipeline unavailable for some appeals") }
        return result
    }

    /// `rubric`: the channel's own rubric, a classifier feature ("" when none, or when it names a taxonomy category).
    static func facts(_ appeal: AppealV1.Appeal, rubric: String, _ p: AppealTextWork, _ settings: ClassifierSettings) -> TextFacts {
        let f = p.analyse(title: appeal.title, body: appeal.text, channel: appeal.channel.name, rubric: rubric)
        let cls = f.classification
        return TextFacts(topicCode: cls.topicCode, categoryCode: cls.categoryCode, confidence: cls.topicConfidence,
                         classifierVersion: cls.modelVersion,
                         needsTriage: cls.topicConfidence < settings.threshold(for: p.classifier.model),
                         redactedText: f.redactedText, searchLexemes: f.searchLexemes, monitoringFlags: f.monitoringFlags,
                         features: f.features)
    }

    /// The parts that depend on the directory and on earlier appeals: category hint, municipality, group, routing.
    private func complete(_ r: EnrichmentRequest, _ facts: TextFacts?, _ snapshot: DirectorySnapshot) -> Enrichment {
        let appeal = r.appeal
        var e = Enrichment(municipalityOktmo: appeal.municipalityOktmo)
        if let f = facts {
            e.topicCode = f.topicCode
            e.categoryCode = f.categoryCode
            e.confidence = f.confidence
            e.classifierVersion = f.classifierVersion
            e.needsTriage = f.needsTriage
            e.redactedText = f.redactedText
            e.searchLexemes = f.searchLexemes
            e.monitoringFlags = f.monitoringFlags
            // A category the citizen chose explicitly (Open311 service_code) wins over the model.
            if let chosen = Taxonomy.category(code: r.categoryHint) {
                e.topicCode = chosen.topicCode
                e.categoryCode = chosen.code
                e.confidence = 1
                e.classifierVersion = AppealClassifier.citizenChoiceVersion
                e.needsTriage = false
            }
        } else {
            // No text analysis: an operator classifies and routes it.
            e.needsTriage = true
        }
        if e.municipalityOktmo.isEmpty,
           let oktmo = municipalities.resolve(in: snapshot.municipalities, location: appeal.location, address: appeal.address) {
            e.municipalityOktmo = oktmo
        }
        let candidate = DuplicateCandidate(id: appeal.id, text: Self.text(of: appeal), topicCode: e.topicCode, categoryCode: e.categoryCode,
                                           latitude: appeal.location?.latitude, longitude: appeal.location?.longitude,
                                           date: Date(timeIntervalSince1970: Double(appeal.receivedAtMs) / 1000))
        e.grouping = GroupingInput(candidate: candidate, features: facts?.features)   // grouped when stored (ProblemGrouper)

        if !e.topicCode.isEmpty, !e.needsTriage {
            if !e.municipalityOktmo.isEmpty, snapshot.territoryChain(e.municipalityOktmo).isEmpty {
                // Territory unknown to the directory: routed region-wide rather than not at all.
                e.notes.append("municipality \(e.municipalityOktmo) unknown to the directory")
            }
            if let route = snapshot.route(topic: e.topicCode, category: e.categoryCode, oktmo: e.municipalityOktmo) {
                e.agencyID = route.agencyID
            } else {
                e.notes.append("no routing rule matches \(e.topicCode)/\(e.categoryCode) (directory revision \(snapshot.revision))")
            }
        }
        return e
    }
}
