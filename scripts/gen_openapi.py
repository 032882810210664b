#!/usr/bin/env python3
"""Generates the OpenAPI 3.1 description of the gateway's HTTP API: Sources/Gateway/Resources/openapi.json,
served at /openapi.json and checked in CI against the running gateway with schemathesis
(Tests/python/test_openapi.py).

Message schemas come from proto/ (one source of truth with the generated Swift code): the gateway's JSON is the
proto3 JSON mapping with lowerCamel field names, every scalar field present (default values included), message
fields omitted when unset, enums as their short lower-case names (`portal`, not `CHANNEL_PORTAL`), and int64 as
JSON numbers (not strings, a documented difference from proto3's mapping). The route table below lists every
JSON route with the RPC message it returns.

Usage: scripts/gen_openapi.py [--check]
"""
import json
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2 as d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_contracts import PROTO_DIR, ROOT, enum_cases, lower_camel  # noqa: E402

F = d.FieldDescriptorProto
OUT = os.path.join(ROOT, "Sources", "Gateway", "Resources", "openapi.json")
INT32 = {F.TYPE_INT32, F.TYPE_SINT32, F.TYPE_SFIXED32, F.TYPE_UINT32, F.TYPE_FIXED32}
INT64 = {F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64, F.TYPE_UINT64, F.TYPE_FIXED64}


def descriptors():
    protos = sorted(os.path.relpath(os.path.join(dp, f), PROTO_DIR)
                    for dp, _, fs in os.walk(PROTO_DIR) for f in fs if f.endswith(".proto"))
    with tempfile.TemporaryDirectory() as tmp:
        ds = os.path.join(tmp, "ds.pb")
        subprocess.check_call(["protoc", f"-I{PROTO_DIR}", "--include_imports", f"--descriptor_set_out={ds}"] + protos)
        fds = d.FileDescriptorSet()
        with open(ds, "rb") as fh:
            fds.ParseFromString(fh.read())
    return fds.file


def schema_name(full):
    """`.veche.appeal.v1.Appeal` -> `appeal.v1.Appeal`."""
    return full.lstrip(".").removeprefix("veche.")


def components(files):
    schemas = {}
    for f in files:
        for e in f.enum_type:
            schemas[schema_name(f".{f.package}.{e.name}")] = {"type": "string", "enum": [js for _, js, _ in enum_cases(e)]}
        for m in f.message_type:
            props, required = {}, []
            for fd in m.field:
                key = lower_camel(fd.name).strip("`")
                if fd.type == F.TYPE_MESSAGE:
                    s = {"$ref": "#/components/schemas/" + schema_name(fd.type_name)}
                elif fd.type == F.TYPE_ENUM:
                    s = {"$ref": "#/components/schemas/" + schema_name(fd.type_name)}
                elif fd.type == F.TYPE_STRING:
                    s = {"type": "string"}
                elif fd.type == F.TYPE_BOOL:
                    s = {"type": "boolean"}
                elif fd.type == F.TYPE_BYTES:
                    s = {"type": "string", "contentEncoding": "base64"}
                elif fd.type in INT32:
                    s = {"type": "integer", "format": "int32"}
                elif fd.type in INT64:
                    s = {"type": "integer", "format": "int64"}
                else:
                    s = {"type": "number"}
                if fd.label == F.LABEL_REPEATED:
                    s = {"type": "array", "items": s}
                props[key] = s
                if fd.type != F.TYPE_MESSAGE or fd.label == F.LABEL_REPEATED:
                    required.append(key)
            schemas[schema_name(f".{f.package}.{m.name}")] = {"type": "object", "properties": props, "required": required}
    return schemas


def body(props, required=()):
    return {"type": "object", "properties": props, "required": list(required), "additionalProperties": False}


