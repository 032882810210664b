import Contracts
import Foundation
import Testing
import VecheRuntime
import VecheTestSupport
@testable import RatingService

/// Root-cause cases and target indicators against a real nats-server and PostgreSQL (RatingService projecting
/// published appeal events; the evaluation clock pinned to NOW = 2025-06-15 18:06 Moscow time).
@Suite("Root-cause cases and target indicators (real nats-server + PostgreSQL)", .serialized)
struct RootCauseTests {
    /// Thresholds small enough to count by hand: 5 appeals of one category in one municipality, 3 of one group.
    static var settings: RatingSettings {
        var s = plainSettings
        s.rootCauses.windowDays = 90
        s.rootCauses.threshold = 5
        s.rootCauses.groupThreshold = 3
        return s
    }

    /// Heating in m1: 6 appeals in the window (4 in the last 30 days: 5, 10, 15, 20 days ago; 40 and 60 days ago by the
    /// regional ministry) and one 120 days ago (outside). Group g1 (potholes in m2): 3 appeals. Noise: heating in m2 once.
    static var snaps: [Snap] {
        var out = [5, 10, 15, 20, 40, 60, 120].enumerated().map { i, d in
            Snap(id: "h\(i)", agency: d >= 40 && d < 120 ? "ag-r" : "ag-a", email: "h\(i)@x.ru", registered: NOW - Double(d) * day,
                 deadline: NOW - Double(d) * day + 30 * day)
        }
        out += [3, 4, 50].enumerated().map { i, d in
            Snap(id: "g\(i)", agency: "ag-b", oktmo: "m2", topic: "roads", category: "roads.pits", email: "g\(i)@x.ru", group: "g1",
                 registered: NOW - Double(d) * day, deadline: NOW - Double(d) * day + 30 * day)
        }
        out.append(Snap(id: "n1", agency: "ag-b", oktmo: "m2", email: "n1@x.ru", registered: NOW - 7 * day, deadline: NOW + 23 * day))
        return out
    }

    static func code(_ body: () async throws -> Void) async -> RPCStatusCode? {
        do { try await body(); return nil } catch let e as RPCError { return e.code } catch { return .internalError }
    }

