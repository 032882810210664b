import Foundation

/// Why a `BlockingExecutor` refused work.
public enum BlockingExecutorError: Error, CustomStringConvertible, Sendable {
    /// `shutdown()` was called; nothing new runs.
    case shutdown(executor: String)
    /// The bounded queue is full (back-pressure: the caller should fail fast or retry later).
    case queueFull(executor: String, capacity: Int)

    public var description: String {
        switch self {
        case .shutdown(let name): return "blocking executor \(name) is shut down"
        case .queueFull(let name, let capacity): return "blocking executor \(name) is full (\(capacity) jobs queued)"
        }
    }
}

/// A small pool of dedicated OS threads for blocking C calls (libpq, cnats connect/flush/drain),
/// so they never run on Swift's cooperative pool (NIOThreadPool-style):
/// * the queue is bounded (`capacity`): work beyond it is refused with `queueFull`;
/// * `run` is cancellable: work still queued when its awaiting task is cancelled is removed and the
///   caller gets `CancellationError` (work already running finishes — a blocking C call cannot be interrupted);
/// * after `shutdown()` new work is refused with `shutdown` at once; work queued before still runs.
public final class BlockingExecutor: @unchecked Sendable {
    private struct Job {
        let id: UInt64
        let work: @Sendable () -> Void
        let cancel: @Sendable (any Error) -> Void
    }

    // All mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private var slots: [Job?] = []
    private var head = 0
    private var queued = 0
    private var stopped = false
    private var nextID: UInt64 = 0
    /// Ids handed out by `run` whose job has not reached the queue yet.
    private var announced: Set<UInt64> = []
    /// Announced ids whose task was cancelled before their job reached the queue.
    private var cancelledEarly: Set<UInt64> = []

    public let name: String
    public let capacity: Int
    /// How many threads run jobs (work split into this many parts keeps every thread busy).
    public let threadCount: Int

    public init(name: String, threads: Int, capacity: Int = 4096) {
        self.name = name
        threadCount = max(1, threads)
        self.capacity = max(1, capacity)
        for i in 0..<max(1, threads) {
            let t = Thread { [self] in self.loop() }
            t.name = "\(name)-\(i)"
            t.start()
        }
    }

    private func loop() {
        while true {
            condition.lock()
            while queued == 0 && !stopped { condition.wait() }
            guard let job = popLocked() else {
                condition.unlock()
                return   // stopped and drained
            }
            condition.unlock()
            job.work()
        }
    }

    private func popLocked() -> Job? {
        while head < slots.count {
            let job = slots[head]
            slots[head] = nil
            head += 1
            if let job {
                queued -= 1
                if head > 1024 && head * 2 > slots.count {
                    slots.removeFirst(head)
                    head = 0
                }
                return job
            }
        }
        return nil
    }

    private func enqueue(_ job: Job) -> (any Error)? {
        condition.lock()
        defer { condition.unlock() }
        announced.remove(job.id)
        if cancelledEarly.remove(job.id) != nil { return CancellationError() }
        if stopped { return BlockingExecutorError.shutdown(executor: name) }
        if queued >= capacity { return BlockingExecutorError.queueFull(executor: name, capacity: capacity) }
        slots.append(job)
        queued += 1
        condition.signal()
        return nil
    }

    /// Removes a queued job; marks an announced one so `enqueue` refuses it. Running or finished work is left alone.
    private func withdraw(_ id: UInt64) -> Job? {
        condition.lock()
        defer { condition.unlock() }
        if announced.contains(id) {
            cancelledEarly.insert(id)
            return nil
        }
        for i in head..<slots.count where slots[i]?.id == id {
            let job = slots[i]
            slots[i] = nil
            queued -= 1
            return job
        }
        return nil
    }

    private func allocateID(announce: Bool) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        nextID &+= 1
        if announce { announced.insert(nextID) }
        return nextID
    }

    /// Jobs waiting in the queue for a thread now (not counting running ones); lets tests wait until work is queued.
    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queued
    }

    /// Queues fire-and-forget work; throws when shut down or full.
    public func submit(_ work: @escaping @Sendable () -> Void) throws {
        if let refusal = enqueue(Job(id: allocateID(announce: false), work: work, cancel: { _ in })) { throw refusal }
    }

    /// Runs `body` on one of the executor's threads and returns its result.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let id = allocateID(announce: true)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
                let job = Job(id: id, work: {
                    do { cont.resume(returning: try body()) } catch { cont.resume(throwing: error) }
                }, cancel: { cont.resume(throwing: $0) })
                if let refusal = enqueue(job) { cont.resume(throwing: refusal) }
            }
        } onCancel: {
            withdraw(id)?.cancel(CancellationError())
        }
    }

    /// Like `run`, but queued work is not withdrawn when the caller is cancelled (cleanup that must happen,
    /// e.g. finishing a transaction). Still refused when shut down or full.
    public func runToCompletion<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let id = allocateID(announce: false)
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
            let job = Job(id: id, work: {
                do { cont.resume(returning: try body()) } catch { cont.resume(throwing: error) }
            }, cancel: { cont.resume(throwing: $0) })
            if let refusal = enqueue(job) { cont.resume(throwing: refusal) }
        }
    }

    /// Refuses new work from now on; queued work still runs, then the threads exit.
    public func shutdown() {
        condition.lock()
        stopped = true
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
