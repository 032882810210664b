import Contracts

/// Demo region: Курская область (OKTMO 38000000).
///
/// Where the names and codes come from:
/// * Municipalities and OKTMO codes: Общероссийский классификатор территорий муниципальных образований
///   ОК 033-2013 (ОКТМО), том 2 «Центральный федеральный округ», раздел 38 «Курская область»
///   (городские округа 387xx000, муниципальные районы 386xx000, поселения — последние три цифры,
///   town settlements «город …» = 101). Codes are given as we know them from that edition; several
///   Kursk districts have since been reorganised into municipal okrugs (Закон Курской области 2023–2024),
///   so verify against the current ОКТМО edition before production use.
/// * Populations: Rosstat, Всероссийская перепись населения 2021 г., rounded (districts exclude
///   the urban okrugs on their territory). Demo figures, not statistics.
/// * Agencies: the structure of executive bodies of Курская область as listed on the official
///   portal of the Правительство Курской области (kursk.ru, раздел «Органы исполнительной власти»),
///   the local self-government bodies of each municipality (their charters), «Россети Центр» — филиал
///   «Курскэнерго», АО «Газпром газораспределение Курск», ПАО «Квадра» — «Курская генерация»,
///   Управление Роспотребнадзора по Курской области (46.rospotrebnadzor.ru) and the regional ЦУР.
///   E-mails, phones, social handles and staff names are ILLUSTRATIVE demo values, not verified contacts.
enum KurskSeed {
    struct Muni: Sendable {
        var oktmo: String
        var name: String
        var type: AgencyV1.MunicipalityType
        var population: Int64
        var parent: String?
        var lat: Double
        var lon: Double
    }

    struct Agency: Sendable {
        var id: String
        var name: String
        var short: String
        var kind: AgencyV1.AgencyKind
        var parent: String?
        var oktmo: String?
        var email: String = ""
        var phone: String = ""
        var social: [(network: String, handle: String)] = []
        var staff: [(role: String, person: String)] = []
        var topics: [String] = []
    }

    struct Rule: Sendable {
        var topic: String
        var category: String = ""
        var oktmo: String = ""
        var agency: String
        var priority: Int32 = 0
        /// Deterministic id so the seed is idempotent.
        var id: String { "seed:\(topic):\(category):\(oktmo)" }
    }

    static let regionName = "Курская область"
    static let regionOKTMO = "38000000"
    static let kursk = "38701000"

