/// Fixed platform taxonomy of the regional management centre (ЦУР): sector topics and the
/// problem categories inside each topic. Codes are stable identifiers used by the classifier,
/// AgencyService (agency directory seeding) and routing — never rename a code, only add new ones.
///
/// Topic codes: `housing` (ЖКХ), `waste` (ТКО), `energy` (Энергетика), `education` (Образование),
/// `health` (Здравоохранение), `roads` (Дороги), `transport` (Транспорт), `social` (Социальная защита)
/// and `other`. Category codes are `"<topic>.<slug>"`; every topic has a `"<topic>.other"` category.

/// A problem category inside a sector topic, e.g. `housing.heating` — «Отопление».
public struct ProblemCategory: Sendable, Hashable, Codable {
    public let code: String
    public let topicCode: String
    public let nameRu: String

    public init(code: String, topicCode: String, nameRu: String) {
        self.code = code
        self.topicCode = topicCode
        self.nameRu = nameRu
    }

    /// True for the catch-all `"<topic>.other"` category.
    public var isOther: Bool { code == topicCode + ".other" }
}

/// A sector topic (отрасль), e.g. `housing` — «ЖКХ».
public struct SectorTopic: Sendable, Hashable, Codable {
    public let code: String
    /// Short Russian label used in the ЦУР UI («ЖКХ», «ТКО», …).
    public let nameRu: String
    public let nameEn: String
    public let categories: [ProblemCategory]

    public init(code: String, nameRu: String, nameEn: String, categories: [(String, String)]) {
        self.code = code
        self.nameRu = nameRu
        self.nameEn = nameEn
        var cats = categories.map { ProblemCategory(code: "\(code).\($0.0)", topicCode: code, nameRu: $0.1) }
        if !cats.contains(where: { $0.code == "\(code).other" }) {
            cats.append(ProblemCategory(code: "\(code).other", topicCode: code, nameRu: "Прочее"))
        }
        self.categories = cats
    }

    /// The catch-all category of this topic.
    public var otherCategory: ProblemCategory {
        categories.first(where: { $0.isOther }) ?? ProblemCategory(code: code + ".other", topicCode: code, nameRu: "Прочее")
    }
}

/// Special-monitoring flags: appeals that must be reported to the security / anti-corruption desks
/// regardless of their sector topic.
public enum MonitoringFlag: String, Sendable, Hashable, Codable, CaseIterable {
    case terrorism
    case extremism
    case corruption
    case drugs

    public var nameRu: String {
        switch self {
        case .terrorism: return "Терроризм"
        case .extremism: return "Экстремизм"
        case .corruption: return "Коррупция"
        case .drugs: return "Наркотики"
        }
    }
}

/// The fixed taxonomy. All members are immutable `let`s (no global mutable state).
public enum Taxonomy {
    public static let otherTopicCode = "other"

