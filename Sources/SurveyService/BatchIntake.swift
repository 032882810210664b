import Contracts
import Foundation
import Logging
import VecheRuntime

/// Result batches from field teams, from the `SubmitBatch` RPC or JetStream (`veche.survey.v1.batches.<team>`).
/// Each batch is validated row by row and stored with its raw payload and receipt in one transaction
/// (idempotent on batch id); the receipt is then published on `veche.survey.v1.receipts.<batch id>`.
/// Stream messages that are not a usable batch are kept in `rejected_messages`; database trouble leaves
/// the message un-acked for redelivery. Nothing is lost.
struct BatchIntake: Sendable {
    let pool: PGPool
    let nats: NatsConnection
    let logger: Logger
    var now: @Sendable () -> Date = { Date() }

    static let maxBatchIDLength = 200

    static func problem(with batch: SurveyV1.ResultBatch) -> String? {
        if batch.batchId.trimmingCharacters(in: .whitespaces).isEmpty { return "batch_id is required (it is the idempotency key)" }
        if batch.batchId.count > maxBatchIDLength { return "batch_id is longer than \(maxBatchIDLength) characters" }
        return nil
    }

    /// Validates, stores and acknowledges one batch; returns its receipt (a replay with `duplicate` for a known batch id).
    func submit(_ batch: SurveyV1.ResultBatch, raw: [UInt8], source: String, sequence: UInt64 = 0) async throws -> SurveyV1.BatchReceipt {
        let now = self.now()
        let receipt = try await pool.transaction { conn in
            try SurveyStore.ingest(conn, batch, raw: raw, source: source, sequence: sequence, now: now)
        }
        publish(receipt)
        if !receipt.duplicate {
            logger.info("survey batch stored", metadata: [
                "batch": "\(receipt.batchId)", "survey": "\(receipt.surveyId)", "status": "\(receipt.status.name)",
                "accepted": "\(receipt.acceptedRows)", "rejected": "\(receipt.rejectedRows)"])
        }
        return receipt
    }

    func publish(_ receipt: SurveyV1.BatchReceipt) {
        do {
            try nats.publish(subject: Subjects.SurveyBatches.receipt(batchID: receipt.batchId), payload: receipt.serializedBytes())
        } catch {
            // The receipt is stored; teams can always fetch it with GetBatchReceipt.
            logger.warning("could not publish batch receipt", metadata: ["batch": "\(receipt.batchId)", "error": "\(error)"])
        }
    }

    /// JetStream handler.
    func consume(_ item: JetStreamMessage) async -> ConsumeOutcome {
        let msg = item.message
        var batch: SurveyV1.ResultBatch
        do {
            batch = try SurveyV1.ResultBatch(serializedBytes: msg.payload)
        } catch {
            return await keep(item, reason: "payload is not a valid veche.survey.v1.ResultBatch protobuf (\(msg.payload.count) bytes)")
        }
        if let problem = Self.problem(with: batch) { return await keep(item, reason: problem) }
        if batch.teamId.isEmpty, let token = msg.subject.split(separator: ".").last { batch.teamId = String(token) }
        do {
            _ = try await submit(batch, raw: msg.payload, source: msg.subject, sequence: item.streamSequence)
            return .ack
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
            // A sender that set Nats-Msg-Id learns why on the receipt subject.
            if let id = msg.headers["Nats-Msg-Id"], !id.isEmpty {
                publish(SurveyV1.BatchReceipt(batchId: id, status: .rejected,
                                              errors: [SurveyV1.RowError(rowIndex: -1, field: "payload", message: reason)],
                                              receivedAtMs: Int64((now().timeIntervalSince1970 * 1000).rounded())))
            }
            return .ack
        } catch {
            return .retry(after: .seconds(2))
        }
    }
}