    static let municipalities: [Muni] = [
        // Городские округа.
        Muni(oktmo: "38701000", name: "город Курск", type: .urbanOkrug, population: 440_000, parent: nil, lat: 51.7304, lon: 36.1926),
        Muni(oktmo: "38705000", name: "город Железногорск", type: .urbanOkrug, population: 98_000, parent: nil, lat: 52.3390, lon: 35.3510),
        Muni(oktmo: "38710000", name: "город Курчатов", type: .urbanOkrug, population: 37_600, parent: nil, lat: 51.6600, lon: 35.6570),
        Muni(oktmo: "38713000", name: "город Льгов", type: .urbanOkrug, population: 18_300, parent: nil, lat: 51.6590, lon: 35.2620),
        Muni(oktmo: "38716000", name: "город Щигры", type: .urbanOkrug, population: 14_600, parent: nil, lat: 51.8780, lon: 36.9100),
        // Муниципальные районы.
        Muni(oktmo: "38601000", name: "Беловский район", type: .municipalDistrict, population: 12_400, parent: nil, lat: 51.1530, lon: 35.7300),
        Muni(oktmo: "38608000", name: "Железногорский район", type: .municipalDistrict, population: 17_900, parent: nil, lat: 52.3390, lon: 35.3510),
        Muni(oktmo: "38616000", name: "Кореневский район", type: .municipalDistrict, population: 15_800, parent: nil, lat: 51.4110, lon: 34.9060),
        Muni(oktmo: "38620000", name: "Курский район", type: .municipalDistrict, population: 56_600, parent: nil, lat: 51.7304, lon: 36.1926),
        Muni(oktmo: "38621000", name: "Курчатовский район", type: .municipalDistrict, population: 17_500, parent: nil, lat: 51.6600, lon: 35.6570),
        Muni(oktmo: "38622000", name: "Льговский район", type: .municipalDistrict, population: 11_800, parent: nil, lat: 51.6590, lon: 35.2620),
        Muni(oktmo: "38625000", name: "Медвенский район", type: .municipalDistrict, population: 16_000, parent: nil, lat: 51.4160, lon: 36.1160),
        Muni(oktmo: "38626000", name: "Обоянский район", type: .municipalDistrict, population: 25_900, parent: nil, lat: 51.2120, lon: 36.2760),
        Muni(oktmo: "38628000", name: "Октябрьский район", type: .municipalDistrict, population: 25_700, parent: nil, lat: 51.6450, lon: 35.9700),
        Muni(oktmo: "38634000", name: "Рыльский район", type: .municipalDistrict, population: 23_700, parent: nil, lat: 51.5680, lon: 34.6790),
        Muni(oktmo: "38640000", name: "Суджанский район", type: .municipalDistrict, population: 22_500, parent: nil, lat: 51.1900, lon: 35.2700),
        Muni(oktmo: "38643000", name: "Фатежский район", type: .municipalDistrict, population: 16_200, parent: nil, lat: 52.0910, lon: 35.8560),
        Muni(oktmo: "38644000", name: "Хомутовский район", type: .municipalDistrict, population: 9_500, parent: nil, lat: 51.9230, lon: 34.5530),
        Muni(oktmo: "38650000", name: "Щигровский район", type: .municipalDistrict, population: 12_700, parent: nil, lat: 51.8780, lon: 36.9100),
        // Городские поселения — административные центры районов.
        Muni(oktmo: "38626101", name: "город Обоянь", type: .urbanSettlement, population: 12_700, parent: "38626000", lat: 51.2120, lon: 36.2760),
        Muni(oktmo: "38634101", name: "город Рыльск", type: .urbanSettlement, population: 14_600, parent: "38634000", lat: 51.5680, lon: 34.6790),
        Muni(oktmo: "38640101", name: "город Суджа", type: .urbanSettlement, population: 5_500, parent: "38640000", lat: 51.1900, lon: 35.2700),
        Muni(oktmo: "38643101", name: "город Фатеж", type: .urbanSettlement, population: 4_800, parent: "38643000", lat: 52.0910, lon: 35.8560),
    ]

    /// Local administration of each urban okrug / district (id `adm-<oktmo>`), plus two town settlements.
    static let localAdministrations: [(oktmo: String, name: String, short: String)] = [
        ("38701000", "Администрация города Курска", "Администрация г. Курска"),
        ("38705000", "Администрация города Железногорска", "Администрация г. Железногорска"),
        ("38710000", "Администрация города Курчатова", "Администрация г. Курчатова"),
        ("38713000", "Администрация города Льгова", "Администрация г. Льгова"),
        ("38716000", "Администрация города Щигры", "Администрация г. Щигры"),
        ("38601000", "Администрация Беловского района Курской области", "Администрация Беловского района"),
        ("38608000", "Администрация Железногорского района Курской области", "Администрация Железногорского района"),
        ("38616000", "Администрация Кореневского района Курской области", "Администрация Кореневского района"),
        ("38620000", "Администрация Курского района Курской области", "Администрация Курского района"),
        ("38621000", "Администрация Курчатовского района Курской области", "Администрация Курчатовского района"),
        ("38622000", "Администрация Льговского района Курской области", "Администрация Льговского района"),
        ("38625000", "Администрация Медвенского района Курской области", "Администрация Медвенского района"),
        ("38626000", "Администрация Обоянского района Курской области", "Администрация Обоянского района"),
        ("38628000", "Администрация Октябрьского района Курской области", "Администрация Октябрьского района"),
        ("38634000", "Администрация Рыльского района Курской области", "Администрация Рыльского района"),
        ("38640000", "Администрация Суджанского района Курской области", "Администрация Суджанского района"),
        ("38643000", "Администрация Фатежского района Курской области", "Администрация Фатежского района"),
        ("38644000", "Администрация Хомутовского района Курской области", "Администрация Хомутовского района"),
        ("38650000", "Администрация Щигровского района Курской области", "Администрация Щигровского района"),
        ("38626101", "Администрация города Обояни", "Администрация г. Обояни"),
        ("38640101", "Администрация города Суджи", "Администрация г. Суджи"),
    ]

