import Taxonomy

/// Explicit mapping from the label schemes of the evaluation datasets to taxonomy category codes.
///
/// * Kursk «Цифровой прорыв 2022» (`kursk_cp2022_appeals_*.csv.gz`): the fine-grained «Тематика»
///   (161 values) is mapped by ordered keyword rules (`kurskRules`, first match wins). When no rule
///   matches, the coarse «Категория» code 0…16 decides via `kurskCategoryFallback`
///   (0 roads, 1 stray animals, 2 gov services, 3 housing/utilities+landscaping, 4 health, 5 culture,
///   6 COVID support, 7 education, 8 public transport, 9 telecom/post, 10 social protection,
///   11 construction, 12 test category, 13 trade, 14 labour, 15 sport, 16 ecology/waste).
///   The test file has no «Категория»: it is derived from «Тематика» through the train-file mapping
///   (`KurskCategoryIndex`), and the 12 Тематика values unseen in train are listed explicitly in
///   `kurskUnseenTopicCategory`.
/// * St Petersburg «Наш Санкт-Петербург» (`spb_nash_peterburg_appeals_2020_2021.csv.gz`):
///   `category` (15) + `reason` (125) are mapped by ordered keyword rules over
///   `"<category> | <reason>"` (`spbRules`).
/// Rows that match nothing go to `other.other` (topic `other`).
public enum DatasetLabelMapping {
    /// Lower-case, ё→е, collapse whitespace — the form rules are written in.
    static func key(_ s: String) -> String {
        TextNormalizer.collapseWhitespace(s.lowercased().replacingOccurrences(of: "ё", with: "е"))
    }

    typealias Rule = (all: [String], code: String)

    private static func apply(_ rules: [Rule], to label: String) -> String? {
        let k = key(label)
        for r in rules where r.all.allSatisfy({ k.contains($0) }) { return r.code }
        return nil
    }

    // MARK: Kursk

