#!/usr/bin/env python3
"""Generates the contract code from proto/**/*.proto.

* Sources/Proto: protoc-c output (C structs, pack/unpack) plus an umbrella header.
* Sources/Contracts/Generated: Swift value types (Sendable, Hashable, Codable) bridging to the
  protobuf-c structs, enums, and per-service namespaces (Method.X.Input/Output, Handler, Client);
  ContractRegistry.swift lists every message type (the fuzz targets iterate it).

Usage: scripts/gen_contracts.py            (rewrites the generated files)
       scripts/gen_contracts.py --check    (exit 1 if committed files are stale)
Needs protoc, protoc-c and the Python protobuf package (descriptor_pb2 only).
"""
import os, subprocess, sys, tempfile, filecmp, shutil, re
from google.protobuf import descriptor_pb2 as d

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO_DIR = os.path.join(ROOT, "proto")
C_OUT = os.path.join(ROOT, "Sources", "Proto")
SWIFT_OUT = os.path.join(ROOT, "Sources", "Contracts", "Generated")

F = d.FieldDescriptorProto
SWIFT_KEYWORDS = {"default", "protocol", "extension", "internal", "public", "private", "operator", "repeat",
                  "return", "self", "Self", "static", "struct", "subscript", "super", "switch", "throw", "throws",
                  "true", "try", "var", "where", "while", "class", "case", "catch", "continue", "defer", "deinit",
                  "do", "else", "enum", "fallthrough", "false", "for", "func", "guard", "if", "import", "in", "init",
                  "inout", "is", "let", "nil", "rethrows", "associatedtype", "break", "as", "Type", "any", "some"}


def camel_to_lower(name):
    out = ""
    for i, ch in enumerate(name):
        if ch.isupper():
            if i != 0:
                out += "_"
            out += ch.lower()
        else:
            out += ch
    return out


def lower_camel(snake):
    parts = snake.split("_")
    s = parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])
    return f"`{s}`" if s in SWIFT_KEYWORDS else s


def upper_camel(snake):
    return "".join(p[:1].upper() + p[1:] for p in snake.lower().split("_"))


def swift_namespace(package):
    # veche.appeal.v1 -> AppealV1
    parts = package.split(".")[1:]
    return "".join(p[:1].upper() + p[1:] for p in parts)


def c_type(package, name):
    return "__".join(p[:1].upper() + p[1:] for p in package.split(".")) + "__" + name


def c_func(package, name):
    return "__".join(package.split(".")) + "__" + camel_to_lower(name)


class Registry:
    def __init__(self, files):
        self.types = {}  # ".pkg.Name" -> (kind, package, name)
        for f in files:
            for m in f.message_type:
                self.types["." + f.package + "." + m.name] = ("message", f.package, m.name)
            for e in f.enum_type:
                self.types["." + f.package + "." + e.name] = ("enum", f.package, e.name)

    def swift(self, full):
        kind, pkg, name = self.types[full]
        return swift_namespace(pkg) + "." + name

    def ctype(self, full):
        kind, pkg, name = self.types[full]
        return c_type(pkg, name)


SCALARS = {
    F.TYPE_STRING: ("String", '""'), F.TYPE_BYTES: ("[UInt8]", "[]"), F.TYPE_BOOL: ("Bool", "false"),
    F.TYPE_INT32: ("Int32", "0"), F.TYPE_SINT32: ("Int32", "0"), F.TYPE_SFIXED32: ("Int32", "0"),
    F.TYPE_INT64: ("Int64", "0"), F.TYPE_SINT64: ("Int64", "0"), F.TYPE_SFIXED64: ("Int64", "0"),
    F.TYPE_UINT32: ("UInt32", "0"), F.TYPE_FIXED32: ("UInt32", "0"),
    F.TYPE_UINT64: ("UInt64", "0"), F.TYPE_FIXED64: ("UInt64", "0"),
    F.TYPE_DOUBLE: ("Double", "0"), F.TYPE_FLOAT: ("Float", "0"),
}