    static func administrationID(_ oktmo: String) -> String { "adm-\(oktmo)" }

    static var agencies: [Agency] {
        var out: [Agency] = [
            Agency(id: "kursk-government", name: "Правительство Курской области", short: "Правительство КО",
                   kind: .regionalBody, parent: nil, oktmo: nil, email: "demo-gov@example.ru",
                   social: [("vk", "demo_kursk_gov"), ("telegram", "demo_kursk_gov")],
                   staff: [("head", "Губернатор Курской области (демо)")]),
            Agency(id: "kursk-zhkh", name: "Министерство жилищно-коммунального хозяйства и ТЭК Курской области",
                   short: "Минстрой ЖКХ и ТЭК КО", kind: .regionalBody, parent: "kursk-government", oktmo: nil,
                   email: "demo-zhkh@example.ru", phone: "+7 4712 00-00-01",
                   social: [("vk", "demo_zhkh46"), ("ok", "demo_zhkh46"), ("telegram", "demo_zhkh46")],
                   staff: [("head", "Министр (демо)"), ("curator", "Куратор ЦУР (демо)"), ("operator", "Оператор обращений (демо)")],
                   topics: ["housing", "energy", "waste"]),
            Agency(id: "kursk-gzhi", name: "Государственная жилищная инспекция Курской области", short: "ГЖИ КО",
                   kind: .regionalBody, parent: "kursk-government", oktmo: nil, email: "demo-gzhi@example.ru",
                   social: [("vk", "demo_gzhi46")], staff: [("head", "Начальник инспекции (демо)")], topics: ["housing"]),
            Agency(id: "kursk-health", name: "Министерство здравоохранения Курской области", short: "Минздрав КО",
                   kind: .regionalBody, parent: "kursk-government", oktmo: nil, email: "demo-health@example.ru",
                   social: [("vk", "demo_minzdrav46"), ("telegram", "demo_minzdrav46")],
                   staff: [("head", "Министр (демо)"), ("responsible", "Отдел обращений граждан (демо)")], topics: ["health"]),
            Agency(id: "kursk-education", name: "Министерство образования и науки Курской области", short: "Минобрнауки КО",
                   kind: .regionalBody, parent: "kursk-government", oktmo: nil, email: "demo-edu@example.ru",
                   social: [("vk", "demo_obr46")], staff: [("head", "Министр (демо)")], topics: ["education"]),
            Agency(id: "kursk-transport", name: "Министерство транспорта и автомобильных дорог Курской области",
                   short: "Минтранс КО", kind: .regionalBody, parent: "kursk-government", oktmo: nil, email: "demo-transport@example.ru",
                   social: [("vk", "demo_mintrans46"), ("telegram", "demo_mintrans46")],
                   staff: [("head", "Министр (демо)"), ("curator", "Куратор ЦУР (демо)")], topics: ["roads", "transport"]),
            Agency(id: "kursk-social", name: "Министерство социального обеспечения, материнства и детства Курской области",
                   short: "Минсоц КО", kind: .regionalBody, parent: "kursk-government", oktmo: nil, email: "demo-social@example.ru",
                   social: [("vk", "demo_minsoc46"), ("ok", "demo_minsoc46")], staff: [("head", "Министр (демо)")], topics: ["social"]),
            Agency(id: "kursk-nature", name: "Министерство природных ресурсов Курской области", short: "Минприроды КО",
                   kind: .regionalBody, parent: "kursk-government", oktmo: nil, email: "demo-nature@example.ru",
                   social: [("vk", "demo_priroda46")], staff: [("head", "Министр (демо)")], topics: ["waste"]),
            Agency(id: "kursk-cur", name: "Центр управления регионом Курской области", short: "ЦУР Курской области",
                   kind: .stateOrganisation, parent: "kursk-government", oktmo: nil, email: "demo-cur@example.ru",
                   social: [("vk", "demo_cur46"), ("ok", "demo_cur46"), ("telegram", "demo_cur46")],
                   staff: [("head", "Руководитель ЦУР (демо)"), ("operator", "Дежурный оператор (демо)")], topics: ["other"]),
            Agency(id: "kursk-waste-operator", name: "Региональный оператор по обращению с ТКО на территории Курской области",
                   short: "Регоператор ТКО", kind: .utility, parent: nil, oktmo: nil, email: "demo-tko@example.ru",
                   phone: "+7 4712 00-00-10", social: [("vk", "demo_regop46")],
                   staff: [("responsible", "Диспетчерская служба (демо)")], topics: ["waste"]),
            Agency(id: "kurskenergo", name: "Филиал ПАО «Россети Центр» — «Курскэнерго»", short: "Россети Центр — Курскэнерго",
                   kind: .utility, parent: nil, oktmo: nil, email: "demo-energo@example.ru", phone: "8-800-220-0-220",
                   social: [("vk", "demo_kurskenergo"), ("telegram", "demo_kurskenergo")],
                   staff: [("responsible", "Единый контакт-центр (демо)")], topics: ["energy"]),
            Agency(id: "kursk-gas", name: "АО «Газпром газораспределение Курск»", short: "Газпром газораспределение Курск",
                   kind: .utility, parent: nil, oktmo: nil, email: "demo-gas@example.ru",
                   social: [("vk", "demo_gas46")], staff: [("responsible", "Аварийно-диспетчерская служба (демо)")], topics: ["energy"]),
            Agency(id: "kursk-kvadra", name: "Филиал ПАО «Квадра» — «Курская генерация»", short: "Квадра — Курская генерация",
                   kind: .utility, parent: nil, oktmo: kursk, email: "demo-kvadra@example.ru",
                   social: [("vk", "demo_kvadra46")], staff: [("responsible", "Диспетчер теплосетей (демо)")], topics: ["housing", "energy"]),
            Agency(id: "rpn-kursk", name: "Управление Роспотребнадзора по Курской области", short: "Роспотребнадзор КО",
                   kind: .federalTerritorial, parent: nil, oktmo: nil, email: "demo-rpn@example.ru",
                   social: [("vk", "demo_rpn46")], staff: [("head", "Руководитель управления (демо)")], topics: ["health", "waste", "other"]),
        ]
        for adm in localAdministrations {
            let parentMuni = municipalities.first { $0.oktmo == adm.oktmo }?.parent
            out.append(Agency(id: administrationID(adm.oktmo), name: adm.name, short: adm.short, kind: .localGovernment,
                              parent: parentMuni.map(administrationID), oktmo: adm.oktmo,
                              email: "demo-adm-\(adm.oktmo)@example.ru",
                              social: [("vk", "demo_adm_\(adm.oktmo)")],
                              staff: [("head", "Глава (демо)"), ("responsible", "Ответственный за обращения (демо)")],
                              topics: ["housing", "roads", "waste", "other"]))
        }
        out += [
            Agency(id: "kursk-city-roads", name: "Комитет дорожного хозяйства города Курска", short: "Комитет дорожного хозяйства г. Курска",
                   kind: .localGovernment, parent: administrationID(kursk), oktmo: kursk, email: "demo-kdh@example.ru",
                   social: [("vk", "demo_kdh_kursk")], staff: [("head", "Председатель комитета (демо)")], topics: ["roads"]),
            Agency(id: "kursk-city-zhkh", name: "Комитет жилищно-коммунального хозяйства города Курска", short: "Комитет ЖКХ г. Курска",
                   kind: .localGovernment, parent: administrationID(kursk), oktmo: kursk, email: "demo-kzhkh@example.ru",
                   social: [("vk", "demo_zhkh_kursk")], staff: [("head", "Председатель комитета (демо)")], topics: ["housing", "waste"]),
            Agency(id: "kursk-city-education", name: "Комитет образования города Курска", short: "Комитет образования г. Курска",
                   kind: .localGovernment, parent: administrationID(kursk), oktmo: kursk, email: "demo-kobr@example.ru",
                   staff: [("head", "Председатель комитета (демо)")], topics: ["education"]),
            Agency(id: "kursk-city-transport", name: "МКУ «Управление транспорта и связи города Курска»", short: "Управление транспорта г. Курска",
                   kind: .municipalOrganisation, parent: administrationID(kursk), oktmo: kursk, email: "demo-utis@example.ru",
                   topics: ["transport"]),
        ]
        return out
    }

