import Contracts
import Foundation
import RatingEngine
import Taxonomy
import VecheRuntime

/// Target indicators: KPI targets per problem category and the regulations' additional yearly indicators. An
/// indicator with a metric is computed from the appeals of its year (1 January up to today or its due date, its
/// category or the region; shares in percent: `RootCauseMath.indicatorScale`); one without is entered by hand.
extension RatingHandlers {
    func listIndicators(request: RatingV1.ListIndicatorsRequest, context: RPCContext) async throws -> RatingV1.ListIndicatorsResponse {
        guard request.year == 0 || (2000...2100).contains(request.year) else { throw RPCError.invalidArgument("year must be 2000–2100") }
        let filter: SQL = request.year == 0 ? "" : " WHERE extract(year FROM due_date) = \(Int(request.year))"
        let rows = try await pool.query("SELECT *, due_date::text AS due FROM indicators" + filter + " ORDER BY due_date, code").rows
        // Concurrently, so the indicators of one year share one read of its facts (`SharedFactsLoad`).
        let computed = try await withThrowingTaskGroup(of: (Int, RatingV1.Indicator).self) { group in
            for (n, r) in rows.enumerated() { group.addTask { (n, try await indicator(r)) } }
            return try await group.reduce(into: [Int: RatingV1.Indicator]()) { $0[$1.0] = $1.1 }
        }
        return .init(indicators: rows.indices.compactMap { computed[$0] })
    }

