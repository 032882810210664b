import Contracts
import Foundation
import VecheAuth
import VecheRuntime

/// Saved queue filters: each person lists, creates, renames and deletes their own; filters shared with a sector
/// block are listed for the block's members. Another person's private filter is "not found", never revealed.
extension AgencyHandlers {
    func listSavedFilters(request: AgencyV1.ListSavedFiltersRequest, context: RPCContext) async throws -> AgencyV1.ListSavedFiltersResponse {
        let caller = try context.requirePrincipal()
        let blocks = Array(SavedFilterRules.blocks(caller)).sorted()
        let rows = try await pool.query("""
            SELECT * FROM saved_filters
            WHERE owner = \(caller.key) OR (shared_topic_code <> '' AND shared_topic_code = ANY(\(blocks)::text[]))
            ORDER BY owner <> \(caller.key), lower(name), id
            """).rows
        return .init(filters: rows.map { Self.savedFilter($0, caller: caller.key) })
    }

    func createSavedFilter(request: AgencyV1.CreateSavedFilterRequest, context: RPCContext) async throws -> AgencyV1.CreateSavedFilterResponse {
        let caller = try context.requirePrincipal()
        guard let f = request.filter else { throw RPCError.invalidArgument("filter is required") }
        let name = try SavedFilterRules.name(f.name), query = try SavedFilterRules.query(f.query)
        let topic = try SavedFilterRules.shareTopic(f.sharedTopicCode, caller: caller)
        let owner = caller.key
        let row = try await Self.uniqueName(name) {
            try await pool.transaction { conn -> PGRow in
                try conn.query("SELECT pg_advisory_xact_lock(hashtext('saved-filters:' || \(owner)))")
                let count = try conn.query("SELECT count(*) AS n FROM saved_filters WHERE owner = \(owner)").first?.int("n") ?? 0
                guard count < Int64(SavedFilterSchema.perOwnerLimit) else {
                    throw RPCError(.resourceExhausted, "you already keep \(count) filters (the limit is \(SavedFilterSchema.perOwnerLimit)); delete some first")
                }
                guard let row = try conn.query("""
                    INSERT INTO saved_filters (owner, name, query, shared_topic_code) VALUES (\(owner), \(name), \(query), \(topic)) RETURNING *
                    """).first else { throw RPCError.internalError("the filter was not stored") }
                return row
            }
        }
        return .init(filter: Self.savedFilter(row, caller: owner))
    }

    func updateSavedFilter(request: AgencyV1.UpdateSavedFilterRequest, context: RPCContext) async throws -> AgencyV1.UpdateSavedFilterResponse {
        let caller = try context.requirePrincipal()
        guard let f = request.filter else { throw RPCError.invalidArgument("filter is required") }
        let id = try Self.filterID(f.id)
        let name = try SavedFilterRules.name(f.name), query = try SavedFilterRules.query(f.query)
        let topic = try SavedFilterRules.shareTopic(f.sharedTopicCode, caller: caller)
        let row = try await Self.uniqueName(name) {
            try await pool.query("""
                UPDATE saved_filters SET name = \(name), query = \(query), shared_topic_code = \(topic), updated_at = now()
                WHERE id = \(id)::uuid AND owner = \(caller.key) RETURNING *
                """).first
        }
        guard let row else { throw RPCError.notFound("you have no saved filter \(id)") }
        return .init(filter: Self.savedFilter(row, caller: caller.key))
    }

    func deleteSavedFilter(request: AgencyV1.DeleteSavedFilterRequest, context: RPCContext) async throws -> AgencyV1.DeleteSavedFilterResponse {
        let caller = try context.requirePrincipal()
        let id = try Self.filterID(request.id)
        guard try await pool.query("DELETE FROM saved_filters WHERE id = \(id)::uuid AND owner = \(caller.key) RETURNING id").first != nil else {
            throw RPCError.notFound("you have no saved filter \(id)")
        }
        return .init(id: id)
    }

    /// A filter id is a UUID (checked here, so a malformed one is a clear 400 and not a database error).
    static func filterID(_ raw: String) throws -> String {
        let id = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard UUID(uuidString: id) != nil else { throw RPCError.invalidArgument("filter id must be a UUID, got \(raw.prefix(60).debugDescription)") }
        return id
    }

    /// Runs a write; the owner's unique name turns into a clear "already exists".
    static func uniqueName<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as PGError where e.sqlState == "23505" {
            throw RPCError.alreadyExists("you already have a filter named «\(name)»")
        }
    }

    static func savedFilter(_ r: PGRow, caller: String) -> AgencyV1.SavedFilter {
        .init(id: r.string("id"), owner: r.string("owner"), name: r.string("name"), query: r.string("query"),
              sharedTopicCode: r.string("shared_topic_code"), createdAtMs: r.epochMs("created_at"), updatedAtMs: r.epochMs("updated_at"),
              mine: r.string("owner") == caller)
    }
}
