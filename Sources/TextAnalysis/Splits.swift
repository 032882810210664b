import Foundation

/// The evaluation protocol's data splits — one definition shared by training, model selection,
/// the baseline export and the test evaluation.
///
/// * test: the Kursk test file and St Petersburg rows created on/after `testFrom` (temporal hold-out);
/// * validation (carved from training data only): a seeded `kurskValidationShare` of the Kursk train
///   file and St Petersburg rows created in [`validationFrom`, `testFrom`) — the month before the test
///   period, so selection sees the same kind of temporal shift as the test;
/// * train: everything else.
///
/// Model selection (`ModelSelection`) loads train and validation only; the test rows are loaded
/// only by `ClassifierEvaluation`, which records each look in the test log (`TestLog`).
public struct ClassifierSplits: Sendable {
    /// Where the splits fall: St Petersburg validation and test start dates, the Kursk validation share and seed.
    public struct Settings: Sendable, Codable, Equatable {
        public var validationFrom = "2021-02-01"
        public var testFrom = "2021-03-01"
        public var kurskValidationShare = 0.2
        public var seed: UInt64 = 20_240_611
        public init() {}
    }

    /// One of the three parts of the protocol, e.g. to pick rows with `rows(_:)`.
    public enum Part: String, Sendable, Codable, CaseIterable { case train, validation, test }

    public let train: [LabeledAppeal]
    public let validation: [LabeledAppeal]
    /// Empty unless loaded with `includeTest`.
    public let test: [LabeledAppeal]
    public let settings: Settings

    public init(train: [LabeledAppeal], validation: [LabeledAppeal], test: [LabeledAppeal], settings: Settings) {
        self.train = train
        self.validation = validation
        self.test = test
        self.settings = settings
    }

    /// Loads and splits the shared datasets. `includeTest: false` never reads the Kursk test file and
    /// drops St Petersburg test-period rows right after parsing.
    public static func load(dataDirectory: String, settings: Settings = Settings(), includeTest: Bool) throws -> ClassifierSplits {
        let (kursk, index) = try AppealDatasets.loadKurskTrain(dataDirectory: dataDirectory)
        let (kTrain, kValidation) = carveKursk(kursk, settings: settings)
        let spb = try AppealDatasets.loadSPb(dataDirectory: dataDirectory)
        let sTrain = spb.filter { $0.created < settings.validationFrom }
        let sValidation = spb.filter { $0.created >= settings.validationFrom && $0.created < settings.testFrom }
        var test: [LabeledAppeal] = []
        if includeTest {
            test = try AppealDatasets.loadKurskTest(dataDirectory: dataDirectory, index: index)
                + spb.filter { $0.created >= settings.testFrom }
        }
        return ClassifierSplits(train: kTrain + sTrain, validation: kValidation + sValidation, test: test, settings: settings)
    }

    /// Seeded split of the Kursk train file (stable under row order: ranks rows by a hash of id and seed).
    static func carveKursk(_ rows: [LabeledAppeal], settings: Settings) -> (train: [LabeledAppeal], validation: [LabeledAppeal]) {
        let ranked = rows.map { ($0, stableHash($0.id, seed: settings.seed)) }.sorted { $0.1 < $1.1 }
        let nValidation = Int((Double(rows.count) * settings.kurskValidationShare).rounded())
        let validationIDs = Set(ranked.prefix(nValidation).map { $0.0.id })
        return (rows.filter { !validationIDs.contains($0.id) }, rows.filter { validationIDs.contains($0.id) })
    }

    /// Share of operators' corrections held out from training: the activation gate compares models on them.
    public static let heldOutCorrectionShare = 0.2

    /// True for the corrections (by appeal id, stable) that are never trained on.
    public static func isHeldOutCorrection(appealID: String, settings: Settings = Settings()) -> Bool {
        Double(stableHash(appealID, seed: settings.seed) % 1000) < heldOutCorrectionShare * 1000
    }

    /// All rows of the given parts (train, then validation, then test).
    public func rows(_ parts: [Part]) -> [LabeledAppeal] {
        parts.flatMap { p -> [LabeledAppeal] in
            switch p {
            case .train: return train
            case .validation: return validation
            case .test: return test
            }
        }
    }
}

/// FNV-1a of a string's UTF-8 mixed with a seed through SplitMix64 (platform-independent, unlike `Hasher`).
func stableHash(_ s: String, seed: UInt64) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
    var mix = SplitMix64(seed: h)
    return mix.next()
}