def field_info(reg, f):
    repeated = f.label == F.LABEL_REPEATED
    if f.type == F.TYPE_MESSAGE:
        base, default = reg.swift(f.type_name), "nil"
        kind = "message"
    elif f.type == F.TYPE_ENUM:
        base = reg.swift(f.type_name)
        default = "." + "unspecified"  # replaced below with first case
        kind = "enum"
    else:
        base, default = SCALARS[f.type]
        kind = {F.TYPE_STRING: "string", F.TYPE_BYTES: "bytes", F.TYPE_BOOL: "bool"}.get(f.type, "number")
    if repeated:
        return kind, True, f"[{base}]", "[]", base
    if kind == "message":
        return kind, False, base + "?", "nil", base
    return kind, False, base, default, base


def enum_cases(e):
    prefix = camel_to_lower(e.name).upper() + "_"
    cases = []
    for v in e.value:
        n = v.name[len(prefix):] if v.name.startswith(prefix) else v.name
        cases.append((lower_camel(n.lower()).strip("`"), n.lower(), v.number))
    return cases


def gen_enum(ns, e, out):
    cases = enum_cases(e)
    first = cases[0][0]
    out.append(f"extension {ns} {{")
    out.append(f"    public enum {e.name}: Int32, ProtoEnum {{")
    for sw, _, num in cases:
        name = f"`{sw}`" if sw in SWIFT_KEYWORDS else sw
        out.append(f"        case {name} = {num}")
    out.append("")
    out.append(f"        public static let defaultValue: {e.name} = .{first}")
    out.append("        public var name: String {")
    out.append("            switch self {")
    for sw, js, _ in cases:
        name = f"`{sw}`" if sw in SWIFT_KEYWORDS else sw
        out.append(f'            case .{name}: return "{js}"')
    out.append("            }")
    out.append("        }")
    out.append("    }")
    out.append("}")
    out.append("")


def json_writer(out, signature, fields, line_of):
    """A JSON writer function: one line per field, keys in sorted order (JSONEncoder's .sortedKeys)."""
    out.append(f"    {signature} {{")
    out.append("        w.open()")
    if fields:
        out.append("        var first = true")
    for fld in sorted(fields, key=lambda x: x[6].strip('`').encode()):
        out.append("        " + line_of(fld, fld[6].strip('`')))
    out.append("        w.close()")
    out.append("    }")


def swift_json_value(kind, base, v):
    """Writes the Swift value `v` of a field (or of one element of a repeated field)."""
    if kind == "message":
        return f"try {v}.writeJSON(to: &w)"
    if kind == "string":
        return f"w.string({v})"
    if kind == "enum":
        return f"w.string({v}.name)"
    if kind == "bool":
        return f"w.bool({v})"
    if base in ("Double", "Float"):
        return f"try w.floating({v})"
    return f"w.integer({v})"


def swift_json_line(fld, key):
    """Writes a field of the Swift value."""
    f, kind, rep, stype, default, base, sw = fld
    if rep:
        one = swift_json_value(kind, base, "v")
        t = "try " if one.startswith("try ") else ""
        return f'w.key("{key}", &first); {t}w.array(self.{sw}) {{ w, v in {one} }}'
    if stype.endswith("?"):
        return f'if let v = self.{sw} {{ w.key("{key}", &first); {swift_json_value(kind, base, "v")} }}'
    return f'w.key("{key}", &first); {swift_json_value(kind, base, "self." + sw)}'


def c_json_value(m, f, kind, base, v):
    """Writes the C value `v` of a field of an unpacked protobuf-c struct (or of one element of a repeated field):
    the same bytes as swift_json_value gives for the value init(c:) makes of it."""
    if kind == "message":  # an element of a repeated field; a missing one decodes as the empty message
        return f"if let {v} {{ try {base}.writeJSON(c: {v}.pointee, to: &w) }} else {{ try {base}().writeJSON(to: &w) }}"
    if kind == "string":
        return f"w.cString({v})"
    if kind == "enum":
        return f"w.string({base}(protoRawValue: Int32(truncatingIfNeeded: {v}.rawValue)).name)"
    if kind == "bool":
        return f"w.bool({v} != 0)"
    if kind == "bytes":
        raise SystemExit(f"{m.name}.{f.name}: bytes fields have no JSON form in the contracts yet")
    if base in ("Double", "Float"):
        return f"try w.floating({v})"
    return f"w.integer({v})"


