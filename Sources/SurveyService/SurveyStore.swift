import Contracts
import Foundation
import VecheRuntime

/// SQL for the `survey` schema. Every statement binds its values; nothing user-supplied is concatenated.
enum SurveyStore {
    static func date(_ ms: Int64) -> Date? { ms <= 0 ? nil : Date(timeIntervalSince1970: Double(ms) / 1000) }

    // MARK: surveys

    static func survey(from r: PGRow) -> SurveyV1.Survey? {
        guard let bytes = r.bytes("definition"), var s = try? SurveyV1.Survey(serializedBytes: bytes) else { return nil }
        s.status = SurveyV1.SurveyStatus(name: r.string("status")) ?? .unspecified
        s.createdAtMs = r.epochMs("created_at")
        return s
    }

    static func find(_ conn: PGConnection, id: String, forUpdate: Bool = false) throws -> SurveyV1.Survey? {
        let lock: SQL = forUpdate ? " FOR UPDATE" : ""
        return try conn.query("SELECT status, definition, created_at FROM surveys WHERE id = \(id)\(lock)").first.flatMap(survey(from:))
    }

    static func insert(_ conn: PGConnection, _ s: SurveyV1.Survey) throws -> Bool {
        try conn.query("""
            INSERT INTO surveys (id, title, status, definition, created_at)
            VALUES (\(s.id), \(s.title), \(s.status.name), \(PGBytes.encode(s.serializedBytes()))::bytea, \(date(s.createdAtMs))::timestamptz)
            ON CONFLICT (id) DO NOTHING RETURNING id
            """).first != nil
    }

    static func update(_ conn: PGConnection, _ s: SurveyV1.Survey) throws {
        try conn.query("""
            UPDATE surveys SET status = \(s.status.name), definition = \(PGBytes.encode(s.serializedBytes()))::bytea, updated_at = now()
            WHERE id = \(s.id)
            """)
    }

    static func list(_ conn: PGConnection) throws -> [SurveyV1.Survey] {
        try conn.query("SELECT status, definition, created_at FROM surveys ORDER BY created_at DESC, id").rows.compactMap(survey(from:))
    }

    static func responseCount(_ conn: PGConnection, surveyID: String) throws -> Int64 {
        try conn.query("SELECT count(*) AS n FROM responses WHERE survey_id = \(surveyID)").first?.int("n") ?? 0
    }

    /// SQL expression giving a response's value of a variable: municipality, stratum, cluster or an attribute.
    static func variableExpression(_ variable: String) -> SQL {
        switch variable {
        case "municipality", "municipality_oktmo": return "municipality_oktmo"
        case "stratum": return "stratum"
        case "cluster": return "cluster"
        default: return "coalesce(attr_values[array_position(attr_keys, \(variable)::text)], '')"
        }
    }

    /// Fills `achieved` of every quota from the stored responses.
    static func withAchieved(_ conn: PGConnection, _ s: SurveyV1.Survey) throws -> SurveyV1.Survey {
        var s = s
        for (i, q) in s.quotas.enumerated() {
            s.quotas[i].achieved = try conn.query("""
                SELECT count(*) AS n FROM responses WHERE survey_id = \(s.id) AND \(variableExpression(q.variable)) = \(q.category)
                """).first?.int("n") ?? 0
        }
        return s
    }

    // MARK: batches

    /// The team a stored batch came from (nil: no such batch).
    static func batchTeam(_ conn: PGConnection, batchID: String) throws -> String? {
        try conn.query("SELECT team_id FROM batches WHERE batch_id = \(batchID)").first?.string("team_id")
    }

    static func receipt(_ conn: PGConnection, batchID: String) throws -> SurveyV1.BatchReceipt? {
        guard let row = try conn.query("SELECT receipt FROM batches WHERE batch_id = \(batchID)").first,
              let bytes = row.bytes("receipt") else { return nil }
        return try? SurveyV1.BatchReceipt(serializedBytes: bytes)
    }

