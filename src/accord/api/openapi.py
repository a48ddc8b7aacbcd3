"""The complete OpenAPI document of `accord serve` (issue 13, item 1).

FastAPI generates the paths and query parameters; `install_openapi(app)` completes what
it cannot see: `POST /v1/events` reads its body raw, so its schema is added from the event
models of `engine.intake` (the `EventBody` union, each kind with the required `id`), with
one example per kind; the bodies of the contract proposal and signature writes; every
error answer an endpoint gives, with the JSON error shape `{"error": message}`; and the
bearer token scheme on every endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter

from accord.engine.intake import EventBody

_ERROR = {"$ref": "#/components/schemas/Error"}
_ERRORS: dict[str, str] = {
    "400": "The body is not a JSON object (or not JSON), or a parameter's value is "
           "unusable (the message names it).",
    "401": "No token, or a malformed, unknown or revoked one.",
    "403": "The token's role may not do this; the message names the roles that may.",
    "404": "Unknown lead.",
    "409": "The id (event, version or signature side) was already used with another body.",
    "413": "The request body is over the size limit.",
    "422": "A field, parameter or rule refused the request; the message names it.",
    "429": "The token is over its rate limit; `Retry-After` says when to retry.",
    "503": "The store cannot be read or written now; `Retry-After` says when to retry.",
}
_READ = ("400", "401", "422", "429", "503")
_WRITE = ("400", "401", "403", "409", "413", "422", "429", "503")

#: One example body per event kind (the story of docs/api.md).
EVENT_EXAMPLES: dict[str, dict[str, Any]] = {
    "lead_created": {"id": "crm-1001", "kind": "lead_created", "lead_id": "L1",
                     "at": "2025-01-06T14:00:00Z", "email": "ann@soft.example",
                     "channel": "web", "title": "VP Sales", "country": "US",
                     "account_id": "A1"},
    "touch": {"id": "web-77", "kind": "touch", "lead_id": "L1", "signal": "demo_request",
              "at": "2025-01-06T15:00:00Z"},
    "activity": {"id": "crm-1003", "kind": "activity", "lead_id": "L1", "rep_id": "R1",
                 "type": "call", "at": "2025-01-06T15:30:00Z"},
    "accept": {"id": "crm-1004", "kind": "accept", "lead_id": "L1", "rep_id": "R1",
               "at": "2025-01-06T16:00:00Z"},
    "reject": {"id": "crm-1002", "kind": "reject", "lead_id": "L1", "reason": "timing",
               "at": "2025-01-06T18:00:00Z"},
    "move": {"id": "crm-1007", "kind": "move", "lead_id": "L1", "to_stage": "SQL",
             "rep_id": "R1", "at": "2025-01-06T17:00:00Z"},
    "opportunity_created": {"id": "crm-1005", "kind": "opportunity_created", "lead_id": "L1",
                            "opportunity_id": "O1", "amount": 24000, "owner_rep_id": "R9",
                            "at": "2025-01-07T10:00:00Z"},
    "opportunity_updated": {"id": "crm-1008", "kind": "opportunity_updated",
                            "lead_id": "L1", "opportunity_id": "O1", "amount": 30000,
                            "at": "2025-01-20T10:00:00Z"},
    "opportunity_closed": {"id": "crm-1006", "kind": "opportunity_closed", "lead_id": "L1",
                           "opportunity_id": "O1", "won": True,
                           "at": "2025-02-03T10:00:00Z"},
}

_DECISION_EXAMPLE = {"event_id": "web-77", "kind": "touch", "contract_version": 1,
                     "lead_id": "L1", "fit": 100, "tier": "A", "icp": "core",
                     "stage": "MQL", "stage_owner": "marketing", "owner": "R1",
                     "engagement": 50.0,
                     "routing": {"rule": "inbound", "pool": "sdr", "step": "turn",
                                 "reason": "pool sdr: next turn",
                                 "assigned_at": "2025-01-06T15:00:00"},
                     "why": {"fit": [{"field": "industry", "value": "software",
                                      "condition": "industry in ['software', 'fintech']",
                                      "met": True, "points": 30}],
                             "engagement": [{"signal": "demo_request", "touches": 1,
                                             "counted": 1, "points": 50,
                                             "contribution": 50.0}]},
                     "sla_deadlines": {"speed_to_lead": "2025-01-06T17:00:00",
                                       "accept_or_reject": "2025-01-08T15:00:00"},
                     "replayed": False}


_TOKEN = {"token_id": "5e4472488ba3", "name": "crm", "role": "sales",
          "created_at": "2025-01-06T13:00:00", "revoked_at": None}
_ENDPOINT = {"endpoint_id": "wh_9b0ea415", "name": "crm",
             "url": "https://crm.example.com/hooks/accord", "format": "json",
             "max_attempts": None, "created_at": "2025-01-06T13:00:00", "removed_at": None}

#: (path, method) -> (summary, an example 200 answer; long answers are shortened).
OPERATIONS: dict[tuple[str, str], tuple[str, Any]] = {
    ("/v1/events", "post"): ("Send an event; get the decision", _DECISION_EXAMPLE),
    ("/v1/leads/{lead_id}", "get"): (
        "A lead: its current state, the why, and every decision", {
            "lead_id": "L1", "current": {"lead_id": "L1", "fit": 100, "tier": "A",
                                         "stage": "MQL", "owner": "R1"},
            "decisions": [{"event_id": "d-L1", "kind": "owner", "value": "R1",
                           "contract_version": 1}]}),
    ("/v1/kpis", "get"): ("Funnel KPIs (`view`, `by`, `period`, `basis`)", {
        "view": "actual", "basis": "cohort", "as_of": "2025-01-06T15:00:00",
        "period": {"label": "all time", "start": None, "end": None}, "by": None,
        "contract_version": 1}),
    ("/v1/sla", "get"): ("SLA status and breaches", {
        "now": "2025-01-06T15:00:00", "view": "actual", "slas": [
            {"sla": "speed_to_lead", "kind": "first_touch", "within": "2 business_hours",
             "leads": 1, "met": 0, "breached": 0, "open": 1, "share_within": None}]}),
    ("/v1/funnel", "get"): ("Leads at each stage and the conversion between them", {
        "stages": ["Lead", "MQL", "SAL", "SQL", "Opportunity", "Customer"],
        "view": "actual", "total": {"group": "all", "counts": {"Lead": 1, "MQL": 1}},
        "by": None, "groups": []}),
    ("/v1/insights", "get"): ("Tested differences between segments (with FDR)", {
        "view": "actual", "as_of": "2025-01-06T15:00:00", "tests": 0, "fdr": 0.01,
        "insights": []}),
    ("/v1/attribution", "get"): ("Conversion and revenue credit by channel", {
        "model": "w_shaped", "dimension": "channel",
        "credits": [{"channel": "web", "conversions": 1.0, "revenue": 24000.0}],
        "unattributed": {"conversions": 0.0, "revenue": 0.0}, "lookback_days": 180}),
    ("/v1/contract", "get"): ("The active contract", {
        "version": 1, "effective": "2025-01-01", "routing_stage": "MQL"}),
    ("/v1/contract/proposals", "post"): (
        "Propose a contract version; see its diff against the active one", {
            "version": 2, "effective": "2025-02-01", "against": 1, "stored": True,
            "changes": [{"key": "version", "change": "changed", "old": 1, "new": 2}]}),
    ("/v1/contract/versions/{version}/signatures", "post"): (
        "Sign a proposed version (its marketing or sales owner)", {
            "version": 2, "side": "marketing", "signer": "Dana Lee",
            "signed_at": "2025-01-20T10:00:00", "signed": ["marketing"],
            "effective": "2025-02-01", "active": 1}),
    ("/v1/contract/history", "get"): ("Contract versions, signers and effective dates", {
        "as_of": "2025-01-06T15:00:00", "active": 1, "versions": [
            {"version": 1, "effective": "2025-01-01", "signatures": []}]}),
    ("/v1/tokens", "get"): ("API tokens (never their secrets)", [_TOKEN]),
    ("/v1/tokens", "post"): ("Create a token; its secret is shown in this answer only", {
        **_TOKEN, "token": "acc_5e4472488ba3_<secret>"}),
    ("/v1/tokens/{token_id}", "delete"): ("Revoke a token", {
        **_TOKEN, "revoked_at": "2025-01-07T09:00:00"}),
    ("/v1/webhooks", "get"): ("Webhook endpoints (never their secrets)", [_ENDPOINT]),
    ("/v1/webhooks", "post"): (
        "Add a webhook endpoint; its signing secret is shown in this answer only", {
            **_ENDPOINT, "secret": "whsec_<secret>"}),
    ("/v1/webhooks/{ref}", "delete"): ("Remove a webhook endpoint", {
        **_ENDPOINT, "removed_at": "2025-01-07T09:00:00"}),
    ("/v1/webhooks/log", "get"): ("Webhook deliveries and their status", [
        {"message_id": "msg_1f2e", "kind": "assignment", "lead_id": "L1",
         "endpoint_id": "wh_9b0ea415", "endpoint": "crm", "status": "delivered",
         "attempts": 1, "last_status": 200, "last_error": None, "next_attempt_at": None,
         "delivered_at": "2025-01-06T15:00:01", "created_at": "2025-01-06T15:00:00"}]),
}


def _object_body(fields: dict[str, dict[str, Any]], required: list[str],
                 example: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "additionalProperties": False, "required": required,
                   "properties": fields},
        "example": example}}}


def _text_object(field: str, description: str, example: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {
        "schema": {"type": "object", "additionalProperties": False, "required": [field],
                   "properties": {field: {"type": "string", "minLength": 1,
                                          "pattern": r"\S", "description": description}}},
        "example": {field: example}}}}


def event_body_schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    """(the request body schema of `POST /v1/events`, its component schemas): the
    `EventBody` union of `engine.intake`, every kind's model with the required `id`."""
    schema = TypeAdapter(EventBody).json_schema(
        ref_template="#/components/schemas/{model}")
    defs: dict[str, Any] = schema.pop("$defs", {})
    for model in defs.values():
        if model.get("type") != "object" or "kind" not in model.get("properties", {}):
            continue
        model["properties"] = {"id": {
            "type": "string", "minLength": 1,
            "description": "The event's id: the idempotency key (and the fact's id for "
                           "touches, activities and stage decisions)."},
            **model["properties"]}
        model["required"] = ["id", *[r for r in model.get("required", []) if r != "id"]]
    return schema, defs


