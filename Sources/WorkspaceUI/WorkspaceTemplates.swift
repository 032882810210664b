import Foundation
import Mustache

/// The workspace's mustache templates (`Templates/*.mustache`) and static files (`Static/`), shipped as
/// resources of this module and loaded once. Templates escape every `{{value}}` as HTML; partials are
/// referenced by file name (`{{> head}}`).
public struct WorkspaceTemplates: Sendable {
    /// A static file with its media type.
    public struct Asset: Sendable {
        public var bytes: [UInt8]
        public var contentType: String
    }

    let library: MustacheLibrary
    let assets: [String: Asset]

    /// Media types of the static files the workspace ships.
    static let types = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8", "json": "application/json; charset=utf-8"]

    /// Loads every template and static file from the module's resources (fails loudly at start-up when one
    /// is missing or does not parse).
    public init() throws {
        guard let base = Bundle.module.resourceURL else { throw WorkspaceError.missingResources("resource bundle of WorkspaceUI") }
        let fm = FileManager.default
        var library = MustacheLibrary()
        let templates = base.appendingPathComponent("Templates")
        for name in try fm.contentsOfDirectory(atPath: templates.path) where name.hasSuffix(".mustache") {
            let text = try String(contentsOf: templates.appendingPathComponent(name), encoding: .utf8)
            try library.register(text, named: String(name.dropLast(".mustache".count)))
        }
        var assets: [String: Asset] = [:]
        let statics = base.appendingPathComponent("Static")
        for name in try fm.contentsOfDirectory(atPath: statics.path) {
            guard let type = Self.types[(name as NSString).pathExtension] else { continue }
            let data = try Data(contentsOf: statics.appendingPathComponent(name))
            assets[name] = Asset(bytes: Array(data), contentType: type)
        }
        self.library = library
        self.assets = assets
    }

    /// Renders `template` with `model` (a struct rendered through reflection).
    public func render(_ template: String, _ model: Any) throws -> String {
        guard let html = library.render(model, withTemplate: template) else { throw WorkspaceError.missingResources("template \(template)") }
        return html
    }

    /// A static file by name (`ws.css`, `ws.js`), nil when there is none.
    public func asset(_ name: String) -> Asset? { assets[name] }
}

/// The workspace could not load what it ships.
public enum WorkspaceError: Error, CustomStringConvertible {
    case missingResources(String)

    public var description: String {
        switch self {
        case .missingResources(let what): return "workspace resources missing: \(what)"
        }
    }
}
