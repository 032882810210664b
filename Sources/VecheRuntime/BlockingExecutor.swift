import Foundation
import Synchronization

/// A small pool of dedicated OS threads for blocking C calls (libpq, cnats connect/fetch/JetStream publish),
/// so they never run on Swift's cooperative pool.
public final class BlockingExecutor: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var stopped = false
    }
    private let state = Mutex(State())
    private let condition = NSCondition()
    public let name: String

    public init(name: String, threads: Int) {
        self.name = name
        for i in 0..<max(1, threads) {
            let t = Thread { [self] in self.loop() }
            t.name = "\(name)-\(i)"
            t.start()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            var job: (@Sendable () -> Void)?
            while true {
                let (next, stop) = state.withLock { s -> ((@Sendable () -> Void)?, Bool) in
                    if !s.jobs.isEmpty { return (s.jobs.removeFirst(), false) }
                    return (nil, s.stopped)
                }
                if let next { job = next; break }
                if stop { condition.unlock(); return }
                condition.wait()
            }
            condition.unlock()
            job?()
        }
    }

    public func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        state.withLock { $0.jobs.append(job) }
        condition.signal()
        condition.unlock()
    }

    /// Runs `body` on one of the executor's threads and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
            submit {
                do { cont.resume(returning: try body()) } catch { cont.resume(throwing: error) }
            }
        }
    }

    public func shutdown() {
        condition.lock()
        state.withLock { $0.stopped = true }
        condition.broadcast()
        condition.unlock()
    }
}

/// Runs an async closure from a dedicated (non-cooperative) thread and waits for it.
func runBlockingWait<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let box = WaitBox<T>()
    Task {
        box.value = await body()
        box.sem.signal()
    }
    box.sem.wait()
    guard let v = box.value else { fatalError("async bridge produced no value") }
    return v
}

private final class WaitBox<T>: @unchecked Sendable {
    var value: T?
    let sem = DispatchSemaphore(value: 0)
}