    public static let topics: [SectorTopic] = [
        SectorTopic(code: "housing", nameRu: "ЖКХ", nameEn: "Housing and utilities", categories: [
            ("heating", "Отопление"),
            ("water_supply", "Водоснабжение (холодная и горячая вода)"),
            ("sewerage", "Водоотведение и канализация"),
            ("common_areas", "Содержание подъездов и мест общего пользования МКД"),
            ("elevator", "Лифты и подъёмные платформы"),
            ("roof", "Кровля, водостоки, наледь на крыше"),
            ("facade", "Фасады, цоколи, самовольные конструкции на фасаде"),
            ("repair", "Текущий и капитальный ремонт МКД, аварийное жильё"),
            ("management_company", "Работа управляющей компании, диспетчерской службы"),
            ("billing", "Оплата услуг ЖКХ, начисления"),
            ("yard_improvement", "Благоустройство дворов, детские и спортивные площадки, МАФ"),
            ("street_lighting", "Наружное освещение улиц и дворов"),
            ("snow_removal", "Уборка снега и наледи во дворах и на тротуарах"),
            ("greenery", "Деревья, газоны, покос травы"),
            ("graffiti", "Несанкционированные надписи и объявления"),
            ("manholes", "Колодцы, люки, ливневая канализация"),
            ("pest_control", "Дезинсекция, дератизация, санитарное состояние"),
            ("common_property", "Нарушение порядка пользования общим имуществом"),
        ]),
        SectorTopic(code: "waste", nameRu: "ТКО", nameEn: "Municipal solid waste", categories: [
            ("collection", "Вывоз твёрдых коммунальных отходов"),
            ("container_sites", "Контейнерные площадки, контейнеры, мусоропроводы"),
            ("illegal_dumps", "Несанкционированные свалки"),
            ("litter", "Мусор на территории, неочищенные урны"),
            ("environment", "Загрязнение окружающей среды, запахи, вырубка"),
        ]),
        SectorTopic(code: "energy", nameRu: "Энергетика", nameEn: "Energy", categories: [
            ("power_supply", "Качество и отключения электроснабжения"),
            ("power_lines", "Электросети, провода, опоры ЛЭП"),
            ("gas_supply", "Газоснабжение и газификация"),
        ]),
        SectorTopic(code: "education", nameRu: "Образование", nameEn: "Education", categories: [
            ("kindergarten_places", "Очередь и места в детских садах"),
            ("facilities", "Материально-техническое состояние школ и детсадов, территория"),
            ("staff", "Работа педагогов и персонала"),
            ("organisation", "Организация учебного процесса, питание, отсутствие школ"),
        ]),
        SectorTopic(code: "health", nameRu: "Здравоохранение", nameEn: "Health care", categories: [
            ("care_quality", "Качество медицинской помощи"),
            ("medicines", "Лекарственное обеспечение"),
            ("appointments", "Запись на приём, электронная регистратура"),
            ("vaccination", "Вакцинация, COVID-19, сертификаты, тесты"),
            ("facilities", "Состояние медучреждений и кадровое обеспечение"),
        ]),
        SectorTopic(code: "roads", nameRu: "Дороги", nameEn: "Roads", categories: [
            ("potholes", "Ямы и повреждения дорожного покрытия"),
            ("no_pavement", "Отсутствие твёрдого покрытия, строительство дорог и тротуаров"),
            ("snow_ice", "Очистка дорог от снега и наледи"),
            ("traffic_lights", "Светофоры"),
            ("signs_markings", "Дорожные знаки и разметка"),
            ("crossings", "Пешеходные переходы, искусственные неровности, безопасность"),
            ("parking", "Парковки и парковочные места"),
            ("lighting", "Освещение дорог"),
            ("sidewalks", "Тротуары, бордюры, ограждения"),
        ]),
        SectorTopic(code: "transport", nameRu: "Транспорт", nameEn: "Public transport", categories: [
            ("route_capacity", "Недостаточно транспорта на маршруте"),
            ("schedule", "График и расписание движения"),
            ("vehicle_condition", "Санитарное и техническое состояние транспорта"),
            ("driver_conduct", "Поведение водителей, посадка и высадка пассажиров"),
            ("fares", "Оплата проезда, тарифы"),
            ("railway", "Пригородный железнодорожный транспорт"),
            ("stops", "Остановки общественного транспорта"),
        ]),
        SectorTopic(code: "social", nameRu: "Социальная защита", nameEn: "Social protection", categories: [
            ("benefits", "Назначение и выплата пособий и компенсаций"),
            ("support_measures", "Меры социальной поддержки, адресная помощь, льготы"),
            ("housing_for_beneficiaries", "Обеспечение жильём льготных категорий"),
            ("disability", "Инвалидность, средства реабилитации, доступная среда"),
        ]),
        SectorTopic(code: "other", nameRu: "Прочее", nameEn: "Other", categories: [
            ("stray_animals", "Безнадзорные животные"),
            ("gov_services", "Государственные и муниципальные услуги"),
            ("culture", "Культура, памятники"),
            ("sport", "Физкультура и спорт"),
            ("telecom", "Связь, интернет, почта"),
            ("construction", "Строительство, стройплощадки"),
            ("trade", "Торговля, незаконная торговля"),
            ("advertising", "Незаконная реклама и рекламные конструкции"),
            ("labour", "Труд и занятость"),
            ("abandoned_vehicles", "Брошенные и разукомплектованные автомобили"),
        ]),
    ]

    /// All categories of all topics, in taxonomy order.
    public static let allCategories: [ProblemCategory] = topics.flatMap { $0.categories }

    private static let topicIndex: [String: SectorTopic] = Dictionary(uniqueKeysWithValues: topics.map { ($0.code, $0) })
    private static let categoryIndex: [String: ProblemCategory] = Dictionary(uniqueKeysWithValues: allCategories.map { ($0.code, $0) })

    public static func topic(code: String) -> SectorTopic? { topicIndex[code] }
    public static func category(code: String) -> ProblemCategory? { categoryIndex[code] }

    /// The channel's rubric in an appeal's `topic_hint`: the hint itself, or none when it is a category code (the
    /// citizen chose the category — Open311's service_code — and intake takes it as it is). The classifier's rubric
    /// feature and the workspace card both read it through here.
    public static func rubric(topicHint: String) -> String { category(code: topicHint) == nil ? topicHint : "" }

    /// Topic of a category code (`"roads.potholes"` → roads); nil for unknown codes.
    public static func topic(forCategory code: String) -> SectorTopic? {
        guard let c = categoryIndex[code] else { return nil }
        return topicIndex[c.topicCode]
    }

    /// The topic-level "other" category: `other.other`.
    public static var otherCategory: ProblemCategory {
        topicIndex[otherTopicCode]?.otherCategory ?? ProblemCategory(code: "other.other", topicCode: "other", nameRu: "Прочее")
    }
}