    /// Validates and stores one batch (idempotent on batch id). Runs inside a transaction.
    static func ingest(_ conn: PGConnection, _ batch: SurveyV1.ResultBatch, raw: [UInt8], source: String,
                       sequence: UInt64, now: Date) throws -> SurveyV1.BatchReceipt {
        // Serialise work on one batch id (concurrent re-sends), then replay a stored receipt.
        try conn.query("SELECT pg_advisory_xact_lock(hashtext(\(batch.batchId)))")
        if var stored = try receipt(conn, batchID: batch.batchId) {
            stored.duplicate = true
            return stored
        }
        var receipt = SurveyV1.BatchReceipt(batchId: batch.batchId, surveyId: batch.surveyId,
                                            receivedAtMs: Int64((now.timeIntervalSince1970 * 1000).rounded()))
        func rejectBatch(_ field: String, _ message: String) {
            receipt.status = .rejected
            receipt.rejectedRows = Int32(batch.responses.count)
            receipt.errors = [SurveyV1.RowError(rowIndex: -1, field: field, message: message)]
        }
        // Locking the survey row serialises batches of one survey (respondent ids stay unique, status is stable).
        let survey = batch.surveyId.isEmpty ? nil : try find(conn, id: batch.surveyId, forUpdate: true)
        if batch.surveyId.isEmpty {
            rejectBatch("survey_id", "survey_id is required")
        } else if let survey {
            if survey.status != .fieldwork {
                rejectBatch("survey_id", "survey \(survey.id) is in status \(survey.status.name); batches are accepted only during fieldwork")
            } else if batch.responses.isEmpty {
                rejectBatch("responses", "batch has no responses")
            } else {
                try storeRows(conn, batch, survey: survey, receipt: &receipt)
            }
        } else {
            rejectBatch("survey_id", "survey \(batch.surveyId) not found")
        }
        try conn.query("""
            INSERT INTO batches (batch_id, survey_id, team_id, source, stream_sequence, status, accepted_rows, rejected_rows,
                payload, receipt, received_at)
            VALUES (\(batch.batchId), \(batch.surveyId), \(batch.teamId), \(source), \(Int64(clamping: sequence)), \(receipt.status.name),
                \(receipt.acceptedRows), \(receipt.rejectedRows), \(PGBytes.encode(raw))::bytea,
                \(PGBytes.encode(receipt.serializedBytes()))::bytea, \(now)::timestamptz)
            """)
        return receipt
    }