S = {"type": "string"}
I = {"type": "integer"}
B = {"type": "boolean"}
GATEWAY_BODIES = {
    "TransitionBody": body({"action": {"$ref": "#/components/schemas/appeal.v1.Action"}, "comment": S, "agencyId": S,
                            "expectedVersion": I}, ["action"]),
    "AnswerBody": body({"answerText": S, "complete": B, "expectedVersion": I}, ["answerText"]),
    "ClassificationBody": body({"topicCode": S, "categoryCode": S, "comment": S, "expectedVersion": I}, ["topicCode"]),
    "RatingBody": body({"satisfaction": {"type": "integer", "minimum": 1, "maximum": 5}, "comment": S}, ["satisfaction"]),
    "StatusBody": body({"status": {"$ref": "#/components/schemas/survey.v1.SurveyStatus"}}, ["status"]),
    "OverrideBody": body({"kind": S, "note": S, "asHoliday": B}, ["kind"]),
    "ApprovalBody": body({"note": S}),
    "PromoteBody": body({"comment": S}),
    "Error": {"type": "object", "required": ["error"], "properties": {"error": {
        "type": "object", "required": ["code", "status", "message"],
        "properties": {"code": I, "status": S, "message": S}}}},
    "Readiness": {"type": "object", "required": ["ready", "services"],
                  "properties": {"ready": B, "services": {"type": "object", "additionalProperties": S}}},
    "RoutingHistory": {"type": "object"},
    "Dashboard": {"type": "object"},
}


def q(name, schema=None, description=""):
    return {"name": name, "in": "query", "required": False, "schema": schema or S, "description": description}


def p(name, description=""):
    return {"name": name, "in": "path", "required": True, "schema": S, "description": description}


def ref(name):
    return {"$ref": "#/components/schemas/" + name}


def enum_list(name):
    """A comma-separated list of enum names (`status=registered,assigned`)."""
    return {"type": "string", "description": f"comma-separated values of {name}"}


INSTANT = {"type": "string", "description": "ISO 8601 date or date-time, or epoch milliseconds"}
PERIOD = p("period", "YYYY-MM")
ID = p("id")