    static let kurskRules: [Rule] = [
        (["тестовая категория"], "other.other"),
        (["остановки общественного транспорта"], "transport.stops"),
        (["снег", "дорог"], "roads.snow_ice"),
        (["ямы", "внутридворовых"], "housing.yard_improvement"),
        (["ямы", "тротуар"], "roads.potholes"),
        (["дорожного покрытия (ямы)"], "roads.potholes"),
        (["отсутствие твердого дорожного покрытия"], "roads.no_pavement"),
        (["строительство тротуара"], "roads.no_pavement"),
        (["парковки"], "roads.parking"),
        (["пешеходные переходы"], "roads.crossings"),
        (["безопасная дорога"], "roads.crossings"),
        (["искусственные неровности"], "roads.crossings"),
        (["светофоры"], "roads.traffic_lights"),
        (["дорожные знаки"], "roads.signs_markings"),
        (["дорожная разметка"], "roads.signs_markings"),
        (["освещение дорог"], "roads.lighting"),
        (["безнадзорные животные"], "other.stray_animals"),
        (["государственных и муниципальных услуг"], "other.gov_services"),
        (["портале госуслуг"], "other.gov_services"),
        (["службой занятости"], "other.labour"),
        (["заработной платы"], "other.labour"),
        (["трудовые отношения"], "other.labour"),
        (["меры поддержки", "эпидемиологической"], "social.support_measures"),
        (["социальные льготы"], "social.support_measures"),
        (["наружное освещение"], "housing.street_lighting"),
        (["люков"], "housing.manholes"),
        (["ливневая канализация"], "housing.manholes"),
        (["аварийные деревья"], "housing.greenery"),
        (["теплоснабжения"], "housing.heating"),
        (["водоснабжение"], "housing.water_supply"),
        (["водоотведение"], "housing.sewerage"),
        (["вывоз твердых бытовых отходов"], "waste.collection"),
        (["свалки"], "waste.illegal_dumps"),
        (["уборка улиц"], "waste.litter"),
        (["уборка дворовой территории"], "waste.litter"),
        (["от наледи и снега"], "housing.snow_removal"),
        (["уборке и освещению мест общего пользования"], "housing.common_areas"),
        (["уборка и освещение мест общего пользования"], "housing.common_areas"),
        (["управляющей компанией работ по содержанию электросети"], "energy.power_supply"),
        (["электросети"], "energy.power_supply"),
        (["управляющей компани"], "housing.management_company"),
        (["оплаты", "жкх"], "housing.billing"),
        (["оплаты коммунальных"], "housing.billing"),
        (["площадки", "многоквартирных"], "housing.yard_improvement"),
        (["детской", "площадки"], "housing.yard_improvement"),
        (["малые архитектурные формы"], "housing.yard_improvement"),
        (["восстановление нарушенного благоустройства"], "housing.yard_improvement"),
        (["парков и скверов"], "housing.yard_improvement"),
        (["клумб и газонов"], "housing.greenery"),
        (["сорная растительность"], "housing.greenery"),
        (["вырубка"], "waste.environment"),
        (["ремонт многоквартирного"], "housing.repair"),
        (["аварийное жилье"], "housing.repair"),
        (["фасадов"], "housing.facade"),
        (["лифт"], "housing.elevator"),
        (["инженерных сетей"], "housing.other"),
        (["наружная реклама"], "other.advertising"),
        (["инвалидности"], "social.disability"),
        (["медицинской помощи"], "health.care_quality"),
        (["лекарственными"], "health.medicines"),
        (["детским питанием"], "health.medicines"),
        (["записью на прием"], "health.appointments"),
        (["вакцин"], "health.vaccination"),
        (["сертификат"], "health.vaccination"),
        (["пцр"], "health.vaccination"),
        (["дневник самонаблюдения"], "health.vaccination"),
        (["учреждений здравоохранения"], "health.facilities"),
        (["памятников"], "other.culture"),
        (["культурно-массовых"], "other.culture"),
        (["учреждений культуры"], "other.culture"),
        (["дошкольн", "очеред"], "education.kindergarten_places"),
        (["дошкольн", "распределение мест"], "education.kindergarten_places"),
        (["материально-техническое обеспечение"], "education.facilities"),
        (["прилегающ", "школы"], "education.facilities"),
        (["прилегающ", "дошкольного"], "education.facilities"),
        (["качество работы учителей"], "education.staff"),
        (["качество работы воспитателей"], "education.staff"),
        (["качество работы преподавателей"], "education.staff"),
        (["посменное обучение"], "education.organisation"),
        (["отсутствие школы"], "education.organisation"),
        (["питанием в школах"], "education.organisation"),
        (["ж/д"], "transport.railway"),
        (["поезд"], "transport.railway"),
        (["вагон"], "transport.railway"),
        (["количество транспорта"], "transport.route_capacity"),
        (["график движения"], "transport.schedule"),
        (["графика движения"], "transport.schedule"),
        (["санитарное состояние транспорта"], "transport.vehicle_condition"),
        (["посадки и высадки"], "transport.driver_conduct"),
        (["водителя"], "transport.driver_conduct"),
        (["оплатой проезда"], "transport.fares"),
        (["связи"], "other.telecom"),
        (["интернет"], "other.telecom"),
        (["пособий и компенсаций"], "social.benefits"),
        (["мер социальной поддержки"], "social.support_measures"),
        (["беженцам"], "social.support_measures"),
        (["ветеран труда"], "social.support_measures"),
        (["жильем льготных"], "social.housing_for_beneficiaries"),
        (["строительн"], "other.construction"),
        (["замороженная"], "other.construction"),
        (["товар"], "other.trade"),
        (["торгов"], "other.trade"),
        (["спорт"], "other.sport"),
        (["неприятные запахи"], "waste.environment"),
        (["жидких бытовых отходов"], "waste.environment"),
        (["порча земель"], "waste.environment"),
        (["загрязнение водных"], "waste.environment"),
        (["природопользования"], "waste.environment"),
    ]

    /// Kursk «Категория» code → taxonomy category, used when no Тематика rule matches.
    public static let kurskCategoryFallback: [Int: String] = [
        0: "roads.other", 1: "other.stray_animals", 2: "other.gov_services", 3: "housing.other", 4: "health.other",
        5: "other.culture", 6: "social.support_measures", 7: "education.other", 8: "transport.other", 9: "other.telecom",
        10: "social.other", 11: "other.construction", 12: "other.other", 13: "other.trade", 14: "other.labour",
        15: "other.sport", 16: "waste.environment",
    ]

    /// «Категория» codes for the Тематика values of the Kursk test file that never occur in train
    /// (derived by reading the topic names; README: «19 test topics unseen in train»).
    public static let kurskUnseenTopicCategory: [String: Int] = [
        "очистка от снега и наледи дорог в микрорайонах ижс": 0,
        "дорожная разметка на дорогах регионального и межмуниципального значения": 0,
        "отсутствие твердого дорожного покрытия на дорогах регионального и межмуниципального значения": 0,
        "несоответствие ценника цене товара": 13,
        "несправедливое распределение мест в дошкольные учреждения": 7,
        "отсутствие в населенном пункте сотовой связи": 9,
        "плохое материально-техническое оснащение учреждений культуры и библиотек": 5,
        "неудовлетворительное материально-техническое обеспечение учреждения дополнительного образования": 7,
        "необходимо строительство детской (спортивной) площадки в районе частного сектора": 3,
        "меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере занятости населения для частных лиц": 6,
        "меры поддержки в условиях неблагоприятной эпидемиологической ситуации в сфере жкх": 6,
        "проблемы с обеспечением питанием в школах": 7,
    ]