def complete_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (FastAPI's) with the event bodies, write bodies, error answers and the
    bearer scheme (module docstring); changed in place and returned."""
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = {"type": "object", "required": ["error"],
                        "properties": {"error": {"type": "string"}},
                        "example": {"error": "field 'lead_id': Field required"}}
    components["securitySchemes"] = {"bearer": {
        "type": "http", "scheme": "bearer",
        "description": "A token from `accord token create`: `acc_<id>_<secret>`."}}
    document["security"] = [{"bearer": []}]

    body, defs = event_body_schemas()
    schemas.update(defs)
    bodies = {
        ("/v1/events", "post"): {"required": True, "content": {"application/json": {
            "schema": body,
            "examples": {k: {"summary": f"a {k} event", "value": v}
                         for k, v in EVENT_EXAMPLES.items()}}}},
        ("/v1/contract/proposals", "post"): _text_object(
            "text", "The whole contract YAML (accord.yaml) of the proposed version.",
            "version: 2\neffective: 2025-02-01\n..."),
        ("/v1/contract/versions/{version}/signatures", "post"): _text_object(
            "name", "The signer's name.", "Dana Lee"),
        ("/v1/tokens", "post"): _object_body(
            {"name": {"type": "string", "minLength": 1, "pattern": r"\S"},
             "role": {"type": "string", "enum": ["viewer", "marketing", "sales", "revops",
                                                 "admin"]}},
            ["name", "role"], {"name": "crm", "role": "sales"}),
        ("/v1/webhooks", "post"): _object_body(
            {"url": {"type": "string", "minLength": 1}, "name": {"type": "string"},
             "slack": {"type": "boolean"},
             "max_attempts": {"type": "integer", "minimum": 1}},
            ["url"], {"url": "https://crm.example.com/hooks/accord", "name": "crm"}),
    }
    for path, operations in document.get("paths", {}).items():
        for method, op in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            op["security"] = [{"bearer": []}]
            if (path, method) in bodies:
                op["requestBody"] = bodies[(path, method)]
            responses = op.setdefault("responses", {})
            codes = _WRITE if method == "post" else _READ
            if "{lead_id}" in path:
                codes = (*codes, "404")
            if method == "delete" or path.startswith(("/v1/tokens", "/v1/webhooks")):
                codes = tuple(sorted({*codes, "403"}))
            for code in codes:
                responses[code] = {"description": _ERRORS[code],
                                   "content": {"application/json": {"schema": _ERROR}}}
                if code in ("429", "503"):
                    responses[code]["headers"] = {"Retry-After": {
                        "description": "Seconds to wait before retrying.",
                        "schema": {"type": "integer", "minimum": 1}}}
                if code == "401":
                    responses[code]["headers"] = {"WWW-Authenticate": {
                        "schema": {"type": "string"}}}
            if (path, method) in OPERATIONS:
                op["summary"], example = OPERATIONS[(path, method)]
                ok = responses.setdefault("200", {"description": "Successful Response"})
                ok["content"] = {"application/json": {
                    "schema": {"type": "array" if isinstance(example, list) else "object"},
                    "example": example}}
            if path == "/v1/events":
                responses["200"]["description"] = (
                    "The decision (a replayed id: the first answer, `replayed: true`).")
    return document


def install_openapi(app: Any) -> None:
    """Make the FastAPI `app`'s `/openapi.json` the completed document (built once)."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if not getattr(app, "_accord_openapi_done", False):
            document = complete_openapi(generate())
            app.openapi_schema = document
            app._accord_openapi_done = True
        result: dict[str, Any] = app.openapi_schema
        return result

    app.openapi = openapi
