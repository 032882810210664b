import DataKit
import Foundation
import Testing
import TextAnalysis
@testable import AgencyService
@testable import MediaMonitoring

/// The monitored directory of the demo region, built from the AgencyService seed.
let kurskDetector: MentionDetector = {
    let agencies = KurskSeed.agencies.map { DirectoryAliases.Body(id: $0.id, name: $0.name, shortName: $0.short) }
    let municipalities = KurskSeed.municipalities.map { DirectoryAliases.Body(id: $0.oktmo, name: $0.name) }
    let entities = DirectoryAliases.entities(
        region: (name: KurskSeed.regionName, genitive: "Курской области", aliases: ["Курщина"]), regionID: KurskSeed.regionOKTMO,
        governorNames: [], governmentID: "kursk-government", agencies: agencies, municipalities: municipalities)
    return MentionDetector(entities: entities)
}()

func substring(_ text: String, _ m: Mention) -> String {
    let s = Array(text.unicodeScalars)[m.offset..<(m.offset + m.length)]
    var v = String.UnicodeScalarView()
    v.append(contentsOf: s)
    return String(v)
}

@Suite struct InflectionTests {
    @Test func declensionClassesAcceptCaseFormsOnly() {
        #expect(InflectedWord("область").matches("области"))
        #expect(InflectedWord("Железногорский").matches("железногорском"))
        #expect(InflectedWord("губернатор").matches("губернатора"))
        #expect(InflectedWord("Курск").matches("курском"))
        #expect(!InflectedWord("Курск").matches("курской"), "the adjective belongs to «Курская область», not to the city")
        #expect(InflectedWord("инспекция").matches("инспекцией"))
        #expect(InflectedWord("управление").matches("управлению"))
        #expect(InflectedWord("Щигры").matches("щиграх"))
        #expect(InflectedWord("Обоянь").matches("обояни"))
        #expect(InflectedWord("ЖКХ").matches("жкх"))
        #expect(InflectedWord("ЦУР").matches("цура"), "colloquial declension of a consonant-final abbreviation")
        #expect(InflectedWord("ТКО").matches("тко") && !InflectedWord("ТКО").matches("ткоа"))
    }

    @Test func headNounInflectsAndItsComplementStaysFixed() {
        let p = NamePattern("Министерство здравоохранения Курской области")
        #expect(p.words.count == 4)
        #expect(p.words[0].matches("министерства"))
        #expect(!p.words[1].matches("здравоохранению"), "the genitive complement does not decline")
        #expect(NamePattern("город Курск").words[1].matches("курске"), "a town name after «город» agrees with it")
    }
}

@Suite struct MentionTests {
    func ids(_ text: String) -> [String] { kurskDetector.detect(text).map(\.entityID) }

    @Test func inflectedRegionDistrictAndGovernorWithOffsets() {
        let text = "Жители Железногорского района пожаловались губернатору Курской области на разбитые дороги."
        let ms = kurskDetector.detect(text)
        #expect(ms.map(\.entityID) == ["38608000", "governor"])
        #expect(ms.map { substring(text, $0) } == ["Железногорского района", "губернатору Курской области"])
        #expect(ms.map(\.text) == ms.map { substring(text, $0) })
        #expect(ms[0].offset == 7 && ms[0].length == 22)
    }

    @Test func longestMatchWinsOverNestedNames() {
        #expect(ids("Администрация Курского района не отвечает на звонки") == ["adm-38620000"])
        #expect(ids("В Железногорском районе опять нет воды") == ["38608000"])
        #expect(ids("Министерство здравоохранения Курской области ответило") == ["kursk-health"])
        #expect(ids("Дороги Курской области разбиты") == ["38000000"])
        #expect(ids("Правительство Курской области приняло решение") == ["kursk-government"])
    }

    @Test func abbreviationsAndColloquialNames() {
        #expect(ids("Минздрав обещал открыть ФАП в Обояни") == ["kursk-health", "38626101"])
        #expect(ids("Пишем в ГЖИ уже третий раз, жилинспекция молчит") == ["kursk-gzhi", "kursk-gzhi"])
        #expect(ids("Министерство ЖКХ и ТЭК проверит котельную") == ["kursk-zhkh"])
        #expect(ids("Регоператор не вывозит мусор неделю") == ["kursk-waste-operator"])
        #expect(ids("Курскэнерго отключило свет в Рыльске") == ["kurskenergo", "38634101"])
        #expect(ids("«Квадра» снова подняла тарифы под Курском") == ["kursk-kvadra", "38701000"])
        #expect(ids("Минобр и Роспотребнадзор проверят школу в Щиграх") == ["kursk-education", "rpn-kursk", "38716000"])
        #expect(ids("Обратился в ЦУР") == ["kursk-cur"])
    }

    @Test func noMentionWithoutADirectoryName() {
        #expect(ids("Проблемы ЖКХ обсуждали на форуме").isEmpty, "ЖКХ alone is a sector, not a body")
        #expect(ids("Курские соловьи поют в парке").isEmpty, "an adjective alone is not the city")
        #expect(ids("").isEmpty)
        #expect(ids("Губернаторский бал прошёл весело").isEmpty)
    }

    @Test func aliasesDerivedFromDirectoryNames() {
        let a = DirectoryAliases.agencyAliases(.init(id: "x", name: "Министерство образования и науки Курской области",
                                                     shortName: "Минобрнауки КО"), regionGenitive: "Курской области")
        #expect(a.contains("Министерство образования и науки"))
        #expect(a.contains("Министерство образования"))
        #expect(a.contains("минобр"))
        #expect(a.contains { $0.lowercased() == "минобрнауки" })
        #expect(DirectoryAliases.municipalityAliases("город Курск") == ["город Курск", "Курск", "г. Курск"])
    }

    /// Real Kursk appeals (shared/data, «Цифровой прорыв 2022»): every text in which a plain regular
    /// expression sees the governor, the region or Железногорск must yield the matching mention.
    @Test func realKurskAppealsMentioningBodies() throws {
        guard let dir = sharedData() else { return }
        let table = try CSVTable.load(path: dir + "/kursk_cp2022_appeals_train.csv.gz")
        var checked = 0
        for r in table.rows {
            let text = TextNormalizer.stripHTML(table.value(r, "Текст Сообщения"))
            let lower = text.lowercased()
            let ms = kurskDetector.detect(text)
            if lower.contains("губернатор") && !lower.contains("губернаторск") {
                #expect(ms.contains { $0.kind == .governor }, "\(text.prefix(200))")
                checked += 1
            }
            if lower.contains("курской области") {
                #expect(ms.contains { $0.text.lowercased().contains("курской области") }, "\(text.prefix(200))")
                checked += 1
            }
            if lower.contains("железногорск") {
                #expect(ms.contains { ["38705000", "38608000", "adm-38705000", "adm-38608000"].contains($0.entityID) }, "\(text.prefix(200))")
                checked += 1
            }
        }
        #expect(checked >= 40)
    }
}

/// shared/data next to the repository (VECHE_SHARED_DATA overrides).
func sharedData() -> String? {
    if let d = DataFiles.sharedDataDirectory(from: #filePath) { return d }
    return FileManager.default.fileExists(atPath: "/work/shared/data") ? "/work/shared/data" : nil
}
