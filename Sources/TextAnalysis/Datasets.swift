import DataKit
import Foundation
import Synchronization
import Taxonomy

/// One labelled appeal from an evaluation dataset, with labels already mapped to the taxonomy.
public struct LabeledAppeal: Sendable {
    /// Where the row comes from: the Kursk train or test file, the St Petersburg data, or an operator's correction.
    public enum Source: String, Sendable {
        case kurskTrain, kurskTest, spb, correction

        /// The corpus a row belongs to (Kursk's train and test files are one).
        public var corpus: String { self == .kurskTest ? Self.kurskTrain.rawValue : rawValue }
    }
    public let id: String
    public let text: String
    public let categoryCode: String
    public var topicCode: String { DatasetLabelMapping.topicCode(ofCategory: categoryCode) }
    public let source: Source
    /// Raw dataset label (Kursk «Тематика», SPb `reason`).
    public let rawLabel: String
    /// The string the label-mapping rules see (Kursk «Тематика», SPb `"<category> | <reason>"`).
    public let labelKey: String
    /// Creation time (SPb only), ISO-8601 string `2020-10-18T14:50:40.817676`.
    public let created: String
    public let latitude: Double?
    public let longitude: Double?
    /// Intake channel of the appeal (`AppealV1.Channel` name): Kursk appeals came through the feedback
    /// platform ПОС ("pos"), St Petersburg ones through the regional portal ("portal").
    public let channel: String
    /// The channel's own rubric the citizen chose, as intake receives it in `IncomingAppeal.topic_hint`: St Petersburg's
    /// kind of object (`city_object`: «Дом», «Двор», «Улица»…, the first step of the portal's form, before the problem
    /// that gives the label); Kursk rows have none (the file has only the text).
    public let rubric: String

    init(id: String, text: String, categoryCode: String, source: Source, rawLabel: String, labelKey: String, created: String,
         latitude: Double?, longitude: Double?, channel: String, rubric: String = "") {
        self.id = id
        self.text = text
        self.categoryCode = categoryCode
        self.source = source
        self.rawLabel = rawLabel
        self.labelKey = labelKey
        self.created = created
        self.latitude = latitude
        self.longitude = longitude
        self.channel = channel
        self.rubric = rubric
    }

    /// An operator's correction of appeal `appealID` as a training row.
    public init(correctionOf appealID: String, text: String, channel: String, rubric: String = "", categoryCode: String) {
        self.init(id: "correction-" + appealID, text: text, categoryCode: categoryCode, source: .correction,
                  rawLabel: categoryCode, labelKey: categoryCode, created: "", latitude: nil, longitude: nil, channel: channel, rubric: rubric)
    }
}

/// Loaders for the shared evaluation datasets (see /work/shared/data/README.md; eval-only data,
/// not redistributed — only the trained weights are shipped).
public enum AppealDatasets {
    public static let kurskTrainFile = "kursk_cp2022_appeals_train.csv.gz"
    public static let kurskTestFile = "kursk_cp2022_appeals_test.csv.gz"
    public static let spbFile = "spb_nash_peterburg_appeals_2020_2021.csv.gz"

    private static func path(_ dir: String, _ file: String) throws -> String {
        let p = (dir as NSString).appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: p) else { throw TextAnalysisError.dataMissing(p) }
        return p
    }

    /// Kursk train rows plus the Тематика → Категория index built from them.
    public static func loadKurskTrain(dataDirectory: String) throws -> (rows: [LabeledAppeal], index: KurskCategoryIndex) {
        let table = try CSVTable.load(path: try path(dataDirectory, kurskTrainFile))
        var index = KurskCategoryIndex()
        var rows: [LabeledAppeal] = []
        for r in table.rows {
            let tem = table.value(r, "Тематика")
            let kat = Int(table.value(r, "Категория").trimmingCharacters(in: .whitespaces))
            if let k = kat { index.record(tematika: tem, kategoriya: k) }
            let text = table.value(r, "Текст Сообщения")
            guard !text.isEmpty else { continue }
            rows.append(LabeledAppeal(id: "kursk-" + table.value(r, "id"), text: text,
                                      categoryCode: DatasetLabelMapping.kurskCategory(tematika: tem, kategoriya: kat),
                                      source: .kurskTrain, rawLabel: tem, labelKey: tem, created: "", latitude: nil, longitude: nil, channel: "pos"))
        }
        return (rows, index)
    }

    /// Kursk test rows; «Категория» is derived from «Тематика» via the train index (unseen topics:
    /// `DatasetLabelMapping.kurskUnseenTopicCategory`).
    public static func loadKurskTest(dataDirectory: String, index: KurskCategoryIndex) throws -> [LabeledAppeal] {
        let table = try CSVTable.load(path: try path(dataDirectory, kurskTestFile))
        var rows: [LabeledAppeal] = []
        for r in table.rows {
            let tem = table.value(r, "Тематика")
            let text = table.value(r, "Текст Сообщения")
            guard !text.isEmpty else { continue }
            rows.append(LabeledAppeal(id: "kursk-" + table.value(r, "id"), text: text,
                                      categoryCode: DatasetLabelMapping.kurskCategory(tematika: tem, kategoriya: index.kategoriya(for: tem)),
                                      source: .kurskTest, rawLabel: tem, labelKey: tem, created: "", latitude: nil, longitude: nil, channel: "pos"))
        }
        return rows
    }

    /// The St Petersburg rows already read by this process, per data directory: the file (about 60,000 rows, 53 MB
    /// of CSV) is read by the classifier splits, the duplicate evaluation and the intake bench, and parsing it for each was
    /// most of the test suite's CPU while it ran. The rows are values and the file does not change under a process.
    private static let spbRead = Mutex<[String: [LabeledAppeal]]>([:])

    /// All St Petersburg rows with non-empty text.
    public static func loadSPb(dataDirectory: String) throws -> [LabeledAppeal] {
        if let read = spbRead.withLock({ $0[dataDirectory] }) { return read }
        let rows = try readSPb(dataDirectory: dataDirectory)
        spbRead.withLock { $0[dataDirectory] = rows }
        return rows
    }

    static func readSPb(dataDirectory: String) throws -> [LabeledAppeal] {
        let table = try CSVTable.load(path: try path(dataDirectory, spbFile))
        var rows: [LabeledAppeal] = []
        rows.reserveCapacity(table.rows.count)
        for r in table.rows {
            let text = table.value(r, "text")
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
            let reason = table.value(r, "reason"), category = table.value(r, "category")
            rows.append(LabeledAppeal(id: "spb-" + table.value(r, "id"), text: text,
                                      categoryCode: DatasetLabelMapping.spbCategory(category: category, reason: reason),
                                      source: .spb, rawLabel: reason, labelKey: DatasetLabelMapping.spbLabel(category: category, reason: reason), created: table.value(r, "created_dt"),
                                      latitude: Double(table.value(r, "latitude")), longitude: Double(table.value(r, "longitude")), channel: "portal",
                                      rubric: table.value(r, "city_object")))
        }
        return rows
    }
}

/// Kursk «Тематика» → «Категория» as observed in the train file (a function there, per README).
public struct KurskCategoryIndex: Sendable {
    private var map: [String: Int] = [:]
    public init() {}
    mutating func record(tematika: String, kategoriya: Int) { map[DatasetLabelMapping.key(tematika)] = kategoriya }
    /// Train mapping first, then the explicit table for Тематика values unseen in train.
    public func kategoriya(for tematika: String) -> Int? {
        let k = DatasetLabelMapping.key(tematika)
        return map[k] ?? DatasetLabelMapping.kurskUnseenTopicCategory[k]
    }
}
