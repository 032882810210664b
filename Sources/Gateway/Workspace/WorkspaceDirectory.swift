import Contracts
import Foundation
import Taxonomy

/// The directory the workspace labels things with (topics and categories, agencies, municipalities), read as
/// the gateway itself and kept for a minute: names change rarely and every page needs them.
struct WorkspaceDirectory: Sendable {
    var topics: [AgencyV1.Topic] = []
    var agencies: [AgencyV1.Agency] = []
    var municipalities: [AgencyV1.Municipality] = []

    func topicName(_ code: String) -> String {
        code.isEmpty ? "не определена" : topics.first { $0.code == code }?.name ?? code
    }

    func categoryName(_ topic: String, _ code: String) -> String {
        guard !code.isEmpty else { return "без категории" }
        return topics.first { $0.code == topic }?.categories.first { $0.code == code }?.name ?? code
    }

    func agencyName(_ id: String) -> String {
        id.isEmpty ? "не назначен" : agencies.first { $0.id == id }.map { $0.shortName.isEmpty ? $0.name : $0.shortName } ?? id
    }

    func municipalityName(_ oktmo: String) -> String {
        oktmo.isEmpty ? "не определена" : municipalities.first { $0.oktmo == oktmo }?.name ?? oktmo
    }

    static func flagName(_ raw: String) -> String { MonitoringFlag(rawValue: raw)?.nameRu ?? raw }

    func agencyChoices(_ selected: String, among ids: [String]? = nil) -> [Choice] {
        let list = ids.map { wanted in agencies.filter { wanted.contains($0.id) } } ?? agencies.filter(\.active)
        return list.sorted { $0.name < $1.name }.map { Choice(value: $0.id, label: $0.name, selected: $0.id == selected) }
    }
}

/// Keeps the directory for `ttl` seconds.
actor WorkspaceDirectoryCache {
    private var value: (WorkspaceDirectory, Date)?
    let ttl: TimeInterval = 60

    func get(_ load: @Sendable () async throws -> WorkspaceDirectory) async throws -> WorkspaceDirectory {
        if let (d, at) = value, Date().timeIntervalSince(at) < ttl { return d }
        let d = try await load()
        value = (d, Date())
        return d
    }
}