def c_json_line(m, fld, key):
    """Writes a field of the unpacked C struct `c`, the same bytes as swift_json_line gives for its decoded value."""
    f, kind, rep, stype, default, base, sw = fld
    cf = f.name
    if rep:
        one = c_json_value(m, f, kind, base, "v")
        t = "try " if "try " in one else ""
        return f'w.key("{key}", &first); {t}w.cArray(c.{cf}, c.n_{cf}) {{ w, v in {one} }}'
    if kind == "message":
        return f'if let v = c.{cf} {{ w.key("{key}", &first); try {base}.writeJSON(c: v.pointee, to: &w) }}'
    return f'w.key("{key}", &first); {c_json_value(m, f, kind, base, "c." + cf)}'


def gen_message(reg, pkg, m, out):
    ns = swift_namespace(pkg)
    ctype = c_type(pkg, m.name)
    cfunc = c_func(pkg, m.name)
    fields = []
    for f in m.field:
        kind, rep, stype, default, base = field_info(reg, f)
        if kind == "enum" and not rep:
            full = f.type_name
            en = None
            for fd in ALL_FILES:
                for e in fd.enum_type:
                    if "." + fd.package + "." + e.name == full:
                        en = e
            default = "." + enum_cases(en)[0][0]
        fields.append((f, kind, rep, stype, default, base, lower_camel(f.name)))
    out.append(f"extension {ns} {{")
    out.append(f"    public struct {m.name}: ProtoMessage {{")
    out.append(f'        public static let protoName = "{pkg}.{m.name}"')
    for f, kind, rep, stype, default, base, sw in fields:
        out.append(f"        public var {sw}: {stype} = {default}")
    # memberwise init with defaults
    out.append("        public init() {}")
    if fields:
        params = ", ".join(f"{sw}: {stype} = {default}" for f, kind, rep, stype, default, base, sw in fields)
        out.append(f"        public init({params}) {{")
        for f, kind, rep, stype, default, base, sw in fields:
            out.append(f"            self.{sw} = {sw}")
        out.append("        }")
    # Codable
    out.append("        enum CodingKeys: String, CodingKey {")
    for f, kind, rep, stype, default, base, sw in fields:
        out.append(f"            case {sw}")
    if not fields:
        out.append("            case _none")
    out.append("        }")
    out.append("        public init(from decoder: any Decoder) throws {")
    if fields:
        out.append("            let c = try decoder.container(keyedBy: CodingKeys.self)")
        for f, kind, rep, stype, default, base, sw in fields:
            t = stype[:-1] if stype.endswith("?") else stype
            key = sw.strip('`')
            if kind == "string":
                fn = "decodeProtoStrings" if rep else "decodeProtoString"
                out.append(f"            self.{sw} = try c.{fn}(forKey: .{key}) ?? {default}")
            else:
                out.append(f"            self.{sw} = try c.decodeIfPresent({t}.self, forKey: .{key}) ?? {default}")
    out.append("        }")
    out.append("        public func encode(to encoder: any Encoder) throws {")
    if fields:
        out.append("            var c = encoder.container(keyedBy: CodingKeys.self)")
        for f, kind, rep, stype, default, base, sw in fields:
            if stype.endswith("?"):
                out.append(f"            try c.encodeIfPresent(self.{sw}, forKey: .{sw.strip('`')})")
            else:
                out.append(f"            try c.encode(self.{sw}, forKey: .{sw.strip('`')})")
    out.append("        }")
    out.append("    }")
    out.append("}")
    out.append("")
    # Direct JSON: the bytes of JSONEncoder with .sortedKeys and .withoutEscapingSlashes, keys in sorted order here.
    out.append(f"extension {ns}.{m.name}: ProtoJSONWritable {{")
    json_writer(out, "public func writeJSON(to w: inout ProtoJSONWriter) throws", fields, swift_json_line)
    out.append("}")
    out.append("")
    # C bridge
    out.append(f"extension {ns}.{m.name}: CMessageBridge {{")
    out.append(f"    public typealias CType = {ctype}")
    out.append(f"    public static func cInit(_ p: UnsafeMutablePointer<CType>) {{ {cfunc}__init(p) }}")
    out.append(f"    public static func cPackedSize(_ p: UnsafePointer<CType>) -> Int {{ {cfunc}__get_packed_size(p) }}")
    out.append(f"    public static func cPack(_ p: UnsafePointer<CType>, _ out: UnsafeMutablePointer<UInt8>) -> Int {{ {cfunc}__pack(p, out) }}")
    out.append(f"    public static func cUnpack(_ len: Int, _ data: UnsafePointer<UInt8>?) -> UnsafeMutablePointer<CType>? {{ {cfunc}__unpack(nil, len, data) }}")
    out.append(f"    public static func cFree(_ p: UnsafeMutablePointer<CType>) {{ {cfunc}__free_unpacked(p, nil) }}")
    out.append("    public init(c: CType) {")
    out.append("        self.init()")
    for f, kind, rep, stype, default, base, sw in fields:
        cf = f.name
        if rep:
            if kind == "string":
                conv = "{ CBridge.string($0) }"
            elif kind == "bytes":
                conv = "{ CBridge.bytes($0) }"
            elif kind == "bool":
                conv = "{ $0 != 0 }"
            elif kind == "enum":
                conv = f"{{ {base}(protoRawValue: Int32(truncatingIfNeeded: $0.rawValue)) }}"
            elif kind == "message":
                conv = f"{{ $0.map {{ {base}(c: $0.pointee) }} ?? {base}() }}"
            else:
                conv = "{ $0 }"
            out.append(f"        self.{sw} = CBridge.array(c.{cf}, c.n_{cf}) {conv}")
        else:
            if kind == "string":
                out.append(f"        self.{sw} = CBridge.string(c.{cf})")
            elif kind == "bytes":
                out.append(f"        self.{sw} = CBridge.bytes(c.{cf})")
            elif kind == "bool":
                out.append(f"        self.{sw} = c.{cf} != 0")
            elif kind == "enum":
                out.append(f"        self.{sw} = {base}(protoRawValue: Int32(truncatingIfNeeded: c.{cf}.rawValue))")
            elif kind == "message":
                out.append(f"        self.{sw} = c.{cf}.map {{ {base}(c: $0.pointee) }}")
            else:
                out.append(f"        self.{sw} = c.{cf}")
    out.append("    }")
    # Direct JSON of an unpacked C message (the gateway's replies): the same bytes as writeJSON of the decoded
    # value, read from the C struct without making Swift values.
    json_writer(out, "public static func writeJSON(c: CType, to w: inout ProtoJSONWriter) throws", fields,
                lambda fld, key: c_json_line(m, fld, key))
    out.append("    public func fill(_ p: UnsafeMutablePointer<CType>, arena: CArena) {")
    for f, kind, rep, stype, default, base, sw in fields:
        cf = f.name
        if rep:
            out.append(f"        p.pointee.n_{cf} = {sw}.count")
            if kind == "string":
                out.append(f"        p.pointee.{cf} = arena.strings({sw})")
            elif kind == "bytes":
                out.append(f"        p.pointee.{cf} = arena.array({sw}.map {{ arena.binary($0) }})")
            elif kind == "bool":
                out.append(f"        p.pointee.{cf} = arena.array({sw}.map {{ $0 ? 1 : 0 }})")
            elif kind == "enum":
                ct = reg.ctype(f.type_name)
                out.append(f"        p.pointee.{cf} = arena.array({sw}.map {{ {ct}(rawValue: .init(truncatingIfNeeded: $0.rawValue)) }})")
            elif kind == "message":
                out.append(f"        p.pointee.{cf} = arena.messages({sw})")
            else:
                out.append(f"        p.pointee.{cf} = arena.array({sw})")
        else:
            if kind == "string":
                out.append(f"        p.pointee.{cf} = arena.string({sw})")
            elif kind == "bytes":
                out.append(f"        p.pointee.{cf} = arena.binary({sw})")
            elif kind == "bool":
                out.append(f"        p.pointee.{cf} = {sw} ? 1 : 0")
            elif kind == "enum":
                ct = reg.ctype(f.type_name)
                out.append(f"        p.pointee.{cf} = {ct}(rawValue: .init(truncatingIfNeeded: {sw}.rawValue))")
            elif kind == "message":
                out.append(f"        if let v = {sw} {{ p.pointee.{cf} = arena.message(v) }}")
            else:
                out.append(f"        p.pointee.{cf} = {sw}")
    out.append("    }")
    out.append("}")
    out.append("")


