import Contracts
import Foundation
import VecheRuntime

/// Survey definition and batch-row validation. Pure functions: every problem becomes a clear message.
enum SurveyRules {
    static let maxCodeLength = 64
    static let maxTextAnswerLength = 10_000

    /// 7 → "7", 2.5 → "2.5".
    static func num(_ x: Double) -> String {
        x.isFinite && x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }

    static func isCode(_ s: String) -> Bool {
        !s.isEmpty && s.count <= maxCodeLength && s.unicodeScalars.allSatisfy {
            switch $0 {
            case "a"..."z", "A"..."Z", "0"..."9", "_", "-", ".": return true
            default: return false
            }
        }
    }

    /// Likert / numeric / NPS bounds with defaults filled in (Likert 1–5, NPS 0–10; numeric unbounded when 0/0).
    static func scale(of q: SurveyV1.Question) -> ClosedRange<Int>? {
        switch q.type {
        case .likert: return q.scaleMin == 0 && q.scaleMax == 0 ? 1...5 : Int(q.scaleMin)...Int(max(q.scaleMin, q.scaleMax))
        case .nps: return 0...10
        case .numeric: return q.scaleMin == 0 && q.scaleMax == 0 ? nil : Int(q.scaleMin)...Int(max(q.scaleMin, q.scaleMax))
        default: return nil
        }
    }

    /// Validates and normalises a new survey (status draft, defaults for scales). Throws `invalidArgument`
    /// listing every problem.
    static func normalise(_ input: SurveyV1.Survey) throws -> SurveyV1.Survey {
        var s = input
        var problems: [String] = []
        if !s.id.isEmpty && !isCode(s.id) {
            problems.append("id '\(s.id)' may only contain letters, digits, '_', '-', '.' (at most \(maxCodeLength))")
        }
        s.title = s.title.trimmingCharacters(in: .whitespacesAndNewlines)
        if s.title.isEmpty { problems.append("title is required") }
        if s.status != .unspecified && s.status != .draft {
            problems.append("a new survey starts in status draft (got \(s.status.name)); use SetStatus to move it")
        }
        if s.questions.isEmpty { problems.append("a survey needs at least one question") }
        if s.fieldworkFromMs < 0 || s.fieldworkToMs < 0 || (s.fieldworkFromMs > 0 && s.fieldworkToMs > 0 && s.fieldworkToMs < s.fieldworkFromMs) {
            problems.append("fieldwork_to_ms must not be before fieldwork_from_ms")
        }
        var codes = Set<String>()
        for (i, q) in s.questions.enumerated() {
            let name = q.code.isEmpty ? "question #\(i + 1)" : "question \(q.code)"
            if !isCode(q.code) { problems.append("\(name): code must be 1–\(maxCodeLength) letters, digits, '_', '-' or '.'") }
            else if !codes.insert(q.code).inserted { problems.append("\(name): duplicate question code") }
            switch q.type {
            case .unspecified:
                problems.append("\(name): type is required (single, multiple, likert, nps, numeric, text)")
            case .single, .multiple:
                if q.options.count < 2 { problems.append("\(name): a \(q.type.name) question needs at least 2 options") }
                var seen = Set<String>()
                for o in q.options {
                    if !isCode(o.code) { problems.append("\(name): option code '\(o.code)' is invalid") }
                    else if !seen.insert(o.code).inserted { problems.append("\(name): duplicate option code \(o.code)") }
                }
            case .likert:
                if !(q.scaleMin == 0 && q.scaleMax == 0) && !(q.scaleMax > q.scaleMin && q.scaleMax - q.scaleMin <= 10) {
                    problems.append("\(name): Likert scale must have 2–11 points (scale_min < scale_max), got \(q.scaleMin)..\(q.scaleMax)")
                }
                if !q.options.isEmpty { problems.append("\(name): a likert question has no options (use scale_min/scale_max)") }
            case .nps:
                if !(q.scaleMin == 0 && q.scaleMax == 0) && !(q.scaleMin == 0 && q.scaleMax == 10) {
                    problems.append("\(name): NPS is always 0..10, got \(q.scaleMin)..\(q.scaleMax)")
                }
                if !q.options.isEmpty { problems.append("\(name): an nps question has no options") }
            case .numeric:
                if q.scaleMax < q.scaleMin { problems.append("\(name): scale_max \(q.scaleMax) is below scale_min \(q.scaleMin)") }
                if !q.options.isEmpty { problems.append("\(name): a numeric question has no options") }
            case .text:
                if !q.options.isEmpty { problems.append("\(name): a text question has no options") }
            }
            if q.type == .likert, q.scaleMin == 0, q.scaleMax == 0 { s.questions[i].scaleMin = 1; s.questions[i].scaleMax = 5 }
            if q.type == .nps { s.questions[i].scaleMin = 0; s.questions[i].scaleMax = 10 }
        }
        var quotaKeys = Set<String>()
        for (i, quota) in s.quotas.enumerated() {
            if quota.variable.isEmpty || quota.category.isEmpty { problems.append("quota #\(i + 1): variable and category are required") }
            if quota.target < 0 { problems.append("quota #\(i + 1): target must not be negative") }
            if !quotaKeys.insert(quota.variable + "\u{1F}" + quota.category).inserted {
                problems.append("quota #\(i + 1): duplicate quota for \(quota.variable)=\(quota.category)")
            }
            s.quotas[i].achieved = 0
        }
        if !problems.isEmpty { throw RPCError.invalidArgument(problems.joined(separator: "; ")) }
        s.status = .draft
        return s
    }

