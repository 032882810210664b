import Foundation

/// Command line of `veche-fuzz` (see fuzz/README.md). libFuzzer owns the arguments in fuzzing mode,
/// so the commands are parsed by hand:
///
/// * `veche-fuzz list` — the cases, one per line.
/// * `veche-fuzz corpus DIR OUT` — writes the files of `DIR/<case>/` as family inputs (selector + payload)
///   into `OUT/<family>/`, the starting corpus of a fuzzing run.
/// * `veche-fuzz explain FAMILY FILE` — names the case of a crash input and writes its payload to `FILE.payload`.
///
/// The libFuzzer build (`scripts/veche fuzz`) has libFuzzer's command line instead (`LibFuzzer`).
public enum FuzzDriver {
    public static func main(families: [FuzzFamily]) -> Int32 {
        let args = Array(CommandLine.arguments.dropFirst())
        do {
            switch (args.first, args.count) {
            case ("list", 1):
                for f in families { for c in f.cases { print(c.name) } }
                return 0
            case ("corpus", 3):
                try writeCorpus(root: URL(fileURLWithPath: args[1]), out: URL(fileURLWithPath: args[2]), families: families)
                return 0
            case ("explain", 3):
                return try explain(family: args[1], file: URL(fileURLWithPath: args[2]), families: families)
            default:
                return fail("usage: veche-fuzz list | corpus DIR OUT | explain FAMILY FILE")
            }
        } catch {
            return fail("\(error)")
        }
    }

    static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data("veche-fuzz: \(message)\n".utf8))
        return 2
    }

    /// Payload files of every case under `root/<case name>/`.
    public static func payloads(root: URL, families: [FuzzFamily]) -> [(FuzzCase, URL)] {
        var out: [(FuzzCase, URL)] = []
        for f in families {
            for c in f.cases {
                let dir = root.appendingPathComponent(c.name, isDirectory: true)
                let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
                out += files.sorted().filter { !$0.hasPrefix(".") }.map { (c, dir.appendingPathComponent($0)) }
            }
        }
        return out
    }

    static func writeCorpus(root: URL, out: URL, families: [FuzzFamily]) throws {
        for f in families {
            let dir = out.appendingPathComponent(f.name, isDirectory: true)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for (c, file) in payloads(root: root, families: [f]) {
                guard let input = f.input(case: c.name, payload: [UInt8](try Data(contentsOf: file))) else { continue }
                let name = c.name.replacingOccurrences(of: "/", with: "_") + "_" + file.lastPathComponent
                try Data(input).write(to: dir.appendingPathComponent(name))
            }
        }
    }

    static func explain(family: String, file: URL, families: [FuzzFamily]) throws -> Int32 {
        guard let f = families.first(where: { $0.name == family }) else { return fail("unknown family \(family)") }
        guard let (c, payload) = f.split([UInt8](try Data(contentsOf: file))) else { return fail("input shorter than the selector") }
        let out = file.appendingPathExtension("payload")
        try Data(payload).write(to: out)
        print("case \(c.name); payload (\(payload.count) bytes) written to \(out.path)")
        return 0
    }
}
