import DataKit
import Foundation
import Testing
@testable import Workload

/// `WorkloadStats.compute` (one pass, binary search per record) gives exactly what the straightforward algorithm gives
/// (every period scanning every record of its block), kept here as the reference.
@Suite("WorkloadStats: the one-pass computation equals the per-period scan")
struct WorkloadStatsEquivalenceTests {
    /// The previous implementation, verbatim apart from its name.
    static func reference(_ records: [AppealRecord], from: Date, to: Date, granularity: WorkloadGranularity,
                          timeZone: TimeZone, blocks: [String] = []) -> [BlockWorkload] {
        let byBlock = Dictionary(grouping: records, by: \.block)
        let order = blocks + byBlock.keys.filter { !blocks.contains($0) }.sorted()
        var out: [BlockWorkload] = []
        for (start, end) in WorkloadStats.periods(from: from, to: to, granularity: granularity, timeZone: timeZone) {
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
                    answered: answeredHere.count, medianHoursInWork: WorkloadStats.median(hours),
                    meanHoursInWork: hours.isEmpty ? nil : hours.reduce(0, +) / Double(hours.count),
                    activeExecutors: perExecutor.count,
                    answersPerExecutor: perExecutor.isEmpty ? nil : Double(executorAnswers) / Double(perExecutor.count)))
            }
        }
        return out
    }

    static func firstDifference(_ a: [BlockWorkload], _ b: [BlockWorkload]) -> String {
        guard let i = a.indices.first(where: { $0 < b.count && a[$0] != b[$0] }) else { return "\(min(a.count, b.count)) (counts \(a.count), \(b.count))" }
        return "\(i): \(a[i]) vs \(b[i])"
    }

    @Test("Synthetic records with every edge (times on period boundaries and 1 ms before them, answers before receipt, closing without an answer, records outside the range), weeks and months")
    func syntheticRecordsWithEveryEdge() {
        let moscow = TimeZone(identifier: "Europe/Moscow")!
        let from = Date(timeIntervalSince1970: 1_767_225_600)        // 2026-01-01T00:00Z
        let to = from.addingTimeInterval(200 * 86_400)
        let edges = WorkloadStats.periods(from: from, to: to, granularity: .week, timeZone: moscow).flatMap { [$0.0, $0.1] }
            + WorkloadStats.periods(from: from, to: to, granularity: .month, timeZone: moscow).flatMap { [$0.0, $0.1] }
        var seed: UInt64 = 0x5EED
        func next() -> UInt64 { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return seed >> 11 }
        func instant() -> Date {
            switch next() % 4 {
            case 0: return edges[Int(next() % UInt64(edges.count))]
            case 1: return edges[Int(next() % UInt64(edges.count))].addingTimeInterval(-0.001)
            default: return from.addingTimeInterval(Double(next() % UInt64(260 * 86_400)) - 30 * 86_400)
            }
        }
        var records: [AppealRecord] = []
        for i in 0..<5_000 {
            let received = instant()
            let answered: Date? = next() % 3 == 0 ? nil : (next() % 10 == 0 ? received.addingTimeInterval(-3_600) : max(received, instant()))
            let closed: Date? = next() % 4 == 0 ? instant() : nil
            let taken: Date? = next() % 2 == 0 ? received.addingTimeInterval(Double(next() % 86_400)) : nil
            let executor: String? = [nil, "", "ivanov", "petrova", "agency-1"][Int(next() % 5)]
            records.append(AppealRecord(id: "r\(i)", block: ["housing", "roads", "waste", "other"][Int(next() % 4)],
                                        channel: ["pos", "portal", "social"][Int(next() % 3)], receivedAt: received, takenAt: taken,
                                        answeredAt: answered, closedAt: closed, executor: executor))
        }
        for granularity in [WorkloadGranularity.week, .month] {
            for blocks in [[], ["roads", "education"]] {
                let fast = WorkloadStats.compute(records, from: from, to: to, granularity: granularity, timeZone: moscow, blocks: blocks)
                let slow = Self.reference(records, from: from, to: to, granularity: granularity, timeZone: moscow, blocks: blocks)
                let same = fast == slow   // not printed whole when they differ: the first differing row is
                #expect(same, "\(granularity) \(blocks): first difference at row \(Self.firstDifference(fast, slow))")
                #expect(fast.count > 20)
            }
        }
    }

    @Test("The St Petersburg appeals of ../shared/data by week and by month")
    func realAppeals() throws {
        guard let dir = DataFiles.sharedDataDirectory(from: #filePath) ?? (FileManager.default.fileExists(atPath: "/work/shared/data") ? "/work/shared/data" : nil) else {
            Issue.record("../shared/data not found")
            return
        }
        let rows = try SPbAppeals.load(dataDirectory: dir)
        let records = SPbAppeals.records(rows) { ($0.id.utf8.last ?? 0) % 2 == 0 ? "housing" : "roads" }
        let moscow = TimeZone(identifier: "Europe/Moscow")!
        let from = records.map(\.receivedAt).min()!, to = records.map(\.receivedAt).max()!
        for granularity in [WorkloadGranularity.week, .month] {
            let fast = WorkloadStats.compute(records, from: from, to: to, granularity: granularity, timeZone: moscow)
            let slow = Self.reference(records, from: from, to: to, granularity: granularity, timeZone: moscow)
            let same = fast == slow
            #expect(same, "\(granularity): first difference at row \(Self.firstDifference(fast, slow))")
            #expect(!fast.isEmpty)
        }
    }
}