    func setIndicator(request: RatingV1.SetIndicatorRequest, context: RPCContext) async throws -> RatingV1.SetIndicatorResponse {
        let caller = try context.requirePrincipal()
        guard let i = request.indicator else { throw RPCError.invalidArgument("indicator is required") }
        var problems: [String] = []
        let code = i.code.trimmingCharacters(in: .whitespaces)
        if code.isEmpty || code.count > 64 || !code.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || "_.-".contains($0)) }) {
            problems.append("code must be 1–64 characters a-z, 0-9, _ . -")
        }
        let name = i.name.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty || name.unicodeScalars.count > 300 { problems.append("name must be 1–300 characters") }
        if i.unit.count > 20 { problems.append("unit must be at most 20 characters") }
        if i.note.count > 2000 { problems.append("note must be at most 2000 characters") }
        let category = i.categoryCode.trimmingCharacters(in: .whitespaces)
        let knownCategories = await directory.directory().categories
        if !category.isEmpty && Taxonomy.category(code: category) == nil && knownCategories[category] == nil {
            problems.append("unknown category '\(category)'")
        }
        var metric: Metric? = nil
        if !i.metric.isEmpty {
            metric = Metric(rawValue: i.metric)
            if metric == nil { problems.append("unknown metric '\(i.metric)'; metrics: \(Metric.allCases.map(\.rawValue).joined(separator: ", "))") }
            if i.hasEnteredValue { problems.append("a computed indicator (metric set) takes no entered_value") }
        } else if !category.isEmpty {
            problems.append("a category's indicator is a KPI target: set its metric")
        }
        if !i.targetValue.isFinite { problems.append("target_value must be a number") }
        if i.hasEnteredValue && !i.enteredValue.isFinite { problems.append("entered_value must be a number") }
        var due: String? = nil
        do { due = try days.parse(i.dueDate, field: "due_date") } catch let e as RPCError { problems.append(e.message) }
        if due == nil && !problems.contains(where: { $0.hasPrefix("due_date") }) { problems.append("due_date is required") }
        if !problems.isEmpty { throw RPCError.invalidArgument(problems.joined(separator: "; ")) }
        let unit = metric.map { RootCauseMath.indicatorScale($0) == 100 ? "%" : i.unit } ?? i.unit
        let entered: Double? = i.hasEnteredValue ? i.enteredValue : nil
        let audit = self.audit, metricCode = metric?.rawValue ?? "", dueDay = due
        let row = try await pool.transaction { conn -> PGRow in
            guard let row = try conn.query("""
                INSERT INTO indicators (code, name, unit, category_code, metric, target_value, higher_is_better, due_date, entered_value, note, updated_by)
                VALUES (\(code), \(name), \(unit), \(category), \(metricCode), \(i.targetValue), \(i.higherIsBetter), \(dueDay)::date,
                        \(entered), \(i.note), \(caller.actor))
                ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, unit = EXCLUDED.unit, category_code = EXCLUDED.category_code,
                    metric = EXCLUDED.metric, target_value = EXCLUDED.target_value, higher_is_better = EXCLUDED.higher_is_better,
                    due_date = EXCLUDED.due_date, entered_value = EXCLUDED.entered_value, note = EXCLUDED.note,
                    updated_by = EXCLUDED.updated_by, updated_at = now()
                RETURNING *, due_date::text AS due
                """).first else { throw RPCError.internalError("the indicator was not saved") }
            try audit.record(conn, caller, .init(action: "rating.indicator.set", target: code,
                                                 detail: "\(name): \(i.higherIsBetter ? "≥" : "≤") \(i.targetValue) \(unit) к \(dueDay ?? "")"))
            return row
        }
        return .init(indicator: try await indicator(row))
    }

    func deleteIndicator(request: RatingV1.DeleteIndicatorRequest, context: RPCContext) async throws -> RatingV1.DeleteIndicatorResponse {
        let caller = try context.requirePrincipal()
        let code = request.code, audit = self.audit
        guard !code.isEmpty else { throw RPCError.invalidArgument("code is required") }
        let deleted = try await pool.transaction { conn -> Bool in
            let gone = try conn.query("DELETE FROM indicators WHERE code = \(code) RETURNING code").first != nil
            if gone { try audit.record(conn, caller, .init(action: "rating.indicator.delete", target: code)) }
            return gone
        }
        guard deleted else { throw RPCError.notFound("indicator \(code) does not exist") }
        return .init(deleted: true)
    }

    /// The stored indicator with its current value (computed or entered) and status.
    func indicator(_ r: PGRow) async throws -> RatingV1.Indicator {
        var i = RatingV1.Indicator(
            code: r.string("code"), name: r.string("name"), unit: r.string("unit"), categoryCode: r.string("category_code"),
            metric: r.string("metric"), targetValue: r.double("target_value"), higherIsBetter: r.bool("higher_is_better"),
            dueDate: r.string("due"), enteredValue: r.double("entered_value"), hasEnteredValue: !r.isNull("entered_value"),
            note: r.string("note"), updatedBy: r.string("updated_by"), updatedAtMs: r.epochMs("updated_at"))
        let now = self.now(), days = self.days
        let duePassed = days.iso(now) > i.dueDate
        var value: Double? = i.hasEnteredValue ? i.enteredValue : nil
        if let metric = Metric(rawValue: i.metric) {
            let year = String(i.dueDate.prefix(4))
            let start = days.start(year + "-01-01"), end = min(days.end(i.dueDate), max(now, start))
            let period = RatingPeriod(label: year, start: start, end: max(end, start), asOf: max(min(now, days.end(i.dueDate)), start))
            // Repeats found among the appeals up to the due date, counted up to `end` — a bound only once the due date
            // has passed (before, it is now and nothing is registered later): the indicators of one due date then ask
            // for the same counts, per category, and share one query (`groups`).
            let scope = FactAggregates.Scope(start: start, end: max(days.end(i.dueDate), start), countBefore: duePassed ? period.end : nil)
            // As of when they were counted: at most `indicatorCountsTTL` (or ten times the counting) ago.
            let asOf = period.asOf
            let counted = try await indicatorCounts.value(scope) { try await counts(scope, asOf: asOf) }
                .groups(by: i.categoryCode.isEmpty ? nil : .category, skipEmptyKeys: false)
            let tally = i.categoryCode.isEmpty ? counted.first?.tally : counted.first { $0.key == i.categoryCode }?.tally
            let population = await directory.directory().regionPopulation
            let m = GroupMetrics(key: GroupKey(dimensions: [], values: [], period: year), tally: tally ?? GroupTally(), population: population)
            value = m.value(metric).map { $0 * RootCauseMath.indicatorScale(metric) }
        }
        if let v = value { i.currentValue = v; i.hasCurrentValue = true }
        i.status = Self.status(RootCauseMath.indicatorStatus(value: value, target: i.targetValue, higherIsBetter: i.higherIsBetter, duePassed: duePassed))
        return i
    }
}
