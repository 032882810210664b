import CPQ
import Foundation

/// A libpq result kept alive while any of its rows is. libpq results are read-only once made, so rows may be
/// read from any thread; the result is cleared when the last row goes.
final class PGResultStorage: @unchecked Sendable {
    let result: OpaquePointer
    /// Column name → column number (of two columns with one name, the later one).
    let columns: PGColumnTable

    /// Takes ownership of `result` (cleared on deinit).
    init(taking result: OpaquePointer) {
        self.result = result
        columns = PGColumnTable((0..<PQnfields(result)).map { c in PQfname(result, c).map { String(cString: $0) } ?? "" })
    }

    deinit { PQclear(result) }
}

/// One result row, read in place from libpq's result: a value becomes a `String` only when it is asked for as one,
/// and numbers, flags and times are parsed from the bytes libpq holds. A list page reads about 2,000 values, about
/// half of them not text; before, every value was copied into a `String` when the result arrived.
public struct PGRow: Sendable {
    let storage: PGResultStorage
    let row: Int32

    /// The text-form bytes of column `name` (without libpq's terminating NUL), nil when the value is NULL or there
    /// is no such column.
    func withValue<T>(_ name: String, _ body: (UnsafeBufferPointer<UInt8>) -> T?) -> T? {
        guard let c = storage.columns.index(of: name), PQgetisnull(storage.result, row, c) == 0,
              let v = PQgetvalue(storage.result, row, c) else { return nil }
        // The length libpq already knows (no strlen); text values hold no NUL.
        let length = Int(PQgetlength(storage.result, row, c))
        return v.withMemoryRebound(to: UInt8.self, capacity: length) { body(UnsafeBufferPointer(start: $0, count: length)) }
    }

    public subscript(_ name: String) -> String? { withValue(name) { String(decoding: $0, as: UTF8.self) } }

    public func string(_ name: String) -> String { self[name] ?? "" }
    /// An integer column; 0 when NULL or not an integer (as `Int64(String)` reads it: an optional sign, digits).
    public func int(_ name: String) -> Int64 { withValue(name, PGRow.integer) ?? 0 }
    public func int32(_ name: String) -> Int32 { withValue(name) { PGRow.integer($0).flatMap { Int32(exactly: $0) } } ?? 0 }
    public func double(_ name: String) -> Double { self[name].flatMap { Double($0) } ?? 0 }
    public func bool(_ name: String) -> Bool { withValue(name) { $0.count == 1 && $0[0] == UInt8(ascii: "t") } ?? false }
    public func date(_ name: String) -> Date? { withValue(name, PGTime.parse(bytes:)) }
    /// timestamptz as Unix epoch milliseconds, 0 when NULL.
    public func epochMs(_ name: String) -> Int64 { date(name).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) } ?? 0 }
    public func isNull(_ name: String) -> Bool {
        guard let c = storage.columns.index(of: name) else { return true }
        return PQgetisnull(storage.result, row, c) == 1
    }
    /// A bytea column, decoded from libpq's text form in place; nil when NULL or not a bytea's text form.
    public func bytes(_ name: String) -> [UInt8]? { withValue(name, PGBytes.decode(bytea:)) }

    /// Runs of hex digits joined by `separator` (what `string_agg(encode(b, 'hex'), ',')` makes), each decoded in
    /// place: one byte array per run, in order; [] when NULL, nil when a run is not hex. A lookup's history is such a
    /// column, several kilobytes long; splitting it as a `String` walked it character by character.
    public func hexRuns(_ name: String, separator: UInt8 = UInt8(ascii: ",")) -> [[UInt8]]? {
        if isNull(name) { return [] }
        return withValue(name) { value -> [[UInt8]]? in
            var runs: [[UInt8]] = []
            for run in value.split(separator: separator) {
                guard let bytes = PGBytes.decode(hexDigits: UnsafeBufferPointer(rebasing: run)) else { return nil }
                runs.append(bytes)
            }
            return runs
        }
    }

    /// A text[] column.
    public func stringArray(_ name: String) -> [String] {
        withValue(name) { PGArray.parse(String(decoding: $0, as: UTF8.self)) } ?? []
    }

    /// A decimal integer with an optional sign, nil for anything else or on overflow (what `Int64(String)` accepts).
    static func integer(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0, negative = false
        if let first = b.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            i = 1
        }
        guard i < b.count else { return nil }
        var v: Int64 = 0
        while i < b.count {
            let d = b[i] &- 48
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            v = s
            i += 1
        }
        return v
    }
}

/// Column names → column numbers, looked up by the name's bytes with FNV-1a and open addressing. A list page
/// looks a column up about 2,000 times; `Dictionary<String, _>` seeds and finalises SipHash for each, which was a
/// twentieth of AppealService's CPU on such a page.
struct PGColumnTable: Sendable {
    private let names: [[UInt8]]
    /// Column number + 1 per slot, 0 for an empty slot; the count is a power of two at least twice the columns'.
    private let slots: [Int32]

    init(_ columnNames: [String]) {
        names = columnNames.map { Array($0.utf8) }
        var size = 8
        while size < 2 * columnNames.count { size *= 2 }
        var slots = [Int32](repeating: 0, count: size)
        for (c, name) in names.enumerated() {
            var i = Int(truncatingIfNeeded: name.withUnsafeBufferPointer(Self.hash)) & (size - 1)
            while slots[i] != 0, names[Int(slots[i]) - 1] != name { i = (i + 1) & (size - 1) }
            slots[i] = Int32(c + 1)  // a later column of the same name replaces the earlier one
        }
        self.slots = slots
    }

    /// The number of the column called `name`, nil when there is none.
    func index(of name: String) -> Int32? {
        var name = name
        return name.withUTF8 { key in
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: Self.hash(key)) & mask
            while true {
                let slot = slots[i]
                if slot == 0 { return nil }
                let c = Int(slot) - 1
                if names[c].withUnsafeBufferPointer({ $0.count == key.count && (key.isEmpty || memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0) }) {
                    return Int32(c)
                }
                i = (i + 1) & mask
            }
        }
    }

    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
