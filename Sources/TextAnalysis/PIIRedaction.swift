import Foundation

/// Kinds of personal data removed from free text before analytics.
public enum PIIKind: String, Sendable, Hashable, CaseIterable, Codable {
    case email, phone, snils, inn, passport, bankCard, fullName, apartment, birthDate

    /// Typed placeholder that replaces the value.
    public var placeholder: String {
        switch self {
        case .email: return "[EMAIL]"
        case .phone: return "[ТЕЛЕФОН]"
        case .snils: return "[СНИЛС]"
        case .inn: return "[ИНН]"
        case .passport: return "[ПАСПОРТ]"
        case .bankCard: return "[КАРТА]"
        case .fullName: return "[ФИО]"
        case .apartment: return "[КВАРТИРА]"
        case .birthDate: return "[ДАТА_РОЖДЕНИЯ]"
        }
    }
}

/// Output of `PIIRedactor`: the text with placeholders, and which kinds of personal data were replaced, how often.
public struct RedactionResult: Sendable, Equatable {
    public let text: String
    /// Kinds found, each once, in the order of `PIIKind.allCases`.
    public let kinds: [PIIKind]
    /// Number of replaced values per kind.
    public let counts: [PIIKind: Int]
}

/// Regex-based PII redaction for Russian appeal texts. Street names and house numbers are kept
/// (needed for routing / duplicate grouping); apartment numbers are dropped.
///
/// Immutable after init; `NSRegularExpression` is documented thread-safe, hence `@unchecked Sendable`.
public final class PIIRedactor: @unchecked Sendable {
    private struct Rule {
        let kind: PIIKind
        let regex: NSRegularExpression
        /// Capture group holding the value to replace (0 = whole match).
        let group: Int
        let validate: (@Sendable (String) -> Bool)?
        /// What every match of the pattern contains (`TextShape`): a text without it is not searched.
        let needs: TextShape.Need

        init?(kind: PIIKind, regex: NSRegularExpression?, group: Int, validate: (@Sendable (String) -> Bool)?) {
            guard let regex else { return nil }
            self.kind = kind; self.regex = regex; self.group = group; self.validate = validate
            // Every pattern but the e-mail one needs a decimal digit (`\d`, Unicode Nd); names are matched case-
            // sensitively and need at least two capital Cyrillic letters (a name and a patronymic or initial).
            switch kind {
            case .email: needs = .at
            case .fullName: needs = .twoCapitals
            default: needs = .digit
            }
        }
    }

    /// What one pass over a text tells about the rules that can match in it. Matching 17 patterns costs far more
    /// than this pass, and most listed titles, answers and addresses have no digit, '@' or full name.
    struct TextShape {
        enum Need { case digit, at, twoCapitals }
        var digit = false, at = false, capitals = 0

        init(_ text: String) {
            for u in text.unicodeScalars {
                switch u.value {
                case 0x30...0x39: digit = true
                case 0x40: at = true
                case 0x0410...0x042F, 0x0401: capitals += 1      // [А-ЯЁ]
                case 0...0x7F, 0x0400...0x04FF: break             // the rest of ASCII and Cyrillic: no digits
                default: if u.properties.generalCategory == .decimalNumber { digit = true }
                }
            }
        }

        func admits(_ need: Need) -> Bool {
            switch need {
            case .digit: return digit
            case .at: return at
            case .twoCapitals: return capitals >= 2
            }
        }
    }

    /// Number of compiled rules (all patterns compile: `PIIRedactor.expectedRuleCount`).
    public var ruleCount: Int { rules.count }
    public static let expectedRuleCount = 17

    private let rules: [Rule]

