import Foundation
import VecheRuntime

/// Full-text search of ListAppeals (`q=`): a stored `tsvector` of the redacted text with Russian stemming,
/// indexed by GIN (migration 12). Queries match the stored vector, so nothing recomputes `to_tsvector` per row at
/// read time, and only the redacted text is searchable: a search cannot find an appeal by personal data its caller
/// may not see. An appeal number matches too (`q=2026-000123`).
///
/// Who computes the vector (migration 18): intake supplies the lexemes `SearchLexemes` computed on its text workers
/// (the same as PostgreSQL's `to_tsvector('russian', …)`, without positions), so storing an appeal does not run
/// PostgreSQL's parser and stemmer; a row stored without them, or whose redacted text changes, gets
/// `to_tsvector('russian', redacted_body)` from the trigger — the one rule for every other writer.
enum AppealSearch {
    static let migrationSQL = """
        DROP INDEX appeals_fts_idx;
        ALTER TABLE appeals ADD COLUMN search_vector tsvector
            GENERATED ALWAYS AS (to_tsvector('russian', redacted_body)) STORED;
        CREATE INDEX appeals_search_idx ON appeals USING gin (search_vector);
        """

    /// Migration 18: the vector becomes an ordinary column (existing values kept, no table rewrite) that the writer
    /// may fill; the trigger computes it when the writer did not, or when the redacted text changed.
    static let suppliedVectorSQL = """
        ALTER TABLE appeals ALTER COLUMN search_vector DROP EXPRESSION;
        CREATE FUNCTION appeal_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_vector := to_tsvector('russian', NEW.redacted_body);
            RETURN NEW;
        END $$;
        CREATE TRIGGER appeals_search_vector_insert BEFORE INSERT ON appeals
            FOR EACH ROW WHEN (NEW.search_vector IS NULL) EXECUTE FUNCTION appeal_search_vector();
        CREATE TRIGGER appeals_search_vector_update BEFORE UPDATE OF redacted_body ON appeals
            FOR EACH ROW WHEN (NEW.redacted_body IS DISTINCT FROM OLD.redacted_body) EXECUTE FUNCTION appeal_search_vector();
        """

    /// Migration 21: the planner judges a word by the vector's lexeme statistics (`most_common_elems`), and a word
    /// not among them is taken to be in half as many appeals as the rarest one listed. With the default 100 (about
    /// 1,000 lexemes kept, the rarest in 0.67 % of appeals) a word in no appeal was expected in 3,370 of a million, so
    /// the planner walked the newest appeals to fill a page of 50 — and read all million (2.5–4.8 s); words in
    /// 0.1–0.2 % of appeals took 60–150 ms. With 1,000 (about 6,500 lexemes, the rarest in 0.09 %) those go through
    /// the GIN index (0.4–6 ms) and common words still walk (3–21 ms); ANALYZE reads 300,000 rows instead of 30,000.
    static let statisticsSQL = """
        ALTER TABLE appeals ALTER COLUMN search_vector SET STATISTICS 1000;
        ANALYZE appeals (search_vector);
        """

    /// Migration 26: the search index pairs the vector with the day of receipt (`appeal_day`, days since 1970 in UTC;
    /// a GIN index over a plain column needs `btree_gin`, which `veche-tool db-setup` creates as the administrator),
    /// so the newest matches of a day come from the index without visiting the day's other appeals (`newestPageIDs`).
    /// It replaces migration 12's index: a condition on the vector alone uses the pair's first column.
    static let recentDaysSQL = """
        DO $$ BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
                RAISE EXCEPTION 'the PostgreSQL extension btree_gin is missing: run veche-tool db-setup (as the database administrator) first';
            END IF;
        END $$;
        CREATE FUNCTION appeal_day(t timestamptz) RETURNS int LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $$ SELECT floor(extract(epoch FROM t) / 86400)::int $$;
        CREATE INDEX appeals_search_day_idx ON appeals USING gin (search_vector, appeal_day(received_at));
        DROP INDEX appeals_search_idx;
        """