    /// Routing rules: every topic has a region-wide rule; categories with a different competent body get
    /// topic+category rules; local-government competence (131-ФЗ art. 14–16: local roads, yard improvement,
    /// litter) gets topic+municipality rules; Курск has its committees as most specific overrides.
    static var rules: [Rule] {
        var r: [Rule] = [
            Rule(topic: "housing", agency: "kursk-zhkh"),
            Rule(topic: "housing", category: "housing.management_company", agency: "kursk-gzhi"),
            Rule(topic: "housing", category: "housing.billing", agency: "kursk-gzhi"),
            Rule(topic: "housing", category: "housing.common_areas", agency: "kursk-gzhi"),
            Rule(topic: "housing", category: "housing.elevator", agency: "kursk-gzhi"),
            Rule(topic: "housing", category: "housing.repair", agency: "kursk-gzhi"),
            Rule(topic: "housing", category: "housing.common_property", agency: "kursk-gzhi"),
            Rule(topic: "housing", category: "housing.pest_control", agency: "rpn-kursk"),
            Rule(topic: "waste", agency: "kursk-waste-operator"),
            Rule(topic: "waste", category: "waste.illegal_dumps", agency: "kursk-nature"),
            Rule(topic: "waste", category: "waste.environment", agency: "kursk-nature"),
            Rule(topic: "energy", agency: "kurskenergo"),
            Rule(topic: "energy", category: "energy.gas_supply", agency: "kursk-gas"),
            Rule(topic: "education", agency: "kursk-education"),
            Rule(topic: "health", agency: "kursk-health"),
            Rule(topic: "roads", agency: "kursk-transport"),
            Rule(topic: "transport", agency: "kursk-transport"),
            Rule(topic: "social", agency: "kursk-social"),
            // Region-wide fallback: whatever the classifier could not place goes to the ЦУР itself.
            Rule(topic: "other", agency: "kursk-cur"),
        ]
        // Urban okrugs and districts (settlements inherit their district's rules via parent_oktmo).
        let topLevel = Set(municipalities.filter { $0.parent == nil }.map(\.oktmo))
        for adm in localAdministrations where adm.oktmo != kursk && topLevel.contains(adm.oktmo) {
            let id = administrationID(adm.oktmo)
            r.append(Rule(topic: "housing", oktmo: adm.oktmo, agency: id))
            r.append(Rule(topic: "roads", oktmo: adm.oktmo, agency: id))
            r.append(Rule(topic: "waste", category: "waste.litter", oktmo: adm.oktmo, agency: id))
        }
        r += [
            Rule(topic: "housing", oktmo: kursk, agency: "kursk-city-zhkh"),
            Rule(topic: "housing", category: "housing.heating", oktmo: kursk, agency: "kursk-kvadra"),
            Rule(topic: "housing", category: "housing.yard_improvement", oktmo: kursk, agency: "kursk-city-zhkh"),
            Rule(topic: "roads", oktmo: kursk, agency: "kursk-city-roads"),
            Rule(topic: "roads", category: "roads.potholes", oktmo: kursk, agency: "kursk-city-roads"),
            Rule(topic: "roads", category: "roads.snow_ice", oktmo: kursk, agency: "kursk-city-roads"),
            Rule(topic: "waste", category: "waste.litter", oktmo: kursk, agency: "kursk-city-zhkh"),
            Rule(topic: "education", category: "education.kindergarten_places", oktmo: kursk, agency: "kursk-city-education"),
            Rule(topic: "transport", oktmo: kursk, agency: "kursk-city-transport"),
        ]
        return r
    }
}