    @Test("A recurring problem opens exactly one case; edits keep a history; progress is computed against the target; wrong roles are refused")
    func recurrenceEditsProgressAndAccess() async throws {
        try await withRatingFixture { cluster, env, events in
            let built = try await RatingServiceApp.build(env: env, settings: Self.settings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let head = try await cluster.ratings(as: .user("cur-head"))
                var last: UInt64 = 0
                for s in Self.snaps { last = try await publish(events, s.event(seq: 1)) }
                try await waitFor(head, streamSequence: last)

                // Detection: heating in m1 (6 ≥ 5) and group g1 (3 ≥ 3); potholes in m2 (3 < 5) and heating in m2 (1) are not.
                let first = try await head.detectRootCauses(.init())
                #expect(first.appealsConsidered == 10)                  // 11 published, one outside the window
                #expect(first.windowDays == 90 && first.threshold == 5)
                #expect(first.opened.map(\.kind) == ["category_territory", "problem_group"])
                let heat = try #require(first.opened.first)
                #expect(heat.categoryCode == "zhkh.heat" && heat.municipalityOktmo == "m1" && heat.topicCode == "zhkh")
                #expect(heat.title == "Отопление — Город Один")
                #expect(heat.topicName == "ЖКХ")
                #expect(heat.agencyIds == ["ag-a", "ag-r"])              // 4 and 2 appeals
                #expect(heat.agencyNames == ["Администрация города Один", "Министерство ЖКХ"])
                #expect(heat.appealsAtDetection == 6 && heat.status == .open && heat.version == 1)
                #expect(heat.target?.baselineFrom == "2025-03-17" && heat.target?.baselineTo == "2025-06-14")
                #expect(heat.target?.baselineCount == 6 && heat.target?.measureDays == 30)
                // No target yet: baseline 6 appeals / 90 days × 30 = 2 per 30 days; now 4 in the last 30 days.
                #expect(heat.progress?.verdict == "no_target")
                #expect(abs((heat.progress?.baselineRate ?? 0) - 2) < 1e-9 && heat.progress?.currentCount == 4)
                let group = try #require(first.opened.last)
                #expect(group.problemGroupId == "g1" && group.topicCode == "roads" && group.agencyIds == ["ag-b"] && group.appealsAtDetection == 3)

                // Idempotent: a second pass opens nothing, the list still has two cases.
                #expect(try await head.detectRootCauses(.init()).opened.isEmpty)
                #expect(try await head.listRootCauses(.init()).cases.count == 2)

                // The head of the ЦУР sets the plan, a target date typed as ДД.ММ.ГГГГ, −50 % and takes it in work.
                let edited = try await head.updateRootCause(.init(
                    id: heat.id, expectedVersion: 1, plan: "Замена участка теплотрассы <ул. Ленина>", targetDate: "31.12.2025",
                    target: .init(reductionPercent: 50), status: .inWork, comment: "начато")).rootCause
                let e = try #require(edited)
                #expect(e.version == 2 && e.status == .inWork && e.targetDate == "2025-12-31" && e.plan == "Замена участка теплотрассы <ул. Ленина>")
                #expect(e.updatedBy == "user:cur-head")
                // Target 2 × (1 − 0.5) = 1 per 30 days; now 4: reduction (2 − 4) / 2 = −100 %, progress 0, behind the schedule.
                let p = try #require(e.progress)
                #expect(abs(p.targetRate - 1) < 1e-9 && p.currentCount == 4 && abs(p.achievedReductionPercent + 100) < 1e-9)
                #expect(p.progress == 0 && p.verdict == "behind" && p.asOf == "2025-06-15")

                // A stale form (version 1) is refused; so is a day that does not exist.
                #expect(await Self.code { _ = try await head.updateRootCause(.init(id: heat.id, expectedVersion: 1, plan: "x")) } == .failedPrecondition)
                #expect(await Self.code { _ = try await head.updateRootCause(.init(id: heat.id, targetDate: "31.02.2026")) } == .invalidArgument)

                // Wrong roles: the analyst cannot edit; the roads block cannot edit the housing block's case; the housing block can.
                let analyst = try await cluster.ratings(as: .user("analyst"))
                #expect(try await analyst.listRootCauses(.init(statuses: [.inWork])).cases.map(\.id) == [heat.id])
                #expect(await Self.code { _ = try await analyst.updateRootCause(.init(id: heat.id)) } == .permissionDenied)
                #expect(await Self.code { _ = try await analyst.detectRootCauses(.init()) } == .permissionDenied)
                let roads = try await cluster.ratings(as: .user("sector-head-roads"))
                #expect(await Self.code { _ = try await roads.updateRootCause(.init(id: heat.id, expectedVersion: 2, status: .resolved)) } == .permissionDenied)
                let housing = try await cluster.ratings(as: .user("sector-housing"))
                // New baseline: May 2025 (appeals 15, 20 and 40 days before NOW: 3) → 3 / 31 × 30 per 30 days.
                let resolved = try #require(try await housing.updateRootCause(.init(
                    id: heat.id, expectedVersion: 2, plan: e.plan, targetDate: "2025-12-31",
                    target: .init(baselineFrom: "01.05.2025", baselineTo: "31.05.2025", reductionPercent: 50, measureDays: 30),
                    status: .resolved)).rootCause)
                #expect(resolved.version == 3 && resolved.status == .resolved && resolved.target?.baselineCount == 3)
                #expect(abs((resolved.progress?.baselineRate ?? 0) - 90.0 / 31.0) < 1e-9)