    private static func storeRows(_ conn: PGConnection, _ batch: SurveyV1.ResultBatch, survey: SurveyV1.Survey,
                                  receipt: inout SurveyV1.BatchReceipt) throws {
        let questions = Dictionary(survey.questions.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let ids = batch.responses.map(\.respondentId).filter { !$0.isEmpty }
        var existing: [String: String] = [:]
        for row in try conn.query("""
            SELECT respondent_id, batch_id FROM responses WHERE survey_id = \(survey.id) AND respondent_id = ANY(\(ids)::text[])
            """).rows {
            existing[row.string("respondent_id")] = row.string("batch_id")
        }
        var firstRow: [String: Int] = [:]
        var valid: [(Int, SurveyV1.Response)] = []
        var errors: [SurveyV1.RowError] = []
        var design = try SampleDesignShape.stored(conn, surveyID: survey.id)
        for (i, r) in batch.responses.enumerated() {
            var rowErrors = SurveyRules.check(r, row: i, survey: survey, questions: questions)
            if !r.respondentId.isEmpty {
                if let other = existing[r.respondentId] {
                    rowErrors.append(.init(rowIndex: Int32(i), respondentId: r.respondentId, field: "respondent_id",
                                           message: "duplicate respondent id \(r.respondentId) in survey \(survey.id) (already stored from batch \(other))"))
                } else if let first = firstRow[r.respondentId] {
                    rowErrors.append(.init(rowIndex: Int32(i), respondentId: r.respondentId, field: "respondent_id",
                                           message: "duplicate respondent id \(r.respondentId) in this batch (first at row \(first))"))
                } else {
                    firstRow[r.respondentId] = i
                }
            }
            if rowErrors.isEmpty { rowErrors = design.admit(r, row: i) }   // last: only a stored row fixes the design
            if rowErrors.isEmpty { valid.append((i, r)) } else { errors += rowErrors }
        }
        if !valid.isEmpty {
            var responseRows: [[String?]] = []
            var answerRows: [[String?]] = []
            for (i, r) in valid {
                let weight = r.baseWeight == 0 ? 1.0 : r.baseWeight
                responseRows.append([survey.id, r.respondentId, batch.batchId, String(i), r.municipalityOktmo, r.stratum, r.cluster,
                                     String(weight), String(r.fpc), r.attributes.map(\.key).pgText, r.attributes.map(\.value).pgText,
                                     date(r.interviewedAtMs).map(PGTime.format)])
                for a in r.answers {
                    let type = questions[a.questionCode]?.type ?? .text
                    let numeric = type == .likert || type == .nps || type == .numeric
                    answerRows.append([survey.id, r.respondentId, a.questionCode, a.optionCodes.pgText,
                                       numeric ? String(a.number) : nil, a.text])
                }
            }
            try conn.copyIn(table: "responses", columns: ["survey_id", "respondent_id", "batch_id", "row_index", "municipality_oktmo", "stratum",
                                                          "cluster", "base_weight", "fpc", "attr_keys", "attr_values", "interviewed_at"],
                            rows: responseRows)
            if !answerRows.isEmpty {
                try conn.copyIn(table: "answers", columns: ["survey_id", "respondent_id", "question_code", "option_codes", "number", "text"],
                                rows: answerRows)
            }
        }
        let rejectedRows = batch.responses.count - valid.count
        receipt.acceptedRows = Int32(valid.count)
        receipt.rejectedRows = Int32(rejectedRows)
        receipt.errors = errors
        receipt.status = rejectedRows == 0 ? .accepted : (valid.isEmpty ? .rejected : .partial)
    }

    static func rejectMessage(_ conn: PGConnection, subject: String, sequence: UInt64, reason: String,
                              payload: [UInt8], headers: [String: String]) throws {
        let h = RPCHeader.withoutCredentials(headers).sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        try conn.query("""
            INSERT INTO rejected_messages (subject, stream_sequence, reason, payload, headers)
            VALUES (\(subject), \(Int64(clamping: sequence)), \(reason), \(PGBytes.encode(payload))::bytea, \(h)::text[])
            ON CONFLICT (subject, stream_sequence) DO NOTHING
            """)
    }

    // MARK: margins

    /// Replaces the margins of every variable named in `margins`.
    static func setMargins(_ conn: PGConnection, surveyID: String, _ margins: [SurveyV1.Margin]) throws -> Int {
        let variables = Array(Set(margins.map(\.variable))).sorted()
        try conn.query("DELETE FROM margins WHERE survey_id = \(surveyID) AND variable = ANY(\(variables)::text[])")
        for m in margins {
            try conn.query("""
                INSERT INTO margins (survey_id, variable, category, population) VALUES (\(surveyID), \(m.variable), \(m.category), \(m.population))
                """)
        }
        return margins.count
    }

    static func margins(_ conn: PGConnection, surveyID: String) throws -> [String: [String: Double]] {
        var out: [String: [String: Double]] = [:]
        for r in try conn.query("SELECT variable, category, population FROM margins WHERE survey_id = \(surveyID)").rows {
            out[r.string("variable"), default: [:]][r.string("category")] = r.double("population")
        }
        return out
    }

    // MARK: estimation data

    static func sample(_ conn: PGConnection, surveyID: String) throws -> Sample {
        var s = Sample()
        for r in try conn.query("""
            SELECT respondent_id, municipality_oktmo, stratum, cluster, base_weight, fpc, attr_keys, attr_values
            FROM responses WHERE survey_id = \(surveyID) ORDER BY seq
            """).rows {
            s.respondents.append(r.string("respondent_id"))
            s.municipality.append(r.string("municipality_oktmo"))
            s.stratum.append(r.string("stratum"))
            s.cluster.append(r.string("cluster"))
            s.weight.append(r.double("base_weight"))
            s.fpc.append(r.double("fpc"))
            let keys = r.stringArray("attr_keys"), values = r.stringArray("attr_values")
            s.attributes.append(Dictionary(zip(keys, values).map { ($0, $1) }, uniquingKeysWith: { a, _ in a }))
        }
        return s
    }

    /// Answers to the given questions: question code → respondent id → answer.
    static func answers(_ conn: PGConnection, surveyID: String, questions: [String]) throws -> [String: [String: StoredAnswer]] {
        var out: [String: [String: StoredAnswer]] = [:]
        for r in try conn.query("""
            SELECT question_code, respondent_id, option_codes, number FROM answers
            WHERE survey_id = \(surveyID) AND question_code = ANY(\(questions)::text[])
            """).rows {
            out[r.string("question_code"), default: [:]][r.string("respondent_id")] =
                StoredAnswer(options: r.stringArray("option_codes"), number: r.isNull("number") ? nil : r.double("number"))
        }
        return out
    }
}

struct StoredAnswer: Sendable {
    var options: [String]
    var number: Double?
}

/// The design variables of every stored response of a survey, in storage order.
struct Sample: Sendable {
    var respondents: [String] = []
    var municipality: [String] = []
    var stratum: [String] = []
    var cluster: [String] = []
    var weight: [Double] = []
    var fpc: [Double] = []
    var attributes: [[String: String]] = []

    var count: Int { respondents.count }

    /// A response's value of a variable: municipality(_oktmo), stratum, cluster or an attribute key;
    /// "a+b" gives the crossed cell "x|y" ("" when any part is missing).
    func value(_ variable: String, row i: Int) -> String {
        if variable.contains("+") {
            let parts = variable.split(separator: "+").map { value(String($0), row: i) }
            return parts.contains("") ? "" : parts.joined(separator: "|")
        }
        switch variable {
        case "municipality", "municipality_oktmo": return municipality[i]
        case "stratum": return stratum[i]
        case "cluster": return cluster[i]
        default: return attributes[i][variable] ?? ""
        }
    }

    func column(_ variable: String) -> [String] { (0..<count).map { value(variable, row: $0) } }
}
