/// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines.
public struct CSVTable: Sendable {
    public let header: [String]
    public let rows: [[String]]
    private let index: [String: Int]

    public init(header: [String], rows: [[String]]) {
        self.header = header
        self.rows = rows
        var idx: [String: Int] = [:]
        for (i, h) in header.enumerated() where idx[h] == nil { idx[h] = i }
        self.index = idx
    }

    public func columnIndex(_ name: String) -> Int? { index[name] }

    /// Value of `column` in `row`, or "" when the column or cell is missing.
    public func value(_ row: [String], _ column: String) -> String {
        guard let i = index[column], i < row.count else { return "" }
        return row[i]
    }

    public static func parse(_ text: String, separator: Character = ",") -> CSVTable {
        var all = CSV.parse(text, separator: separator)
        guard !all.isEmpty else { return CSVTable(header: [], rows: []) }
        var header = all.removeFirst()
        if let first = header.first, first.hasPrefix("\u{FEFF}") { header[0] = String(first.dropFirst()) }
        return CSVTable(header: header, rows: all)
    }

    public static func load(path: String, separator: Character = ",") throws -> CSVTable {
        parse(try DataFiles.readText(path: path), separator: separator)
    }
}

/// Splits CSV text into rows of fields (RFC 4180 quoting, one ASCII separator); `CSVTable` adds the header.
public enum CSV {
    public static func parse(_ text: String, separator: Character = ",") -> [[String]] {
        let sep = separator.asciiValue ?? UInt8(ascii: ",")
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        var sawAny = false
        func endField() { row.append(String(decoding: field, as: UTF8.self)); field.removeAll(keepingCapacity: true) }
        while i != utf8.endIndex {
            let c = utf8[i]
            sawAny = true
            if inQuotes {
                if c == UInt8(ascii: "\"") {
                    let next = utf8.index(after: i)
                    if next != utf8.endIndex, utf8[next] == UInt8(ascii: "\"") {
                        field.append(c); i = utf8.index(after: next); continue
                    }
                    inQuotes = false
                } else {
                    field.append(c)
                }
            } else if c == UInt8(ascii: "\"") {
                inQuotes = true
            } else if c == sep {
                endField()
            } else if c == UInt8(ascii: "\n") {
                endField(); rows.append(row); row = []; sawAny = false
            } else if c == UInt8(ascii: "\r") {
                // swallow; the \n that follows ends the row
            } else {
                field.append(c)
            }
            i = utf8.index(after: i)
        }
        if sawAny || !field.isEmpty || !row.isEmpty { endField(); rows.append(row) }
        return rows
    }
}
