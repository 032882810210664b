import Contracts
import DataKit
import Foundation
import Testing
@testable import TextAnalysis
import VecheRuntime
import VecheTestSupport
@testable import AppealService

/// The lexemes PostgreSQL's `to_tsvector('russian', text)` gives (positions dropped), one text per element.
private func serverLexemes(_ conn: PGConnection, _ texts: [String]) throws -> [[String]] {
    var out: [[String]] = []
    for start in stride(from: 0, to: texts.count, by: 5_000) {
        let chunk = Array(texts[start..<min(texts.count, start + 5_000)])
        let rows = try conn.query("""
            SELECT array_to_string(tsvector_to_array(to_tsvector('russian', t)), ' ') AS l
            FROM unnest(\(chunk)::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n
            """).rows
        out += rows.map { r in r.string("l").split(separator: " ").map(String.init).sorted() }
    }
    return out
}

/// The texts the service covers whose lexemes differ from the server's, described (for an expectation message).
private func differences(_ texts: [String], _ mine: [[String]?], _ cluster: TestCluster) async throws -> [String] {
    let covered = mine.indices.filter { mine[$0] != nil }
    let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
    defer { pool.close() }
    let server = try await pool.withConnection { try serverLexemes($0, covered.map { texts[$0] }) }
    return zip(covered, server).filter { mine[$0.0] != $0.1 }.map { i, s in
        "«\(texts[i])»: service only \(Set(mine[i] ?? []).subtracting(s).sorted()), server only \(Set(s).subtracting(mine[i] ?? []).sorted())"
    }
}

/// `SearchLexemes` (issue #10 item 4) against the real PostgreSQL: it must give exactly what the server's
/// `to_tsvector('russian', …)` gives, or nothing (then the server computes the vector).
@Suite("Search lexemes computed in the service equal PostgreSQL's to_tsvector('russian')", .serialized)
struct SearchLexemesTests {
    /// Tokens around which PostgreSQL's parser has special readings, with whether the service must cover them.
    static let cases: [(String, covered: Bool)] = [
        ("Санкт-Петербург, ул. Ленина д.5 кв.12, IT-компания 5а «дом» №5", true),
        ("ул.Ленина слово.Слово 5. .5", true),
        ("а-б-в б--в -слово слово- e-mail", true),
        ("Ёлка ЁЖИК её всё ещё 10:30 50% (скобки) [квадратные] {фигурные} \"кавычки\" „лапки“ — тире – … *", true),
        ("COVID19 5G ab5cd The quick brown foxes were running", true),
        ("Тoчка с латинской o внутри", true),
        ("от 17.05.2021) о 16.02.2022г. 12.05 дом 3.5 д.12.5 10.10.20. конец 1.2а", true),
        ("<p>На&nbsp; абзац</p><br><BR /> &laquo;Дом&raquo; &#171; слово... слово ...начало", true),
        ("<p style=`x`>y</p>", false), ("&nbsp без точки с запятой", false), ("кв.. Трубы", false), ("12.05-13.05", false),
        ("a<b", false), ("1.2.x", false),
        ("1.Прошу 2.Просим 1.2.Три 1-2 5-1 1-й 2-х-этажный ул-5 а -1 ]-1 1-й-6 #1 5#6 10-15 --5 д.-5 -13.05 -1.2.3 1-2.5", true),
        ("дом 5/1, 5/1. д.5/1 a / b 1 / 2 5/1а 5/а 1/2/3", true),
        ("5.x", false), ("5.xy", false), ("12.ru", false), ("и/или", false), ("-5/1", false), ("5/1.2", false), ("1.2/3", false),
        ("18к.3", false), ("-5а", false), ("ответственный-ЖКС-2", false), ("12/12IT", false), ("5/1a", false), ("7_1", false), ("p-5/p", false), ("/_", false),
        ("test@mail.ru", false), ("http://x.ru/a", false), ("-5 слово-5", true),
        ("abc.Def", false), ("x.5", false), ("<b>жирный</b>", true), ("don't", false), ("вода\u{301}", false), ("café", false), ("&amp;", true), ("+7 900", false),
    ]

