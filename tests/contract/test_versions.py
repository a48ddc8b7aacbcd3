"""Signed contract versions, pure rules: the diff and which version decides when (seed 002:
definitions both teams signed off on; issue 13, item 5). Dates worked by hand."""

from __future__ import annotations

from datetime import datetime
from importlib import resources

import pytest

from accord.contract.versions import (
    Signature,
    active_version,
    diff_contracts,
    is_signed,
    parse_version,
)
from accord.errors import ContractError, UnknownNameError

STARTER = resources.files("accord.contract").joinpath("starter.yaml").read_text("utf-8")


def text(version: int, effective: str, *, within: str = "2 business_hours",
         target: str = "0.70") -> str:
    return (STARTER.replace("version: 1\n", f"version: {version}\n", 1)
            .replace("effective: 2026-01-01", f"effective: {effective}", 1)
            .replace("    within: 2 business_hours\n", f"    within: {within}\n", 1)
            .replace("mql_to_sal: {target: 0.70}", f"mql_to_sal: {{target: {target}}}", 1))


V1 = parse_version(text(1, "2026-01-01"))
V2 = parse_version(text(2, "2026-03-01", within="1 business_hours", target="0.75"))
V3 = parse_version(text(3, "2026-02-01"))


def sig(version: int, side: str, day: str = "2026-01-15") -> Signature:
    return Signature(version, side, f"{side} owner", datetime.fromisoformat(day))


def test_version_keeps_text_hash_number_and_effective_date() -> None:
    import hashlib

    assert V2.version == 2
    assert V2.effective.isoformat() == "2026-03-01"
    assert V2.sha256 == hashlib.sha256(V2.text.encode()).hexdigest()
    assert V2.contract.version == 2


def test_diff_names_changed_sla_and_kpi_target_with_old_and_new_values() -> None:
    changes = {c.key: c for c in diff_contracts(V1.contract, V2.contract)}
    assert changes["version"].old == 1 and changes["version"].new == 2
    assert changes["effective"].new == "2026-03-01"
    assert changes["slas.speed_to_lead.within"].old == "2 business_hours"
    assert changes["slas.speed_to_lead.within"].new == "1 business_hours"
    assert changes["kpis.mql_to_sal.target"].old == pytest.approx(0.70)
    assert changes["kpis.mql_to_sal.target"].new == pytest.approx(0.75)
    assert all(c.change == "changed" for c in changes.values())
    assert len(changes) == 4


def test_diff_reports_added_and_removed_stages_with_their_role() -> None:
    renamed = parse_version(text(4, "2026-04-01").replace("  Nurture:", "  Recycle:")
                            .replace("Nurture", "Recycle"))
    changes = {(c.key, c.change) for c in diff_contracts(V1.contract, renamed.contract)}
    assert ("stages.Nurture.role", "removed") in changes
    assert ("stages.Recycle.role", "added") in changes
    new_role = next(c for c in diff_contracts(V1.contract, renamed.contract)
                    if c.key == "stages.Nurture.role")
    assert new_role.old == "recycled"


def test_first_version_is_all_added() -> None:
    changes = diff_contracts(None, V1.contract)
    assert changes and all(c.change == "added" for c in changes)


def test_version_signed_by_one_side_never_decides() -> None:
    sigs = [sig(1, "marketing"), sig(1, "sales"), sig(2, "marketing")]
    assert not is_signed(2, sigs)
    # long after V2's effective date, V1 still decides: sales never signed V2
    assert active_version([V1, V2], sigs, datetime(2027, 1, 1)).version == 1  # type: ignore[union-attr]


def test_signed_version_decides_from_its_effective_date() -> None:
    sigs = [sig(1, "marketing"), sig(1, "sales"), sig(2, "marketing"), sig(2, "sales")]
    # V2 effective 2026-03-01: the last second of February is still V1's
    assert active_version([V1, V2], sigs, datetime(2026, 2, 28, 23, 59, 59)).version == 1  # type: ignore[union-attr]
    assert active_version([V1, V2], sigs, datetime(2026, 3, 1, 0, 0)).version == 2  # type: ignore[union-attr]
    # before V1's effective date nothing signed decides
    assert active_version([V1, V2], sigs, datetime(2025, 12, 31, 12)) is None


def test_latest_effective_date_decides_not_the_highest_number() -> None:
    sigs = [sig(v, s) for v in (1, 2, 3) for s in ("marketing", "sales")]
    # V3 (effective 2026-02-01) after V1, then V2 (2026-03-01) after V3
    assert active_version([V1, V2, V3], sigs, datetime(2026, 2, 10)).version == 3  # type: ignore[union-attr]
    assert active_version([V1, V2, V3], sigs, datetime(2026, 3, 10)).version == 2  # type: ignore[union-attr]


def test_contract_without_marketing_and_sales_owners_cannot_be_proposed() -> None:
    broken = text(5, "2026-05-01").replace("  sales: VP Sales\n", "  revenue: VP Sales\n")
    broken = broken.replace("owner: sales", "owner: revenue")
    with pytest.raises(ContractError, match="'sales'"):
        parse_version(broken)


def test_unknown_side_is_named() -> None:
    from accord.contract.versions import check_side

    with pytest.raises(UnknownNameError, match="side 'finance'"):
        check_side("finance")
