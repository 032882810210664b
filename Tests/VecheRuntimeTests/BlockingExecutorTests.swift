import Foundation
import VecheTestSupport
import Testing
@testable import VecheRuntime

@Suite("BlockingExecutor: bounded, cancellable, refused after shutdown")
struct BlockingExecutorTests {
    /// Occupies the executor's only thread until `release()`.
    final class Gate: @unchecked Sendable {
        let started = DispatchSemaphore(value: 0)
        let go = DispatchSemaphore(value: 0)
        func hold() { started.signal(); go.wait() }
        func release() { go.signal() }
    }

    @Test func aFullQueueRefusesWorkInsteadOfGrowing() async throws {
        let executor = BlockingExecutor(name: "t-full", threads: 1, capacity: 2)
        defer { executor.shutdown() }
        let gate = Gate()
        try executor.submit { gate.hold() }
        gate.started.wait()
        try executor.submit {}
        try executor.submit {}
        #expect(throws: BlockingExecutorError.self) { try executor.submit {} }
        await #expect(throws: BlockingExecutorError.self) { try await executor.run { 1 } }
        gate.release()
        // Once the queued work has drained there is room again.
        #expect(try await eventually { (try? await executor.run { 42 }) == 42 })
    }

    @Test func cancellingTheAwaitingTaskRemovesItsQueuedWork() async throws {
        let executor = BlockingExecutor(name: "t-cancel", threads: 1)
        defer { executor.shutdown() }
        let gate = Gate()
        try executor.submit { gate.hold() }
        gate.started.wait()
        let ran = Shared(false)
        let waiting = Task { try await executor.run { ran.update { $0 = true } } }
        // Cancelled once it is queued (not before it got there: that is another path).
        #expect(try await eventually(timeout: .seconds(60)) { executor.queuedCount == 1 })
        waiting.cancel()
        // The caller gets its answer while the thread is still busy: it does not wait for the queue.
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(executor.queuedCount == 0, "the withdrawn job left the queue")
        gate.release()
        _ = try await executor.run { 0 }   // everything queued before has run by now
        let didRun = ran.value
        #expect(!didRun, "withdrawn work must never run")
    }

    @Test func workAfterShutdownIsRefusedAtOnceAndQueuedWorkStillFinishes() async throws {
        let executor = BlockingExecutor(name: "t-stop", threads: 1)
        let gate = Gate()
        try executor.submit { gate.hold() }
        gate.started.wait()
        async let queued = executor.run { 7 }
        #expect(try await eventually(timeout: .seconds(60)) { executor.queuedCount == 1 })
        executor.shutdown()
        await #expect(throws: BlockingExecutorError.self) { try await executor.run { 1 } }
        #expect(throws: BlockingExecutorError.self) { try executor.submit {} }
        gate.release()
        #expect(try await queued == 7)
    }
}
