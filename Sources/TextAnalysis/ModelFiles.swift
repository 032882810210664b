import Foundation

/// JSON persistence shared by the trained models shipped as bundle resources.
public enum ModelFiles {
    /// The first existing `name.json` in `bundle` (resources copied as a `Resources` folder or flat).
    public static func bundledURL(_ name: String, in bundle: Bundle) -> URL? {
        bundle.url(forResource: name, withExtension: "json", subdirectory: "Resources")
            ?? bundle.url(forResource: name, withExtension: "json")
    }

    /// Decodes a model; any failure is `TextAnalysisError.modelCorrupt` naming the file.
    public static func decode<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        do { return try JSONDecoder().decode(type, from: try Data(contentsOf: url)) } catch {
            throw TextAnalysisError.modelCorrupt("\(url.path): \(error)")
        }
    }

    /// Writes JSON with sorted keys (byte-identical output for identical models), atomically.
    public static func write<T: Encodable>(_ value: T, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(value).write(to: url, options: .atomic)
    }
}
