import Foundation

/// UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, the version, 74 random bits. For rows written
/// at high rates (appeals and their events): consecutive ids land on the right-hand pages of the primary keys and
/// of every index led by the id (events by appeal, the projections' facts and applied-event ledgers) instead of a
/// random page of an index that outgrows memory at millions of rows. Still unguessable (74 bits from the system
/// generator); it reveals the millisecond the id was made, which the record carries anyway.
public enum TimeOrderedUUID {
    /// A new id made at `date` (the wall clock by default; ids are not ordered by a test's injected clock).
    public static func make(at date: Date = Date()) -> UUID {
        var g = SystemRandomNumberGenerator()
        let ms = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded()))
        let a = g.next() as UInt64, b = g.next() as UInt64
        // Bytes 0–5: milliseconds (big-endian); 6: version 7 + 4 random bits; 7: random; 8: variant 10 + 6 random bits; 9–15: random.
        var u = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { u[i] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - i))) }
        u[6] = 0x70 | UInt8(truncatingIfNeeded: a & 0x0F)
        u[7] = UInt8(truncatingIfNeeded: a >> 8)
        u[8] = 0x80 | UInt8(truncatingIfNeeded: b & 0x3F)
        for i in 9..<16 { u[i] = UInt8(truncatingIfNeeded: b >> (8 * (i - 8))) }
        return UUID(uuid: (u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]))
    }

    /// `make(at:)` as the lowercase text form the services store and send.
    public static func string(at date: Date = Date()) -> String { make(at: date).uuidString.lowercased() }
}