    /// Taxonomy category for a Kursk row. `kategoriya` is the «Категория» code when known.
    public static func kurskCategory(tematika: String, kategoriya: Int?) -> String {
        if let code = apply(kurskRules, to: tematika) { return code }
        if let k = kategoriya, let code = kurskCategoryFallback[k] { return code }
        return Taxonomy.otherCategory.code
    }

    /// True when a Тематика value is covered by an explicit rule (not by the fallback).
    public static func kurskHasRule(_ tematika: String) -> Bool { apply(kurskRules, to: tematika) != nil }

    // MARK: St Petersburg

    static let spbRules: [Rule] = [
        (["центральное отопление"], "housing.heating"),
        (["водоснабжение |"], "housing.water_supply"),
        (["водоотведение |"], "housing.sewerage"),
        (["кровля |"], "housing.roof"),
        (["фасад |"], "housing.facade"),
        (["подвалы |"], "housing.common_areas"),
        (["кондиционир"], "housing.facade"),
        (["состояние рекламных"], "other.advertising"),
        (["незаконная информационная"], "other.advertising"),
        (["надписи"], "housing.graffiti"),
        (["общим имуществом"], "housing.common_property"),
        (["рекламн"], "other.advertising"),
        (["реализация товаров"], "other.trade"),
        (["колодц"], "housing.manholes"),
        (["ливнев"], "housing.manholes"),
        (["дезинсекция"], "housing.pest_control"),
        (["дератизация"], "housing.pest_control"),
        (["мусоропровод"], "waste.container_sites"),
        (["мусоросборной"], "waste.container_sites"),
        (["контейнерн"], "waste.container_sites"),
        (["мусорный контейнер"], "waste.container_sites"),
        (["лифт"], "housing.elevator"),
        (["подъемная платформа"], "housing.elevator"),
        (["пандус"], "social.disability"),
        (["содержание мкд |"], "housing.common_areas"),
        (["деревь"], "housing.greenery"),
        (["дерев"], "housing.greenery"),
        (["зеленых насаждений"], "housing.greenery"),
        (["препятствующ", "парковке"], "roads.parking"),
        (["парковочных мест"], "roads.parking"),
        (["лужи на проезжей части"], "roads.potholes"),
        (["лужи"], "housing.yard_improvement"),
        (["урн"], "waste.litter"),
        (["мусор"], "waste.litter"),
        (["земляных работ"], "housing.yard_improvement"),
        (["строительной площадки"], "other.construction"),
        (["кладбищ"], "other.other"),
        (["снег", "автомобильных дорогах"], "roads.snow_ice"),
        (["снег"], "housing.snow_removal"),
        (["асфальтового покрытия на придомовой"], "housing.yard_improvement"),
        (["дорожного покрытия"], "roads.potholes"),
        (["дорожных знаков"], "roads.signs_markings"),
        (["светофор"], "roads.traffic_lights"),
        (["остановочных пунктов"], "transport.stops"),
        (["бордюрного камня"], "roads.sidewalks"),
        (["дорожных и газонных ограждений"], "roads.sidewalks"),
        (["искусственных неровностей"], "roads.crossings"),
        (["провода"], "energy.power_lines"),
        (["освещени"], "housing.street_lighting"),
        (["ограждени"], "housing.yard_improvement"),
        (["площадки"], "housing.yard_improvement"),
        (["уличной мебели"], "housing.yard_improvement"),
        (["зон отдыха"], "housing.yard_improvement"),
        (["разукомплектованное"], "other.abandoned_vehicles"),
    ]

    /// Taxonomy category for a St Petersburg row (`category`, `reason` columns).
    public static func spbCategory(category: String, reason: String) -> String {
        apply(spbRules, to: category + " | " + reason) ?? Taxonomy.otherCategory.code
    }

    /// Topic code of a category code (`"roads.potholes"` → `"roads"`).
    public static func topicCode(ofCategory code: String) -> String {
        Taxonomy.category(code: code)?.topicCode ?? String(code.prefix(while: { $0 != "." }))
    }
}
