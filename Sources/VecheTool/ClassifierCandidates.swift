import TextAnalysis

/// The candidate settings `classifier-select` compares on the validation split — a small, fixed list
/// (each is trained once and scored with every category decoding), not a blind grid:
/// text only; with the channel indicator; Kursk rows up-weighted (they are 5 % of the rows but most
/// of the sectors); class re-weighting towards rare classes (macro-F1 counts every class equally).
enum ClassifierCandidates {
    static var all: [ClassifierConfig] {
        var textOnly = ClassifierConfig()
        textOnly.blocks = [.stems, .charNgrams]
        let withChannel = ClassifierConfig()
        var kursk = withChannel
        kursk.kurskWeight = 3
        var balanced = withChannel
        balanced.classBalancePower = 0.5
        var both = kursk
        both.classBalancePower = 0.5
        return [textOnly, withChannel, kursk, balanced, both]
    }
}