# (method, path, tag, summary, parameters, request body schema (name) or None, response schema name, success code)
ROUTES = [
    ("post", "/api/v1/appeals", "appeals", "Submit an appeal (integration clients, their own channel)", [],
     "appeal.v1.IncomingAppeal", "appeal.v1.SubmitAppealResponse", "201"),
    ("get", "/api/v1/appeals", "appeals", "List appeals the caller may see", [
        q("status", enum_list("appeal.v1.Status")), q("channel", enum_list("appeal.v1.Channel")), q("agency"),
        q("municipality", description="OKTMO"), q("topic"), q("category"), q("q", description="full-text search (Russian)"),
        q("group", description="problem group id"), q("from", INSTANT), q("to", INSTANT), q("overdue", B), q("unassigned", B),
        q("flag", description="special-monitoring flag"), q("order", ref("appeal.v1.ListOrder")),
        q("page_size", {"type": "integer", "minimum": 0, "maximum": 500}), q("page_token")],
     None, "appeal.v1.ListAppealsResponse", "200"),
    ("get", "/api/v1/appeals/stats", "appeals", "Counts by status, channel, topic and timeliness",
     [q("from", INSTANT), q("to", INSTANT)], None, "appeal.v1.GetStatsResponse", "200"),
    ("get", "/api/v1/appeals/{id}", "appeals", "One appeal by id or registration number", [ID], None, "appeal.v1.GetAppealResponse", "200"),
    ("get", "/api/v1/appeals/{id}/routing", "appeals", "How the appeal was routed", [ID], None, "RoutingHistory", "200"),
    ("post", "/api/v1/appeals/{id}/transitions", "appeals", "Register, assign, take, extend, close, reopen…", [ID],
     "TransitionBody", "appeal.v1.TransitionResponse", "200"),
    ("post", "/api/v1/appeals/{id}/answer", "appeals", "Answer the appeal", [ID], "AnswerBody", "appeal.v1.AnswerAppealResponse", "200"),
    ("post", "/api/v1/appeals/{id}/classification", "appeals", "Correct topic and category", [ID], "ClassificationBody",
     "appeal.v1.ReclassifyAppealResponse", "200"),
    ("post", "/api/v1/appeals/{id}/rating", "appeals", "Record the citizen's rating (import)", [ID], "RatingBody",
     "appeal.v1.RateAppealResponse", "200"),
    ("get", "/api/v1/citizen/appeal", "citizens", "The citizen's own appeal", [], None, "appeal.v1.GetAppealResponse", "200"),
    ("post", "/api/v1/citizen/appeal/rating", "citizens", "The citizen rates the answer", [], "RatingBody", "appeal.v1.RateAppealResponse", "200"),
    ("get", "/api/v1/municipalities", "directory", "Municipalities", [], None, "agency.v1.ListMunicipalitiesResponse", "200"),
    ("get", "/api/v1/agencies", "directory", "Agencies", [q("municipality"), q("kind", ref("agency.v1.AgencyKind")), q("topic")],
     None, "agency.v1.ListAgenciesResponse", "200"),
    ("get", "/api/v1/agencies/{id}", "directory", "One agency", [ID], None, "agency.v1.GetAgencyResponse", "200"),
    ("get", "/api/v1/topics", "directory", "Topics and categories", [], None, "agency.v1.ListTopicsResponse", "200"),
    ("get", "/api/v1/routing/rules", "directory", "Routing rules", [q("topic")], None, "agency.v1.ListRoutingRulesResponse", "200"),
    ("post", "/api/v1/routing/rules", "directory", "Create or change a routing rule", [], "agency.v1.RoutingRule",
     "agency.v1.UpsertRoutingRuleResponse", "200"),
    ("get", "/api/v1/routing/resolve", "directory", "Which agency a topic/category/municipality goes to",
     [q("topic"), q("category"), q("municipality")], None, "agency.v1.RouteResponse", "200"),
    ("get", "/api/v1/calendar/{year}", "directory", "The region's production calendar", [p("year")], None, "agency.v1.GetCalendarResponse", "200"),
    ("put", "/api/v1/calendar/overrides/{date}", "directory", "Override one day", [p("date", "YYYY-MM-DD")], "OverrideBody",
     "agency.v1.SetCalendarOverrideResponse", "200"),
    ("delete", "/api/v1/calendar/overrides/{date}", "directory", "Remove an override", [p("date", "YYYY-MM-DD")], None,
     "agency.v1.SetCalendarOverrideResponse", "200"),
    ("get", "/api/v1/sla", "directory", "Deadline policies per channel", [], None, "agency.v1.GetSlaPoliciesResponse", "200"),
    ("put", "/api/v1/sla/{channel}", "directory", "Change a channel's deadline policy", [p("channel")], "agency.v1.SlaPolicy",
     "agency.v1.UpsertSlaPolicyResponse", "200"),
    ("get", "/api/v1/deadlines", "directory", "Deadlines of an appeal received at `start`",
     [q("channel"), q("start", INSTANT), q("extended", B)], None, "agency.v1.ComputeDeadlinesResponse", "200"),
    ("get", "/api/v1/me", "access", "The caller's roles", [], None, "agency.v1.ResolveGrantsResponse", "200"),
    ("get", "/api/v1/roles", "access", "Role assignments", [q("principal"), q("role")], None, "agency.v1.ListRoleAssignmentsResponse", "200"),
    ("post", "/api/v1/roles", "access", "Assign a role", [], "agency.v1.RoleAssignment", "agency.v1.AssignRoleResponse", "201"),
    ("delete", "/api/v1/roles/{id}", "access", "Revoke a role", [ID], None, "agency.v1.RevokeRoleResponse", "200"),
    ("get", "/api/v1/audit", "access", "Audit log", [q("actor"), q("appeal"), q("action"), q("from", INSTANT), q("to", INSTANT),
                                                    q("limit", I), q("before", I)], None, "agency.v1.QueryAuditResponse", "200"),
    ("get", "/api/v1/me/notifications", "notifications", "The caller's notification preferences", [], None,
     "agency.v1.GetNotificationPreferencesResponse", "200"),
    ("put", "/api/v1/me/notifications", "notifications", "Set the caller's notification preferences", [],
     "agency.v1.NotificationPreferences", "agency.v1.SetNotificationPreferencesResponse", "200"),
    ("get", "/api/v1/me/filters", "filters", "The caller's saved queue filters and those shared with their sector block", [], None,
     "agency.v1.ListSavedFiltersResponse", "200"),
    ("post", "/api/v1/me/filters", "filters", "Save a queue filter (name, query of /ws, optional sector block to share with)", [],
     "agency.v1.SavedFilter", "agency.v1.CreateSavedFilterResponse", "201"),
    ("put", "/api/v1/me/filters/{id}", "filters", "Rename or re-share one of the caller's saved filters", [ID],
     "agency.v1.SavedFilter", "agency.v1.UpdateSavedFilterResponse", "200"),
    ("delete", "/api/v1/me/filters/{id}", "filters", "Delete one of the caller's saved filters", [ID], None,
     "agency.v1.DeleteSavedFilterResponse", "200"),
    ("get", "/api/v1/escalation/chains", "notifications", "Escalation chains per sector block", [], None,
     "agency.v1.ListEscalationChainsResponse", "200"),
    ("put", "/api/v1/escalation/chains/{topic}", "notifications", "Set a block's escalation chain (`default`: every other block)",
     [p("topic")], "agency.v1.EscalationChain", "agency.v1.SetEscalationChainResponse", "200"),
    ("get", "/api/v1/workload", "workload", "Workload, forecast and staff need per sector block",
     [q("granularity", {"type": "string", "enum": ["week", "month"]}), q("from", INSTANT), q("to", INSTANT)], None,
     "agency.v1.GetWorkloadResponse", "200"),
    ("put", "/api/v1/workload/staff/{topic}", "workload", "Record a block's staff", [p("topic")],
     "agency.v1.SetBlockStaffRequest", "agency.v1.SetBlockStaffResponse", "200"),
    ("get", "/api/v1/ratings", "ratings", "Ratings of agencies or municipalities", [q("kind"), q("period"), q("topic")],
     None, "rating.v1.GetRatingsResponse", "200"),
    ("get", "/api/v1/ratings/top-problems", "ratings", "Most frequent problems", [q("period"), q("per_topic", I)],
     None, "rating.v1.GetTopProblemsResponse", "200"),
    ("get", "/api/v1/kpis", "ratings", "KPIs against targets", [q("period")], None, "rating.v1.GetKpisResponse", "200"),
    ("put", "/api/v1/kpis/targets", "ratings", "Set KPI targets", [], "rating.v1.SetKpiTargetsRequest", "rating.v1.SetKpiTargetsResponse", "200"),
    ("put", "/api/v1/ratings/weights", "ratings", "Set the rating weights", [], "rating.v1.Weights", "rating.v1.SetWeightsResponse", "200"),
    ("get", "/api/v1/ratings/progress", "ratings", "Projection progress", [], None, "rating.v1.GetProgressResponse", "200"),
    ("get", "/api/v1/reports/{period}/approval", "ratings", "Approval of the monthly report", [PERIOD], None,
     "rating.v1.GetReportApprovalResponse", "200"),
    ("post", "/api/v1/reports/{period}/approval", "ratings", "Approve the monthly report", [PERIOD], "ApprovalBody",
     "rating.v1.ApproveReportResponse", "200"),
    ("get", "/api/v1/root-causes", "root-causes", "Root-cause cases with their progress against the target",
     [q("status", {"type": "string", "enum": ["open", "in_work", "resolved", "closed"]}), q("topic"), q("limit", I)], None,
     "rating.v1.ListRootCausesResponse", "200"),
    ("post", "/api/v1/root-causes/detect", "root-causes", "Run root-cause detection now (opens each recurring problem once)", [],
     "rating.v1.DetectRootCausesRequest", "rating.v1.DetectRootCausesResponse", "200"),
    ("get", "/api/v1/root-causes/{id}", "root-causes", "One root-cause case with its history", [ID], None,
     "rating.v1.GetRootCauseResponse", "200"),
    ("put", "/api/v1/root-causes/{id}", "root-causes", "Edit a case: plan, target date, quantitative target, status, agencies", [ID],
     "rating.v1.UpdateRootCauseRequest", "rating.v1.UpdateRootCauseResponse", "200"),
    ("get", "/api/v1/indicators", "root-causes", "KPI targets per category and yearly indicators with current values",
     [q("year", I)], None, "rating.v1.ListIndicatorsResponse", "200"),
    ("put", "/api/v1/indicators/{code}", "root-causes", "Set a KPI target or yearly indicator", [p("code")], "rating.v1.Indicator",
     "rating.v1.SetIndicatorResponse", "200"),
    ("delete", "/api/v1/indicators/{code}", "root-causes", "Delete an indicator", [p("code")], None, "rating.v1.DeleteIndicatorResponse", "200"),
    ("get", "/api/v1/mentions", "mentions", "Public posts with detected bodies, tone and topic (newest first, keyset paging)",
     [q("entity"), q("tone", {"type": "string", "enum": ["negative", "neutral", "positive"]}), q("topic"), q("municipality"),
      q("from", INSTANT), q("to", INSTANT), q("page_size", I), q("page_token")], None, "media.v1.ListMentionsResponse", "200"),
    ("get", "/api/v1/mentions/tone", "mentions", "Posts per tone over time", [q("entity"), q("topic"), q("from", INSTANT), q("to", INSTANT),
     q("bucket", {"type": "string", "enum": ["day", "hour"]})], None, "media.v1.GetToneSeriesResponse", "200"),
    ("get", "/api/v1/mentions/incidents", "mentions", "Incidents opened by surges of posts", [q("open", B), q("limit", I)], None,
     "media.v1.ListIncidentsResponse", "200"),
    ("post", "/api/v1/mentions/{id}/promotion", "mentions", "Promote a post to an appeal on the social channel (once)", [ID],
     "PromoteBody", "media.v1.PromoteMentionResponse", "200"),
    ("post", "/api/v1/surveys", "surveys", "Create a survey", [], "survey.v1.Survey", "survey.v1.CreateSurveyResponse", "201"),
    ("get", "/api/v1/surveys", "surveys", "Surveys", [], None, "survey.v1.ListSurveysResponse", "200"),
    ("get", "/api/v1/surveys/batches/{batchId}", "surveys", "Receipt of a result batch", [p("batchId")], None,
     "survey.v1.GetBatchReceiptResponse", "200"),
    ("get", "/api/v1/surveys/{id}", "surveys", "One survey", [ID], None, "survey.v1.GetSurveyResponse", "200"),
    ("post", "/api/v1/surveys/{id}/status", "surveys", "Move a survey through its life cycle", [ID], "StatusBody",
     "survey.v1.SetStatusResponse", "200"),
    ("post", "/api/v1/surveys/{id}/batches", "surveys", "Submit a result batch", [ID], "survey.v1.ResultBatch",
     "survey.v1.SubmitBatchResponse", "201"),
    ("put", "/api/v1/surveys/{id}/margins", "surveys", "Population margins for weighting", [ID], "survey.v1.SetMarginsRequest",
     "survey.v1.SetMarginsResponse", "200"),
    ("get", "/api/v1/surveys/{id}/estimates", "surveys", "Weighted estimates with standard errors",
     [ID, q("question"), q("by"), q("statistic"), q("weighting"), q("vars")], None, "survey.v1.EstimateResponse", "200"),
    ("get", "/api/v1/surveys/{id}/satisfaction", "surveys", "Satisfaction index", [ID, q("questions"), q("by"), q("weighting"), q("vars")],
     None, "survey.v1.SatisfactionIndexResponse", "200"),
    ("get", "/api/v1/dashboard", "dashboard", "The dashboard's data (server-side aggregates)", [q("period")], None, "Dashboard", "200"),
    ("get", "/health", "operations", "Liveness", [], None, None, "200"),
    ("get", "/ready", "operations", "Readiness: every backend service answers", [], None, "Readiness", "200"),
]
PUBLIC = {"/health", "/ready"}
ERRORS = {"400": "Bad request", "401": "No valid credentials", "403": "The caller's roles do not allow it",
          "404": "Not found", "409": "Conflict (version or state)", "412": "Failed precondition", "422": "Idempotency key reused",
          "429": "Overloaded, retry later", "503": "Unavailable, nothing applied (retry)",
          "504": "Deadline exceeded, outcome unknown (retry with the same Idempotency-Key)"}


