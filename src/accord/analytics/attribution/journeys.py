"""Journeys: the touches that preceded each outcome, as flat NumPy arrays.

Every attribution model reads one `Journeys` value. Touches are stored flattened and grouped
by journey in time order (oldest first), so a model is a handful of vectorised array
operations (`np.bincount`, masks) with no Python loop over journeys.

A journey is one buyer's path to one outcome. It carries a count of conversions, a count
of non-conversions ("nulls", needed by the Markov chain) and the booked revenue. The
oracle's grouped layout (one row per distinct path with `total_conversions`,
`total_conversion_value`, `total_null`, as in ChannelAttribution) and one-row-per-buyer
data are the same thing: a buyer who converted is `conversions=1, nulls=0`.

Two touches have roles used by the W-shaped and two-touch models (and by vendors' variants
of U-shaped):
- the **lead-creation touch**: the last touch at or before the moment the lead was created;
- the **opportunity-creation touch**: the last touch at or before the moment the
  opportunity was created.
When the moment is unknown the lead-creation touch is the first touch and the
opportunity-creation touch the last touch. When the moment precedes every touch kept (or
the flagged touch falls outside the lookback window) the role moves to the first touch
kept. Each non-empty journey therefore has exactly one touch of each role (a touch may
hold both).

Lookback (contract key `attribution.lookback_days`): touches older than `lookback_days`
before the journey's end are dropped. The end is the conversion moment for a converted
journey, and the last touch for one that did not convert. A journey left with no touch is
kept: its conversions and revenue are reported as unattributed, never silently lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike, NDArray

from accord.analytics.attribution.errors import AttributionError

NO_CAMPAIGN = "(no campaign)"

Dimension = Literal["channel", "campaign"]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Journeys:
    """Touches of many journeys, flattened; per-journey outcomes alongside.

    Per touch (length `n_touches`, grouped by journey, oldest touch first):
    `journey` (journey index), `position` (0-based within its journey), `channel` (index
    into `channel_names`), `campaign` (index into `campaign_names`, -1 for none; optional),
    `days_before` (days from the touch to the journey's end; optional, needed by
    time-decay), `lead_touch` and `opportunity_touch` (role flags, see module docstring).

    Per journey (length `n_journeys`): `conversions`, `value` (booked revenue), `nulls`
    (non-conversions); derived: `lengths` (touches) and `starts` (index of its first touch).

    `dimension` says what `channel` codes name: `"channel"`, or `"campaign"` after
    `by_campaign()`. Build with `from_paths`, `from_touches` or `from_arrays`; the
    constructor checks every invariant and freezes the arrays.
    """

    channel_names: tuple[str, ...]
    journey: IntArray
    channel: IntArray
    conversions: FloatArray
    value: FloatArray
    nulls: FloatArray
    lead_touch: BoolArray
    opportunity_touch: BoolArray
    days_before: FloatArray | None = None
    campaign: IntArray | None = None
    campaign_names: tuple[str, ...] = ()
    dimension: Dimension = "channel"
    position: IntArray = field(init=False)
    lengths: IntArray = field(init=False)
    starts: IntArray = field(init=False)

    def __post_init__(self) -> None:
        journey = np.asarray(self.journey, dtype=np.int64)
        channel = np.asarray(self.channel, dtype=np.int64)
        conversions = np.asarray(self.conversions, dtype=np.float64)
        value = np.asarray(self.value, dtype=np.float64)
        nulls = np.asarray(self.nulls, dtype=np.float64)
        lead = np.asarray(self.lead_touch, dtype=bool)
        opp = np.asarray(self.opportunity_touch, dtype=bool)
        n_t, n_j = journey.shape[0], conversions.shape[0]
        if journey.ndim != 1 or conversions.ndim != 1:
            raise AttributionError("journey and conversions must be one-dimensional arrays")
        for name, arr, n in (("channel", channel, n_t), ("lead_touch", lead, n_t),
                             ("opportunity_touch", opp, n_t), ("value", value, n_j),
                             ("nulls", nulls, n_j)):
            if arr.shape != (n,):
                raise AttributionError(
                    f"`{name}` has shape {arr.shape}, expected ({n},) like "
                    f"`{'journey' if n == n_t else 'conversions'}`")
        if n_t and (journey[0] < 0 or journey[-1] >= n_j or np.any(np.diff(journey) < 0)):
            raise AttributionError(
                "touches must be grouped by journey in ascending journey index "
                f"(0..{n_j - 1}); sort them by (journey, time) first")
        if n_t and (channel.min() < 0 or channel.max() >= len(self.channel_names)):
            raise AttributionError(
                f"channel codes must lie in 0..{len(self.channel_names) - 1}")
        for name, arr in (("conversions", conversions), ("value", value), ("nulls", nulls)):
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise AttributionError(f"`{name}` must be finite and non-negative")
        lengths = np.bincount(journey, minlength=n_j).astype(np.int64)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        position = np.arange(n_t, dtype=np.int64) - starts[journey]
        nonempty = lengths > 0
        for name, flag in (("lead_touch", lead), ("opportunity_touch", opp)):
            per = np.bincount(journey[flag], minlength=n_j)
            if np.any(per[nonempty] != 1):
                bad = int(np.flatnonzero(nonempty & (per != 1))[0])
                raise AttributionError(
                    f"journey {bad} has {int(per[bad])} touches flagged `{name}`; "
                    "every journey with touches needs exactly one")
        days = None
        if self.days_before is not None:
            days = np.asarray(self.days_before, dtype=np.float64)
            if days.shape != (n_t,) or not np.all(np.isfinite(days)) or np.any(days < 0):
                raise AttributionError(
                    "`days_before` needs one finite, non-negative number of days per touch")
        campaign = None
        if self.campaign is not None:
            campaign = np.asarray(self.campaign, dtype=np.int64)
            if campaign.shape != (n_t,):
                raise AttributionError("`campaign` needs one code per touch (-1 for none)")
            if n_t and (campaign.min() < -1 or campaign.max() >= len(self.campaign_names)):
                raise AttributionError(
                    f"campaign codes must lie in -1..{len(self.campaign_names) - 1}")
        set_ = object.__setattr__
        set_(self, "channel_names", tuple(self.channel_names))
        set_(self, "campaign_names", tuple(self.campaign_names))
        set_(self, "journey", _frozen(journey))
        set_(self, "channel", _frozen(channel))
        set_(self, "conversions", _frozen(conversions))
        set_(self, "value", _frozen(value))
        set_(self, "nulls", _frozen(nulls))
        set_(self, "lead_touch", _frozen(lead))
        set_(self, "opportunity_touch", _frozen(opp))
        set_(self, "days_before", None if days is None else _frozen(days))
        set_(self, "campaign", None if campaign is None else _frozen(campaign))
        set_(self, "position", _frozen(position))
        set_(self, "lengths", _frozen(lengths))
        set_(self, "starts", _frozen(starts))

    # ------------------------------------------------------------------ views
    @property
    def n_journeys(self) -> int:
        return int(self.conversions.shape[0])

    @property
    def n_touches(self) -> int:
        return int(self.journey.shape[0])

    @property
    def total_conversions(self) -> float:
        return float(self.conversions.sum())

    @property
    def total_value(self) -> float:
        return float(self.value.sum())

    @property
    def touch_length(self) -> IntArray:
        """Length of each touch's journey (per touch)."""
        return self.lengths[self.journey]

    @property
    def first_touch(self) -> BoolArray:
        return np.asarray(self.position == 0, dtype=np.bool_)

    @property
    def last_touch(self) -> BoolArray:
        return np.asarray(self.position == self.touch_length - 1, dtype=np.bool_)

    def __repr__(self) -> str:
        return (f"Journeys({self.n_journeys} journeys, {self.n_touches} touches, "
                f"{len(self.channel_names)} {self.dimension}s, "
                f"{self.total_conversions:g} conversions)")

    # ------------------------------------------------------------ transforms
    def by_campaign(self) -> Journeys:
        """The same journeys with each touch's campaign in place of its channel.

        Every model then credits campaigns. Touches without a campaign are credited to
        `"(no campaign)"`, so the sums still equal the totals.
        """
        if self.campaign is None:
            raise AttributionError(
                "these journeys carry no campaigns; pass `campaign_column` when building them")
        names = list(self.campaign_names)
        codes = self.campaign.copy()
        if np.any(codes < 0):
            codes[codes < 0] = len(names)
            names.append(NO_CAMPAIGN)
        return Journeys(
            channel_names=tuple(names), journey=self.journey, channel=codes,
            conversions=self.conversions, value=self.value, nulls=self.nulls,
            lead_touch=self.lead_touch, opportunity_touch=self.opportunity_touch,
            days_before=self.days_before, campaign=None, campaign_names=(),
            dimension="campaign")

    def within(self, lookback_days: float | None) -> Journeys:
        """Drop touches more than `lookback_days` before the journey's end.

        A touch exactly `lookback_days` before is kept. Role flags whose touch is dropped
        move to the first touch kept. `None` keeps everything.
        """
        if lookback_days is None:
            return self
        if lookback_days < 0:
            raise AttributionError("`lookback_days` must be zero or more")
        if self.days_before is None:
            raise AttributionError(
                "a lookback window needs touch times; these journeys have no `days_before`")
        keep = self.days_before <= lookback_days
        if keep.all():
            return self
        journey = self.journey[keep]
        lead = self.lead_touch[keep]
        opp = self.opportunity_touch[keep]
        first = np.ones(journey.shape[0], dtype=bool)
        first[1:] = journey[1:] != journey[:-1]
        lead = _fallback_to(lead, first, journey, self.n_journeys)
        opp = _fallback_to(opp, first, journey, self.n_journeys)
        return Journeys(
            channel_names=self.channel_names, journey=journey, channel=self.channel[keep],
            conversions=self.conversions, value=self.value, nulls=self.nulls,
            lead_touch=lead, opportunity_touch=opp, days_before=self.days_before[keep],
            campaign=None if self.campaign is None else self.campaign[keep],
            campaign_names=self.campaign_names, dimension=self.dimension)

    # ---------------------------------------------------------- constructors
    @classmethod
    def from_arrays(
        cls,
        channel_names: Sequence[str],
        journey: ArrayLike,
        channel: ArrayLike,
        conversions: ArrayLike,
        value: ArrayLike | None = None,
        nulls: ArrayLike | None = None,
        *,
        lead_touch: ArrayLike | None = None,
        opportunity_touch: ArrayLike | None = None,
        days_before: ArrayLike | None = None,
        campaign: ArrayLike | None = None,
        campaign_names: Sequence[str] = (),
    ) -> Journeys:
        """Journeys from flat arrays already grouped by journey and ordered in time.

        Missing role flags take the defaults of the module docstring (lead creation = first
        touch, opportunity creation = last touch); missing `value` and `nulls` are zero.
        """
        journey_a = np.asarray(journey, dtype=np.int64)
        conv = np.asarray(conversions, dtype=np.float64)
        n_j = conv.shape[0]
        first, last = _ends(journey_a)
        return cls(
            channel_names=tuple(channel_names), journey=journey_a,
            channel=np.asarray(channel, dtype=np.int64), conversions=conv,
            value=np.zeros(n_j) if value is None else np.asarray(value, dtype=np.float64),
            nulls=np.zeros(n_j) if nulls is None else np.asarray(nulls, dtype=np.float64),
            lead_touch=first if lead_touch is None else np.asarray(lead_touch, dtype=bool),
            opportunity_touch=(last if opportunity_touch is None
                               else np.asarray(opportunity_touch, dtype=bool)),
            days_before=None if days_before is None else np.asarray(days_before, float),
            campaign=None if campaign is None else np.asarray(campaign, dtype=np.int64),
            campaign_names=tuple(campaign_names))

    @classmethod
    def from_paths(
        cls,
        paths: pd.DataFrame | pa.Table | Sequence[str] | pa.Array | pa.ChunkedArray,
        conversions: ArrayLike | None = None,
        value: ArrayLike | None = None,
        nulls: ArrayLike | None = None,
        *,
        separator: str = ">",
        path_column: str = "path",
        conversions_column: str = "total_conversions",
        value_column: str | None = "total_conversion_value",
        null_column: str | None = "total_null",
        days_column: str | None = None,
        days_before: Sequence[str] | pa.Array | None = None,
    ) -> Journeys:
        """Journeys from paths in ChannelAttribution's layout: `"a > b > c"`, oldest first.

        `paths` is a table (pandas or Arrow) with the oracle's columns
        (`path;total_conversions;total_conversion_value;total_null`) or a sequence of path
        strings with `conversions` (and optionally `value`, `nulls`) given as arrays.
        Channel names are trimmed of surrounding spaces; empty segments are ignored, so `""`
        is a journey with no touch. `days_column` / `days_before` optionally hold each
        touch's days before the end in the same layout (`"30 > 2 > 0"`). Channel codes
        follow the sorted channel names. Parsing is vectorised (Arrow's string kernels).
        """
        days_arr: Any = days_before
        if isinstance(paths, (pd.DataFrame, pa.Table)):
            table = pa.Table.from_pandas(paths, preserve_index=False) \
                if isinstance(paths, pd.DataFrame) else paths
            cols = set(table.column_names)
            if path_column not in cols or conversions_column not in cols:
                raise AttributionError(
                    f"a path table needs columns `{path_column}` and `{conversions_column}`; "
                    f"it has {sorted(cols)}")
            path_arr: Any = table[path_column]
            conversions = table[conversions_column].to_numpy()
            if value is None and value_column and value_column in cols:
                value = table[value_column].to_numpy()
            if nulls is None and null_column and null_column in cols:
                nulls = table[null_column].to_numpy()
            if days_column is not None:
                days_arr = table[days_column]
        else:
            path_arr = paths
            if conversions is None:
                raise AttributionError("path strings need a `conversions` array beside them")
        tokens, journey, n_j = _split_paths(path_arr, separator)
        names, codes = _encode_sorted(tokens)
        days = None
        if days_arr is not None:
            d_tokens, d_journey, d_n = _split_paths(days_arr, separator)
            if d_n != n_j or not np.array_equal(d_journey, journey):
                raise AttributionError("`days_before` must have one number per touch of each path")
            try:
                days = pc.cast(d_tokens, pa.float64()).to_numpy()
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise AttributionError(f"`days_before` holds a non-number: {exc}") from exc
        return cls.from_arrays(
            names, journey, codes, conversions,
            value, nulls, days_before=days)

    @classmethod
    def from_touches(
        cls,
        touches: pd.DataFrame | pa.Table,
        outcomes: pd.DataFrame | pa.Table | None = None,
        *,
        journey_column: str = "journey_id",
        time_column: str = "occurred_at",
        channel_column: str = "channel",
        campaign_column: str | None = None,
        converted_at_column: str = "converted_at",
        value_column: str | None = "value",
        lead_created_at_column: str | None = "lead_created_at",
        opportunity_created_at_column: str | None = "opportunity_created_at",
        lookback_days: float | None = None,
    ) -> Journeys:
        """Journeys from a long touch table and, optionally, one outcome row per journey.

        `touches`: one row per touch with `journey_id`, `occurred_at`, `channel` and
        optionally a campaign column (null = no campaign). `outcomes`: one row per journey
        with `journey_id`, `converted_at` (null = did not convert), booked `value`, and
        optionally `lead_created_at` and `opportunity_created_at`, which place the role
        flags (module docstring). A converted journey counts one conversion, any other one
        null. Touches after the conversion are dropped (they cannot have caused it);
        `lookback_days` then drops touches older than the window (module docstring).
        Journeys in `outcomes` without any touch are kept (their conversions are
        unattributed); journeys only in `touches` did not convert.
        """
        t = touches.to_pandas() if isinstance(touches, pa.Table) else touches
        for col in (journey_column, time_column, channel_column):
            if col not in t.columns:
                raise AttributionError(
                    f"the touch table needs a `{col}` column; it has {list(t.columns)}")
        o: pd.DataFrame | None = None
        if outcomes is not None:
            o = outcomes.to_pandas() if isinstance(outcomes, pa.Table) else outcomes
            if journey_column not in o.columns:
                raise AttributionError(f"the outcome table needs a `{journey_column}` column")
            if o[journey_column].duplicated().any():
                dup = o.loc[o[journey_column].duplicated(), journey_column].iloc[0]
                raise AttributionError(f"the outcome table lists journey {dup!r} twice")
        ids = pd.Index(pd.unique(pd.concat(
            [t[journey_column]] + ([o[journey_column]] if o is not None else []),
            ignore_index=True)))
        n_j = len(ids)
        t_j = ids.get_indexer(t[journey_column]).astype(np.int64)
        t_time = _as_ns(t[time_column], time_column)

        def per_journey(col: str | None) -> NDArray[np.int64] | None:
            """Timestamps (ns) per journey from `outcomes`, NaT as int64 min."""
            if o is None or col is None or col not in o.columns:
                return None
            out = np.full(n_j, np.iinfo(np.int64).min, dtype=np.int64)
            out[ids.get_indexer(o[journey_column])] = _as_ns(o[col], col)
            return out

        nat = np.iinfo(np.int64).min
        converted_at = per_journey(converted_at_column)
        conv = np.zeros(n_j) if converted_at is None else (converted_at != nat).astype(float)
        value = np.zeros(n_j)
        if o is not None and value_column is not None and value_column in o.columns:
            value[ids.get_indexer(o[journey_column])] = \
                pd.to_numeric(o[value_column]).fillna(0.0).to_numpy(dtype=float)
            value = np.where(conv > 0, value, 0.0)

        order = np.lexsort((t_time, t_j))
        t_j, t_time = t_j[order], t_time[order]
        channels_raw = t[channel_column].to_numpy()[order]
        if pd.isna(channels_raw).any():
            raise AttributionError(f"`{channel_column}` is empty on some touches")
        keep = np.ones(t_j.shape[0], dtype=bool)
        if converted_at is not None:
            c_at = converted_at[t_j]
            keep &= (c_at == nat) | (t_time <= c_at)
        t_j, t_time, channels_raw = t_j[keep], t_time[keep], channels_raw[keep]
        sel = np.flatnonzero(keep)
        # the end of each journey: conversion moment, else its last touch kept
        last_ns = np.full(n_j, nat, dtype=np.int64)
        np.maximum.at(last_ns, t_j, t_time)
        end = last_ns if converted_at is None else np.where(converted_at != nat,
                                                             converted_at, last_ns)
        days = (end[t_j] - t_time) / 86_400e9
        names, codes = np.unique(channels_raw.astype(str), return_inverse=True)
        campaign = None
        campaign_names: tuple[str, ...] = ()
        if campaign_column is not None:
            if campaign_column not in t.columns:
                raise AttributionError(f"the touch table has no `{campaign_column}` column")
            raw = t[campaign_column].to_numpy()[order][sel]
            missing = pd.isna(raw)
            c_names, c_codes = np.unique(raw[~missing].astype(str), return_inverse=True)
            campaign = np.full(raw.shape[0], -1, dtype=np.int64)
            campaign[~missing] = c_codes
            campaign_names = tuple(str(n) for n in c_names)
        first, last = _ends(t_j)
        lead = _role_flags(t_j, t_time, per_journey(lead_created_at_column), first, first, n_j)
        opp = _role_flags(t_j, t_time, per_journey(opportunity_created_at_column),
                          last, first, n_j)
        journeys = cls(
            channel_names=tuple(str(n) for n in names), journey=t_j,
            channel=codes.astype(np.int64), conversions=conv, value=value,
            nulls=1.0 - conv, lead_touch=lead, opportunity_touch=opp,
            days_before=days, campaign=campaign, campaign_names=campaign_names)
        return journeys.within(lookback_days)


