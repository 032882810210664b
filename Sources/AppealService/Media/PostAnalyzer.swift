import AgencyDirectory
import Contracts
import Foundation
import MediaMonitoring
import TextAnalysis

/// What the platform finds in one post: the directory bodies it names, its tone, topic and territory.
struct PostAnalysis: Sendable {
    var entities: [StoredEntity]
    var tone: Tone
    var toneConfidence: Double
    var topicCode: String
    var topicConfidence: Double
    var municipalityOktmo: String
}

/// One detected body as stored in `mentions.entities` (JSON).
struct StoredEntity: Codable, Sendable, Hashable {
    var entityId: String
    var kind: String
    var name: String
    var text: String
    var offset: Int
    var length: Int

    var proto: MediaV1.EntityMention {
        MediaV1.EntityMention(entityId: entityId, kind: kind, name: name, text: text, offset: Int32(offset), length: Int32(length))
    }
}

/// The monitored directory of the region built from AppealService's local copy of AgencyService's directory:
/// the governor, the government (the regional body at the top of the hierarchy), the region, every agency and
/// municipality with the aliases `DirectoryAliases` derives. Rebuilt when the directory revision changes.
enum MonitoredDirectory {
    /// Id of the region as an entity (`EntityKind.region`).
    static let regionID = "region"

    static func entities(_ snapshot: DirectorySnapshot) -> [MonitoredEntity] {
        let government = snapshot.agencies.first { $0.kind == .regionalBody && $0.parentId.isEmpty && $0.name.hasPrefix("Правительство ") }
        let genitive = government.map { String($0.name.dropFirst("Правительство ".count)) } ?? "области"
        let agencies = snapshot.agencies.filter(\.active).map { DirectoryAliases.Body(id: $0.id, name: $0.name, shortName: $0.shortName) }
        let municipalities = snapshot.municipalities.map { DirectoryAliases.Body(id: $0.oktmo, name: $0.name) }
        return DirectoryAliases.entities(region: (name: nominative(genitive), genitive: genitive, aliases: colloquial(genitive)),
                                         regionID: regionID, governorNames: [], governmentID: government?.id ?? "government",
                                         agencies: agencies, municipalities: municipalities)
    }

    /// «Курской области» → «Курская область», «Приморского края» → «Приморский край».
    static func nominative(_ genitive: String) -> String {
        var words = genitive.split(separator: " ").map(String.init)
        guard words.count == 2 else { return genitive }
        if words[1] == "области" { words[1] = "область"; if words[0].hasSuffix("ой") { words[0] = String(words[0].dropLast(2)) + "ая" } }
        if words[1] == "края" { words[1] = "край"; if words[0].hasSuffix("ого") { words[0] = String(words[0].dropLast(3)) + "ий" } }
        return words.joined(separator: " ")
    }

    /// «Курской области» → «Курщина» (the colloquial name is only derived for the demo region's pattern).
    static func colloquial(_ genitive: String) -> [String] {
        genitive.hasPrefix("Курской") ? ["Курщина"] : []
    }
}

/// Analyses posts: `MentionDetector` over the monitored directory, `ToneClassifier`, the appeal topic
/// classifier, and the territory (the hint when it is an OKTMO or a municipality's name, else the first
/// municipality named in the text). The classifiers are not thread-safe: each call checks a set out of a pool.
final class PostAnalyzer: @unchecked Sendable {
    private final class Tools {
        let tone: ToneClassifier
        let topics: AppealClassifier
        init(toneModel: ToneModel, topicModel: ClassifierModel) throws {
            tone = try ToneClassifier(model: toneModel)
            topics = try AppealClassifier(model: topicModel)
        }
    }

    private let toneModel: ToneModel
    private let topicModel: ClassifierModel
    private let lock = NSLock()
    private var idle: [Tools] = []
    private var cached: (revision: Int64, detector: MentionDetector, names: [String: String])?

    init(toneModel: ToneModel, topicModel: ClassifierModel) {
        self.toneModel = toneModel
        self.topicModel = topicModel
    }

    /// The bundled tone model, decoded once per process.
    static let bundledToneModel = Result { try ToneModel.loadBundled() }

    func detector(_ snapshot: DirectorySnapshot) -> (MentionDetector, [String: String]) {
        if let d = lock.withLock({ cached }), d.revision == snapshot.revision { return (d.detector, d.names) }
        let entities = MonitoredDirectory.entities(snapshot)
        let detector = MentionDetector(entities: entities)
        let names = Dictionary(entities.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        lock.withLock { cached = (snapshot.revision, detector, names) }
        return (detector, names)
    }

    func analyse(_ post: MediaV1.IncomingPost, snapshot: DirectorySnapshot) throws -> PostAnalysis {
        let (detector, names) = detector(snapshot)
        let found = detector.detect(post.text)
        let tools = try lock.withLock { idle.popLast() } ?? Tools(toneModel: toneModel, topicModel: topicModel)
        defer { lock.withLock { idle.append(tools) } }
        let tone = tools.tone.classify(post.text)
        let topic = tools.topics.classify(post.text)
        let entities = found.map {
            StoredEntity(entityId: $0.entityID, kind: $0.kind.rawValue, name: names[$0.entityID] ?? $0.alias, text: $0.text,
                         offset: $0.offset, length: $0.length)
        }
        return PostAnalysis(entities: entities, tone: tone.tone, toneConfidence: tone.confidence, topicCode: topic.topicCode,
                            topicConfidence: topic.topicConfidence,
                            municipalityOktmo: Self.territory(hint: post.territoryHint, entities: found, snapshot: snapshot))
    }

    /// The post's municipality: the hint as an OKTMO or a name (also «город X» / «X»), else the first
    /// municipality the text names; "" when none.
    static func territory(hint: String, entities: [Mention], snapshot: DirectorySnapshot) -> String {
        let h = hint.trimmingCharacters(in: .whitespacesAndNewlines)
        if !h.isEmpty {
            if let m = snapshot.municipalities.first(where: { $0.oktmo == h }) { return m.oktmo }
            let lower = h.lowercased()
            if let m = snapshot.municipalities.first(where: { $0.name.lowercased() == lower || $0.name.lowercased() == "город " + lower }) {
                return m.oktmo
            }
        }
        return entities.first { $0.kind == .municipality }?.entityID ?? ""
    }
}
