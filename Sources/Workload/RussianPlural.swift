/// The Russian form of a noun after a number: one source of the rule for every counted phrase in staff texts.
public enum RussianPlural {
    /// `one` after 1, 21, 101…; `few` after 2–4, 22–24…; `many` after 0, 5–20, 25–30, 111–114…
    public static func form(_ n: Int, one: String, few: String, many: String) -> String {
        let m100 = abs(n) % 100, m10 = abs(n) % 10
        if (11...14).contains(m100) { return many }
        if m10 == 1 { return one }
        if (2...4).contains(m10) { return few }
        return many
    }
}
