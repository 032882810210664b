import DataKit
import Foundation
import Taxonomy
import Testing
@testable import TextAnalysis

@Suite struct LabelMappingTests {
    /// Every rule targets a taxonomy category and is the first rule to match its own real example
    /// (so no earlier rule shadows it and the example really is labelled by it).
    @Test func everyRuleLabelsItsRealExample() {
        for (name, rules) in [("kursk", DatasetLabelMapping.kurskRules), ("spb", DatasetLabelMapping.spbRules)] {
            for (i, rule) in rules.enumerated() {
                #expect(Taxonomy.category(code: rule.code) != nil, "\(name) r\(i) \(rule.code)")
                #expect(DatasetLabelMapping.firstRule(rules, matching: rule.example) == i,
                        "\(name) r\(i) \(rule.needles): example «\(rule.example)» is labelled by r\(DatasetLabelMapping.firstRule(rules, matching: rule.example).map(String.init) ?? "none")")
            }
        }
        for c in DatasetLabelMapping.kurskCategoryFallback.values { #expect(Taxonomy.category(code: c) != nil, "\(c)") }
    }

    /// Needles match at the start of a word only: the substring faults of issue #13 cannot recur.
    @Test func needlesMatchWordStarts() {
        #expect(DatasetLabelMapping.occursAtWordStart("урн", in: "неочищенные урны"))
        #expect(!DatasetLabelMapping.occursAtWordStart("урн", in: "состояние малых архитектурных форм"))
        #expect(!DatasetLabelMapping.occursAtWordStart("спорт", in: "санитарное состояние транспорта"))
        #expect(DatasetLabelMapping.occursAtWordStart("спорт", in: "содержание спортивных площадок"))
        #expect(!DatasetLabelMapping.occursAtWordStart("провода", in: "протечка трубопровода"))
        #expect(DatasetLabelMapping.occursAtWordStart("замороженная", in: "«замороженная» стройка"))
        #expect(DatasetLabelMapping.occursAtWordStart("пцр", in: "пцр-тест, тест на антитела"))
        // a later occurrence at a word start still counts
        #expect(DatasetLabelMapping.occursAtWordStart("урн", in: "архитектурных форм и урн"))
    }

    /// The two faults reported in issue #13, on the real St Petersburg labels.
    @Test func issue13Faults() {
        let street = "Благоустройство"
        #expect(DatasetLabelMapping.spbCategory(category: street, reason: "Ненадлежащее состояние малых архитектурных форм, уличной мебели и хозяйственно-бытового оборудования, необходимого для благоустройства территории") == "housing.yard_improvement")
        #expect(DatasetLabelMapping.spbCategory(category: street, reason: "Предложения по установке малых архитектурных форм, уличной мебели и хозяйственно-бытового оборудования, необходимого для благоустройства территории") == "housing.yard_improvement")
        #expect(DatasetLabelMapping.spbCategory(category: street, reason: "Неочищенные урны") == "waste.litter")
        #expect(DatasetLabelMapping.spbCategory(category: street, reason: "Предложение по установке урны у остановочного павильона") == "waste.litter")
        let infra = "Повреждения или неисправность элементов уличной инфраструктуры"
        #expect(DatasetLabelMapping.spbCategory(category: infra, reason: "Открыт колодец, люк") == "housing.manholes")
        #expect(DatasetLabelMapping.spbCategory(category: infra, reason: "Неудовлетворительное состояние колодца, люка") == "housing.manholes")
        // the rubbish-chute hatch is not a street manhole
        #expect(DatasetLabelMapping.spbCategory(category: "Содержание МКД", reason: "Отсутствие/неисправность крышки загрузочного люка мусоропровода") == "waste.container_sites")
        // Kursk labels open manholes the same way
        #expect(DatasetLabelMapping.kurskCategory(tematika: "Отсутствие люков на коммуникационных колодцах", kategoriya: 3) == "housing.manholes")
    }

    @Test func kurskFallbackAndUnknownLabels() {
        #expect(DatasetLabelMapping.kurskCategory(tematika: "Что-то новое", kategoriya: 7) == "education.other")
        #expect(DatasetLabelMapping.kurskCategory(tematika: "Что-то новое", kategoriya: nil) == "other.other")
        #expect(DatasetLabelMapping.spbCategory(category: "Новая рубрика", reason: "Что-то новое") == "other.other")
    }

    /// On the real data: every rule labels rows, no St Petersburg row and no Kursk row falls through,
    /// and the fixed rules label exactly the rows the issue counted.
    @Test func everyRuleLabelsRealRows() throws {
        guard let dir = sharedData() else { return }
        let report = LabelMappingReport(splits: try ClassifierSplits.load(dataDirectory: dir, includeTest: true))
        #expect(report.unusedRules.isEmpty, "\(report.unusedRules.map { "\($0.dataset) \($0.rule)" })")
        #expect(!report.lines.contains { $0.rule == "unmatched" || $0.rule == "fallback" },
                "\(report.lines.filter { $0.rule == "unmatched" || $0.rule == "fallback" }.map { "\($0.dataset) \($0.rule) \($0.labels.prefix(3))" })")
        func total(_ dataset: String, _ needles: [String]) -> Int {
            report.lines.first { $0.dataset == dataset && $0.needles == needles }?.total ?? -1
        }
        #expect(total("spb", ["малых архитектурных форм"]) == 1_320)
        #expect(total("spb", ["колод"]) == 1_164)
        #expect(total("spb", ["урн"]) == 519)
        #expect(report.lines.reduce(0) { $0 + $1.total } == 62_889)
    }

    @Test func everyKurskTestTopicHasACategory() throws {
        guard let dir = sharedData() else { return }
        let (_, index) = try AppealDatasets.loadKurskTrain(dataDirectory: dir)
        let test = try CSVTable.load(path: dir + "/" + AppealDatasets.kurskTestFile)
        let unmapped = Set(test.rows.map { test.value($0, "Тематика") }).filter { index.kategoriya(for: $0) == nil }
        #expect(unmapped.isEmpty, "\(unmapped)")
    }
}