# ---------------------------------------------------------------------- helpers
def _ends(journey: IntArray) -> tuple[BoolArray, BoolArray]:
    """Masks of the first and last touch of each journey (touches grouped by journey)."""
    n = journey.shape[0]
    first = np.ones(n, dtype=bool)
    last = np.ones(n, dtype=bool)
    if n:
        first[1:] = journey[1:] != journey[:-1]
        last[:-1] = first[1:]
    return first, last


def _fallback_to(flag: BoolArray, fallback: BoolArray, journey: IntArray, n_j: int) -> BoolArray:
    """Keep `flag` in journeys that still have one; elsewhere use `fallback`."""
    has = np.bincount(journey[flag], minlength=n_j) > 0
    return np.where(has[journey], flag, fallback)


def _role_flags(journey: IntArray, time: IntArray, moment: IntArray | None,
                default: BoolArray, before_all: BoolArray, n_j: int) -> BoolArray:
    """Flag the last touch at or before `moment` per journey (see module docstring)."""
    if moment is None:
        return default
    nat = np.iinfo(np.int64).min
    m = moment[journey]
    known = m != nat
    idx = np.arange(journey.shape[0], dtype=np.int64)
    chosen = np.full(n_j, -1, dtype=np.int64)
    hit = known & (time <= m)
    np.maximum.at(chosen, journey[hit], idx[hit])
    flag = np.zeros(journey.shape[0], dtype=bool)
    flag[chosen[chosen >= 0]] = True
    no_moment = ~known
    none_before = known & (chosen[journey] < 0)
    return np.where(no_moment, default, np.where(none_before, before_all, flag))


