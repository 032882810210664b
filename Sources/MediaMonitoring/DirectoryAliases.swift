import Foundation

/// Builds `MonitoredEntity` lists from plain directory rows (what AgencyService stores), deriving
/// the aliases people actually write: names without the region qualifier, names cut before «и» / «,»
/// («Министерство образования и науки …» → «Министерство образования»), quoted brand names
/// («Курскэнерго»), «ЖКХ» for «жилищно-коммунального хозяйства», standard contractions («минздрав»,
/// «минобр», «ГЖИ», «регоператор», «ЦУР»), and a municipality's bare town name («город Курск» → «Курск»).
public enum DirectoryAliases {
    /// A directory body as stored: id, full name, short name.
    public struct Body: Sendable, Hashable {
        public var id: String
        public var name: String
        public var shortName: String
        /// Extra aliases from the directory (configured by the media officer).
        public var aliases: [String]
        public init(id: String, name: String, shortName: String = "", aliases: [String] = []) {
            self.id = id
            self.name = name
            self.shortName = shortName
            self.aliases = aliases
        }
    }

    /// Standard contractions: if the (region-stripped, lower-cased) name starts with the key, the
    /// aliases are added.
    static let contractions: [(String, [String])] = [
        ("министерство здравоохранения", ["минздрав", "облминздрав", "министерство здравоохранения"]),
        ("министерство образования", ["минобр", "минобрнауки", "минобразования"]),
        ("министерство транспорта", ["минтранс", "минтранспорта"]),
        ("министерство социального", ["минсоц", "соцзащита", "минсоцзащиты"]),
        ("министерство природных ресурсов", ["минприроды"]),
        ("министерство строительства", ["минстрой"]),
        ("министерство культуры", ["минкультуры"]),
        ("министерство сельского хозяйства", ["минсельхоз"]),
        ("министерство экономического развития", ["минэкономразвития"]),
        ("министерство финансов", ["минфин"]),
        ("министерство жилищно-коммунального хозяйства", ["минЖКХ", "министерство ЖКХ"]),
        ("государственная жилищная инспекция", ["ГЖИ", "жилинспекция", "госжилинспекция"]),
        ("комитет жилищно-коммунального хозяйства", ["комитет ЖКХ"]),
        ("региональный оператор по обращению с", ["регоператор", "региональный оператор"]),
        ("центр управления регионом", ["ЦУР"]),
        ("управление роспотребнадзора", ["Роспотребнадзор"]),
        ("управление мвд", ["МВД", "полиция"]),
        ("главное управление мчс", ["МЧС"]),
    ]

    /// Aliases of an agency (and of a local administration).
    /// - Parameter regionGenitive: «Курской области» — stripped from the end of names.
    public static func agencyAliases(_ body: Body, regionGenitive: String) -> [String] {
        var out: [String] = []
        func add(_ s: String) {
            let t = s.trimmingCharacters(in: .whitespaces)
            if t.count >= 2, !out.contains(where: { $0.lowercased() == t.lowercased() }) { out.append(t) }
        }
        let region = " " + regionGenitive.lowercased()
        for full in [body.name, body.shortName] + body.aliases where !full.isEmpty {
            add(full)
            var stripped = full
            if full.lowercased().hasSuffix(region) { stripped = String(full.dropLast(region.count)) }
            if full.hasSuffix(" КО") { stripped = String(full.dropLast(3)) }
            add(stripped)
            for cut in [",", " и "] {
                if let r = stripped.range(of: cut), stripped.distance(from: stripped.startIndex, to: r.lowerBound) > 8 {
                    add(String(stripped[..<r.lowerBound]))
                }
            }
            for a in out where a.lowercased().contains("жилищно-коммунального хозяйства") {
                add(a.replacingOccurrences(of: "жилищно-коммунального хозяйства", with: "ЖКХ", options: .caseInsensitive))
            }
            for q in quoted(full) { add(q) }
            let lower = stripped.lowercased()
            for (key, aliases) in contractions where lower.hasPrefix(key) { aliases.forEach(add) }
        }
        return out
    }

    /// Aliases of a municipality: its name, the bare town name of «город X», «г. X».
    public static func municipalityAliases(_ name: String) -> [String] {
        var out = [name]
        for prefix in ["город ", "г. ", "поселок ", "посёлок ", "село "] where name.hasPrefix(prefix) {
            let bare = String(name.dropFirst(prefix.count))
            out.append(bare)
            if prefix == "город " { out.append("г. " + bare) }
        }
        return out
    }

    /// Parts in «…» or "…" quotes, split on « — » (brand names: «Россети Центр», «Курскэнерго»).
    static func quoted(_ s: String) -> [String] {
        var out: [String] = []
        var current: String?
        for ch in s {
            if ch == "«" || (ch == "\"" && current == nil) { current = ""; continue }
            if ch == "»" || ch == "\"" { if let c = current, !c.isEmpty { out.append(c) }; current = nil; continue }
            current?.append(ch)
        }
        return out
    }

    /// The whole monitored directory of a region: governor, government, the region itself, every agency
    /// and every municipality.
    /// - Parameters:
    ///   - region: nominative and genitive region name («Курская область», «Курской области») and extra
    ///     colloquial names («Курщина»).
    ///   - governorNames: the governor's name forms («Роман Старовойт», «Старовойт»); may be empty.
    ///   - governmentID: directory id of the regional government (mentions of it map there).
    public static func entities(region: (name: String, genitive: String, aliases: [String]), regionID: String,
                                governorNames: [String], governmentID: String,
                                agencies: [Body], municipalities: [Body]) -> [MonitoredEntity] {
        let g = region.genitive
        var out: [MonitoredEntity] = [
            MonitoredEntity(id: "governor", kind: .governor, name: "Губернатор " + g,
                            aliases: ["губернатор " + g, "губернатор", "глава региона", "врио губернатора " + g] + governorNames),
            MonitoredEntity(id: governmentID, kind: .government, name: "Правительство " + g,
                            aliases: ["Правительство " + g, "Администрация " + g, "правительство региона", "правительство области",
                                      "областное правительство", "облправительство", "обладминистрация"]),
            MonitoredEntity(id: regionID, kind: .region, name: region.name,
                            aliases: region.aliases),
        ]
        for a in agencies where a.id != governmentID {
            out.append(MonitoredEntity(id: a.id, kind: .agency, name: a.name, aliases: agencyAliases(a, regionGenitive: g)))
        }
        for m in municipalities {
            out.append(MonitoredEntity(id: m.id, kind: .municipality, name: m.name,
                                       aliases: municipalityAliases(m.name) + m.aliases))
        }
        return out
    }
}
