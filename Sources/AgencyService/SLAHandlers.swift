import Contracts
import Foundation
import VecheRuntime

/// SLA policy changes by the head of the ЦУР (audited; announced to every service's deadline engine).
extension AgencyHandlers {
    static func validate(_ p: AgencyV1.SlaPolicy) throws -> AgencyV1.SlaPolicy {
        var p = p
        p.channel = p.channel.trimmingCharacters(in: .whitespaces).lowercased()
        var problems: [String] = []
        if AppealV1.Channel(name: p.channel).map({ $0 == .unspecified }) ?? true {
            problems.append("channel must be one of \(AppealV1.Channel.allCases.dropFirst().map(\.name).joined(separator: ", "))")
        }
        for (name, v) in [("register_days", p.registerDays), ("forward_days", p.forwardDays), ("answer_days", p.answerDays),
                          ("extension_days", p.extensionDays)] where !(0...365).contains(v) {
            problems.append("\(name) must be within 0...365")
        }
        if !(0...720).contains(p.firstReactionWorkingHours) { problems.append("first_reaction_working_hours must be within 0...720") }
        if p.businessDayStartMinute == 0 && p.businessDayEndMinute == 0 { (p.businessDayStartMinute, p.businessDayEndMinute) = (540, 1080) }
        if !(0 <= p.businessDayStartMinute && p.businessDayStartMinute < p.businessDayEndMinute && p.businessDayEndMinute <= 1440) {
            problems.append("business day must satisfy 0 ≤ start < end ≤ 1440 minutes")
        }
        if p.answerDays == 0 { problems.append("answer_days must be positive") }
        if !problems.isEmpty { throw RPCError.invalidArgument(problems.joined(separator: "; ")) }
        return p
    }

    func upsertSlaPolicy(request: AgencyV1.UpsertSlaPolicyRequest, context: RPCContext) async throws -> AgencyV1.UpsertSlaPolicyResponse {
        let caller = try context.requirePrincipal()
        guard let input = request.policy else { throw RPCError.invalidArgument("policy is required") }
        let p = try Self.validate(input)
        let audit = self.audit
        let (stored, revision) = try await pool.transaction { conn -> (AgencyV1.SlaPolicy, Int64) in
            guard let row = try AgencyStore.upsertSLAPolicy(conn, p, replace: true) else {
                throw RPCError.internalError("SLA policy was not saved")
            }
            try audit.record(conn, caller, .init(action: "directory.sla.upsert", target: p.channel,
                                                 detail: "register \(p.registerDays) forward \(p.forwardDays) answer \(p.answerDays) extension \(p.extensionDays)"))
            return (row, try DirectoryChanges.bump(conn))
        }
        changes.announce(revision, what: "sla_policies", pool: pool)
        return .init(policy: stored)
    }
}