def idempotency_level(m):
    """The method's `option idempotency_level` (reads are declared NO_SIDE_EFFECTS in the .proto)."""
    level = m.options.idempotency_level if m.HasField("options") else 0
    return {d.MethodOptions.NO_SIDE_EFFECTS: "noSideEffects", d.MethodOptions.IDEMPOTENT: "idempotent"}.get(level, "mutating")


def gen_service(pkg, s, out):
    ns = swift_namespace(pkg)
    out.append(f"extension {ns} {{")
    out.append(f"    /// Service `{pkg}.{s.name}`: one NATS subject per method, ADR-32 discovery name `{s.name}`.")
    out.append(f"    public enum {s.name}: RPCServiceDescriptor {{")
    out.append(f'        public static let name = "{s.name}"')
    out.append(f'        public static let fullName = "{pkg}.{s.name}"')
    out.append(f'        public static let subjectPrefix = "{pkg}"')
    names = ", ".join(f'"{m.name}"' for m in s.method)
    out.append(f"        public static let methodNames = [{names}]")
    out.append("        public enum Method {")
    for m in s.method:
        out.append(f"            public enum {m.name}: RPCMethod {{")
        out.append(f"                public typealias Service = {s.name}")
        out.append(f"                public typealias Input = {REG.swift(m.input_type)}")
        out.append(f"                public typealias Output = {REG.swift(m.output_type)}")
        out.append(f'                public static let name = "{m.name}"')
        out.append(f"                public static let idempotencyLevel = RPCIdempotencyLevel.{idempotency_level(m)}")
        out.append("            }")
    out.append("        }")
    out.append("        /// Implemented by the service; `endpoints` adapts it to the runtime.")
    out.append("        public protocol Handler: Sendable {")
    for m in s.method:
        fn = m.name[:1].lower() + m.name[1:]
        out.append(f"            func {fn}(request: Method.{m.name}.Input, context: RPCContext) async throws -> Method.{m.name}.Output")
    out.append("        }")
    out.append("        /// Typed client over any transport (NATS request/reply in production).")
    out.append("        public struct Client: Sendable {")
    out.append("            public let transport: any RPCTransport")
    out.append("            public init(transport: any RPCTransport) { self.transport = transport }")
    for m in s.method:
        fn = m.name[:1].lower() + m.name[1:]
        out.append(f"            public func {fn}(_ request: Method.{m.name}.Input, options: CallOptions = CallOptions()) async throws -> Method.{m.name}.Output {{")
        out.append(f"                try await transport.unary(Method.{m.name}.self, request, options: options)")
        out.append("            }")
    out.append("        }")
    out.append("    }")
    out.append("}")
    out.append("")
    out.append(f"extension {ns}.{s.name}.Handler {{")
    out.append("    public var endpoints: [RPCEndpoint] {")
    out.append("        [")
    for m in s.method:
        fn = m.name[:1].lower() + m.name[1:]
        out.append(f"            RPCEndpoint({ns}.{s.name}.Method.{m.name}.self) {{ try await self.{fn}(request: $0, context: $1) }},")
    out.append("        ]")
    out.append("    }")
    out.append("}")
    out.append("")


