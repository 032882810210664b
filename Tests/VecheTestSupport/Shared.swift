import Synchronization

/// A value shared between a test and the tasks it starts (a lock-protected box that closures can capture).
public final class Shared<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    public init(_ value: Value) { state = Mutex(value) }
    public var value: Value { state.withLock { $0 } }
    @discardableResult
    public func update<R: Sendable>(_ body: (inout Value) -> R) -> R { state.withLock { body(&$0) } }
}
