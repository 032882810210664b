import Foundation
import FuzzSupport

/// `veche-fuzz`: libFuzzer targets for every contract message (protobuf and JSON) and the gateway's
/// request bodies; see fuzz/README.md. A normal build is the command-line tool (`FuzzDriver`); the build of
/// `scripts/veche fuzz` (`-sanitize=fuzzer -DVECHE_LIBFUZZER`) is the libFuzzer binary.
let families = ContractFuzzCases.families

#if VECHE_LIBFUZZER
@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>,
                             _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>) -> Int32 {
    LibFuzzer.select(from: families, environment: ProcessInfo.processInfo.environment)
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    LibFuzzer.testOneInput(data, size)
}
#else
@main
struct VecheFuzzMain {
    static func main() {
        exit(FuzzDriver.main(families: families))
    }
}
#endif
