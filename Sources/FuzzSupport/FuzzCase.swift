/// One fuzzed decoder: a name (`proto/<full message name>`, `json/<full message name>`,
/// `json/gateway.<body>`) and a property that must hold for any input bytes.
public struct FuzzCase: Sendable {
    public let name: String
    /// Returns normally when the input is rejected cleanly or decodes consistently; throws `FuzzViolation`
    /// when a decoded value breaks a property. Memory errors and traps end the process (the fuzzer's finding).
    public let check: @Sendable ([UInt8]) throws -> Void

    public init(name: String, check: @escaping @Sendable ([UInt8]) throws -> Void) {
        self.name = name
        self.check = check
    }

    /// The family of a case: the part of its name before the first "/" (`proto`, `json`).
    public var family: String { String(name.prefix { $0 != "/" }) }
}

/// A property a decoder broke on some input; the fuzzer turns it into a crash with this text.
public struct FuzzViolation: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The fuzz input of a family is two selector bytes (big-endian, modulo the number of cases) followed by
/// the case's payload, so one libFuzzer process covers every case of a family and a case added later
/// (a new proto message) is fuzzed without any change here.
public struct FuzzFamily: Sendable {
    public let name: String
    public let cases: [FuzzCase]

    public init(name: String, cases: [FuzzCase]) {
        self.name = name
        self.cases = cases
    }

    /// The case and payload an input selects (nil for inputs shorter than the selector).
    public func split(_ input: [UInt8]) -> (FuzzCase, ArraySlice<UInt8>)? {
        guard input.count >= 2, !cases.isEmpty else { return nil }
        let selector = Int(input[0]) << 8 | Int(input[1])
        return (cases[selector % cases.count], input[2...])
    }

    /// The input that runs `payload` through the case named `name`.
    public func input(case name: String, payload: [UInt8]) -> [UInt8]? {
        guard let i = cases.firstIndex(where: { $0.name == name }) else { return nil }
        return [UInt8(i >> 8), UInt8(i & 0xFF)] + payload
    }

    public func run(_ input: [UInt8]) throws {
        guard let (c, payload) = split(input) else { return }
        do {
            try c.check(Array(payload))
        } catch let v as FuzzViolation {
            throw FuzzViolation("\(c.name): \(v.description)")
        }
    }
}