    public init() {
        // Patterns are compile-time constants; a pattern that fails to compile is dropped and caught
        // by the tests through `ruleCount`.
        func re(_ p: String) -> NSRegularExpression? { try? NSRegularExpression(pattern: p, options: [.caseInsensitive]) }
        let up = "[А-ЯЁ]", low = "[а-яё]"
        let word = "\(up)\(low)+(?:-\(up)\(low)+)?"
        // Patronymic in any case form: Иванович/Ивановича/Ивановичу/Ивановичем, Ивановна/Ивановны/Ивановной…
        // Words that look capitalised but are not surnames (sentence starts, address words, greetings).
        let notName = "(?!(?:Уважаем|Улиц|Дом|Корпус|Литер|Прошу|Просим|Здравствуйте|Администраци|Район|Поселок|Посел|Город|Село|Деревн|Проспект|Переул|Площад|Бульвар|Набережн|Шоссе|Подъезд|Парадн|Квартир|Жител|Житель)[а-яё]*[\\s,.])"
        // Streets named after people («ул. Олеко Дундича», «проспект Александра Невского») are addresses, not PII.
        let notStreet = ["ул\\.\\s?", "ул\\s", "улица\\s", "Улица\\s", "улице\\s", "улицы\\s", "пр\\.\\s?", "проспект\\s", "пр-т\\s", "пер\\.\\s?", "переулок\\s",
                         "им\\.\\s?", "имени\\s", "наб\\.\\s?", "пл\\.\\s?", "площадь\\s", "б-р\\s", "бульвар\\s"].map { "(?<!\($0))" }.joined()
        let patronymic = "\(up)\(low)+(?:ович|евич|ьич|ич)(?:а|у|ем|е)?|\(up)\(low)+(?:овн|евн|ичн|иничн)(?:а|ы|е|у|ой)"
        func cs(_ p: String) -> NSRegularExpression? { try? NSRegularExpression(pattern: p, options: []) }
        let all: [Rule?] = [
            Rule(kind: .email, regex: re("[A-Z0-9._%+-]+@[A-Z0-9.-]+\\.[A-Z]{2,}"), group: 0, validate: nil),
            Rule(kind: .birthDate, regex: re(
                "(?:дат[аеуы]\\s+рождения|д\\.\\s?р\\.|родил(?:ся|ась))\\s*[:\\-–]?\\s*(\\d{1,2}[./-]\\d{1,2}[./-]\\d{2,4}|\\d{1,2}\\s+(?:январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*\\s+\\d{4}(?:\\s*(?:г\\.|года?))?)"),
                group: 1, validate: nil),
            Rule(kind: .birthDate, regex: re("(?<![\\d.])((?:\\d{1,2}[./]\\d{1,2}[./])?(?:19|20)\\d{2}\\s*(?:г\\.\\s?р\\.?|года\\s+рождения))(?![а-яё])"), group: 1, validate: nil),
            Rule(kind: .snils, regex: re("(?<!\\d)\\d{3}-\\d{3}-\\d{3}[ -]\\d{2}(?!\\d)"), group: 0, validate: nil),
            Rule(kind: .snils, regex: re("снилс\\s*(?:№|n)?\\s*:?\\s*(\\d{11}|\\d{3} \\d{3} \\d{3} \\d{2})(?!\\d)"), group: 1, validate: nil),
            Rule(kind: .inn, regex: re("инн\\s*(?:№|n)?\\s*:?\\s*(\\d{12}|\\d{10})(?!\\d)"), group: 1, validate: nil),
            Rule(kind: .passport, regex: re(
                "паспорт[а-я]*(?:\\s+(?:рф|гражданина\\s+рф))?\\s*[:,]?\\s*(?:серия\\s*)?(\\d{2}\\s?\\d{2}\\s*(?:№|номер|n)?\\s*\\d{6})(?!\\d)"),
                group: 1, validate: nil),
            Rule(kind: .passport, regex: re("(серия\\s*\\d{2}\\s?\\d{2}\\s*(?:№|номер|n)\\s*\\d{6})(?!\\d)"), group: 1, validate: nil),
            Rule(kind: .bankCard, regex: re("(?<![\\d])(?:\\d{4}[ -]?){3}\\d{4}(?:[ -]?\\d{3})?(?!\\d)"), group: 0,
                 validate: { PIIRedactor.luhn($0) }),
            Rule(kind: .inn, regex: re("(?<![\\d+\\-])(\\d{12})(?![\\d])"), group: 1, validate: { PIIRedactor.validINN($0) }),
            Rule(kind: .phone, regex: re(
                "(?<![\\d\\w])(?:\\+\\s?7|8|7)[\\s\\-]*\\(?\\s*\\d{3,5}\\s*\\)?[\\s\\-]*\\d{1,3}[\\s\\-]*\\d{2}[\\s\\-]*\\d{2}(?!\\d)"),
                group: 0, validate: { PIIRedactor.digits($0).count == 11 }),
            Rule(kind: .phone, regex: re("(?<![\\d\\w])\\(?9\\d{2}\\)?[\\s\\-]?\\d{3}[\\s\\-]?\\d{2}[\\s\\-]?\\d{2}(?!\\d)"), group: 0, validate: nil),
            Rule(kind: .phone, regex: re("(?:тел(?:ефон[а-я]*)?\\.?|т\\.)\\s*:?\\s*(\\d{1,3}[\\s\\-]?\\d{2}[\\s\\-]?\\d{2})(?!\\d)"), group: 1, validate: nil),
            Rule(kind: .apartment, regex: re("(?<![а-яё])(?:кв\\.?|квартир[а-яё]*)\\s*(?:№\\s*)?(\\d+\\s?[а-яё]?)(?![\\dа-яё])"), group: 1, validate: nil),
            // Фамилия Имя Отчество / Имя Отчество (any case form of the patronymic)
            Rule(kind: .fullName, regex: cs("\(notStreet)(?<![А-Яа-яЁё])(?:\(notName)\(word)\\s+)?\(notName)\(word)\\s+(?:\(patronymic))(?![А-Яа-яЁё])"), group: 0, validate: nil),
            // Иванов И.И. / Иванов И. И.
            Rule(kind: .fullName, regex: cs("\(notStreet)(?<![А-Яа-яЁё])\(notName)\(word)\\s+\(up)\\.\\s?\(up)\\.?(?![А-Яа-яЁё])"), group: 0, validate: nil),
            // И.И. Иванов
            Rule(kind: .fullName, regex: cs("(?<![А-Яа-яЁё.])\(up)\\.\\s?\(up)\\.\\s?\(word)"), group: 0, validate: nil),
        ]
        rules = all.compactMap { $0 }
    }

