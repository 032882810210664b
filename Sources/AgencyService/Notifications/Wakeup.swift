import ServiceLifecycle

/// A pass that runs every `interval` and at once when kicked (coalesced), until graceful shutdown: the loop of
/// the escalation ticker and the notification sender.
final class Wakeup: Sendable {
    private let wakes: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init() { (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1)) }

    /// Asks for a pass now.
    func kick() { wake.yield() }

    func run(every interval: Duration, _ pass: @escaping @Sendable () async -> Void) async {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { while (try? await Task.sleep(for: interval)) != nil { self.wake.yield() } }
                group.addTask { for await _ in self.wakes { await pass() } }
            }
        }
    }
}
