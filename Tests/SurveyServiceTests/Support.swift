import Contracts
import DataKit
import Foundation
import Testing
import VecheRuntime
import VecheTestSupport
@testable import AgencyService
@testable import SurveyService

struct TestFailure: Error, CustomStringConvertible { let description: String }

/// SurveyService with AgencyService (the directory that holds every grant) on one test cluster.
struct SurveyTestEnv: Sendable {
    var env: ServiceEnvironment
    var cluster: TestCluster

    func requirePool() throws -> PGPool { try env.requirePool() }

    /// Assigns the field teams `team-1` and `team-2` to `surveys` (head of the ЦУР, through AgencyService). Do it
    /// before a team first posts: a team's grants are then read fresh.
    func allowTeams(for surveys: [String]) async throws {
        let directory = try await cluster.agencies(as: .user("cur-head"))
        for survey in surveys {
            for team in TestCluster.teams {
                _ = try await directory.assignRole(.init(assignment: .init(principal: "client:veche-survey-\(team)", role: "survey_team",
                                                                             surveyId: survey, teamId: team)))
            }
        }
    }

    /// A raw message on team `team`'s batch subject, published with the team's own bus user and token.
    func publishRaw(team: String, payload: [UInt8], messageID: String) async throws {
        let (bus, js) = try await cluster.jetStream(as: BusPermissions.surveyTeam(team))
        defer { bus.close() }
        let token = try await Tokens.shared.token(.client("veche-survey-\(team)"))
        try await js.publish(subject: Subjects.SurveyBatches.subject(team: team), payload: payload, messageID: messageID,
                             headers: [RPCHeader.authorization: "Bearer " + token])
    }
}

/// Runs SurveyService (and the directory) on a private nats-server + fresh PostgreSQL database; the client is
/// the sociologist's.
func withSurveyService(_ body: (SurveyV1.SurveyService.Client, SurveyTestEnv) async throws -> Void) async throws {
    try await withCluster { cluster in
        let agencyEnv = try await cluster.environment("agency", schema: AgencySchema.name)
        let env = try await cluster.environment("survey", schema: SurveySchema.name)
        defer { env.close(); agencyEnv.close() }
        let agency = try await AgencyServiceApp.build(env: agencyEnv)
        let built = try await SurveyServiceApp.build(env: env)
        try await withServices(agency.services + built.services, logger: cluster.logger) {
            await agency.host.waitUntilReady()
            await built.host.waitUntilReady()
            try await body(try await cluster.surveys(as: .user("sociologist")), SurveyTestEnv(env: env, cluster: cluster))
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

/// A field team publishes a batch on JetStream (its bus user, its token) and waits for its receipt on its own
/// receipt subject.
func publishBatch(_ t: SurveyTestEnv, _ batch: SurveyV1.ResultBatch, team: String = "team-1",
                  timeout: Duration = .seconds(20)) async throws -> SurveyV1.BatchReceipt {
    let (bus, js) = try await t.cluster.jetStream(as: BusPermissions.surveyTeam(team))
    defer { bus.close() }
    let (stream, continuation) = AsyncStream<NatsMessage>.makeStream()
    let sub = try bus.subscribe(subject: Subjects.SurveyBatches.receipt(team: team, batchID: batch.batchId), queue: nil) { continuation.yield($0) }
    defer { sub.unsubscribe() }
    try await bus.flush()
    let token = try await Tokens.shared.token(.client("veche-survey-\(team)"))
    try await js.publish(subject: Subjects.SurveyBatches.subject(team: team), payload: batch.serializedBytes(), messageID: batch.batchId,
                         headers: [RPCHeader.authorization: "Bearer " + token])
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
