import Foundation
import Synchronization

/// A bounded FIFO hand-off from cnats callback threads (`offer`, never blocks) to a fixed set of worker
/// tasks (`next`). A full queue refuses at once, so the caller can answer 429 instead of queueing without
/// bound.
final class RequestQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element?] = []
        var head = 0
        var waiters: [(id: UInt64, continuation: CheckedContinuation<Element?, Never>)] = []
        var nextWaiter: UInt64 = 0
        var finished = false
        var count: Int { items.count - head }
    }

    private enum Decision { case refused, queued, handOff(CheckedContinuation<Element?, Never>) }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) { self.capacity = max(1, capacity) }

    /// Elements waiting for a worker now.
    var depth: Int { state.withLock { $0.count } }

    /// Hands `element` to a waiting worker or queues it; false when full or finished.
    func offer(_ element: Element) -> Bool {
        let decision = state.withLock { s -> Decision in
            if s.finished || (s.waiters.isEmpty && s.count >= capacity) { return .refused }
            if !s.waiters.isEmpty { return .handOff(s.waiters.removeFirst().continuation) }
            s.items.append(element)
            return .queued
        }
        switch decision {
        case .refused: return false
        case .queued: return true
        case .handOff(let c):
            c.resume(returning: element)
            return true
        }
    }

    /// The next element; nil once finished and drained, or when the calling task is cancelled.
    func next() async -> Element? {
        let id = state.withLock { s -> UInt64 in s.nextWaiter &+= 1; return s.nextWaiter }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Element?, Never>) in
                let now = state.withLock { s -> Element?? in
                    if s.count > 0 {
                        let e = s.items[s.head]
                        s.items[s.head] = nil
                        s.head += 1
                        if s.head > 1024 && s.head * 2 > s.items.count {
                            s.items.removeFirst(s.head)
                            s.head = 0
                        }
                        return .some(e)
                    }
                    if s.finished || Task.isCancelled { return .some(nil) }
                    s.waiters.append((id, c))
                    return .none
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<Element?, Never>? in
                guard let i = s.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.waiters.remove(at: i).continuation
            }
            c?.resume(returning: nil)
        }
    }

    /// Refuses new elements; workers drain what is queued, then get nil.
    func finish() {
        let waiting = state.withLock { s -> [CheckedContinuation<Element?, Never>] in
            s.finished = true
            defer { s.waiters.removeAll() }
            return s.waiters.map(\.continuation)
        }
        for c in waiting { c.resume(returning: nil) }
    }
}