def operation(method, path, tag, summary, params, request, response, code):
    op = {"tags": [tag], "summary": summary, "operationId": f"{method}_{path}".replace("/", "_").replace("{", "").replace("}", ""),
          "parameters": list(params)}
    if method in ("post", "put", "delete"):
        op["parameters"].append({"name": "Idempotency-Key", "in": "header", "required": False,
                                 "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"}})
    if path.startswith("/api/v1/citizen/"):
        op["parameters"].append({"name": "Veche-Citizen-Token", "in": "header", "required": True, "schema": S})
    if request:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": ref(request)}}}
    ok = {"description": "OK"}
    if response:
        ok["content"] = {"application/json": {"schema": ref(response)}}
    elif path == "/health":
        ok["content"] = {"text/plain": {"schema": S}}
    responses = {code: ok}
    if code == "201" and path == "/api/v1/appeals":
        responses["200"] = {"description": "Already submitted (idempotent replay of channel + external id)",
                            "content": {"application/json": {"schema": ref(response)}}}
    if path not in PUBLIC:
        for status, text in ERRORS.items():
            responses[status] = {"description": text, "content": {"application/json": {"schema": ref("Error")}}}
    elif path == "/ready":
        responses["503"] = {"description": "Some service does not answer", "content": {"application/json": {"schema": ref("Readiness")}}}
    op["responses"] = responses
    if path in PUBLIC:
        op["security"] = []
    elif path.startswith("/api/v1/citizen/"):
        op["security"] = [{"citizenToken": []}]
    return op


