import DataKit
import Foundation
import Taxonomy
import Testing
@testable import TextAnalysis

/// shared/data next to the repository (walks up from this file; VECHE_SHARED_DATA overrides).
func sharedData() -> String? {
    if let d = DataFiles.sharedDataDirectory(from: #filePath) { return d }
    let fallback = "/work/shared/data"
    return FileManager.default.fileExists(atPath: fallback) ? fallback : nil
}

@Suite struct TaxonomyTests {
    @Test func topicsAndCategories() {
        #expect(Taxonomy.topics.count == 9)
        for t in Taxonomy.topics {
            #expect(t.categories.count >= 4, "\(t.code)")
            #expect(Taxonomy.category(code: t.code + ".other") != nil)
            for c in t.categories { #expect(c.code.hasPrefix(t.code + ".")) }
        }
        #expect(Taxonomy.category(code: "housing.heating")?.nameRu == "Отопление")
        #expect(Taxonomy.topic(forCategory: "roads.potholes")?.nameRu == "Дороги")
        #expect(Set(Taxonomy.allCategories.map(\.code)).count == Taxonomy.allCategories.count)
        #expect(MonitoringFlag.allCases.count == 4)
    }
}

@Suite struct TextTests {
    @Test func normalisation() {
        #expect(TextNormalizer.normalize("<p>Ёлка&nbsp;во&nbsp;ДВОРЕ</p><br/>упала &laquo;ночью&raquo; &#8470;5") == "елка во дворе упала «ночью» №5")
        #expect(TextNormalizer.stripHTML("a < b & c") == "a < b & c")
        #expect(TextNormalizer.normalize("  Много \n\n пробелов\t ") == "много пробелов")
        #expect(TextNormalizer.stripHTML("x&#x41;y&amp;z") == "xAy&z")
    }

    @Test func tokenizer() {
        #expect(Tokenizer.normalizedTokens("Северо-Западный р-н, д.5 кв.12!") == ["северо-западный", "р-н", "д", "5", "кв", "12"])
        #expect(Tokenizer.tokenize("яма - на дороге") == ["яма", "на", "дороге"])
    }

    @Test func stemming() throws {
        let s = try RussianStemmer()
        #expect(s.stem("дороги") == s.stem("дорога"))
        #expect(s.stem("отопления") == "отоплен")
        #expect(s.stem("подъездов") == s.stem("подъезд"))
        #expect(s.stem("abc123") == "abc123")
        #expect(s.stems(of: "Нет горячей воды в квартире") == ["горяч", "вод", "квартир"])
    }
}

@Suite struct PIITests {
    let r = PIIRedactor()

    @Test func allPatternsCompile() { #expect(r.ruleCount == PIIRedactor.expectedRuleCount) }

    @Test func phones() {
        for p in ["+7 (912) 345-67-89", "8-912-345-67-89", "89123456789", "+79123456789", "8 (4712) 51-23-45", "+7 912 345 67 89", "(912) 345-67-89"] {
            let out = r.redact("Мой телефон \(p), звоните")
            #expect(out.text == "Мой телефон [ТЕЛЕФОН], звоните", "\(p) → \(out.text)")
            #expect(out.kinds == [.phone])
        }
        #expect(r.redact("тел. 51-23-45").text == "тел. [ТЕЛЕФОН]")
        // house numbers, years and sums are not phones
        #expect(r.redact("дом 15, в 2021 году заплатили 12500 рублей").kinds.isEmpty)
    }

    @Test func documentsAndCards() {
        let t = "СНИЛС 112-233-445 95, ИНН 500100732259, паспорт 38 04 123456, карта 4276 3800 1234 5679, почта ivan.petrov@mail.ru"
        let out = r.redact(t)
        #expect(out.text == "СНИЛС [СНИЛС], ИНН [ИНН], паспорт [ПАСПОРТ], карта [КАРТА], почта [EMAIL]", "\(out.text)")
        #expect(Set(out.kinds) == [.snils, .inn, .passport, .bankCard, .email])
        #expect(PIIRedactor.luhn("4276 3800 1234 5679"))
        #expect(!PIIRedactor.luhn("4276 3800 1234 5675"))
        // a 16-digit number failing Luhn is left alone
        #expect(!r.redact("номер заявки 1234 5678 1234 5678").kinds.contains(.bankCard))
        #expect(PIIRedactor.validINN("7707083893"))
        #expect(r.redact("серия 3804 № 123456 выдан").text == "[ПАСПОРТ] выдан")
    }

    @Test func namesAddressesBirthDates() {
        let t = "Я, Петров Иван Сергеевич, 12.03.1985 г.р., проживаю по адресу: г. Курск, ул. Ленина, д. 15, кв. 42. Обращалась к Сидоровой Анне Петровне и к Иванову И.И., а также к А.В. Смирнову."
        let out = r.redact(t)
        #expect(out.text == "Я, [ФИО], [ДАТА_РОЖДЕНИЯ], проживаю по адресу: г. Курск, ул. Ленина, д. 15, кв. [КВАРТИРА]. Обращалась к [ФИО] и к [ФИО], а также к [ФИО].", "\(out.text)")
        #expect(out.counts[.fullName] == 4)
        #expect(Set(out.kinds) == [.fullName, .birthDate, .apartment])
        let d = r.redact("дата рождения: 5 мая 1990 года, квартира 7")
        #expect(d.text == "дата рождения: [ДАТА_РОЖДЕНИЯ], квартира [КВАРТИРА]", "\(d.text)")
        // street names stay; plain capitalised words are not names
        #expect(r.redact("На улице Пушкина у дома 3 яма. Администрация Курского района не отвечает.").kinds.isEmpty)
    }
}

@Suite struct MonitoringTests {
    @Test func positives() throws {
        let d = try MonitoringDetector()
        #expect(d.detect("Инспектор потребовал взятку за подписание акта").map(\.flag) == [.corruption])
        #expect(d.detect("Подрядчик получил контракт за откат чиновникам администрации").map(\.flag) == [.corruption])
        #expect(d.detect("В подъезде постоянно делают закладки, ходят наркоманы").map(\.flag) == [.drugs])
        #expect(d.detect("Во дворе оставили подозрительную сумку, похоже на взрывное устройство").map(\.flag) == [.terrorism])
        #expect(d.detect("Угрожают совершить теракт в школе").map(\.flag) == [.terrorism])
        #expect(d.detect("На стене дома нарисована свастика, это экстремизм").map(\.flag) == [.extremism])
        let hits = d.detect("Чиновники берут взятки, а в парке продают наркотики")
        #expect(hits.map(\.flag) == [.corruption, .drugs])
        #expect(hits.first?.evidence == ["взятки"])
    }

    @Test func negativesAndContext() throws {
        let d = try MonitoringDetector()
        #expect(d.detect("Сломан откат ворот во дворе, не закрываются").isEmpty)
        #expect(d.detect("Когда начнётся закладка фундамента новой школы?").isEmpty)
        #expect(d.detect("Прошу провести антитеррористическую проверку подвала и антинаркотическую акцию").isEmpty)
        #expect(d.detect("Нет горячей воды третий день").isEmpty)
        #expect(d.detect("Цены на проезд просто бомба").isEmpty)
    }
}

@Suite struct DuplicateTests {
    @Test func groupsSameProblemNearbyAndSeparatesOthers() throws {
        let idx = try DuplicateIndex()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let a = idx.add(DuplicateCandidate(id: "1", text: "Огромная яма на дороге у дома 5 по улице Ленина", topicCode: "roads", categoryCode: "roads.potholes",
                                           latitude: 51.7300, longitude: 36.1900, date: t0))
        #expect(a.isNewGroup)
        // same problem, other channel, 30 m away, next day, different wording
        let b = idx.add(DuplicateCandidate(id: "2", text: "Яма на проезжей части возле дома 5, Ленина", topicCode: "roads", categoryCode: "roads.potholes",
                                           latitude: 51.7302, longitude: 36.1903, date: t0.addingTimeInterval(86_400)))
        #expect(!b.isNewGroup && b.groupId == a.groupId && b.matchedId == "1")
        // same place, different topic
        let c = idx.add(DuplicateCandidate(id: "3", text: "Нет отопления в квартире", topicCode: "housing", categoryCode: "housing.heating",
                                           latitude: 51.7301, longitude: 36.1901, date: t0.addingTimeInterval(3_600)))
        #expect(c.isNewGroup)
        // same problem but 2 km away
        let d = idx.add(DuplicateCandidate(id: "4", text: "Огромная яма на дороге", topicCode: "roads", categoryCode: "roads.potholes",
                                           latitude: 51.7480, longitude: 36.1900, date: t0.addingTimeInterval(7_200)))
        #expect(d.isNewGroup)
        // same place and problem but a month later
        let e = idx.add(DuplicateCandidate(id: "5", text: "Огромная яма на дороге у дома 5 по улице Ленина", topicCode: "roads", categoryCode: "roads.potholes",
                                           latitude: 51.7300, longitude: 36.1900, date: t0.addingTimeInterval(40 * 86_400)))
        #expect(e.isNewGroup)
        // text-only channel (no coordinates): near-identical text joins the first group
        let f = idx.add(DuplicateCandidate(id: "6", text: "Огромная яма на дороге у дома 5 по улице Ленина!!!", topicCode: "roads",
                                           date: t0.addingTimeInterval(2 * 86_400)))
        #expect(f.groupId == a.groupId)
        #expect(idx.count == 6)
    }

    /// A mass campaign (the same complaint with different house numbers, one place) must not make each new
    /// appeal compare against every earlier one: the comparisons per `add` stay under the bucket bound while
    /// the whole campaign still lands in one group.
    @Test func campaignOfTenThousandCostsBoundedComparisonsPerAppeal() throws {
        let idx = try DuplicateIndex()
        let o = idx.options
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        // The geo neighbourhood is 3 × (2·dLon + 1) cells at 51.7°N (dLon = 2): 15 cells, plus the LSH bands.
        let bound = (o.lshBands + 15) * o.maxBucketMembers
        var worst = 0
        var groups = Set<Int>()
        for i in 0..<10_000 {
            let before = idx.comparisons
            let d = idx.add(DuplicateCandidate(id: "\(i)", text: "Прошу отремонтировать крышу нашего дома номер \(i % 300) по улице Ленина, течёт в квартиры",
                                               topicCode: "housing", categoryCode: "housing.roof",
                                               latitude: 51.73, longitude: 36.19, date: t0.addingTimeInterval(Double(i))))
            worst = max(worst, idx.comparisons - before)
            groups.insert(d.groupId)
        }
        #expect(worst <= bound, "an add compared \(worst) candidates (bound \(bound))")
        #expect(worst > 0)
        #expect(groups.count == 1)
    }

    /// Items older than the time window before the latest appeal are dropped, so the index does not keep the
    /// whole history in memory (and such items could never match anyway).
    @Test func itemsOutsideTheTimeWindowAreDropped() throws {
        let idx = try DuplicateIndex()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        for i in 0..<20_000 {
            idx.add(DuplicateCandidate(id: "\(i)", text: "Обращение номер \(i) о разном \(i * 7919)", date: t0.addingTimeInterval(Double(i) * 3_600)))
        }
        // 7 days of hourly appeals (168) are live at most, plus what arrived since the last compaction.
        #expect(idx.count <= 168 + 10_000)
        #expect(idx.count < 20_000)
    }

    /// A compaction drops expired items wherever they sit (an appeal arriving out of time order leaves a hole
    /// after live items): a later appeal still finds the live item placed before the hole, never the dropped one,
    /// and `count` is what is live.
    @Test func matchesAcrossACompactionWithHoles() throws {
        let idx = try DuplicateIndex()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let day = 86_400.0
        let roof = "Протекает крыша над третьим подъездом дома 12 по улице Ленина"
        let lift = "Не работает лифт во втором подъезде дома 40 по проспекту Мира уже неделю"
        idx.add(DuplicateCandidate(id: "old", text: "Сломана скамейка у детской площадки", topicCode: "urban", date: t0))
        let kept = idx.add(DuplicateCandidate(id: "kept", text: roof, topicCode: "housing", date: t0.addingTimeInterval(8 * day)))
        // Out of time order: placed after "kept" but as old as "old".
        idx.add(DuplicateCandidate(id: "late-old", text: lift, topicCode: "housing", date: t0))
        // Fillers a minute apart up to the compaction (every 10,000 adds), all distinct.
        for i in 0..<9_997 {
            idx.add(DuplicateCandidate(id: "f\(i)", text: "Обращение \(i) вопрос \(i &* 7919) тема \(i &* 104_729)",
                                       date: t0.addingTimeInterval(8 * day + Double(i) * 60)))
        }
        #expect(idx.count < 10_000, "the two expired items were dropped (\(idx.count) live)")
        let latest = t0.addingTimeInterval(8 * day + 9_997 * 60)
        let again = idx.add(DuplicateCandidate(id: "again", text: roof + "!", topicCode: "housing", date: latest))
        #expect(!again.isNewGroup && again.groupId == kept.groupId && again.matchedId == "kept")
        let dropped = idx.add(DuplicateCandidate(id: "lift", text: lift + "!", topicCode: "housing", date: latest))
        #expect(dropped.isNewGroup, "an expired item is never matched")
    }

    /// Topic and category codes: an appeal whose topic no item has never matches an item with a topic, one without a
    /// topic matches on text; a string used as one item's category is not taken for another's topic.
    @Test func topicAndCategoryCodesCompareAsStrings() throws {
        let idx = try DuplicateIndex()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let text = "Огромная яма на дороге у дома 5 по улице Ленина"
        let first = idx.add(DuplicateCandidate(id: "1", text: text, topicCode: "roads", categoryCode: "housing",
                                               latitude: 51.73, longitude: 36.19, date: t0))
        let unknownTopic = idx.add(DuplicateCandidate(id: "2", text: text, topicCode: "transport", categoryCode: "roads.potholes",
                                                      latitude: 51.73, longitude: 36.19, date: t0.addingTimeInterval(60)))
        #expect(unknownTopic.isNewGroup)
        // "housing" is the first item's category, not its topic: the topics differ.
        let categoryAsTopic = idx.add(DuplicateCandidate(id: "3", text: text, topicCode: "housing",
                                                         latitude: 51.73, longitude: 36.19, date: t0.addingTimeInterval(120)))
        #expect(categoryAsTopic.isNewGroup)
        let noTopic = idx.add(DuplicateCandidate(id: "4", text: text, latitude: 51.73, longitude: 36.19, date: t0.addingTimeInterval(180)))
        #expect(!noTopic.isNewGroup)
        let sameTopic = idx.add(DuplicateCandidate(id: "5", text: text, topicCode: "roads", categoryCode: "housing",
                                                   latitude: 51.73, longitude: 36.19, date: t0.addingTimeInterval(240)))
        #expect(sameTopic.groupId == first.groupId)
    }

    @Test func spbQuickEvaluation() throws {
        guard let dir = sharedData() else { return }
        let rep = try DuplicateEvaluation.evaluateSPb(dataDirectory: dir, limit: 8_000)
        #expect(rep.recall > 0.5, "\(rep)")
        #expect(rep.precision > 0.3, "\(rep)")
    }
}

@Suite struct PIIFalsePositiveTests {
    let r = PIIRedactor()

    @Test func streetsNamedAfterPeopleAndGreetings() {
        #expect(r.redact("Яма у дома 5 по ул. Олеко Дундича, кв. 3").text == "Яма у дома 5 по ул. Олеко Дундича, кв. [КВАРТИРА]")
        #expect(r.redact("Улица Олеко Дундича, дом 21").kinds.isEmpty)
        #expect(r.redact("Уважаемый Роман Владимирович! Прошу помочь").text == "Уважаемый [ФИО]! Прошу помочь")
        #expect(r.redact("График уборки на 01.11.2020 не вывешен, ремонт был в 2001 году").kinds.isEmpty)
        #expect(r.redact("Житель 1985 г.р. сообщает").text == "Житель [ДАТА_РОЖДЕНИЯ] сообщает")
    }
}
