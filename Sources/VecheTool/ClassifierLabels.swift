import ArgumentParser
import TextAnalysis

/// `veche-tool classifier-labels`: how many rows each dataset label-mapping rule labels.
struct ClassifierLabels: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "classifier-labels",
        abstract: "Report how many Kursk / St Petersburg rows each label-mapping rule labels, per split, with the raw labels it covers.")
    @OptionGroup var data: DataOptions
    @Flag(help: "Only the per-rule counts, without the raw labels.") var brief = false

    func run() throws {
        let splits = try ClassifierSplits.load(dataDirectory: try data.directory(), includeTest: true)
        let report = LabelMappingReport(splits: splits)
        print(report.render(showLabels: !brief), terminator: "")
        let unused = report.unusedRules
        print(unused.isEmpty ? "every rule labels at least one row" : "rules labelling no row: " + unused.map { "\($0.dataset) \($0.rule)" }.joined(separator: ", "))
    }
}
