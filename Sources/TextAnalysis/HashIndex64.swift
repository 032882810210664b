/// Open-addressing map from 64-bit term hashes to feature indices (linear probing, power-of-two table,
/// at most half full, key and value side by side so a lookup touches one cache line). Replaces
/// `Dictionary<UInt64, Int32>` on the classification hot path: no SipHash, one multiply and usually one
/// probe per lookup. Immutable after construction, so freely shared.
struct HashIndex64: Sendable {
    struct Slot: Sendable {
        var key: UInt64 = 0
        /// -1 marks an empty slot.
        var value: Int32 = -1
    }

    private let slots: [Slot]
    private let shift: UInt64

    /// `keys[i]` maps to `i`; a key given twice keeps its last index (as `Dictionary` assignment would).
    init(_ keys: [UInt64]) {
        var bits: UInt64 = 4
        while (1 << bits) < keys.count * 2 { bits += 1 }
        let size = 1 << Int(bits)
        var s = [Slot](repeating: Slot(), count: size)
        let sh = 64 - bits
        let mask = size - 1
        for (i, key) in keys.enumerated() {
            var p = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> sh)
            while s[p].value >= 0, s[p].key != key { p = (p + 1) & mask }
            s[p] = Slot(key: key, value: Int32(i))
        }
        slots = s
        shift = sh
    }

    /// The index of `key`, or -1.
    @inline(__always) func find(_ key: UInt64) -> Int32 {
        slots.withUnsafeBufferPointer { s in
            let mask = s.count - 1
            var p = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while true {
                let slot = s[p]
                if slot.value < 0 || slot.key == key { return slot.value }
                p = (p + 1) & mask
            }
        }
    }

    subscript(key: UInt64) -> Int32? {
        let v = find(key)
        return v < 0 ? nil : v
    }
}
