import ArgumentParser
import Contracts
import DataKit
import Foundation
import Logging
import VecheRuntime

/// `veche-tool import`: a legacy system's archive of appeals (JSONL objects or CSV rows with the columns below) through
/// the intake path (SubmitAppeal), each with its real receipt time (`Veche-Effective-Time-Ms`, import role), with a
/// progress line and a resumable position file. Re-running after an interruption continues at the saved position;
/// appeals already stored are recognised by (channel, external id), so nothing is duplicated.
struct ArchiveImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "import",
        abstract: "Import an archive of appeals (JSONL or CSV: external_id, channel, text, received_at, title, address, latitude, longitude, municipality_oktmo, author_name, author_email, topic_hint).")
    @Argument(help: "The archive (.jsonl or .csv, optionally .gz for CSV).") var file: String
    @Option(help: "Position file (default: <file>.position).") var position: String?
    @Option(help: "Submissions in flight at once.") var concurrency = 32

    func run() async throws {
        let config = try VecheConfig()
        VecheLogging.bootstrap(config, process: "veche-tool")
        let logger = Logger(label: "veche.import")
        let records = try ArchiveRecord.load(file)
        let (nats, rpc) = try await ToolConnection.connect(config: config, name: "veche-import", logger: logger)
        defer { nats.close() }
        let importer = ArchiveImporter(client: AppealV1.AppealService.Client(transport: rpc), concurrency: concurrency,
                                       positionFile: position ?? file + ".position")
        let started = ContinuousClock.now
        let report = try await importer.run(records) { done, total in
            let rate = Bench.rate(done, ContinuousClock.now - started)
            FileHandle.standardError.write(Data(String(format: "\rimported %d/%d (%.0f%%, %.0f/s)   ", done, total,
                                                       total > 0 ? 100 * Double(done) / Double(total) : 100, rate).utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("import: \(report.stored) stored, \(report.existing) already present, \(report.rejected.count) rejected, \(report.skipped) skipped (before the saved position)")
        for (line, reason) in report.rejected.prefix(20) { print("  record \(line): \(reason)") }
    }
}

/// One appeal of an archive and where it is in the file (1-based record number).
struct ArchiveRecord: Sendable {
    var number: Int
    var appeal: AppealV1.IncomingAppeal
    /// Set when the record cannot become an appeal (reported, never submitted).
    var problem: String?

    static func load(_ path: String) throws -> [ArchiveRecord] {
        if path.hasSuffix(".jsonl") || path.hasSuffix(".ndjson") {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { i, line in
                guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    return ArchiveRecord(number: i + 1, appeal: .init(), problem: "not a JSON object")
                }
                return parse(number: i + 1, object.mapValues { v in (v as? String) ?? (v as? NSNumber)?.stringValue ?? "" })
            }
        }
        let table = try CSVTable.load(path: path)
        return table.rows.enumerated().map { i, row in
            parse(number: i + 1, Dictionary(table.header.map { ($0, table.value(row, $0)) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    static func parse(number: Int, _ f: [String: String]) -> ArchiveRecord {
        var a = AppealV1.IncomingAppeal()
        a.externalId = f["external_id"] ?? ""
        a.text = f["text"] ?? ""
        a.title = f["title"] ?? ""
        a.address = f["address"] ?? ""
        a.municipalityOktmo = f["municipality_oktmo"] ?? ""
        a.topicHint = f["topic_hint"] ?? ""
        if let name = f["author_name"], !name.isEmpty { a.author = CommonV1.Person(fullName: name, email: f["author_email"] ?? "") }
        if let lat = f["latitude"].flatMap(Double.init), let lon = f["longitude"].flatMap(Double.init) {
            a.location = CommonV1.GeoPoint(latitude: lat, longitude: lon)
        }
        guard let channel = AppealV1.Channel(name: f["channel"] ?? "") else {
            return ArchiveRecord(number: number, appeal: a, problem: "unknown channel '\(f["channel"] ?? "")'")
        }
        a.channel = channel
        guard !a.externalId.isEmpty else { return ArchiveRecord(number: number, appeal: a, problem: "external_id is required (it makes re-imports idempotent)") }
        guard let received = receivedAt(f["received_at"] ?? "") else {
            return ArchiveRecord(number: number, appeal: a, problem: "received_at '\(f["received_at"] ?? "")' is neither epoch ms nor ISO 8601")
        }
        a.receivedAtMs = received
        return ArchiveRecord(number: number, appeal: a)
    }

    /// Epoch milliseconds or ISO 8601 (with or without fractional seconds; a zone is required).
    static func receivedAt(_ s: String) -> Int64? {
        if let ms = Int64(s), ms > 0 { return ms }
        for withFraction in [false, true] {
            let f = ISO8601DateFormatter()
            if withFraction { f.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }
            if let d = f.date(from: s) { return Int64((d.timeIntervalSince1970 * 1000).rounded()) }
        }
        return nil
    }
}

/// Submits archive records in order with bounded concurrency; the position file holds the number of leading
/// records that are done (stored, already present or rejected), written as they complete.
struct ArchiveImporter: Sendable {
    let client: AppealV1.AppealService.Client
    let concurrency: Int
    let positionFile: String

    struct Report: Sendable {
        var stored = 0, existing = 0, skipped = 0
        var rejected: [(Int, String)] = []
    }

    enum Outcome: Sendable { case stored, existing, rejected(String) }

    func savedPosition() -> Int {
        (try? String(contentsOfFile: positionFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    func save(_ position: Int) throws {
        let tmp = positionFile + ".tmp"
        try String(position).write(toFile: tmp, atomically: false, encoding: .utf8)
        _ = rename(tmp, positionFile)
    }

    func run(_ records: [ArchiveRecord], progress: @escaping (Int, Int) -> Void) async throws -> Report {
        let start = min(savedPosition(), records.count)
        var report = Report(skipped: start)
        var done = [Bool](repeating: false, count: records.count)
        var position = start
        try await withThrowingTaskGroup(of: (Int, Outcome).self) { group in
            var next = start
            func launch() {
                guard next < records.count else { return }
                let i = next
                next += 1
                group.addTask { (i, try await submit(records[i])) }
            }
            for _ in 0..<max(1, concurrency) { launch() }
            var lastSave = ContinuousClock.now
            while let (i, outcome) = try await group.next() {
                switch outcome {
                case .stored: report.stored += 1
                case .existing: report.existing += 1
                case .rejected(let reason): report.rejected.append((records[i].number, reason))
                }
                done[i] = true
                while position < records.count, done[position] { position += 1 }
                if ContinuousClock.now - lastSave > .seconds(1) {
                    try save(position)
                    progress(position, records.count)
                    lastSave = .now
                }
                launch()
            }
        }
        try save(position)
        progress(position, records.count)
        return report
    }

    /// One record: refused input is reported, not retried; an unavailable platform is retried with back-off
    /// (the position stays before this record if the import is stopped).
    private func submit(_ r: ArchiveRecord) async throws -> Outcome {
        if let problem = r.problem { return .rejected(problem) }
        let options = CallOptions(timeout: .seconds(30), metadata: [RPCHeader.effectiveTime: String(r.appeal.receivedAtMs)])
        var delay = Duration.milliseconds(500)
        while true {
            do {
                let response = try await client.submitAppeal(.init(appeal: r.appeal), options: options)
                return response.alreadyExisted ? .existing : .stored
            } catch let e as RPCError where e.code == .invalidArgument || e.code == .failedPrecondition {
                return .rejected(e.message)
            } catch let e as RPCError where e.code == .unavailable || e.code == .deadlineExceeded {
                if delay > .seconds(30) { throw e }
                try await Task.sleep(for: delay)
                delay *= 2
            }
        }
    }
}
