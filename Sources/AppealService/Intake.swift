import Contracts
import Foundation
import Logging
import VecheAuth
import VecheRuntime

/// Consumes `veche.intake.v1.<channel>` from JetStream. Only the integrating system of a channel can publish
/// there (nats-server permissions); each message must also carry its access token (`Authorization: Bearer`),
/// verified as of the time the stream stored it, whose principal must be allowed on that channel. Valid
/// messages become appeals (idempotent on channel + external id); malformed, unauthenticated or invalid ones
/// are stored in `rejected_intake` with the reason; database trouble leaves the message un-acked for
/// redelivery. Nothing is lost.
///
/// A fetched batch is handled as a unit (`processBatch`): checks per message, one idempotency lookup, enrichment
/// of the new appeals together (text work on CPU threads), then one transaction storing every new appeal, its
/// events and audit entries, and every rejection; the consumer acks after the commit. If that transaction fails
/// for any reason other than a lost database, each message is handled on its own (`process`), so one bad message
/// cannot hold up the others.
struct IntakeProcessor: Sendable {
    let handlers: AppealHandlers
    let pool: PGPool
    let authenticator: TokenAuthenticator
    let logger: Logger

    /// What the checks decided about one message.
    enum Checked: Sendable {
        case admitted(AppealHandlers.Admitted)
        case rejected(reason: String)
        case retry
    }

    /// Decodes, authenticates and checks one message (nothing stored).
    func check(_ item: JetStreamMessage) async -> Checked {
        let msg = item.message
        do {
            guard item.stream == Subjects.Intake.stream else {
                return .rejected(reason: "message from stream \(item.stream), not \(Subjects.Intake.stream)")
            }
            var incoming: AppealV1.IncomingAppeal
            do {
                incoming = try AppealV1.IncomingAppeal(serializedBytes: msg.payload)
            } catch let text as ProtoTextError {
                return .rejected(reason: text.description)
            } catch {
                return .rejected(reason: "payload is not a valid veche.appeal.v1.IncomingAppeal protobuf (\(msg.payload.count) bytes)")
            }
            let subjectChannel = msg.subject.split(separator: ".").last.flatMap { AppealV1.Channel(name: String($0)) }
            if incoming.channel == .unspecified, let subjectChannel { incoming.channel = subjectChannel }
            guard incoming.channel == subjectChannel else {
                return .rejected(reason: "channel \(incoming.channel.name) does not match the subject \(msg.subject)")
            }
            do {
                let principal = try await authenticator.authenticate(service: AppealV1.AppealService.name, method: "SubmitAppeal",
                                                                     headers: msg.headers, at: item.storedAt)
                return .admitted(try await handlers.admit(incoming, by: principal, now: handlers.now()))
            } catch let e as AuthError where !e.isTransient {
                return .rejected(reason: "refused: \(e.message)")
            } catch let e as RPCError where e.code == .invalidArgument || e.code == .permissionDenied || e.code == .unauthenticated {
                return .rejected(reason: e.message)
            }
        } catch let e as RPCError where e.code == .unavailable {
            logger.warning("intake: dependency unavailable, will redeliver", metadata: ["error": "\(e)"])
            return .retry
        } catch {
            logger.warning("intake: failed, will redeliver", metadata: ["error": "\(error)", "subject": "\(msg.subject)"])
            return .retry
        }
    }

    /// One message on its own (the fallback when its batch could not be stored together).
    func process(_ item: JetStreamMessage) async -> ConsumeOutcome {
        switch await check(item) {
        case .rejected(let reason):
            return await reject(item, reason: reason)
        case .retry:
            return .retry(after: .seconds(2))
        case .admitted(let admitted):
            do {
                _ = try await handlers.submit(admitted.incoming, by: admitted.principal, at: admitted.now, issuesCitizenToken: false)
                return .ack
            } catch let e as RPCError where e.code == .invalidArgument || e.code == .permissionDenied || e.code == .unauthenticated {
                return await reject(item, reason: e.message)
            } catch {
                logger.warning("intake: failed, will redeliver", metadata: ["error": "\(error)", "subject": "\(item.message.subject)"])
                return .retry(after: .seconds(2))
            }
        }
    }

    /// A fetched batch as a unit; one outcome per message, in order.
    func processBatch(_ items: [JetStreamMessage]) async -> [ConsumeOutcome] {
        var outcomes = [ConsumeOutcome](repeating: .ack, count: items.count)
        var rejections: [(index: Int, reason: String)] = []
        var admitted: [(index: Int, admitted: AppealHandlers.Admitted)] = []
        var seen = Set<String>()
        for (i, item) in items.enumerated() {
            switch await check(item) {
            case .rejected(let reason): rejections.append((i, reason))
            case .retry: outcomes[i] = .retry(after: .seconds(2))
            case .admitted(let a):
                // A second copy of the same (channel, external id) in one batch is the same appeal: acked with the first.
                if seen.insert(a.appeal.channel.name + "\u{0}" + a.appeal.externalId).inserted { admitted.append((i, a)) }
            }
        }
        do {
            let known = try await pool.withConnection { [admitted] conn in
                try AppealStore.existingKeys(conn, admitted.map { ($0.admitted.appeal.channel, $0.admitted.appeal.externalId) })
            }
            let fresh = admitted.filter { !known.contains($0.admitted.appeal.channel.name + "\u{0}" + $0.admitted.appeal.externalId) }
            var prepared = await handlers.prepare(fresh.map(\.admitted))
            // Each appeal's events carry the trace of the message that brought it (its consumer span), not the batch's.
            for (k, f) in fresh.enumerated() where k < prepared.count {
                if let context = items[f.index].traceContext { prepared[k].traceParent = TraceHeaders.traceParent(of: context) }
            }
            let writer = handlers.intakeWriter(engine: await handlers.directory.latest().deadlines)
            let rejected = rejections.map { (items[$0.index], $0.reason) }
            try await pool.transaction { [prepared] conn in
                for (item, reason) in rejected { try Self.storeRejection(conn, item, reason: reason) }
                _ = try writer.store(conn, prepared)
            }
            pool.afterCommit { [relay = handlers.relay] in relay.kick() }
            for (item, reason) in rejected {
                logger.notice("intake: message rejected and kept", metadata: ["subject": "\(item.message.subject)", "seq": "\(item.streamSequence)", "reason": "\(reason)"])
            }
            return outcomes
        } catch let e as PGError where e.redeliversBatch {
            logger.warning("intake: database unavailable, batch will be redelivered", metadata: ["error": "\(e)"])
            return outcomes.map { _ in .retry(after: .seconds(2)) }
        } catch {
            logger.warning("intake: batch not stored together, handling its messages one by one", metadata: ["error": "\(error)"])
            var out = outcomes
            for i in rejections.map(\.index) + admitted.map(\.index) { out[i] = await process(items[i]) }
            return out
        }
    }

    static func storeRejection(_ conn: PGConnection, _ item: JetStreamMessage, reason: String) throws {
        try AppealStore.rejectIntake(conn, subject: item.message.subject, sequence: item.streamSequence, reason: reason,
                                     payload: item.message.payload, headers: item.message.headers)
    }

    private func reject(_ item: JetStreamMessage, reason: String) async -> ConsumeOutcome {
        let msg = item.message
        do {
            try await pool.withConnection { conn in try Self.storeRejection(conn, item, reason: reason) }
            logger.notice("intake: message rejected and kept", metadata: ["subject": "\(msg.subject)", "seq": "\(item.streamSequence)", "reason": "\(reason)"])
            return .ack
        } catch {
            return .retry(after: .seconds(2))
        }
    }
}