    public func redact(_ text: String) -> RedactionResult { redact(text, audit: nil) }

    /// Redacted values per kind — for auditing the patterns in tests/tools only (returns raw PII).
    func auditFindings(_ text: String) -> [(PIIKind, String)] {
        var out: [(PIIKind, String)] = []
        _ = redact(text) { out.append(($0, $1)) }
        return out
    }

    private func redact(_ text: String, audit: ((PIIKind, String) -> Void)?) -> RedactionResult {
        var current = text
        var counts: [PIIKind: Int] = [:]
        guard !text.isEmpty else { return RedactionResult(text: text, kinds: [], counts: [:]) }
        var shape = TextShape(current)
        for rule in rules {
            guard shape.admits(rule.needs) else { continue }
            let ns = current as NSString
            let matches = rule.regex.matches(in: current, options: [], range: NSRange(location: 0, length: ns.length))
            guard !matches.isEmpty else { continue }
            let mutable = NSMutableString(string: current)
            for m in matches.reversed() {
                let r = rule.group < m.numberOfRanges ? m.range(at: rule.group) : m.range
                guard r.location != NSNotFound, r.length > 0 else { continue }
                let value = ns.substring(with: r)
                if value.contains("[") { continue }
                if let v = rule.validate, !v(value) { continue }
                audit?(rule.kind, value)
                mutable.replaceCharacters(in: r, with: rule.kind.placeholder)
                counts[rule.kind, default: 0] += 1
            }
            current = mutable as String
            shape = TextShape(current)
        }
        let kinds = PIIKind.allCases.filter { counts[$0] != nil }
        return RedactionResult(text: current, kinds: kinds, counts: counts)
    }

    static func digits(_ s: String) -> [Int] { s.unicodeScalars.compactMap { ("0"..."9").contains($0) ? Int($0.value) - 48 : nil } }

    /// Luhn checksum for bank card numbers (13–19 digits).
    public static func luhn(_ s: String) -> Bool {
        let d = digits(s)
        guard (13...19).contains(d.count) else { return false }
        var sum = 0
        for (i, x) in d.reversed().enumerated() {
            if i % 2 == 1 { let y = x * 2; sum += y > 9 ? y - 9 : y } else { sum += x }
        }
        return sum % 10 == 0
    }

    /// INN checksum (10-digit legal entity or 12-digit individual).
    public static func validINN(_ s: String) -> Bool {
        let d = digits(s)
        func check(_ coeffs: [Int], _ n: Int) -> Bool {
            let c = zip(coeffs, d).map { $0 * $1 }.reduce(0, +) % 11 % 10
            return c == d[n]
        }
        if d.count == 10 { return check([2, 4, 10, 3, 5, 9, 4, 6, 8], 9) }
        if d.count == 12 {
            return check([7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 10) && check([3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8], 11)
        }
        return false
    }
}
