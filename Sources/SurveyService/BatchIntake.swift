import Contracts
import Foundation
import Logging
import VecheAuth
import VecheRuntime

/// Result batches from field teams, from the `SubmitBatch` RPC or JetStream (`veche.survey.v1.batches.<team>`,
/// which only that team's NATS user may publish). A team posts only for the survey it is assigned to
/// (`SurveyAccess`); stream messages carry the team's access token, checked as of the time the stream
/// stored them. Each batch is validated row by row and stored with its raw payload and receipt in one
/// transaction (idempotent on batch id, audited); the receipt is then published on
/// `veche.survey.v1.receipts.<team>.<batch id>` (only that team may subscribe). Stream messages that are not
/// a usable batch are kept in `rejected_messages`; database trouble leaves the message un-acked for
/// redelivery. Nothing is lost.
struct BatchIntake: Sendable {
    let pool: PGPool
    let nats: NatsConnection
    let authenticator: TokenAuthenticator
    let logger: Logger
    var now: @Sendable () -> Date = { Date() }
    let audit = AuditLog(service: SurveyV1.SurveyService.name)

    static let maxBatchIDLength = 200

    static func problem(with batch: SurveyV1.ResultBatch) -> String? {
        if batch.batchId.trimmingCharacters(in: .whitespaces).isEmpty { return "batch_id is required (it is the idempotency key)" }
        if batch.batchId.count > maxBatchIDLength { return "batch_id is longer than \(maxBatchIDLength) characters" }
        return nil
    }

    /// Checks the principal may post this batch, then validates, stores and acknowledges it; returns its
    /// receipt (a replay with `duplicate` for a known batch id of the same team).
    func submit(_ input: SurveyV1.ResultBatch, by principal: Principal, raw: [UInt8], source: String, sequence: UInt64 = 0) async throws -> SurveyV1.BatchReceipt {
        var batch = input
        batch.teamId = try SurveyAccess.checkBatch(principal, surveyID: batch.surveyId, teamID: batch.teamId)
        let now = self.now(), audit = self.audit, stored = batch
        let receipt = try await pool.transaction { conn in
            // A team may not read or overwrite another team's batch through its id (sociologists see all).
            if !principal.has(.sociologist), let team = try SurveyStore.batchTeam(conn, batchID: stored.batchId), team != stored.teamId {
                throw RPCError.alreadyExists("batch id \(stored.batchId) is taken by another team; use a new batch id")
            }
            let r = try SurveyStore.ingest(conn, stored, raw: raw, source: source, sequence: sequence, now: now)
            if !r.duplicate {
                try audit.record(conn, principal, .init(action: "survey.batch.submit", target: stored.batchId,
                                                        detail: "survey \(stored.surveyId) team \(stored.teamId): \(r.acceptedRows) accepted, \(r.rejectedRows) rejected"))
            }
            return r
        }
        pool.afterCommit { publish(receipt, team: stored.teamId) }
        if !receipt.duplicate {
            logger.info("survey batch stored", metadata: [
                "batch": "\(receipt.batchId)", "survey": "\(receipt.surveyId)", "status": "\(receipt.status.name)",
                "accepted": "\(receipt.acceptedRows)", "rejected": "\(receipt.rejectedRows)"])
        }
        return receipt
    }

    func publish(_ receipt: SurveyV1.BatchReceipt, team: String) {
        do {
            try nats.publish(subject: Subjects.SurveyBatches.receipt(team: team, batchID: receipt.batchId), payload: receipt.serializedBytes())
        } catch {
            // The receipt is stored; teams can always fetch it with GetBatchReceipt.
            logger.warning("could not publish batch receipt", metadata: ["batch": "\(receipt.batchId)", "error": "\(error)"])
        }
    }

    /// JetStream handler.
    func consume(_ item: JetStreamMessage) async -> ConsumeOutcome {
        let msg = item.message
        guard item.stream == Subjects.SurveyBatches.stream else {
            return await keep(item, reason: "message from stream \(item.stream), not \(Subjects.SurveyBatches.stream)")
        }
        var batch: SurveyV1.ResultBatch
        do {
            batch = try SurveyV1.ResultBatch(serializedBytes: msg.payload)
        } catch let text as ProtoTextError {
            return await keep(item, reason: text.description)
        } catch {
            return await keep(item, reason: "payload is not a valid veche.survey.v1.ResultBatch protobuf (\(msg.payload.count) bytes)")
        }
        if let problem = Self.problem(with: batch) { return await keep(item, reason: problem) }
        let subjectTeam = msg.subject.split(separator: ".").last.map(String.init) ?? ""
        if batch.teamId.isEmpty { batch.teamId = subjectTeam }
        guard batch.teamId == subjectTeam else {
            return await keep(item, reason: "team_id \(batch.teamId) does not match the subject \(msg.subject)")
        }
        do {
            let principal = try await authenticator.authenticate(service: SurveyV1.SurveyService.name, method: "SubmitBatch",
                                                                 headers: msg.headers, at: item.storedAt)
            _ = try await submit(batch, by: principal, raw: msg.payload, source: msg.subject, sequence: item.streamSequence)
            return .ack
        } catch let e as AuthError where !e.isTransient {
            return await keep(item, reason: "refused: \(e.message)")
        } catch let e as RPCError where e.code == .alreadyExists {
            return await keep(item, reason: e.message)
        } catch {
            logger.warning("survey batch: storing failed, will redeliver", metadata: ["error": "\(error)", "subject": "\(msg.subject)"])
            return .retry(after: .seconds(2))
        }
    }

    private func keep(_ item: JetStreamMessage, reason: String) async -> ConsumeOutcome {
        let msg = item.message
        do {
            try await pool.withConnection { conn in
                try SurveyStore.rejectMessage(conn, subject: msg.subject, sequence: item.streamSequence, reason: reason,
                                              payload: msg.payload, headers: msg.headers)
            }
            logger.notice("survey batch message rejected and kept", metadata: [
                "subject": "\(msg.subject)", "seq": "\(item.streamSequence)", "reason": "\(reason)"])
            // A sender that set Nats-Msg-Id learns why on its team's receipt subject.
            if let id = msg.headers["Nats-Msg-Id"], !id.isEmpty, let team = msg.subject.split(separator: ".").last {
                publish(SurveyV1.BatchReceipt(batchId: id, status: .rejected,
                                              errors: [SurveyV1.RowError(rowIndex: -1, field: "payload", message: reason)],
                                              receivedAtMs: Int64((now().timeIntervalSince1970 * 1000).rounded())), team: String(team))
            }
            return .ack
        } catch {
            return .retry(after: .seconds(2))
        }
    }
}
