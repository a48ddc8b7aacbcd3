"""The canonical fact format: every table accord stores, its columns and their types.

It imports nothing of accord, so the store, the importers and the simulator (which writes
fact files without a store) share it.

This module is the single definition; `docs/facts.md` documents it and a test checks the
two agree. Facts are what happened and when. Every table has one id column; writing a
fact whose id is already stored with the same content changes nothing, and with other
content is refused. Timestamps are UTC (stored without a zone); dates are calendar dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # one of: string, int, float, bool, timestamp, date
    required: bool
    doc: str


@dataclass(frozen=True)
class FactTable:
    name: str
    id_column: str
    doc: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(c.name, ARROW_TYPES[c.type], nullable=not c.required) for c in self.columns]
        )


ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "date": pa.date32(),
}

IBIS_TYPES: dict[str, str] = {
    "string": "string",
    "int": "int64",
    "float": "float64",
    "bool": "boolean",
    "timestamp": "timestamp(6)",
    "date": "date",
}


def _t(name: str, id_column: str, doc: str, *cols: tuple[str, str, bool, str]) -> FactTable:
    return FactTable(name, id_column, doc, tuple(Column(*c) for c in cols))


ACCOUNTS = _t(
    "accounts", "account_id", "Companies that buy (or might). One row per account.",
    ("account_id", "string", True, "Unique account id."),
    ("name", "string", True, "Company name as entered."),
    ("domain", "string", False, "Web/email domain, e.g. `acme.com`."),
    ("industry", "string", False, "Industry, lower snake case, e.g. `software`, `fintech`."),
    ("employees", "int", False, "Employee count."),
    ("annual_revenue", "float", False, "Annual revenue in the contract currency."),
    ("country", "string", False, "ISO 3166 alpha-2 country code, e.g. `US`."),
    ("region", "string", False, "Sales region, e.g. `na`, `emea`, `apac`."),
    ("segment", "string", False, "`smb`, `mid_market` or `enterprise`."),
    ("abm_target", "bool", False, "On the account-based marketing target list."),
    ("owner_rep_id", "string", False, "Rep who owns the account (for account-owner routing)."),
    ("created_at", "timestamp", False, "When the account was created."),
)

LEADS = _t(
    "leads", "lead_id", "People (contacts) marketing or sales engaged. One row per lead.",
    ("lead_id", "string", True, "Unique lead id."),
    ("email", "string", True, "Email address."),
    ("first_name", "string", False, "Given name."),
    ("last_name", "string", False, "Family name."),
    ("title", "string", False, "Job title."),
    ("company", "string", False, "Company name as the lead typed it (may be noisy)."),
    ("account_id", "string", False, "Account, when the source system knew it."),
    ("country", "string", False, "ISO 3166 alpha-2 country code."),
    ("channel", "string", True, "Acquisition channel, e.g. `paid_search`, `webinar`."),
    ("campaign_id", "string", False, "Campaign that created the lead."),
    ("landing_page", "string", False, "Landing page of the first conversion."),
    ("created_at", "timestamp", True, "When the lead was created (UTC)."),
)

TOUCHES = _t(
    "touches", "touch_id", "Marketing engagement: one row per signal a lead showed.",
    ("touch_id", "string", True, "Unique touch id."),
    ("lead_id", "string", True, "Lead that engaged."),
    ("signal", "string", True, "Signal name from the contract's `signals`, e.g. `demo_request`."),
    ("channel", "string", False, "Channel of the touch."),
    ("campaign_id", "string", False, "Campaign of the touch."),
    ("occurred_at", "timestamp", True, "When it happened (UTC)."),
)

ACTIVITIES = _t(
    "activities", "activity_id", "Sales touches: calls, emails, meetings by reps.",
    ("activity_id", "string", True, "Unique activity id."),
    ("lead_id", "string", True, "Lead worked."),
    ("rep_id", "string", True, "Rep who did it."),
    ("kind", "string", True, "`call`, `email`, `meeting` or `linkedin`."),
    ("occurred_at", "timestamp", True, "When it happened (UTC)."),
)

STAGE_EVENTS = _t(
    "stage_events", "event_id",
    "Lifecycle changes that were acted on: who moved which lead to which stage, when and why.",
    ("event_id", "string", True, "Unique event id."),
    ("lead_id", "string", True, "Lead that changed stage."),
    ("from_stage", "string", False, "Stage before (empty for the first)."),
    ("to_stage", "string", True, "Stage after, a name from the contract's `stages`."),
    ("occurred_at", "timestamp", True, "When (UTC)."),
    ("actor", "string", True, "Who or what: a rep id, `system`, `marketing_automation`."),
    ("reason", "string", False, "Reason code (required for rejections), from `rejection_reasons`."),
    ("contract_version", "int", False, "Contract version in force when it was decided."),
)

OPPORTUNITIES = _t(
    "opportunities", "opportunity_id",
    "Deals. One row per opportunity, as last known (see docs/facts.md).",
    ("opportunity_id", "string", True, "Unique opportunity id."),
    ("lead_id", "string", False, "Lead it came from, when there is one."),
    ("account_id", "string", False, "Account."),
    ("owner_rep_id", "string", False, "AE who owns it."),
    ("created_at", "timestamp", True, "When the opportunity was created (UTC)."),
    ("amount", "float", True, "Deal amount in the contract currency."),
    ("status", "string", True, "`open`, `won` or `lost`."),
    ("closed_at", "timestamp", False, "When it was won or lost (UTC)."),
    ("close_reason", "string", False, "Why it was won or lost."),
    ("source", "string", False, "`marketing`, `sales` or `partner` (who sourced it)."),
    ("type", "string", False, "`new_business` (also when empty), `renewal` or `expansion`; "
                              "a lost renewal is a churned customer."),
    ("prior_amount", "float", False, "Renewals: the value of the contract up for renewal "
                                     "(empty: the same as `amount`)."),
)

#: The values of `opportunities.type`, in this order: an empty type is `new_business`.
OPPORTUNITY_TYPES: tuple[str, ...] = ("new_business", "renewal", "expansion")

REPS = _t(
    "reps", "rep_id", "Sales people: SDRs, AEs and their managers.",
    ("rep_id", "string", True, "Unique rep id."),
    ("name", "string", True, "Name."),
    ("role", "string", True, "`sdr`, `ae` or `manager`."),
    ("region", "string", False, "Region the rep covers."),
    ("segment", "string", False, "Segment the rep covers."),
    ("manager_id", "string", False, "Rep id of the manager."),
    ("capacity_per_day", "int", False, "Most new leads the rep takes per day."),
    ("quota", "float", False, "Annual quota in the contract currency."),
    ("timezone", "string", False, "IANA time zone, e.g. `America/New_York`."),
    ("active", "bool", False, "Still employed and taking leads (default true)."),
    ("work_hours", "string", False, "The rep's working hours, `HH:MM-HH:MM` local time, for "
                                    "SLAs on `calendar: owner` (default: the contract's)."),
    ("holidays", "string", False, "Holiday country code of the rep (e.g. `DE`), for SLAs on "
                                  "`calendar: owner` (default: the contract's)."),
)

REP_AVAILABILITY = _t(
    "rep_availability", "absence_id", "Out-of-office spells when a rep takes no new leads.",
    ("absence_id", "string", True, "Unique id."),
    ("rep_id", "string", True, "Rep away."),
    ("starts_at", "timestamp", True, "First moment away (UTC)."),
    ("ends_at", "timestamp", True, "First moment back (UTC)."),
)

CAMPAIGNS = _t(
    "campaigns", "campaign_id", "Marketing campaigns.",
    ("campaign_id", "string", True, "Unique campaign id."),
    ("name", "string", True, "Name."),
    ("channel", "string", True, "Channel it runs in."),
    ("landing_page", "string", False, "Landing page it sends people to."),
    ("started_at", "date", False, "First day."),
    ("ended_at", "date", False, "Last day."),
)

SPEND = _t(
    "spend", "spend_id", "Marketing spend per month and channel (and campaign when known).",
    ("spend_id", "string", True, "Unique id."),
    ("month", "date", True, "First day of the month."),
    ("channel", "string", True, "Channel."),
    ("campaign_id", "string", False, "Campaign, when the spend is known at that level."),
    ("amount", "float", True, "Amount spent in the contract currency."),
)

FACT_TABLES: dict[str, FactTable] = {
    t.name: t
    for t in (ACCOUNTS, LEADS, TOUCHES, ACTIVITIES, STAGE_EVENTS, OPPORTUNITIES, REPS,
              REP_AVAILABILITY, CAMPAIGNS, SPEND)
}


# --- service tables -------------------------------------------------------------------------
# Written by the live intake (`accord.engine.intake`, `accord serve`), never imported: the
# events received (the id is the idempotency key), the decision log (the actual view of
# every decision the service acted on), the audit log of writes and the API tokens (only
# hashes). Each id column is the table's PRIMARY KEY, so a repeated id is refused by the
# store itself. Documented in docs/api.md.

RECEIVED_EVENTS = _t(
    "received_events", "event_id", "Events accepted by the live intake, one row per event id.",
    ("event_id", "string", True, "The event id given by the sender (idempotency key)."),
    ("kind", "string", True, "Event kind, e.g. `touch`, `accept`."),
    ("lead_id", "string", True, "Lead the event is about."),
    ("body_sha256", "string", True, "SHA-256 of the body's canonical JSON."),
    ("answer", "string", True, "The decision answered, as JSON (returned again on replay)."),
    ("contract_version", "int", True, "Contract version that decided."),
    ("received_at", "timestamp", True, "When the intake stored it (UTC)."),
    ("actor", "string", True, "Who sent it (the token's name)."),
    ("seq", "int", True, "Position in the intake's order (1, 2, …; unique): the order every "
     "server worker applies events in."),
    ("body", "string", True, "The body as received, canonical JSON (what `body_sha256` "
     "hashes): another worker replays it."),
)

DECISIONS = _t(
    "decisions", "decision_id", "The decision log: each score, stage, owner and SLA deadline "
    "decided by an event.",
    ("decision_id", "string", True, "`<event_id>:<n>`."),
    ("event_id", "string", True, "Event that caused it."),
    ("lead_id", "string", True, "Lead decided about."),
    ("kind", "string", True, "`score`, `stage`, `owner` or `sla_deadline`."),
    ("name", "string", False, "SLA name for `sla_deadline`."),
    ("value", "string", False, "Score JSON, stage name, rep id or ISO due time."),
    ("decided_at", "timestamp", True, "The event's time (UTC)."),
    ("contract_version", "int", True, "Contract version that decided."),
    ("recorded_at", "timestamp", True, "When it was stored (UTC)."),
)

AUDIT_LOG = _t(
    "audit_log", "audit_id", "Every write: who, with which role, when (through the API: "
    "the token; a command on this machine: `cli:<user>`, role `local`).",
    ("audit_id", "string", True, "`<event_id>` of an API write; `<write id>@<time>` else."),
    ("event_id", "string", True, "Event or change written (e.g. `token-create:<id>`)."),
    ("token_name", "string", True, "Name of the token used, or `cli:<user>`."),
    ("role", "string", True, "Its role (`local` for a command on this machine)."),
    ("written_at", "timestamp", True, "When (UTC)."),
)

API_TOKENS = _t(
    "api_tokens", "token_id", "API tokens: only a salted scrypt hash of each is kept.",
    ("token_id", "string", True, "Public id (the token's prefix before the dot)."),
    ("name", "string", True, "Name given at creation."),
    ("role", "string", True, "`viewer`, `marketing`, `sales`, `revops` or `admin`."),
    ("salt", "string", True, "Per-token salt (hex)."),
    ("hash", "string", True, "scrypt hash of the secret (hex)."),
    ("created_at", "timestamp", True, "When created (UTC)."),
    ("revoked_at", "timestamp", False, "When revoked (UTC), if it was."),
)

CONTRACT_PROPOSALS = _t(
    "contract_proposals", "version", "Proposed contract versions (issue 13, item 5): a "
    "version number names one text.",
    ("version", "int", True, "The contract's `version` (PRIMARY KEY)."),
    ("text", "string", True, "The contract text as proposed."),
    ("sha256", "string", True, "SHA-256 of the text."),
    ("effective", "date", True, "The contract's `effective` date."),
    ("proposed_by", "string", True, "Who proposed it."),
    ("proposed_at", "timestamp", True, "When (UTC)."),
)

CONTRACT_SIGNATURES = _t(
    "contract_signatures", "signature_id", "Signatures of contract versions: one per "
    "version and side.",
    ("signature_id", "string", True, "`<version>:<side>` (PRIMARY KEY: a side signs once)."),
    ("version", "int", True, "Version signed."),
    ("side", "string", True, "`marketing` or `sales` (the contract's owners keys)."),
    ("signer", "string", True, "Who signed."),
    ("signed_at", "timestamp", True, "When (UTC)."),
)

OUTBOX = _t(
    "outbox", "message_id", "Notifications the server owes (webhooks), written in the same "
    "transaction as the decision that caused them; a dispatcher drains it at least once.",
    ("message_id", "string", True, "Delivery id: `<event or firing id>:<kind>:<n>`."),
    ("kind", "string", True, "`assignment`, `sla_warning`, `sla_breach`, `sla_escalation` "
     "or `reassignment`."),
    ("lead_id", "string", True, "Lead it is about."),
    ("event_id", "string", True, "Event (or scheduler firing) that caused it."),
    ("payload", "string", True, "The message body, JSON."),
    ("contract_version", "int", True, "Contract version that decided."),
    ("created_at", "timestamp", True, "When it was written (UTC)."),
)

SLA_FIRINGS = _t(
    "sla_firings", "firing_id", "SLA warnings, breaches and escalation steps the server's "
    "scheduler fired, each once (the key), with its decision log rows and outbox messages.",
    ("firing_id", "string", True, "`<lead>:<sla>:<kind>[:<step>]:<clock start ISO>`."),
    ("lead_id", "string", True, "Lead whose clock it is."),
    ("sla", "string", True, "SLA name (contract key `slas`)."),
    ("kind", "string", True, "`warning`, `breach` or `escalation`."),
    ("step", "int", False, "1-based escalation step (null otherwise)."),
    ("due_at", "timestamp", True, "When it was owed: its business-hours time (UTC)."),
    ("fired_at", "timestamp", True, "When the scheduler fired it (UTC, the server's now)."),
    ("contract_version", "int", True, "Contract version that decided."),
)

WEBHOOK_ENDPOINTS = _t(
    "webhook_endpoints", "endpoint_id", "URLs the outbox's messages are POSTed to, each "
    "with the secret that signs them (kept so it can sign; shown once, at creation).",
    ("endpoint_id", "string", True, "Public id, `wh_<8 hex digits>`."),
    ("name", "string", True, "Name given at creation (default: the URL's host)."),
    ("url", "string", True, "Where messages are POSTed (http or https)."),
    ("format", "string", True, "`json` (the message) or `slack` (`{\"text\": ...}`)."),
    ("secret", "string", True, "The HMAC-SHA256 signing key (never printed again)."),
    ("max_attempts", "int", False, "Failures before a message is parked (null: the "
     "dispatcher's default)."),
    ("created_at", "timestamp", True, "When added (UTC); it receives messages written "
     "from then on."),
    ("removed_at", "timestamp", False, "When removed (UTC), if it was."),
)

WEBHOOK_DELIVERIES = _t(
    "webhook_deliveries", "delivery_key", "Delivery state of each outbox message to each "
    "endpoint (at least once: a message is sent until a 2xx answer or parking).",
    ("delivery_key", "string", True, "`<message_id>@<endpoint_id>`."),
    ("message_id", "string", True, "The outbox message (its delivery id)."),
    ("endpoint_id", "string", True, "The endpoint."),
    ("status", "string", True, "`pending`, `delivered` or `parked`."),
    ("attempts", "int", True, "POSTs made so far."),
    ("last_status", "int", False, "HTTP status of the last attempt (null: no answer)."),
    ("last_error", "string", False, "Why the last attempt failed."),
    ("next_attempt_at", "timestamp", False, "When it is due next (UTC; null once "
     "delivered or parked)."),
    ("delivered_at", "timestamp", False, "When a 2xx answer came (UTC)."),
    ("updated_at", "timestamp", True, "Last change (UTC)."),
)

SERVICE_TABLES: dict[str, FactTable] = {
    t.name: t for t in (RECEIVED_EVENTS, DECISIONS, AUDIT_LOG, API_TOKENS,
                        CONTRACT_PROPOSALS, CONTRACT_SIGNATURES, OUTBOX, SLA_FIRINGS,
                        WEBHOOK_ENDPOINTS, WEBHOOK_DELIVERIES)
}

SQL_TYPES: dict[str, str] = {
    "string": "TEXT",
    "int": "BIGINT",
    "float": "DOUBLE PRECISION",
    "bool": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
}
