import Synchronization
import TextAnalysis

/// Redacted forms of the short texts lists show to callers without access to personal data (titles, answers,
/// addresses), remembered by the process: the same queues and first pages are listed by many people, and
/// redaction (17 regular expressions) was a third of appeal-service's CPU on a list page. Bounded: when full it
/// starts over. A text's redaction depends on the text alone, so a remembered one is never stale.
final class RedactionMemo: Sendable {
    private let redactor: PIIRedactor
    private let capacity: Int
    private let memo = Mutex<[String: String]>([:])

    init(_ redactor: PIIRedactor, capacity: Int = 8_192) {
        self.redactor = redactor
        self.capacity = capacity
    }

    func redact(_ text: String) -> String {
        if text.isEmpty { return text }
        if let known = memo.withLock({ $0[text] }) { return known }
        let redacted = redactor.redact(text).text
        memo.withLock { m in
            if m.count >= capacity { m.removeAll(keepingCapacity: true) }
            m[text] = redacted
        }
        return redacted
    }
}
