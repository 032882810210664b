import Foundation

/// CPU seconds (user + system) of the processes `scripts/veche run` started, read from `/proc`: each service by its pid
/// file in the state directory, nats-server by `nats.pid`, PostgreSQL as its postmaster with every backend and
/// background process it forked, living or exited (the postmaster reaps them, so their time is in its children's).
/// The intake benchmark samples it before publishing and when the last appeal is stored, so the figure per appeal is
/// the platform's whole cost of taking one in, process by process.
struct ProcessCPU {
    let stateDirectory: String

    /// Process name → CPU seconds now; processes whose pid file or `/proc` entry is missing are left out.
    func sample() -> [String: Double] {
        var out: [String: Double] = [:]
        for name in ["appeal-service", "agency-service", "rating-service", "survey-service"] {
            if let pid = pid(of: name), let s = Self.cpuSeconds(pid) { out[name] = s }
        }
        if let pid = pid(of: "nats"), let s = Self.cpuSeconds(pid) { out["nats-server"] = s }
        if let postmaster = pid(fromFile: "\(stateDirectory)/pg/data/postmaster.pid") {
            // The postmaster's own time and its reaped children's (backends and workers that have exited since the
            // server started), plus every living child's.
            var total = Self.cpuSeconds(postmaster, withReapedChildren: true) ?? 0
            for pid in Self.children(of: postmaster) { total += Self.cpuSeconds(pid) ?? 0 }
            out["postgresql"] = total
        }
        return out
    }

    /// One line per process, most CPU first: µs per appeal between two samples.
    static func report(before: [String: Double], after: [String: Double], appeals: Int) -> String {
        guard appeals > 0 else { return "" }
        let used = after.compactMap { name, s in before[name].map { (name, s - $0) } }.sorted { $0.1 > $1.1 }
        let total = used.reduce(0) { $0 + $1.1 }
        let parts = used.map { String(format: "%@ %.0f", $0.0, $0.1 / Double(appeals) * 1e6) }
        return String(format: "CPU per stored appeal over the intake: %.0f µs (", total / Double(appeals) * 1e6)
            + parts.joined(separator: ", ") + ")"
    }

    /// The pid of a process `scripts/veche run` started, from its pid file in the state directory (`name.pid`).
    func pid(of name: String) -> Int32? { pid(fromFile: "\(stateDirectory)/\(name).pid") }

    private func pid(fromFile path: String) -> Int32? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Int32(text.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) ?? "")
    }

    /// utime + stime of `/proc/<pid>/stat` (fields 14 and 15, counted after the parenthesised command name), plus
    /// cutime + cstime (16 and 17: children that exited and were waited for) when asked.
    private static func cpuSeconds(_ pid: Int32, withReapedChildren: Bool = false) -> Double? {
        // fields[0] is the state (field 3), so utime (field 14) is fields[11], stime fields[12], cutime and cstime
        // fields[13] and fields[14].
        guard let fields = statFields(pid), fields.count > 14, let u = Double(fields[11]), let s = Double(fields[12]),
              let cu = Double(fields[13]), let cs = Double(fields[14]) else { return nil }
        return (u + s + (withReapedChildren ? cu + cs : 0)) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func children(of parent: Int32) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { Int32($0) }.filter { pid in
            // fields[1] is the parent's pid (field 4).
            guard let fields = statFields(pid), fields.count > 1 else { return false }
            return Int32(fields[1]) == parent
        }
    }

    /// The fields of `/proc/<pid>/stat` after the parenthesised command name (which may hold spaces), from field 3.
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}