    /// Every letter of the Cyrillic block the service treats as a letter, alone and in a word, both cases: its
    /// lower-casing (by table, not Foundation) and stemming agree with the server's.
    static let cyrillicLetters: [(String, covered: Bool)] = {
        let letters = (0x0400...0x04FF).compactMap(Unicode.Scalar.init).filter { SearchLexemes.kind($0) == .cyrillic }.map { String(Character($0)) }
        return [(letters.joined(separator: " "), true), (letters.map { "ДОМ" + $0 + "ОВ" }.joined(separator: " "), true)]
    }()

    @Test("Hand-picked cases: the covered ones are covered, and every covered one equals the server's lexemes")
    func specialReadings() async throws {
        try await withCluster { cluster in
            let pool = try await PGPool(conninfo: cluster.databaseAdminConninfo, size: 1, logger: cluster.logger)
            defer { pool.close() }
            let lexemer = try SearchLexemes()
            let cases = Self.cases + Self.cyrillicLetters
            let server = try await pool.withConnection { try serverLexemes($0, cases.map(\.0)) }
            for ((text, covered), expected) in zip(cases, server) {
                let mine = lexemer.lexemes(of: text)
                #expect((mine != nil) == covered, "\(text): covered \(mine != nil), expected \(covered)")
                if let mine { #expect(mine == expected, "\(text)") }
            }
        }
    }

    /// Random strings over the characters the rules are about (letters of both scripts, digits, dots, hyphens,
    /// slashes, tag and entity characters, blanks): whatever the service covers equals the server, so a rule that
    /// only holds on the texts seen so far fails here.
    @Test("On 60,000 random strings of the characters the rules are about, every covered one equals the server's lexemes")
    func randomStrings() async throws {
        let alphabet: [String] = ["д", "ом", "Ё", "x", "IT", "5", "12", "0", ".", ".", "-", "-", "/", " ", " ", "\n", "<", ">", "p", "br", "&", ";",
                                  "#", "_", "…", "«", ":", "!", "ул", "г", "&nbsp;", "<p>", "</p>", "...", "..", "—", "%", ",", "@", "'", "й"]
        var state: UInt64 = UInt64(ProcessInfo.processInfo.environment["VECHE_LEXEME_SEED"] ?? "") ?? 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
        let texts = (0..<60_000).map { _ in (0..<(1 + next(16))).map { _ in alphabet[next(alphabet.count)] }.joined() }
        let lexemer = try SearchLexemes()
        let mine = texts.map { lexemer.lexemes(of: $0) }
        let covered = mine.filter { $0 != nil }.count
        let differing = try await withCluster { try await differences(texts, mine, $0) }
        #expect(differing.isEmpty, "\(differing.count) of \(covered) differ, e.g.\n\(differing.prefix(8).joined(separator: "\n"))")
        #expect(covered > 12_000, "covered \(covered)")
    }

    /// Every redacted St Petersburg and Kursk appeal text (about 60,000 + 4,000; the shared data's own texts):
    /// where the service gives lexemes they are the server's, and it gives them for most appeals (otherwise the
    /// intake would still pay PostgreSQL's parser for them).
    @Test("On every real appeal text the service's lexemes are the server's, and at least 95 % of appeals are covered")
    func realAppeals() async throws {
        let dir = try #require(DataFiles.sharedDataDirectory(from: #filePath)
                                ?? (FileManager.default.fileExists(atPath: "/work/shared/data") ? "/work/shared/data" : nil),
                               "../shared/data holds the appeals")
        let redactor = PIIRedactor()
        let texts = (try AppealDatasets.loadSPb(dataDirectory: dir) + AppealDatasets.loadKurskTrain(dataDirectory: dir).rows)
            .map { redactor.redact($0.text).text }
        let lexemer = try SearchLexemes()
        let mine = texts.map { lexemer.lexemes(of: $0) }
        let covered = mine.filter { $0 != nil }.count
        let differing = try await withCluster { try await differences(texts, mine, $0) }
        #expect(differing.isEmpty, "\(differing.count) of \(covered) differ, e.g.\n\(differing.prefix(5).joined(separator: "\n"))")
        // Where the service gives up (the character and its neighbours), most frequent first.
        var reasons: [String: Int] = [:]
        for (t, m) in zip(texts, mine) where m == nil {
            if case .uncovered(let at) = lexemer.scan(t) {
                let s = Array(t.unicodeScalars)
                var v = String.UnicodeScalarView()
                v.append(contentsOf: s[max(0, at - 1)..<min(s.count, at + 2)])
                reasons[String(v), default: 0] += 1
            }
        }
        let top = reasons.sorted { $0.value > $1.value }.prefix(40).map { "«\($0.key)» \($0.value)" }.joined(separator: ", ")
        #expect(texts.count > 50_000)
        #expect(Double(covered) >= 0.95 * Double(texts.count), "covered \(covered) of \(texts.count); uncovered at \(top)")
    }

