"""The engine: contract + facts in, decisions out (docs/engine.md).

- `scoring` — fit per ICP, tier, best ICP, engagement as of a time, with explanations;
- `lead_frame` — the per-lead row every criteria expression reads;
- `lifecycle` — the contract's state machine, replayed over the facts;
- `matching`, `routing` (and `fairness`), `calendar`, `sla_clock`, `speed_to_lead` —
  accounts, owners and business-hours clocks;
- `batch` — `run`: every derived table for the whole store (`accord run`);
- `live` — `Engine.handle(event) -> Decision`, one event at a time.
"""
