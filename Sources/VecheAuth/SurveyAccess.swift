/// Fine-grained rules for survey batches: a field team posts only for the survey it is assigned to and
/// only under its own team id; sociologists may post and read any.
public enum SurveyAccess {
    /// Returns the team id the batch is stored under (the team's own for a survey team).
    public static func checkBatch(_ p: Principal, surveyID: String, teamID: String) throws -> String {
        if p.has(.sociologist) { return teamID }
        for g in p.grants(.surveyTeam) where g.surveyID == surveyID {
            if teamID.isEmpty || teamID == g.teamID { return g.teamID }
        }
        throw AuthError.denied(p, "post batches for survey \(surveyID) as team \(teamID.isEmpty ? "(none)" : teamID)")
    }

    /// Receipts: the sociologists and the team that sent the batch.
    public static func checkReceipt(_ p: Principal, teamID: String) throws {
        if p.has(.sociologist) || p.grants(.surveyTeam).contains(where: { $0.teamID == teamID }) { return }
        throw AuthError.denied(p, "read receipts of team \(teamID)")
    }
}

/// Fine-grained rules for the directory's security data.
public enum DirectoryAccess {
    /// A principal may look up its own grants; services resolve anyone's (they enforce the rules).
    public static func checkResolveGrants(_ p: Principal, for key: String) throws {
        if p.has(.service) || p.key == key { return }
        throw AuthError.denied(p, "look up the roles of \(key)")
    }
}
