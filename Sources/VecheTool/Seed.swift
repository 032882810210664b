import ArgumentParser
import Contracts
import DataKit
import Foundation
import Logging
import TextAnalysis
import VecheAuth
import VecheRuntime

/// Seeds a demo region's history through the public contracts (as other systems would): real appeal
/// texts from the Kursk "Цифровой прорыв 2022" data set (shared/data), spread over recent months and
/// channels, taken through the lifecycle with their historical times (Veche-Effective-Time-Ms).
struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Seed demo appeals (idempotent: re-running adds nothing).")
    @OptionGroup var data: DataOptions
    @Option(help: "How many appeals.") var count = 600
    @Option(help: "Spread over this many days before now.") var days = 95
    @Option(help: "Random seed.") var seed: UInt64 = 2026

    func run() async throws {
        let config = try VecheConfig()
        VecheLogging.bootstrap(config, process: "veche-tool")
        var logger = Logger(label: "veche.seed")
        logger.logLevel = config.logLevel
        // The seed is a demo data loader: the import bus user, its own client (roles import and sociologist).
        let (nats, rpc) = try await ToolConnection.connect(config: config, name: "veche-seed", logger: logger)
        defer { nats.close() }
        let appeals = AppealV1.AppealService.Client(transport: rpc)
        let agencies = AgencyV1.AgencyService.Client(transport: rpc)
        try await waitForService(appeals)
        // Routing needs the directory: wait for AgencyService (best effort).
        for _ in 0..<60 {
            if let m = try? await agencies.listMunicipalities(.init()), !m.municipalities.isEmpty { break }
            try await Task.sleep(for: .milliseconds(500))
        }

        let table = try CSVTable.load(path: try data.directory() + "/kursk_cp2022_appeals_test.csv.gz")
        let texts = table.rows.map { TextNormalizer.stripHTML(table.value($0, "Текст Сообщения")).trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { $0.count >= 30 && $0.count <= 3000 }
        guard !texts.isEmpty else { throw ValidationError("no texts in the data set") }
        let municipalities = (try? await agencies.listMunicipalities(.init()).municipalities) ?? []
        let now = Date()
        let channels: [(AppealV1.Channel, Double)] = [(.pos, 0.4), (.portal, 0.15), (.email, 0.12), (.social, 0.15), (.messenger, 0.1), (.letter, 0.05), (.phone, 0.03)]
        var created = 0, progressed = 0
        for i in 0..<count {
            // Each appeal draws from its own generator, so re-runs produce the same appeals whatever exists.
            var rng = SplitMix(seed: seed &* 1_000_003 &+ UInt64(i))
            let received = now.addingTimeInterval(-Double(rng.next(upperBound: UInt64(days * 86_400))))
            var inc = AppealV1.IncomingAppeal()
            inc.channel = pick(channels, &rng)
            inc.externalId = "seed-\(seed)-\(i)"
            inc.receivedAtMs = Int64(received.timeIntervalSince1970 * 1000)
            inc.text = texts[Int(rng.next(upperBound: UInt64(texts.count)))]
            inc.isPublic = inc.channel == .social
            // Formal channels carry the citizen's (demo) address: the notifications of the last days reach the local mail sink.
            if [.email, .portal, .pos].contains(inc.channel) {
                inc.author = CommonV1.Person(fullName: "Житель (демо) \(i)", email: "citizen-\(i)@demo.veche.local")
            }
            if let m = pickMunicipality(municipalities, &rng) {
                inc.municipalityOktmo = m.oktmo
                if let c = m.center, c.latitude != 0 {
                    inc.location = CommonV1.GeoPoint(latitude: c.latitude + (rng.unit() - 0.5) * 0.04, longitude: c.longitude + (rng.unit() - 0.5) * 0.06)
                }
            }
            let at = CallOptions(timeout: .seconds(10), metadata: [RPCHeader.effectiveTime: String(inc.receivedAtMs)])
            let r = try await appeals.submitAppeal(.init(appeal: inc), options: at)
            guard !r.alreadyExisted, let a = r.appeal else { continue }
            created += 1
            if try await progress(a, received: received, now: now, client: appeals, agencies: agencies, rng: &rng) { progressed += 1 }
        }
        print("seeded \(created) new appeals (\(progressed) taken through the lifecycle) from \(texts.count) real texts")
        do {
            print(try await DemoRootCauses.seed(transport: rpc, timeZone: config.timeZone))
        } catch {
            print("root-cause seeding skipped: \(error)")
        }
        do {
            var surveyRNG = SplitMix(seed: seed)
            print(try await DemoSurvey.seed(transport: rpc, municipalities: municipalities, rng: &surveyRNG))
        } catch {
            print("survey seeding skipped: \(error)")
        }
        // Public posts for the media monitoring (over JetStream, as the import client): mentions, tone, one surge.
        do {
            let token = try await ClientCredentials(endpoint: TokenEndpoint(settings: config.oidc)).token()
            print(try await DemoMentions.seed(nats: nats, token: token, municipalities: municipalities, dataDirectory: try data.directory()))
        } catch {
            print("mention seeding skipped: \(error)")
        }
    }

    func waitForService(_ client: AppealV1.AppealService.Client) async throws {
        for attempt in 0..<240 {
            do { _ = try await client.getStats(.init()); return } catch {
                if attempt == 239 { throw error }
                try await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Realistic history: most appeals answered (some late), rated, closed; a few extended or reopened.
    func progress(_ a: AppealV1.Appeal, received: Date, now: Date, client: AppealV1.AppealService.Client,
                  agencies: AgencyV1.AgencyService.Client, rng: inout SplitMix) async throws -> Bool {
        var t = received.addingTimeInterval(3600 * (1 + rng.unit() * 30))
        func opts(_ at: Date) -> CallOptions { CallOptions(timeout: .seconds(10), metadata: [RPCHeader.effectiveTime: String(Int64(at.timeIntervalSince1970 * 1000))]) }
        guard t < now else { return false }
        var current = a
        if current.agencyId.isEmpty {
            // Not routed automatically (below the model's confidence threshold: most appeals of a ПОС-like region):
            // the operators route most of them within hours, to the agency the rules name for the model's topic;
            // the rest stay in the triage queue.
            guard rng.unit() < 0.85, !current.topicCode.isEmpty else { return false }
            let route = try await agencies.route(.init(topicCode: current.topicCode, categoryCode: current.categoryCode,
                                                       municipalityOktmo: current.municipalityOktmo), options: CallOptions(timeout: .seconds(10)))
            guard let agency = route.agency, !agency.id.isEmpty else { return false }
            let routed = received.addingTimeInterval(3600 * (0.5 + rng.unit() * 6))
            guard routed < now else { return false }
            current = try await client.transition(.init(id: a.id, action: .assign, comment: "разобрано оператором", agencyId: agency.id),
                                                  options: opts(routed)).appeal ?? current
            t = max(t, routed.addingTimeInterval(3600))
            guard t < now else { return true }
        }
        if rng.unit() < 0.1 { return false }   // still waiting in the agency's queue
        current = try await client.transition(.init(id: a.id, action: .start), options: opts(t)).appeal ?? current
        let late = rng.unit() < 0.12
        var answerDays = late ? 31 + rng.unit() * 20 : 1 + rng.unit() * rng.unit() * 28
        if rng.unit() < 0.05 {
            t = t.addingTimeInterval(86_400 * 10)
            guard t < now else { return true }
            current = try await client.transition(.init(id: a.id, action: .extend, comment: "требуется выезд на место"), options: opts(t)).appeal ?? current
            answerDays += 20
        }
        let answered = received.addingTimeInterval(answerDays * 86_400)
        guard answered < now, answered > t else { return true }
        _ = try await client.answerAppeal(.init(id: a.id, answerText: "Информация принята, меры приняты. Работы выполнены.", complete: rng.unit() < 0.88), options: opts(answered))
        var last = answered
        if rng.unit() < 0.65 {
            let rated = answered.addingTimeInterval(3600 * (2 + rng.unit() * 48))
            guard rated < now else { return true }
            let score: Int32 = late ? 1 + Int32(rng.next(upperBound: UInt64(3))) : 2 + Int32(rng.next(upperBound: UInt64(4)))
            _ = try await client.rateAppeal(.init(id: a.id, satisfaction: min(5, score)), options: opts(rated))
            last = rated
        }
        let closed = last.addingTimeInterval(86_400 * (1 + rng.unit() * 3))
        guard closed < now else { return true }
        _ = try await client.transition(.init(id: a.id, action: .close), options: opts(closed))
        if rng.unit() < 0.04 {
            let reopened = closed.addingTimeInterval(86_400 * 2)
            if reopened < now { _ = try await client.transition(.init(id: a.id, action: .reopen, comment: "проблема не решена"), options: opts(reopened)) }
        }
        return true
    }

    func pick<T>(_ options: [(T, Double)], _ rng: inout SplitMix) -> T {
        var x = rng.unit() * options.reduce(0) { $0 + $1.1 }
        for (v, w) in options {
            x -= w
            if x <= 0 { return v }
        }
        return options[options.count - 1].0
    }

    func pickMunicipality(_ ms: [AgencyV1.Municipality], _ rng: inout SplitMix) -> AgencyV1.Municipality? {
        let top = ms.filter { $0.population > 0 && $0.parentOktmo.isEmpty }
        guard !top.isEmpty else { return nil }
        return pick(top.map { ($0, Double($0.population)) }, &rng)
    }
}

typealias SplitMix = SplitMix64

extension SplitMix64 {
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// How the tools connect: their own NATS user (`VECHE_NATS_USER`) and their own client credentials
/// (`VECHE_CLIENT_ID`), so what they may do is what their roles allow.
enum ToolConnection {
    static func connect(config: VecheConfig, name: String, logger: Logger) async throws -> (NatsConnection, any RPCTransport) {
        let nats = try await NatsConnection.connect(url: config.natsURL, name: name, logger: logger,
                                                    credentials: .init(user: config.natsUser, password: config.natsPassword, caFile: config.natsCAFile))
        guard !config.oidc.clientID.isEmpty else { return (nats, nats) }
        let credentials = ClientCredentials(endpoint: TokenEndpoint(settings: config.oidc))
        return (nats, CredentialedTransport(base: nats, bearer: { try await credentials.token() }))
    }
}
