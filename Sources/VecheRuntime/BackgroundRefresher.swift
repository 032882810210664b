import Logging
import ServiceLifecycle
import Synchronization

/// Recomputes `FreshCache` values off the requests that found them stale: the request is answered with the stale
/// value at once, and the recomputation runs here, at most `concurrency` at a time. A `Service` of its process's
/// `ServiceGroup`: nothing it runs outlives it, and before it runs, after shutdown or with `capacity` jobs already
/// waiting it refuses work, so the caller computes the value itself as it did without a refresher.
public final class BackgroundRefresher: Service, Sendable {
    /// One recomputation: computes and stores its value (or clears the entry's refreshing mark on failure).
    public struct Job: Sendable {
        let run: @Sendable () async throws -> Void
        /// Called instead of `run` when the job is never run (the refresher stopped with it still waiting).
        let abandon: @Sendable () -> Void
    }

    private let jobs: AsyncStream<Job>
    private let continuation: AsyncStream<Job>.Continuation
    private let concurrency: Int
    /// True while `run` takes jobs.
    private let accepting = Atomic<Bool>(false)
    private let logger: Logger?
    /// Failed rebuilds since the last warning, and when that was: a failing source (the database down while a
    /// dashboard is open) is reported once a minute, not once per request that found the value stale.
    private let failures = Mutex<(count: Int, lastWarning: ContinuousClock.Instant?)>((0, nil))

    /// `logger`: where failed rebuilds are reported (their callers keep being served the stale value meanwhile).
    public init(concurrency: Int = 2, capacity: Int = 32, logger: Logger? = nil) {
        (jobs, continuation) = AsyncStream<Job>.makeStream(bufferingPolicy: .bufferingOldest(max(1, capacity)))
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    /// True while the refresher runs and takes jobs.
    public var isAccepting: Bool { accepting.load(ordering: .relaxed) }

    /// Queues `job`; false when the refresher has stopped or is full (the caller then computes in its own task).
    public func submit(_ job: Job) -> Bool {
        guard accepting.load(ordering: .relaxed) else { return false }
        if case .enqueued = continuation.yield(job) { return true }
        return false
    }

    public func run() async throws {
        accepting.store(true, ordering: .relaxed)
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                var running = 0
                for await job in self.jobs {
                    // Stopping: what still waits is released, not run (its callers compute it if asked again).
                    if !self.accepting.load(ordering: .relaxed) { job.abandon(); continue }
                    if running >= self.concurrency {
                        await group.next()
                        running -= 1
                    }
                    group.addTask {
                        do { try await job.run() } catch { self.failed(error) }
                    }
                    running += 1
                }
            }
        } onGracefulShutdown: {
            self.accepting.store(false, ordering: .relaxed)
            self.continuation.finish()
        }
        accepting.store(false, ordering: .relaxed)
        continuation.finish()
    }

    private func failed(_ error: any Error) {
        let now = ContinuousClock.now
        let report: Int? = failures.withLock { f in
            f.count += 1
            guard f.lastWarning.map({ now - $0 >= .seconds(60) }) ?? true else { return nil }
            defer { f = (0, now) }
            return f.count
        }
        if let report {
            logger?.warning("background refresh failed; the stale value is served meanwhile",
                            metadata: ["error": "\(error)", "failures": "\(report)"])
        }
    }
}