    /// Checks one response against the survey. Returns the row's errors (empty = valid).
    static func check(_ r: SurveyV1.Response, row: Int, survey: SurveyV1.Survey, questions: [String: SurveyV1.Question]) -> [SurveyV1.RowError] {
        var errors: [SurveyV1.RowError] = []
        func fail(_ field: String, _ message: String) {
            errors.append(SurveyV1.RowError(rowIndex: Int32(row), respondentId: r.respondentId, field: field, message: message))
        }
        if r.respondentId.trimmingCharacters(in: .whitespaces).isEmpty { fail("respondent_id", "respondent_id is required") }
        else if r.respondentId.count > 200 { fail("respondent_id", "respondent_id is longer than 200 characters") }
        if !r.baseWeight.isFinite || r.baseWeight < 0 {
            fail("base_weight", "base_weight \(num(r.baseWeight)) must be a positive number (0 means 1)")
        }
        if !r.fpc.isFinite || r.fpc < 0 { fail("fpc", "fpc \(num(r.fpc)) must be a positive population size (0 = no fpc)") }
        if !r.municipalityOktmo.isEmpty,
           !(r.municipalityOktmo.count == 8 || r.municipalityOktmo.count == 11) || !r.municipalityOktmo.allSatisfy(\.isASCIIDigit) {
            fail("municipality_oktmo", "municipality_oktmo '\(r.municipalityOktmo)' is not an 8- or 11-digit OKTMO code")
        }
        var keys = Set<String>()
        for kv in r.attributes {
            if kv.key.isEmpty { fail("attributes", "attribute with an empty key") }
            else if !keys.insert(kv.key).inserted { fail("attributes.\(kv.key)", "attribute \(kv.key) given twice") }
        }
        var answered = Set<String>()
        for a in r.answers {
            let field = "answers.\(a.questionCode)"
            guard let q = questions[a.questionCode] else {
                fail(field, "unknown question code '\(a.questionCode)' (survey \(survey.id) has \(survey.questions.map(\.code).joined(separator: ", ")))")
                continue
            }
            guard answered.insert(a.questionCode).inserted else { fail(field, "question \(q.code) answered twice"); continue }
            let hasNumber = a.hasNumber || a.number != 0
            switch q.type {
            case .single, .multiple:
                let valid = Set(q.options.map(\.code))
                if a.optionCodes.isEmpty { fail(field, "\(q.type.name) question \(q.code) needs an option code") }
                if q.type == .single && a.optionCodes.count > 1 {
                    fail(field, "single-choice question \(q.code) allows one option, got \(a.optionCodes.count)")
                }
                if Set(a.optionCodes).count != a.optionCodes.count { fail(field, "question \(q.code): an option is repeated") }
                for o in a.optionCodes where !valid.contains(o) {
                    fail(field, "option '\(o)' is not an option of question \(q.code) (\(q.options.map(\.code).joined(separator: ", ")))")
                }
            case .likert, .nps, .numeric:
                guard hasNumber else { fail(field, "\(q.type.name) question \(q.code) needs a number (has_number)"); break }
                guard a.number.isFinite else { fail(field, "question \(q.code): \(num(a.number)) is not a finite number"); break }
                if q.type != .numeric && a.number != a.number.rounded() {
                    fail(field, "\(q.type.name) answer \(num(a.number)) to \(q.code) must be a whole number")
                }
                if let range = scale(of: q), !(Double(range.lowerBound)...Double(range.upperBound)).contains(a.number) {
                    fail(field, "\(q.type.name) answer \(num(a.number)) to \(q.code) is out of range \(range.lowerBound)..\(range.upperBound)")
                }
            case .text:
                if a.text.count > maxTextAnswerLength { fail(field, "text answer to \(q.code) is longer than \(maxTextAnswerLength) characters") }
            case .unspecified:
                break
            }
        }
        for q in survey.questions where q.required && !answered.contains(q.code) {
            fail("answers.\(q.code)", "missing answer to required question \(q.code)")
        }
        return errors
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
