import Foundation
import Synchronization
import TextAnalysis

/// Redacted forms of the short texts lists show to callers without access to personal data (titles, answers,
/// addresses), remembered by the process: the same queues and first pages are listed by many people, and
/// redaction (17 regular expressions) was a third of appeal-service's CPU on a list page. Bounded: when full it
/// starts over. A text's redaction depends on the text alone, so a remembered one is never stale.
final class RedactionMemo: Sendable {
    private let redactor: PIIRedactor
    private let capacity: Int
    private let memo = Mutex<[Text: String]>([:])

    /// A text compared and hashed by its UTF-8 bytes: `String`'s own hashing normalises Cyrillic text to NFC first
    /// (a tenth of a list page's CPU here), and redaction works on the bytes as they are anyway.
    struct Text: Hashable {
        var value: String
        static func == (a: Text, b: Text) -> Bool {
            var (x, y) = (a.value, b.value)
            return x.withUTF8 { l in y.withUTF8 { r in l.count == r.count && (l.count == 0 || memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0) } }
        }
        func hash(into hasher: inout Hasher) {
            var copy = value
            copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    init(_ redactor: PIIRedactor, capacity: Int = 8_192) {
        self.redactor = redactor
        self.capacity = capacity
    }

    func redact(_ text: String) -> String {
        if text.isEmpty { return text }
        let key = Text(value: text)
        if let known = memo.withLock({ $0[key] }) { return known }
        let redacted = redactor.redact(text).text
        memo.withLock { m in
            if m.count >= capacity { m.removeAll(keepingCapacity: true) }
            m[key] = redacted
        }
        return redacted
    }
}
