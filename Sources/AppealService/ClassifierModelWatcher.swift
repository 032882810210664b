import ClassifierStore
import Foundation
import Logging
import ServiceLifecycle
import TextAnalysis
import VecheRuntime

/// Keeps intake classifying with the active model of `classifier_models` (the bundled model when none
/// is active): checks the active version every `interval` and swaps the pipelines' model when it changed,
/// so `veche-tool classifier-activate` takes effect without a restart.
final class ClassifierModelWatcher: Service, @unchecked Sendable {
    let pool: PGPool
    let pipelines: TextPipelinePool
    let bundled: ClassifierModel
    let logger: Logger
    let interval: Duration

    init(pool: PGPool, pipelines: TextPipelinePool, bundled: ClassifierModel, logger: Logger, interval: Duration = .seconds(30)) {
        self.pool = pool
        self.pipelines = pipelines
        self.bundled = bundled
        self.logger = logger
        self.interval = interval
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                do { try await self.refresh() } catch {
                    guard !Task.isCancelled else { return }
                    self.logger.warning("classifier model check failed, keeping the current model", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Loads the active model if it is not the one in use; returns the version in use afterwards.
    @discardableResult
    func refresh() async throws -> String {
        let inUse = pipelines.model.versionID
        let active = try await pool.withConnection { try ClassifierModels.activeVersion($0) }
        if active == inUse || (active == nil && inUse == bundled.versionID) { return inUse }
        let model: ClassifierModel
        if active != nil, let stored = try await pool.withConnection({ try ClassifierModels.active($0) }) { model = stored } else { model = bundled }
        pipelines.replace(with: model)
        logger.notice("classifier model switched", metadata: ["from": "\(inUse)", "to": "\(model.versionID)"])
        return model.versionID
    }
}
