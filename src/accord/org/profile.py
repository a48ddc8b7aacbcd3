"""The company profile the advisor reads: size, revenue, products, markets, motion, team.

A profile is a small YAML file (see `examples/org/profile.yaml`) or the same fields as
`accord org advise` flags; flags override the file. Money accepts plain numbers or a
suffix: `8M`, `$750k`, `8,000,000`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from accord.org.catalogue import CombinedModelKey, MarketingModelKey, SalesModelKey
from accord.org.loading import read_yaml, validate
from accord.org.roles import Role

FundingStage = Literal[
    "bootstrapped", "pre_seed", "seed", "series_a", "series_b", "series_c", "series_d_plus",
    "public",
]
# Seed 000 advises against a CRO before Series B.
PRE_SERIES_B: frozenset[str] = frozenset({"pre_seed", "seed", "series_a"})

Motion = Literal["inbound", "outbound", "abm", "plg"]
ReportsTo = Literal["ceo", "cro", "coo", "sales"]

_MONEY = re.compile(r"^\$?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([kKmMbB]?)$")
_SCALE = {"": 1.0, "k": 1e3, "m": 1e6, "b": 1e9}


def parse_money(value: object) -> object:
    """`8M` → 8_000_000.0, `$750k` → 750_000.0, `8,000,000` → 8_000_000.0; others pass on."""
    if isinstance(value, str):
        match = _MONEY.match(value.strip())
        if match is None:
            raise ValueError(f"not an amount: {value!r} (write e.g. 8000000, 8M or 750k)")
        return float(match.group(1).replace(",", "")) * _SCALE[match.group(2).lower()]
    return value


def _given(data: Mapping[str, Any], dotted_key: str) -> bool:
    """Whether `data` holds a value at `dotted_key` (`current.roles`)."""
    node: Any = data
    for part in dotted_key.split("."):
        if not isinstance(node, Mapping) or node.get(part) is None:
            return False
        node = node[part]
    return True


def _names(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CurrentStructure(_Frozen):
    """How the company is organised today, so advice can say what changes."""

    sales_model: SalesModelKey | None = None
    marketing_model: MarketingModelKey | None = None
    combined: tuple[CombinedModelKey, ...] = ()
    marketing_reports_to: ReportsTo | None = None
    roles: tuple[Role, ...] = Field(default=(), description="Roles already filled.")


class CompanyProfile(_Frozen):
    """What the advisor needs to know about a company."""

    name: str | None = None
    employees: int = Field(ge=1)
    arr: float | None = Field(default=None, ge=0, description="Annual recurring revenue, USD.")
    funding_stage: FundingStage | None = None
    products: tuple[str, ...] = Field(default=("core",), min_length=1)
    segments: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    motions: tuple[Motion, ...] = ()
    reps: int | None = Field(default=None, ge=0, description="Reps who take leads.")
    crm_users: int | None = Field(default=None, ge=0)
    total_budget: float | None = Field(default=None, ge=0, description="Annual budget, USD.")
    current: CurrentStructure = CurrentStructure()

    @field_validator("arr", "total_budget", mode="before")
    @classmethod
    def _money(cls, value: object) -> object:
        return parse_money(value)

    @field_validator("products", mode="before")
    @classmethod
    def _products(cls, value: object) -> object:
        """A count is accepted in place of names: `products: 2` (or `--products 2`) →
        product 1, product 2; a comma-separated text is a list of names."""
        if isinstance(value, str):
            value = int(value) if value.strip().isdigit() else _names(value)
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                raise ValueError("a company has at least one product")
            return tuple(f"product {i}" for i in range(1, value + 1))
        return value

    @field_validator("segments", "regions", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        """A comma-separated text (`--segments smb,enterprise`) is a list of names."""
        return _names(value) if isinstance(value, str) else value

    @property
    def is_multi_product(self) -> bool:
        return len(self.products) > 1

    @property
    def is_multi_segment(self) -> bool:
        return len(self.segments) > 1

    @property
    def is_multi_region(self) -> bool:
        return len(self.regions) > 1

    def has(self, role: Role) -> bool:
        return role in self.current.roles


def load_profile(
    path: Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    flags: Mapping[str, str] | None = None,
) -> CompanyProfile:
    """Read a profile file (if any), apply flag `overrides`, and validate the result.

    `overrides` replace top-level fields; a `current` mapping is merged key by key into
    the file's `current`.
    Errors name the file, line and field, or the flag (from `flags`: field or dotted path
    -> flag) that gave the value.
    """
    data: dict[str, Any] = {}
    src = None
    if path is not None:
        src = read_yaml(path)
        data = dict(src.data)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    if isinstance(given.get("current"), Mapping) and isinstance(data.get("current"), Mapping):
        given["current"] = {**data["current"], **given["current"]}
    data.update(given)
    file = str(path) if path is not None else "profile"
    used_flags = {k: f for k, f in (flags or {}).items() if _given(given, k)}
    return validate(CompanyProfile, data, file=file, src=src, flags=used_flags)
