import Foundation

/// The feature blocks of the classifier. Every term is identified by a 64-bit FNV-1a hash of its
/// characters (no strings are built for character n-grams); a model keeps only the hashes of the terms
/// it has weights for. Each block is a separate sublinear TF-IDF vector, L2-normalised on its own
/// (as scikit-learn's FeatureUnion of TfidfVectorizers).
public enum FeatureBlock: String, Codable, Sendable, CaseIterable {
    /// Snowball stems of content words (stop words, 1-letter words and numbers dropped) and adjacent stem bigrams.
    case stems
    /// Character n-grams of 2…5 scalars inside space-padded words of the normalised text (scikit-learn `char_wb`).
    case charNgrams
    /// The intake channel (`pos`, `portal`, …) as one indicator feature of value 1: channels differ in who
    /// writes and which rubrics they use, so the model learns a per-channel prior. Channels without training
    /// data have no feature and are classified from the text alone.
    case channel
    /// The channel's own rubric the citizen chose on its form (`IncomingAppeal.topic_hint` when it is not a taxonomy
    /// code — on the St Petersburg portal the kind of object, «Дом», «Двор», «Улица»…), as one indicator of value 1 per
    /// channel and rubric (`Rubric.key`). Appeals without one, and rubrics without training data, have no feature.
    case rubric

    var seed: UInt64 {
        switch self {
        case .stems: return 0x5354_454D_5331_0001
        case .charNgrams: return 0x4348_4152_5742_0002
        case .channel: return 0x4348_414E_4E45_0003
        case .rubric: return 0x5255_4252_4943_0004
        }
    }

    /// Blocks whose features are plain indicators of value 1, not TF-IDF vectors (no IDF, no normalisation).
    var isIndicator: Bool { self == .channel || self == .rubric }

    /// The one feature of the channel block: a hash of the channel name; nil when the channel is unknown. One
    /// definition for the reference path (`HashedFeatureExtractor.counts`) and the fast one (`TextVectorizer`).
    static func channelHash(_ channel: String) -> UInt64? {
        guard !channel.isEmpty else { return nil }
        var h = FNV64(seed: FeatureBlock.channel.seed)
        h.add(channel)
        return h.value
    }

    /// The one feature of the rubric block: a hash of the channel and the rubric's `Rubric.key`; nil without a rubric.
    static func rubricHash(channel: String, rubric: String) -> UInt64? {
        let k = Rubric.key(rubric)
        guard !k.isEmpty else { return nil }
        var h = FNV64(seed: FeatureBlock.rubric.seed)
        h.add(channel)
        h.add(0x1F)
        h.add(k)
        return h.value
    }
}

/// How the classifier matches a channel's rubric (which hints are rubrics: `Taxonomy.rubric(topicHint:)`).
public enum Rubric {
    /// The rubric text folded for matching: lower case, `ё` as `е`, runs of white space as one space, trimmed.
    public static func key(_ rubric: String) -> String {
        rubric.lowercased().replacingOccurrences(of: "ё", with: "е")
            .split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }
}

/// 64-bit FNV-1a, fed with Unicode scalar values.
struct FNV64 {
    static let prime: UInt64 = 0x0000_0100_0000_01B3
    var value: UInt64
    init(seed: UInt64) { value = 0xCBF2_9CE4_8422_2325 ^ seed }
    @inline(__always) mutating func add(_ scalar: UInt32) {
        value = (value ^ UInt64(scalar & 0xFF)) &* Self.prime
        value = (value ^ UInt64(scalar >> 8)) &* Self.prime
    }
    mutating func add(_ s: String) { for u in s.unicodeScalars { add(u.value) } }
}

/// Extracts hashed term counts of every block from one text. Owns a Snowball stemmer (not thread-safe):
/// one extractor per worker.
public final class HashedFeatureExtractor {
    let stemTerms: FeatureExtractor
    public static let charRange = 2...5

    public init() throws { stemTerms = try FeatureExtractor() }

    /// Term hash → count, per block. `channel`: the appeal's intake channel name ("" = unknown); `rubric`: the
    /// channel's own rubric ("" = none).
    func counts(_ text: String, channel: String, rubric: String = "") -> [FeatureBlock: [UInt64: Float]] {
        let normalized = TextNormalizer.normalize(text)
        var out: [FeatureBlock: [UInt64: Float]] = [.stems: stemCounts(normalized), .charNgrams: Self.charCounts(normalized)]
        if let h = FeatureBlock.channelHash(channel) { out[.channel] = [h: 1] }
        if let h = FeatureBlock.rubricHash(channel: channel, rubric: rubric) { out[.rubric] = [h: 1] }
        return out
    }

    private func stemCounts(_ normalized: String) -> [UInt64: Float] {
        var out: [UInt64: Float] = [:]
        for t in stemTerms.terms(normalizedText: normalized) {
            var h = FNV64(seed: FeatureBlock.stems.seed)
            h.add(t)
            out[h.value, default: 0] += 1
        }
        return out
    }

    /// The hash of every character n-gram (n in `charRange`) of one space-padded word, in order: the one definition
    /// behind `charCounts` and the classifier's fast vectoriser (`TextVectorizer`).
    @inline(__always) static func forEachCharNgram(_ word: [UInt32], _ body: (UInt64) -> Void) {
        let n = word.count
        for i in 0..<(n - 1) {
            var h = FNV64(seed: FeatureBlock.charNgrams.seed)
            h.add(word[i])
            var len = 1
            while len < charRange.upperBound, i + len < n {
                h.add(word[i + len])
                len += 1
                if len >= charRange.lowerBound { body(h.value) }
            }
        }
    }

    /// scikit-learn `char_wb`: each whitespace-separated word is padded with one space on both sides and
    /// every n-gram (n in `charRange`) inside it is counted; a padded word shorter than n yields nothing
    /// for that n (it was counted whole at n = its length).
    static func charCounts(_ normalized: String) -> [UInt64: Float] {
        var out: [UInt64: Float] = [:]
        out.reserveCapacity(normalized.unicodeScalars.count * 3)
        var word: [UInt32] = [32]
        func flush() {
            guard word.count > 1 else { return }
            word.append(32)
            forEachCharNgram(word) { out[$0, default: 0] += 1 }
            word.removeAll(keepingCapacity: true)
            word.append(32)
        }
        for u in normalized.unicodeScalars {
            if u.properties.isWhitespace { flush() } else { word.append(u.value) }
        }
        flush()
        return out
    }
}
