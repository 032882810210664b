/// The libFuzzer side of a fuzz executable built with `-sanitize=fuzzer -DVECHE_LIBFUZZER`
/// (`scripts/veche fuzz`): libFuzzer's own `main` runs, calls `LLVMFuzzerInitialize`, where the
/// executable selects the family named by `VECHE_FUZZ_FAMILY`, then `LLVMFuzzerTestOneInput` per input.
public enum LibFuzzer {
    /// The family being fuzzed. Set once in `LLVMFuzzerInitialize`, before the first input; libFuzzer calls
    /// the test function from that one thread only.
    nonisolated(unsafe) public static var family: FuzzFamily?

    /// Runs one input; a broken property ends the process like a crash, so libFuzzer saves the input.
    public static func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        guard let family, let data else { return 0 }
        do {
            try family.run(Array(UnsafeBufferPointer(start: data, count: size)))
        } catch {
            fatalError("\(error)")
        }
        return 0
    }

    /// Selects the family of `VECHE_FUZZ_FAMILY` among `families`, or stops with the list of names.
    public static func select(from families: [FuzzFamily], environment: [String: String]) {
        let name = environment["VECHE_FUZZ_FAMILY"] ?? ""
        guard let f = families.first(where: { $0.name == name }) else {
            fatalError("set VECHE_FUZZ_FAMILY to one of: \(families.map(\.name).joined(separator: ", "))")
        }
        family = f
    }
}
