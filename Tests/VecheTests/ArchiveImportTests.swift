import Contracts
import Foundation
import Testing
import VecheRuntime
import VecheTestSupport
@testable import AppealService
@testable import VecheTool

@Suite("veche-tool import (real platform)", .serialized)
struct ArchiveImportTests {
    /// A JSONL archive goes through SubmitAppeal with each appeal's real receipt time (the appeal is received and
    /// registered at that time); a record with an unknown channel is reported, not submitted; re-running from an
    /// older saved position (an interruption between submitting and saving) skips what precedes it and adds no
    /// duplicates, and the position ends at the end of the archive.
    @Test func importsAnArchiveWithRealTimesAndResumesWithoutDuplicates() async throws {
        try await withPlatform { platform in
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("veche-import-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let base: Int64 = 1_760_000_000_000   // 2025-10-09
            var lines: [String] = []
            for i in 0..<24 {
                let object: [String: Any] = ["external_id": "legacy-\(i)", "channel": i % 2 == 0 ? "letter" : "email",
                                             "text": "Прошу отремонтировать освещение во дворе дома \(i)", "received_at": String(base + Int64(i) * 3_600_000)]
                lines.append(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
            }
            lines.insert(#"{"external_id":"legacy-bad","channel":"pigeon","text":"x","received_at":"2025-10-09T10:00:00Z"}"#, at: 5)
            let file = dir.appendingPathComponent("archive.jsonl").path
            try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
            let records = try ArchiveRecord.load(file)
            #expect(records.count == 25)
            let tool = ArchiveImporter(client: try await platform.cluster.appeals(as: importer), concurrency: 4, positionFile: file + ".position")

            let first = try await tool.run(records) { _, _ in }
            #expect(first.stored == 24 && first.existing == 0 && first.skipped == 0)
            #expect(first.rejected.map { $0.0 } == [6] && first.rejected.first?.1.contains("unknown channel") == true)
            #expect(tool.savedPosition() == 25)

            let pool = try #require(platform.envs["appeal"]).requirePool()
            let times = try await pool.query("""
                SELECT external_id, (extract(epoch FROM received_at) * 1000)::bigint AS r, (extract(epoch FROM registered_at) * 1000)::bigint AS g
                FROM appeal.appeals WHERE external_id LIKE 'legacy-%'
                """).rows
            #expect(times.count == 24)
            for t in times {
                let i = Int64(t.string("external_id").dropFirst("legacy-".count)) ?? -1
                #expect(t.int("r") == base + i * 3_600_000)
                #expect(t.int("g") == base + i * 3_600_000)   // registered at the archive's time, not today
            }

            try tool.save(10)
            let resumed = try await tool.run(records) { _, _ in }
            #expect(resumed.skipped == 10 && resumed.stored == 0 && resumed.existing == 15)
            #expect(tool.savedPosition() == 25)
            #expect(try await pool.query("SELECT count(*) AS n FROM appeal.appeals WHERE external_id LIKE 'legacy-%'").first?.int("n") == 24)
        }
    }
}
