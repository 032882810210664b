import Foundation
import Logging
import ServiceLifecycle
import VecheAuth
import VecheRuntime

/// Runs root-cause detection every `interval` (not at start: the projection may still be catching up, and the seed
/// or a person can ask for a pass with DetectRootCauses) until graceful shutdown.
struct RootCauseDetector: Service {
    let handlers: RatingHandlers
    let interval: Duration
    let logger: Logger
    /// Who the passes are recorded as in the history and the audit log.
    static let actor = Principal(kind: .client, name: "veche-rating-service", grants: [Grant(role: .service)])

    func run() async throws {
        await Periodic.run(every: interval, immediately: false, logger: logger, failure: "root-cause detection failed, will retry") { [handlers, logger] in
            let (opened, considered) = try await handlers.runDetection(by: Self.actor)
            if !opened.isEmpty {
                logger.notice("root-cause cases opened", metadata: ["cases": "\(opened)", "appeals": "\(considered)"])
            }
        }
    }
}
