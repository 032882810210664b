import Contracts
import DataKit
import Foundation
import Testing
import VecheRuntime
import VecheTestSupport
@testable import SurveyService

struct TestFailure: Error, CustomStringConvertible { let description: String }

/// Runs SurveyService against a private nats-server + fresh PostgreSQL database.
func withSurveyService(_ body: (SurveyV1.SurveyService.Client, ServiceEnvironment) async throws -> Void) async throws {
    try await withCluster { cluster in
        let env = try await cluster.environment("survey", schema: SurveySchema.name)
        defer { env.close() }
        let built = try await SurveyServiceApp.build(env: env)
        try await withServices(built.services, logger: cluster.logger) {
            await built.host.waitUntilReady()
            try await body(SurveyV1.SurveyService.Client(transport: env.nats), env)
        }
    }
}

/// Loads `shared/data/survey/<name>` (symlinks resolved so a dev package symlinking the tests still finds it).
func surveyTable(_ name: String) throws -> CSVTable {
    let here = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().path
    guard let dir = DataFiles.sharedDataDirectory(from: here) ?? DataFiles.sharedDataDirectory(from: #filePath) else {
        throw TestFailure(description: "shared/data directory not found (set VECHE_SHARED_DATA)")
    }
    return try CSVTable.load(path: dir + "/survey/" + name)
}

/// True when `value` rounds to the number R printed (half a unit in the last printed digit).
func matchesPrinted(_ value: Double, _ printed: String) -> Bool {
    guard let p = Double(printed) else { return false }
    let decimals = printed.split(separator: ".").dropFirst().first?.count ?? 0
    return abs(value - p) <= 0.5 * pow(10, -Double(decimals)) * (1 + 1e-9)
}

/// Publishes a batch on JetStream and waits for its receipt on the receipt subject.
func publishBatch(_ env: ServiceEnvironment, _ batch: SurveyV1.ResultBatch, team: String = "team-1",
                  timeout: Duration = .seconds(20)) async throws -> SurveyV1.BatchReceipt {
    let (stream, continuation) = AsyncStream<NatsMessage>.makeStream()
    let sub = try env.nats.subscribe(subject: Subjects.SurveyBatches.receipt(batchID: batch.batchId), queue: nil) { continuation.yield($0) }
    defer { sub.unsubscribe() }
    try await env.nats.flush()
    try await env.jetStream.publish(subject: Subjects.SurveyBatches.subject(team: team), payload: batch.serializedBytes(), messageID: batch.batchId)
    let waiter = Task { () -> NatsMessage? in
        for await m in stream { return m }
        return nil
    }
    let timer = Task { try await Task.sleep(for: timeout); continuation.finish() }
    defer { timer.cancel() }
    guard let msg = await waiter.value else { throw TestFailure(description: "no receipt for batch \(batch.batchId) within \(timeout)") }
    return try SurveyV1.BatchReceipt(serializedBytes: msg.payload)
}

func numeric(_ code: String, _ value: Double) -> SurveyV1.Answer {
    SurveyV1.Answer(questionCode: code, number: value, hasNumber: true)
}

func choice(_ code: String, _ options: String...) -> SurveyV1.Answer {
    SurveyV1.Answer(questionCode: code, optionCodes: options)
}

extension CSVTable {
    func string(_ row: [String], _ column: String) -> String { value(row, column) }
    func double(_ row: [String], _ column: String) -> Double { Double(value(row, column)) ?? .nan }
}
