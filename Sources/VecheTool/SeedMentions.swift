import Contracts
import DataKit
import Foundation
import TextAnalysis
import VecheAuth
import VecheRuntime

/// Demo public posts for the media monitoring, published over JetStream (`veche.mentions.v1.<source>`) as the
/// import client — the same path a social-network monitoring system uses. Texts: real citizen appeals of the
/// Kursk "Цифровой прорыв 2022" data set (shared/data/kursk_cp2022_appeals_test.csv.gz, github:k1ck3r777/1234
/// @8c77cab, hackathon data, eval/demo use), shortened and rewritten as posts with a mention of the governor,
/// the government, a ministry or a municipality in front; plus a few short thankful posts written for the demo
/// (so the tone chart has all three tones). Over the last 7 days ~10 posts a day; in the last hour a burst of posts
/// about waste (unauthorised dumps, refuse collection) in the city of Kursk — the surge the platform turns into
/// an incident. Idempotent: each post has a fixed external id, a re-run publishes the same posts (stored once).
enum DemoMentions {
    static let sources = ["vk", "telegram", "ok"]
    static let addressees = ["Губернатор Курской области, обратите внимание!", "Правительство Курской области, помогите.",
                             "Администрация города Курска, сколько можно?", "Минстрой, ЖКХ и ТЭК, когда решите?",
                             "Комитет ЖКХ города Курска, примите меры.", "Курск, опять то же самое.", "Минтранс, ответьте людям.",
                             "Администрация Железногорского района, ждём ответа.", "В Курчатове снова.", "Губернатор, помогите!"]
    /// Written for the demo (not from a data set): thankful and neutral posts.
    static let thanks = ["Спасибо администрации города Курска: во дворе наконец отремонтировали дорогу, сделали быстро и аккуратно!",
                         "Губернатор Курской области сегодня провёл приём граждан в Железногорске, обещали разобраться с освещением.",
                         "Благодарим Комитет ЖКХ города Курска за оперативную замену труб, горячая вода снова есть. Молодцы!",
                         "Минздрав Курской области сообщил о графике работы поликлиник в праздничные дни.",
                         "Отличная новость: в Курчатове открыли новую детскую площадку, дети довольны, спасибо!",
                         "Правительство Курской области утвердило программу ремонта дорог на следующий год."]

    static func seed(nats: NatsConnection, token: String, municipalities: [AgencyV1.Municipality], dataDirectory: String,
                     now: Date = Date()) async throws -> String {
        let table = try CSVTable.load(path: dataDirectory + "/kursk_cp2022_appeals_test.csv.gz")
        let rows = table.rows.map { (TextNormalizer.stripHTML(table.value($0, "Текст Сообщения")).trimmingCharacters(in: .whitespacesAndNewlines),
                                     table.value($0, "Тематика")) }.filter { $0.0.count >= 40 }
        let waste = rows.filter { $0.1.contains("твёрдых бытовых отходов") }.map(\.0)
        let others = rows.filter { !$0.1.contains("твёрдых бытовых отходов") }.map(\.0)
        guard !waste.isEmpty, !others.isEmpty else { return "mention seeding skipped: no texts" }
        let kursk = municipalities.first { $0.name == "город Курск" } ?? municipalities.first
        var posts: [(subject: String, post: MediaV1.IncomingPost)] = []
        func post(_ i: Int, _ text: String, at: Date, territory: String, rng: inout SplitMix) {
            let source = sources[Int(rng.next(upperBound: UInt64(sources.count)))]
            var p = MediaV1.IncomingPost()
            p.source = source
            p.externalId = "demo-post-\(i)"
            p.url = "https://\(source == "telegram" ? "t.me/s/kursk_demo" : source + ".example.ru/kursk_demo")/\(i)"
            p.authorHandle = "kursk_resident_\(rng.next(upperBound: UInt64(500)))"
            p.publishedAtMs = Int64(at.timeIntervalSince1970 * 1000)
            p.text = text
            p.territoryHint = territory
            posts.append((Subjects.Mentions.subject(source: source), p))
        }
        var rng = SplitMix(seed: 12)
        // Background: 7 days, ~10 posts a day, mostly complaints with an addressee, some thanks.
        for i in 0..<70 {
            let at = now.addingTimeInterval(-Double(2 * 3600 + Int(rng.next(upperBound: UInt64(7 * 86_400 - 3 * 3600)))))
            let text: String
            if i % 7 == 3 {
                text = thanks[i / 7 % thanks.count]
            } else {
                let body = others[Int(rng.next(upperBound: UInt64(others.count)))]
                text = addressees[i % addressees.count] + " " + String(body.prefix(400))
            }
            let territory = i % 3 == 0 ? "" : (municipalities.isEmpty ? "" : municipalities[Int(rng.next(upperBound: UInt64(municipalities.count)))].oktmo)
            post(i, text, at: at, territory: territory, rng: &rng)
        }
        // The surge: 10 posts about waste in Kursk within the last 50 minutes.
        for k in 0..<10 {
            let at = now.addingTimeInterval(-Double(300 + k * 270))
            let text = ["Курск, опять свалка!", "Регоператор, когда вывезете мусор?", "Администрация города Курска, мусор не вывозят!"][k % 3]
                + " " + String(waste[(k * 7) % waste.count].prefix(400))
            post(100 + k, text, at: at, territory: kursk?.oktmo ?? "", rng: &rng)
        }
        let js = try JetStream(connection: nats)
        let messages = posts.map {
            NatsMessage(subject: $0.subject, headers: [RPCHeader.authorization: "Bearer " + token, "Nats-Msg-Id": $0.post.source + ":" + $0.post.externalId],
                        payload: $0.post.serializedBytes())
        }
        for r in await js.publish(messages, timeout: .seconds(30)) { _ = try r.get() }
        return "published \(posts.count) demo posts (10 of them a surge about waste in \(kursk?.name ?? "the region")) on \(Subjects.Mentions.wildcard)"
    }
}
