import Foundation
import Contracts
#if canImport(Glibc)
import Glibc
#endif

/// A loopback port the kernel reports free now (bound to port 0 and released), for a server a test starts: a random
/// guess in the ephemeral range can collide with another test's outgoing connection (a private glewlwyd on such a
/// port exited at once in a full run on 2026-12-03).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw RPCError.unavailable("no socket for a free port") }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) { ptr in
        ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard bound else { throw RPCError.unavailable("cannot bind a free port") }
    return Int(UInt16(bigEndian: addr.sin_port))
}
