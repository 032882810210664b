/// What an appeal's text alone tells at intake: the classification, the redacted text with its search lexemes,
/// the special-monitoring flags and the duplicate features.
public struct AppealTextFacts: Sendable {
    public var classification: Classification
    public var redactedText: String
    /// The full-text search lexemes of `redactedText` (nil: PostgreSQL computes them when the appeal is stored).
    public var searchLexemes: [String]?
    /// Distinct flags, sorted.
    public var monitoringFlags: [String]
    public var features: DuplicateFeatures
}

/// One set of the intake's text tools and the order they run in: AppealService's text workers and
/// `veche-tool bench --text` both call `analyse`, so the bench times exactly the intake's text work.
/// Not thread-safe (each tool owns a Snowball stemmer): one thread uses a set at a time.
public final class AppealTextWork {
    public let classifier: AppealClassifier
    public let redactor = PIIRedactor()
    public let monitor: MonitoringDetector
    public let duplicates: DuplicateFeaturizer
    public let search: SearchLexemes

    public init(model: ClassifierModel, duplicateOptions: DuplicateIndexOptions = DuplicateIndexOptions()) throws {
        classifier = try AppealClassifier(model: model)
        monitor = try MonitoringDetector()
        duplicates = try DuplicateFeaturizer(options: duplicateOptions)
        search = try SearchLexemes()
    }

    /// `rubric`: the channel's own rubric, a classifier feature ("" when none). The tokens are computed once, for
    /// the monitoring detector and the duplicate features; the classifier reads the text itself (character n-grams),
    /// and redaction works on the body as the citizen wrote it.
    public func analyse(title: String, body: String, channel: String, rubric: String) -> AppealTextFacts {
        let text = AppealClassifier.inputText(title: title, body: body)
        let tokens = Tokenizer.normalizedTokens(text)
        let classification = classifier.classify(text, channel: channel, rubric: rubric)
        let redacted = redactor.redact(body).text
        return AppealTextFacts(classification: classification, redactedText: redacted, searchLexemes: search.lexemes(of: redacted),
                               monitoringFlags: Array(Set(monitor.detect(tokens: tokens).map(\.flag.rawValue))).sorted(),
                               features: duplicates.features(tokens: tokens))
    }
}