                // Status moves: closed may only be reopened into work.
                _ = try await head.updateRootCause(.init(id: heat.id, expectedVersion: 3, plan: e.plan, targetDate: "2025-12-31",
                                                         target: .init(reductionPercent: 50), status: .closed))
                #expect(await Self.code { _ = try await head.updateRootCause(.init(id: heat.id, targetDate: "2025-12-31", status: .resolved)) }
                        == .failedPrecondition)

                // History: who did what, in order.
                let full = try await analyst.getRootCause(.init(id: heat.id))
                #expect(full.history.map(\.action) == ["detected", "status", "updated", "status", "updated", "status"])
                #expect(full.history[1].detail == "open → in_work" && full.history[1].actor == "user:cur-head")
                #expect(full.history[2].detail.contains("срок: 31.12.2025") && full.history[2].detail.contains("комментарий: начато"))
                #expect(full.history[3].actor == "user:sector-housing")
                #expect(await Self.code { _ = try await analyst.getRootCause(.init(id: "999")) } == .notFound)
            }
        }
    }

    @Test("Indicators: a category's KPI target is computed from the appeals, an entered one is compared as entered, shares are in %")
    func indicators() async throws {
        try await withRatingFixture { cluster, env, events in
            let built = try await RatingServiceApp.build(env: env, settings: Self.settings, now: { NOW })
            try await withServices(built.services, logger: cluster.logger) {
                await built.host.waitUntilReady()
                let curator = try await cluster.ratings(as: .user("kurator"))
                var last: UInt64 = 0
                for s in Self.snaps { last = try await publish(events, s.event(seq: 1)) }
                try await waitFor(curator, streamSequence: last)

                // Heating appeals registered in 2025 up to NOW: 7 in m1 + 1 in m2 = 8 ≤ 10 → green.
                let volume = try #require(try await curator.setIndicator(.init(indicator: .init(
                    code: "heat-volume", name: "Обращения по отоплению", unit: "шт.", categoryCode: "zhkh.heat", metric: "volume",
                    targetValue: 10, higherIsBetter: false, dueDate: "31.12.2025"))).indicator)
                #expect(volume.dueDate == "2025-12-31" && volume.hasCurrentValue && volume.currentValue == 8 && volume.status == .green)
                // Entered 62 against ≥ 75 and the due date passed → red.
                let roofs = try #require(try await curator.setIndicator(.init(indicator: .init(
                    code: "roofs", name: "Кровли МКД", unit: "%", targetValue: 75, higherIsBetter: true, dueDate: "2025-03-01",
                    enteredValue: 62, hasEnteredValue: true))).indicator)
                #expect(roofs.currentValue == 62 && roofs.status == .red)
                // A share metric is shown in percent whatever unit was typed: no repeats in 2025 → 0 % ≤ 10 → green.
                let repeats = try #require(try await curator.setIndicator(.init(indicator: .init(
                    code: "repeat", name: "Повторные", unit: "раз", metric: "repeatRate", targetValue: 10, higherIsBetter: false,
                    dueDate: "31.12.2025"))).indicator)
                #expect(repeats.unit == "%" && repeats.currentValue == 0 && repeats.status == .green)

                // Bad input is refused with the reason and changes nothing.
                for bad in [RatingV1.Indicator(code: "x", name: "x", metric: "nope", dueDate: "2025-12-31"),
                            RatingV1.Indicator(code: "x", name: "x", categoryCode: "zz.unknown", metric: "volume", dueDate: "2025-12-31"),
                            RatingV1.Indicator(code: "x", name: "x", metric: "volume", dueDate: "2025-12-31", enteredValue: 1, hasEnteredValue: true),
                            RatingV1.Indicator(code: "X Y", name: "x", dueDate: "2025-12-31"),
                            RatingV1.Indicator(code: "x", name: "x", dueDate: "")] {
                    #expect(await RootCauseTests.code { _ = try await curator.setIndicator(.init(indicator: bad)) } == .invalidArgument)
                }
                let analyst = try await cluster.ratings(as: .user("analyst"))
                #expect(await RootCauseTests.code { _ = try await analyst.setIndicator(.init(indicator: volume)) } == .permissionDenied)
                // The year's counts behind both computed indicators were counted once, for the first of them, and are kept
                // (`indicatorCounts`): listing them again — as every dashboard refresh does — counts nothing.
                let counted = built.handlers.sharedCounts.reads
                #expect(counted == 1)
                #expect(try await analyst.listIndicators(.init(year: 2025)).indicators.map(\.code) == ["roofs", "heat-volume", "repeat"])
                let listed = try await analyst.listIndicators(.init(year: 2025)).indicators
                #expect(listed.first { $0.code == "heat-volume" }?.currentValue == 8)
                #expect(built.handlers.sharedCounts.reads == counted)
                #expect(try await analyst.listIndicators(.init(year: 2024)).indicators.isEmpty)
                #expect(try await curator.deleteIndicator(.init(code: "roofs")).deleted)
                #expect(await RootCauseTests.code { _ = try await curator.deleteIndicator(.init(code: "roofs")) } == .notFound)
            }
        }
    }
}
