import Contracts
import VecheRuntime

/// The sample design a survey's stored responses establish — stratified or not, clustered or not, with a finite
/// population correction or not, and each stratum's population size — checked for every new response at intake.
/// Estimation needs every response to agree (`Estimation.design`), and responses cannot be deleted: before, a batch
/// whose rows disagreed was accepted and every later estimate of the survey failed for good. Now such a row is
/// refused with the reason, and the rest of the batch is stored.
struct SampleDesignShape {
    var stratified: Bool?
    var clustered: Bool?
    var withFPC: Bool?
    /// Stratum → the population size every response of that stratum gives.
    var fpcByStratum: [String: Double] = [:]

    /// The shape of the responses already stored (nothing fixed while there are none, or where they already disagree).
    static func stored(_ conn: PGConnection, surveyID: String) throws -> SampleDesignShape {
        var shape = SampleDesignShape()
        guard let row = try conn.query("""
            SELECT count(*) AS n, count(*) FILTER (WHERE stratum <> '') AS strata, count(*) FILTER (WHERE cluster <> '') AS clusters,
                   count(*) FILTER (WHERE fpc > 0) AS fpcs
            FROM responses WHERE survey_id = \(surveyID)
            """).first, row.int("n") > 0 else { return shape }
        func fixed(_ k: Int64, of n: Int64) -> Bool? { k == 0 ? false : (k == n ? true : nil) }
        let n = row.int("n")
        shape.stratified = fixed(row.int("strata"), of: n)
        shape.clustered = fixed(row.int("clusters"), of: n)
        shape.withFPC = fixed(row.int("fpcs"), of: n)
        if shape.withFPC == true {
            for r in try conn.query("""
                SELECT stratum, min(fpc) AS fpc FROM responses WHERE survey_id = \(surveyID) GROUP BY stratum HAVING min(fpc) = max(fpc)
                """).rows {
                shape.fpcByStratum[r.string("stratum")] = r.double("fpc")
            }
        }
        return shape
    }

    /// The row's design errors (empty: it agrees, and fixes what the survey had not fixed yet).
    mutating func admit(_ r: SurveyV1.Response, row: Int) -> [SurveyV1.RowError] {
        var errors: [SurveyV1.RowError] = []
        func check(_ field: String, _ has: Bool, _ expected: inout Bool?, _ what: String) {
            guard let e = expected else { expected = has; return }
            guard e != has else { return }
            errors.append(.init(rowIndex: Int32(row), respondentId: r.respondentId, field: field,
                                message: e ? "this survey's responses all give \(what); \(field) is required"
                                           : "this survey's responses give no \(what); leave \(field) empty"))
        }
        var stratified = self.stratified, clustered = self.clustered, withFPC = self.withFPC
        check("stratum", !r.stratum.isEmpty, &stratified, "a stratum")
        check("cluster", !r.cluster.isEmpty, &clustered, "a cluster")
        check("fpc", r.fpc > 0, &withFPC, "an fpc (population size)")
        if errors.isEmpty, r.fpc > 0, let known = fpcByStratum[r.stratum], known != r.fpc {
            errors.append(.init(rowIndex: Int32(row), respondentId: r.respondentId, field: "fpc",
                                message: "fpc \(r.fpc) differs from \(known), the population size the stratum '\(r.stratum)' already has"))
        }
        guard errors.isEmpty else { return errors }
        self.stratified = stratified
        self.clustered = clustered
        self.withFPC = withFPC
        if r.fpc > 0, fpcByStratum[r.stratum] == nil { fpcByStratum[r.stratum] = r.fpc }
        return []
    }
}
