"""Attribution on the store's facts: journeys built from touches and won deals.

Three leads, hand-worked. Times are days in January 2025.
  L1: touches webinar (1), paid_search (3), email (8); opportunity created day 6,
      won day 20 for 100.            touches after the win (day 25) are ignored
  L2: touch referral (2); won day 9 for 50 (opportunity created day 4)
  L3: touches paid_search (2), email (3); never won
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from accord.analytics.attribution import MODELS, attribute
from accord.analytics.attribution.store_journeys import journeys_from_store
from accord.analytics.kpis.period import parse_period
from accord.cli import app
from accord.facts import FACT_TABLES
from accord.store import Store, open_store


def day(d: int) -> datetime:
    return datetime(2025, 1, d, 12)


def table(name: str, rows: list[dict]) -> pa.Table:
    fact = FACT_TABLES[name]
    return pa.Table.from_pydict({c: [r.get(c) for r in rows] for c in fact.column_names},
                                schema=fact.arrow_schema())


def seed(store: Store) -> None:
    leads = [{"lead_id": f"L{i}", "email": f"{i}@x.com", "channel": "web",
              "created_at": day(1)} for i in (1, 2, 3)]
    touches = [("T1", "L1", "webinar", 1), ("T2", "L1", "paid_search", 3),
               ("T3", "L1", "email", 8), ("T4", "L1", "events", 25),
               ("T5", "L2", "referral", 2), ("T6", "L3", "paid_search", 2),
               ("T7", "L3", "email", 3)]
    opps = [{"opportunity_id": "O1", "lead_id": "L1", "created_at": day(6), "amount": 100.0,
             "status": "won", "closed_at": day(20)},
            {"opportunity_id": "O2", "lead_id": "L2", "created_at": day(4), "amount": 50.0,
             "status": "won", "closed_at": day(9)}]
    store.write_facts({
        "leads": table("leads", leads),
        "touches": table("touches", [{"touch_id": t, "lead_id": lead, "signal": "whitepaper",
                                      "channel": ch, "occurred_at": day(d)}
                                     for t, lead, ch, d in touches]),
        "opportunities": table("opportunities", opps),
    })


def credits(store: Store, model: str, **kw: object) -> dict[str, tuple[float, float]]:
    c = attribute(journeys_from_store(store, **kw), model)
    return {n: (round(float(x), 6), round(float(r), 6))
            for n, x, r in zip(c.names, c.conversions, c.revenue, strict=True) if x}


def test_first_and_last_touch_by_hand(store: Store) -> None:
    seed(store)
    # first: L1 -> webinar (1 win, 100), L2 -> referral (1, 50)
    assert credits(store, "first_touch") == {"webinar": (1, 100), "referral": (1, 50)}
    # last before the win: L1 -> email (day 8; day 25 is after the win), L2 -> referral
    assert credits(store, "last_touch") == {"email": (1, 100), "referral": (1, 50)}


def test_two_touch_uses_the_opportunity_creation_touch(store: Store) -> None:
    seed(store)
    # L1: first = webinar, opportunity created day 6 -> last touch before it = paid_search
    # -> 50/50. L2: first touch is also the opportunity-creation touch -> 100% referral.
    assert credits(store, "two_touch") == {"webinar": (0.5, 50), "paid_search": (0.5, 50),
                                           "referral": (1, 50)}


def test_lookback_drops_old_touches(store: Store) -> None:
    seed(store)
    # 14-day lookback before L1's win on day 20 keeps touches from day 6 on: only email.
    assert credits(store, "first_touch", lookback_days=14) == {"email": (1, 100),
                                                                "referral": (1, 50)}


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_credits_the_wins_and_revenue(store: Store, model: str) -> None:
    seed(store)
    c = attribute(journeys_from_store(store), model)
    assert c.total_conversions == pytest.approx(2)
    assert c.total_revenue == pytest.approx(150)


def test_period_keeps_the_wins_in_it(store: Store) -> None:
    seed(store)
    c = attribute(journeys_from_store(store, period=parse_period("2025-01-01..2025-01-10")),
                  "first_touch")
    assert c.total_conversions == 1 and c.total_revenue == 50  # only L2 won by day 10


def test_attribution_cli_compare_and_help(tmp_path: Path) -> None:
    st = open_store(tmp_path / "s.duckdb")
    seed(st)
    st.close()
    runner = CliRunner()
    base = ["--store", str(tmp_path / "s.duckdb"), "-w", str(tmp_path)]
    out = runner.invoke(app, ["attribution", "--compare", "--json", *base])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert set(data["models"]) == set(MODELS)
    for name in data["models"]:
        assert sum(r[name] for r in data["rows"]) == pytest.approx(2)
    one = json.loads(runner.invoke(app, ["attribution", "--model", "u_shaped", "--json",
                                         *base]).stdout)
    assert one["weights"].startswith("40% first")
    helptext = runner.invoke(app, ["attribution", "--help"]).output
    assert "40% first, 20% spread" in helptext and "two_touch" in helptext
    bad = runner.invoke(app, ["attribution", "--model", "ushaped", *base])
    assert bad.exit_code == 2 and "unknown attribution model 'ushaped'" in bad.output


def test_settings_come_from_the_contract_with_overrides_for_one_run() -> None:
    from accord.analytics.attribution.report import AttributionSettings, attribution_settings
    from accord.contract.compiled import starter_contract
    from accord.errors import UnknownNameError

    starter = starter_contract()  # attribution: w_shaped, 180 days, half-life 7
    assert attribution_settings(starter) == AttributionSettings("w_shaped", 180, 7.0)
    assert attribution_settings(starter, model="linear", lookback_days=30) == \
        AttributionSettings("linear", 30, 7.0)
    # without a contract: the schema's defaults (first-touch, seed 004's mid-market default)
    assert attribution_settings(None) == AttributionSettings("first_touch", 180, 7.0)
    with pytest.raises(UnknownNameError, match=r"did you mean 'u_shaped'.*known: first_touch"):
        attribution_settings(starter, model="ushaped")