def gen_registry(files):
    names = sorted((f.package + "." + m.name, swift_namespace(f.package) + "." + m.name)
                   for f in files for m in f.message_type)
    out = ["// Generated by scripts/gen_contracts.py from proto/**/*.proto. Do not edit.", "",
           "/// Every message type of every proto in proto/, sorted by full name: tooling that must cover all",
           "/// of them (the fuzz targets, conformance checks) iterates this list, so a new message is covered",
           "/// as soon as `scripts/veche gen` runs.",
           "public enum ContractRegistry {",
           "    public static let messages: [any ProtoMessage.Type] = ["]
    out += [f"        {swift}.self," for _, swift in names]
    out += ["    ]", "}"]
    return "\n".join(out) + "\n"


def main():
    check = "--check" in sys.argv
    protos = sorted(os.path.relpath(os.path.join(dp, f), PROTO_DIR)
                    for dp, _, fs in os.walk(PROTO_DIR) for f in fs if f.endswith(".proto"))
    tmp = tempfile.mkdtemp()
    c_tmp = os.path.join(tmp, "c")
    os.makedirs(c_tmp)
    subprocess.check_call(["protoc-c", f"--c_out={c_tmp}", f"-I{PROTO_DIR}"] + protos, cwd=PROTO_DIR)
    ds = os.path.join(tmp, "ds.pb")
    subprocess.check_call(["protoc", f"-I{PROTO_DIR}", "--include_imports", f"--descriptor_set_out={ds}"] + protos, cwd=PROTO_DIR)
    fds = d.FileDescriptorSet()
    with open(ds, "rb") as fh:
        fds.ParseFromString(fh.read())
    global ALL_FILES, REG
    ALL_FILES = list(fds.file)
    REG = Registry(ALL_FILES)

    generated = {}  # relative path under ROOT -> content
    headers = []
    for dp, _, fs in os.walk(c_tmp):
        for fn in sorted(fs):
            rel = os.path.relpath(os.path.join(dp, fn), c_tmp)
            with open(os.path.join(dp, fn)) as fh:
                body = fh.read()
            if fn.endswith(".h"):
                generated[os.path.join("Sources/Proto/include", rel)] = body
                headers.append(rel)
            else:
                generated[os.path.join("Sources/Proto", rel)] = body
    umbrella = ["/* Generated by scripts/gen_contracts.py. Do not edit. */", "#pragma once"]
    umbrella += [f'#include "{h}"' for h in sorted(headers)]
    generated["Sources/Proto/include/Proto.h"] = "\n".join(umbrella) + "\n"
    generated["Sources/Proto/include/module.modulemap"] = "module Proto {\n    header \"Proto.h\"\n    link \"protobuf-c\"\n    export *\n}\n"

    for f in ALL_FILES:
        out = ["// Generated by scripts/gen_contracts.py from proto/" + f.name + ". Do not edit.",
               "import Proto", ""]
        ns = swift_namespace(f.package)
        out.append(f"/// Namespace of proto package `{f.package}`.")
        out.append(f"public enum {ns} {{}}")
        out.append("")
        for e in f.enum_type:
            gen_enum(ns, e, out)
        for m in f.message_type:
            gen_message(REG, f.package, m, out)
        for s in f.service:
            gen_service(f.package, s, out)
        name = f.name.replace("/", "_").replace(".proto", "") + ".pb.swift"
        generated[os.path.join("Sources/Contracts/Generated", name)] = "\n".join(out).rstrip() + "\n"

    generated["Sources/Contracts/Generated/ContractRegistry.swift"] = gen_registry(ALL_FILES)

    stale = []
    existing = set()
    for base in ("Sources/Proto", "Sources/Contracts/Generated"):
        for dp, _, fs in os.walk(os.path.join(ROOT, base)):
            for fn in fs:
                existing.add(os.path.relpath(os.path.join(dp, fn), ROOT))
    for rel, body in generated.items():
        path = os.path.join(ROOT, rel)
        cur = open(path).read() if os.path.exists(path) else None
        if cur != body:
            stale.append(rel)
            if not check:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "w") as fh:
                    fh.write(body)
    for rel in sorted(existing - set(generated)):
        stale.append(rel + " (not generated)")
        if not check:
            os.remove(os.path.join(ROOT, rel))
    shutil.rmtree(tmp)
    if check:
        if stale:
            print("generated contract code is stale; run scripts/gen_contracts.py:\n  " + "\n  ".join(stale))
            sys.exit(1)
        print(f"contracts up to date ({len(generated)} files)")
    else:
        print(f"wrote {len(stale)} of {len(generated)} generated files")


if __name__ == "__main__":
    main()
