import Logging
import ServiceLifecycle

/// The loop of the platform's watchers (deadlines, surges, root-cause detection): a pass every `interval` until
/// graceful shutdown. The first pass runs at once unless `immediately` is false (then after one interval). A pass
/// that throws is logged with `failure` and the next tick tries again; a cancelled pass ends the loop.
public enum Periodic {
    public static func run(every interval: Duration, immediately: Bool = true, logger: Logger, failure: Logger.Message,
                           _ pass: @escaping @Sendable () async throws -> Void) async {
        await cancelWhenGracefulShutdown {
            if !immediately, (try? await Task.sleep(for: interval)) == nil { return }
            while !Task.isCancelled {
                do {
                    try await pass()
                } catch is CancellationError {
                    break   // shutting down
                } catch {
                    logger.warning(failure, metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
