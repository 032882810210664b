import Foundation

/// Reporting granularity.
public enum WorkloadGranularity: String, Sendable, Hashable, Codable { case week, month }

/// Workload of one sector block in one period.
public struct BlockWorkload: Sendable, Hashable, Codable {
    public var block: String
    /// Period start (local midnight of its first day) and end (exclusive).
    public var periodStart: Date
    public var periodEnd: Date
    /// Items received in the period, per channel.
    public var incomingByChannel: [String: Int]
    public var incoming: Int { incomingByChannel.values.reduce(0, +) }
    /// Items open at the end of the period (received, neither answered nor closed).
    public var backlogAtEnd: Int
    /// Items answered in the period.
    public var answered: Int
    /// Median and mean time in work (taken into work → answer) of the items answered in the period, hours.
    public var medianHoursInWork: Double?
    public var meanHoursInWork: Double?
    /// Distinct executors who answered in the period and answers per executor (mean).
    public var activeExecutors: Int
    public var answersPerExecutor: Double?
}

/// Workload figures per sector block and period from plain appeal records (pure; RatingService calls it
/// on its projection rows).
public enum WorkloadStats {
    /// Period boundaries covering [from, to) in `timeZone`: ISO weeks (Monday start) or calendar months.
    public static func periods(from: Date, to: Date, granularity: WorkloadGranularity, timeZone: TimeZone) -> [(Date, Date)] {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        cal.firstWeekday = 2
        let unit: Calendar.Component = granularity == .week ? .weekOfYear : .month
        guard var start = cal.dateInterval(of: granularity == .week ? .weekOfYear : .month, for: from)?.start else { return [] }
        var out: [(Date, Date)] = []
        while start < to {
            guard let end = cal.date(byAdding: unit, value: 1, to: start) else { break }
            out.append((start, end))
            start = end
        }
        return out
    }

    /// Figures for every (block, period) with any activity, blocks in `blocks` order first, then others sorted.
    public static func compute(_ records: [AppealRecord], from: Date, to: Date, granularity: WorkloadGranularity,
                               timeZone: TimeZone, blocks: [String] = []) -> [BlockWorkload] {
        let byBlock = Dictionary(grouping: records, by: \.block)
        let order = blocks + byBlock.keys.filter { !blocks.contains($0) }.sorted()
        var out: [BlockWorkload] = []
        for (start, end) in periods(from: from, to: to, granularity: granularity, timeZone: timeZone) {
            for block in order {
                let rs = byBlock[block] ?? []
                var channels: [String: Int] = [:]
                for r in rs where r.receivedAt >= start && r.receivedAt < end { channels[r.channel, default: 0] += 1 }
                let answeredHere = rs.filter { ($0.answeredAt.map { $0 >= start && $0 < end }) ?? false }
                let backlog = rs.reduce(0) { $0 + ($1.isOpen(at: end.addingTimeInterval(-0.001)) ? 1 : 0) }
                if channels.isEmpty && answeredHere.isEmpty && backlog == 0 { continue }
                let hours = answeredHere.compactMap(\.timeInWork).map { $0 / 3600 }.sorted()
                var perExecutor: [String: Int] = [:]
                for r in answeredHere { if let e = r.executor, !e.isEmpty { perExecutor[e, default: 0] += 1 } }
                let executorAnswers = perExecutor.values.reduce(0, +)
                out.append(BlockWorkload(
                    block: block, periodStart: start, periodEnd: end, incomingByChannel: channels, backlogAtEnd: backlog,
                    answered: answeredHere.count, medianHoursInWork: median(hours),
                    meanHoursInWork: hours.isEmpty ? nil : hours.reduce(0, +) / Double(hours.count),
                    activeExecutors: perExecutor.count,
                    answersPerExecutor: perExecutor.isEmpty ? nil : Double(executorAnswers) / Double(perExecutor.count)))
            }
        }
        return out
    }

    static func median(_ sorted: [Double]) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