    /// Storage: intake's appeals carry the service's vector and are found by another form of a word; a row written
    /// without a vector (any other writer) or whose redacted text changes gets PostgreSQL's from the trigger;
    /// a text the service does not cover ("и/или", which the parser reads as a file name) is still searchable.
    @Test("Intake stores the service's vector; the trigger computes it for other writers and for a changed redacted text")
    func storedVectors() async throws {
        try await withAppealService { cluster, env, _, ops in
            let intake = try await cluster.appeals(as: posSystem)
            let plain = try #require(try await intake.submitAppeal(.init(appeal: AppealServiceTests.incoming(
                "fts-plain", text: "Во дворе дома на Садовой улице третью неделю течёт крыша, подтопило квартиры"))).appeal)
            let uncovered = try #require(try await intake.submitAppeal(.init(appeal: AppealServiceTests.incoming(
                "fts-uncovered", text: "Протекает кровля и/или стены подъезда, лужа у входа"))).appeal)
            #expect(try await ops.listAppeals(.init(textQuery: "крыши")).appeals.map(\.id) == [plain.id])
            #expect(try await ops.listAppeals(.init(textQuery: "протекающая кровля")).appeals.map(\.id) == [uncovered.id])
            let pool = try #require(env.pool)
            try await pool.withConnection { conn in
                let lexemer = try SearchLexemes()
                let stored = try conn.query("""
                    SELECT id::text AS id, redacted_body, array_to_string(tsvector_to_array(search_vector), ' ') AS v,
                           search_vector = strip(search_vector) AS stripped FROM appeals WHERE id IN (\(plain.id)::uuid, \(uncovered.id)::uuid)
                    """).rows
                for r in stored {
                    let v = r.string("v").split(separator: " ").map(String.init).sorted()
                    if r.string("id") == plain.id {
                        // Supplied by intake: the service's lexemes, without positions (PostgreSQL's own carry them).
                        #expect(v == lexemer.lexemes(of: r.string("redacted_body")))
                        #expect(r.bool("stripped"), "the service's vector has no positions")
                    } else {
                        #expect(lexemer.lexemes(of: r.string("redacted_body")) == nil, "a path-like \"и/или\" is left to PostgreSQL")
                        #expect(!r.bool("stripped"), "computed by PostgreSQL's to_tsvector (with positions)")
                    }
                }
                try conn.query("""
                    INSERT INTO appeals (id, number, channel, external_id, status, body, redacted_body, received_at)
                    VALUES (gen_random_uuid(), 'FTS-2', 'portal', 'fts-2', 'registered', 'Сломана скамейка в сквере', 'Сломана скамейка в сквере', now())
                    """)
                try conn.query("UPDATE appeals SET redacted_body = 'Не работает уличное освещение на набережной' WHERE id = \(plain.id)::uuid")
            }
            #expect(try await ops.listAppeals(.init(textQuery: "скамейки")).appeals.map(\.number) == ["FTS-2"])
            #expect(try await ops.listAppeals(.init(textQuery: "освещения")).appeals.map(\.id) == [plain.id])
            #expect(try await ops.listAppeals(.init(textQuery: "крыши")).appeals.isEmpty, "the old vector went with the old text")
        }
    }
}