def spec():
    paths = {}
    for method, path, *rest in ROUTES:
        paths.setdefault(path, {})[method] = operation(method, path, *rest)
    schemas = components(descriptors())
    schemas.update(GATEWAY_BODIES)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Veche gateway API", "version": "1",
                 "description": "JSON API of the ЦУР platform. Messages follow the proto3 JSON mapping with lowerCamel names, "
                                "every scalar field present, enums as short lower-case names and int64 as JSON numbers. "
                                "Writes accept Idempotency-Key. Open311 GeoReport v2 is served at /open311/v2 "
                                "(http://wiki.open311.org/GeoReport_v2); the workspace (/ws) and the dashboard pages are HTML."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                           "description": "An OpenID Connect access token of the region's provider"},
                "session": {"type": "apiKey", "in": "cookie", "name": "veche_session",
                            "description": "Browser session after /auth/login; writes also need the X-CSRF-Token header"},
                "citizenToken": {"type": "apiKey", "in": "header", "name": "Veche-Citizen-Token",
                                 "description": "The token a citizen received when the appeal was created"},
            },
        },
    }


def main():
    text = json.dumps(spec(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    current = open(OUT, encoding="utf-8").read() if os.path.exists(OUT) else None
    if "--check" in sys.argv:
        if current != text:
            print(f"{os.path.relpath(OUT, ROOT)} is stale: run scripts/veche gen", file=sys.stderr)
            sys.exit(1)
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