    /// Days `newestPageIDs` takes one at a time before it searches the older appeals in one go.
    static let recentDays = 31

    /// The ids of a newest-first page of a text search (`where_` holds the filter with the text condition and the
    /// keyset position), in two parts that the page fills in order and stops at `limit`:
    /// 1. the `recentDays` days up to the keyset position (the first page: up to the newest appeal), newest day first,
    ///    each read through the (vector, day) index and sorted — a day's matches, not its appeals;
    /// 2. everything older, as PostgreSQL plans it (walk the newest or collect every match), read only when the
    ///    recent days hold fewer than `limit` matches.
    /// Before, a common word walked the newest appeals and checked each: at a million appeals `отопление` is in 3 %
    /// of them but in 0.35 % of the newest, and a page read 14,670 rows (20 ms of PostgreSQL; 1–2 ms this way).
    static func newestPageIDs(where where_: SQL, limit: Int, beforeMs: Int64?) -> SQL {
        let bound: SQL = beforeMs.map { "SELECT appeal_day(\(Date(timeIntervalSince1970: Double($0) / 1000))::timestamptz) AS day" }
            ?? "SELECT coalesce(appeal_day(max(a.received_at)), 0) AS day FROM appeals a"
        return """
            WITH bound AS MATERIALIZED (\(bound))
            SELECT s.id FROM (
                (SELECT p.id FROM bound, generate_series(bound.day, bound.day - \(integer: recentDays - 1), -1) AS d(day)
                 CROSS JOIN LATERAL (SELECT a.id FROM appeals a WHERE \(where_) AND appeal_day(a.received_at) = d.day
                                     ORDER BY a.received_at DESC, a.id DESC LIMIT \(integer: limit)) p
                 LIMIT \(integer: limit))
                UNION ALL
                (SELECT a.id FROM appeals a
                 WHERE \(where_) AND a.received_at < (SELECT to_timestamp((bound.day - \(integer: recentDays - 1)) * 86400.0) FROM bound)
                 ORDER BY a.received_at DESC, a.id DESC LIMIT \(integer: limit))
            ) s LIMIT \(integer: limit)
            """
    }

    /// The ids of a newest-first page of a text search the planner expects in few appeals (`AppealQuery.searchByDayAbove`):
    /// every match through the index, sorted. The matches are collected behind a fence (`OFFSET 0`), so no plan — for
    /// any words, or for a small table where walking the newest appeals looks cheaper — can walk the newest appeals
    /// instead. One shape whatever the words, so it runs prepared: parsing is saved (PostgreSQL 1.11–1.12 → 1.04–1.06
    /// ms per request at a million appeals); planning is not, since PostgreSQL keeps planning for the words while its
    /// generic plan, which assumes a word in 0.5 % of appeals, costs more than theirs.
    static func fewMatchesPageIDs(where where_: SQL, limit: Int) -> SQL {
        var sql: SQL = """
            SELECT m.id FROM (SELECT a.id, a.received_at FROM appeals a WHERE \(where_) OFFSET 0) m
            ORDER BY m.received_at DESC, m.id DESC LIMIT \(integer: limit)
            """
        sql.planEachCall = false
        return sql
    }

    /// One bound text per appeal: its lexemes separated by spaces (a lexeme never holds whitespace), nil for none.
    static func lexemeText(_ lexemes: [String]?) -> String? { lexemes?.joined(separator: " ") }

    /// The stored vector from a `lexemeText` column named `lexemes` (NULL stays NULL: the trigger computes it).
    static let suppliedVector: SQL = "array_to_tsvector(string_to_array(lexemes, ' '))"

    /// The ListAppeals condition for a text query (words with Russian stemming, or an appeal number); planned
    /// for its words at every call (a rare word and a common one need different plans).
    static func condition(_ q: String) -> SQL {
        let condition: SQL = "(a.search_vector @@ plainto_tsquery('russian', \(q)) OR a.number = \(q))"
        return condition.plannedEachCall()
    }
}
