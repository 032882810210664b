import VecheRuntime

/// Full-text search of ListAppeals (`q=`, migration 12): a stored `tsvector` of the redacted text with Russian
/// stemming, computed by PostgreSQL when a row is written (a generated column) and indexed by GIN. Queries
/// match the stored vector, so nothing recomputes `to_tsvector` per row at read time, and only the redacted
/// text is searchable: a search cannot find an appeal by personal data its caller may not see. An appeal
/// number matches too (`q=2026-000123`).
enum AppealSearch {
    static let migrationSQL = """
        DROP INDEX appeals_fts_idx;
        ALTER TABLE appeals ADD COLUMN search_vector tsvector
            GENERATED ALWAYS AS (to_tsvector('russian', redacted_body)) STORED;
        CREATE INDEX appeals_search_idx ON appeals USING gin (search_vector);
        """

    /// The ListAppeals condition for a text query (words with Russian stemming, or an appeal number).
    static func condition(_ q: String) -> SQL {
        "(a.search_vector @@ plainto_tsquery('russian', \(q)) OR a.number = \(q))"
    }
}
