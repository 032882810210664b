import CZlib
import Foundation

/// Errors raised while reading evaluation / seed data files.
public enum DataFileError: Error, CustomStringConvertible {
    case cannotOpen(String)
    case corrupt(String)
    case notUTF8(String)

    public var description: String {
        switch self {
        case .cannotOpen(let p): return "cannot open data file \(p)"
        case .corrupt(let p): return "corrupt gzip stream in \(p)"
        case .notUTF8(let p): return "data file \(p) is not valid UTF-8"
        }
    }
}

/// Reads the evaluation / seed data files (plain or gzip) and finds the `shared/data` directory.
public enum DataFiles {
    /// Reads a file fully; `.gz` files are inflated with zlib.
    public static func readData(path: String) throws -> [UInt8] {
        guard path.hasSuffix(".gz") else {
            guard let data = FileManager.default.contents(atPath: path) else { throw DataFileError.cannotOpen(path) }
            return [UInt8](data)
        }
        guard let file = gzopen(path, "rb") else { throw DataFileError.cannotOpen(path) }
        defer { gzclose(file) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 { throw DataFileError.corrupt(path) }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<Int(n)])
        }
        return out
    }

    public static func readText(path: String) throws -> String {
        let bytes = try readData(path: path)
        guard let s = String(validating: bytes, as: UTF8.self) else { throw DataFileError.notUTF8(path) }
        return s
    }

    /// Locates `shared/data` next to the repository: walks up from `start` (a file or directory)
    /// looking for `shared/data`, honouring `VECHE_SHARED_DATA` when set.
    public static func sharedDataDirectory(from start: String = #filePath) -> String? {
        if let env = ProcessInfo.processInfo.environment["VECHE_SHARED_DATA"], !env.isEmpty { return env }
        var url = URL(fileURLWithPath: start)
        for _ in 0..<8 {
            url.deleteLastPathComponent()
            let candidate = url.appendingPathComponent("shared/data").path
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), isDir.boolValue { return candidate }
            let sibling = url.deletingLastPathComponent().appendingPathComponent("shared/data").path
            if FileManager.default.fileExists(atPath: sibling, isDirectory: &isDir), isDir.boolValue { return sibling }
        }
        return nil
    }
}
