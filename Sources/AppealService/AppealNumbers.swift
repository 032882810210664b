import VecheRuntime

/// Appeal numbers: the year of receipt in the region's time zone, a dash, and the next value of one sequence,
/// zero-padded to six digits (`2026-000042`) and written out in full past them (`2026-1000000`). One SQL function
/// used by every insert. The first form padded with `lpad(…, 6, '0')`, which also cuts longer strings to six
/// characters: the millionth appeal was numbered like the 100,000th, its insert broke the number's unique key and
/// the intake stalled redelivering it.
enum AppealNumbers {
    /// The number of a new appeal received at `received` (a SQL expression) in time zone `timeZone` (a bind).
    static func next(received: SQL, timeZone: String) -> SQL {
        "appeal_next_number(\(received), \(timeZone))"
    }

    static let migrationSQL = """
        CREATE FUNCTION appeal_next_number(received timestamptz, tz text) RETURNS text
        LANGUAGE sql VOLATILE SET search_path FROM CURRENT AS $$
            SELECT to_char(received AT TIME ZONE tz, 'YYYY') || '-' || CASE WHEN n < 1000000 THEN lpad(n::text, 6, '0') ELSE n::text END
            FROM (SELECT nextval('appeal_number_seq') AS n) s $$;
        """
}