def _as_ns(col: pd.Series, name: str) -> NDArray[np.int64]:
    """UTC timestamps as int64 nanoseconds; missing values become int64 min."""
    try:
        ts = pd.to_datetime(col, utc=True)
    except (ValueError, TypeError) as exc:
        raise AttributionError(f"`{name}` holds values that are not timestamps: {exc}") from exc
    out = np.asarray(ts.dt.tz_convert(None).astype("datetime64[ns]").to_numpy(),
                     dtype="datetime64[ns]").astype(np.int64)
    out[ts.isna().to_numpy()] = np.iinfo(np.int64).min
    return out


def _split_paths(paths: Any, separator: str) -> tuple[pa.Array, IntArray, int]:
    """Split `"a > b"` strings into trimmed, non-empty tokens and their journey index."""
    arr = paths if isinstance(paths, (pa.Array, pa.ChunkedArray)) else pa.array(paths, pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    n_j = len(arr)
    if arr.null_count:
        raise AttributionError("paths must not be null; use '' for a journey with no touch")
    parts = pc.split_pattern(arr, separator)
    tokens = pc.utf8_trim_whitespace(pc.list_flatten(parts))
    journey = pc.list_parent_indices(parts).to_numpy().astype(np.int64)
    nonempty = pc.greater(pc.utf8_length(tokens), 0)
    if not pc.all(nonempty).as_py():
        tokens = tokens.filter(nonempty)
        journey = journey[nonempty.to_numpy(zero_copy_only=False)]
    return tokens, journey, n_j


def _encode_sorted(tokens: pa.Array) -> tuple[list[str], IntArray]:
    """Dictionary-encode strings (hash, not sort) and renumber codes by sorted name."""
    enc = pc.dictionary_encode(tokens)
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.combine_chunks()
    names = [str(n) for n in enc.dictionary.to_pylist()]
    order = np.argsort(np.array(names, dtype=object), kind="stable")
    rank = np.empty(len(names), dtype=np.int64)
    rank[order] = np.arange(len(names), dtype=np.int64)
    codes = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return [names[i] for i in order], rank[codes]
