/// `TextNormalizer.normalize` as Unicode scalar values, without building Strings for the common case.
///
/// Texts made only of scalars whose normalisation is a per-scalar map (ASCII without `<` and `&`, basic
/// Cyrillic U+0400–U+045F, NBSP, typographic quotes, dashes, bullets, `…`, `«»`, `°`, `№`) are normalised in
/// one pass: whitespace runs become one space and are trimmed, capitals are lower-cased, `ё` becomes `е`.
/// In that set every scalar is its own grapheme (CR LF aside, which is whitespace either way), so the result
/// equals the String path exactly. Any other text (HTML, entities, combining marks, other scripts) takes
/// `TextNormalizer.normalize` itself.
enum NormalizedScalars {
    /// Whether `v` is in the per-scalar set.
    @inline(__always) static func isSimple(_ v: UInt32) -> Bool {
        switch v {
        case 0x09...0x0D, 0xA0, 0xAB, 0xB0, 0xBB, 0x0400...0x045F, 0x2010...0x201F, 0x2022, 0x2026, 0x2116: return true
        case 0x20...0x7E: return v != 0x3C && v != 0x26
        default: return false
        }
    }

    /// Replaces `out` with the normalised scalars of `text`.
    static func normalize(_ text: String, into out: inout [UInt32]) {
        out.removeAll(keepingCapacity: true)
        var html = false
        for u in text.unicodeScalars where !isSimple(u.value) {
            guard u == "<" || u == "&" else { return slowPath(text, into: &out) }
            html = true
        }
        guard html else { return collapseAndLower(text.unicodeScalars.lazy.map(\.value), into: &out) }
        let stripped = TextNormalizer.strippedScalars(Array(text.unicodeScalars))
        // Entities may decode to anything: only simple results stay on the per-scalar path.
        guard stripped.allSatisfy({ isSimple($0.value) || $0 == "<" || $0 == "&" }) else { return slowPath(text, into: &out) }
        collapseAndLower(stripped.lazy.map(\.value), into: &out)
    }

    private static func slowPath(_ text: String, into out: inout [UInt32]) {
        for u in TextNormalizer.normalize(text).unicodeScalars { out.append(u.value) }
    }

    /// Whitespace runs → one space, trimmed; capitals lower-cased; `ё` → `е` (simple scalars only).
    private static func collapseAndLower<S: Sequence<UInt32>>(_ scalars: S, into out: inout [UInt32]) {
        var pendingSpace = false
        for u in scalars {
            var v = u
            switch v {
            case 0x09...0x0D, 0x20, 0xA0:
                pendingSpace = !out.isEmpty
                continue
            case 0x41...0x5A, 0x0410...0x042F: v += 0x20
            case 0x0400...0x040F: v += 0x50
            default: break
            }
            if v == 0x0451 { v = 0x0435 }
            if pendingSpace { out.append(0x20); pendingSpace = false }
            out.append(v)
        }
    }

    /// `Unicode.Scalar.Properties.isWhitespace` with the ASCII and Cyrillic answers inlined.
    @inline(__always) static func isWhitespace(_ v: UInt32) -> Bool {
        if v < 0x80 { return v == 0x20 || (0x09...0x0D).contains(v) }
        if (0x0400...0x04FF).contains(v) { return false }
        return Unicode.Scalar(v)?.properties.isWhitespace ?? false
    }

    /// `Unicode.Scalar.Properties.isAlphabetic` with the ASCII and basic Cyrillic answers inlined.
    @inline(__always) static func isAlphabetic(_ v: UInt32) -> Bool {
        if v < 0x80 { return (0x61...0x7A).contains(v) || (0x41...0x5A).contains(v) }
        if (0x0400...0x045F).contains(v) { return true }
        return Unicode.Scalar(v)?.properties.isAlphabetic ?? false
    }
}
