"""The county, provincial and national report: every county's and town's reach, and the follow-up.

全国/省级/县级汇总报告：各县、各乡镇的覆盖与知晓情况，以及每个县需要跟进的村。

A provincial or national justice department keeps its data as a county-partitioned Parquet
dataset (:mod:`pufa_metrics.distributed`). The town report (``pufa report``) answers "which of my
villages need follow-up"; this one answers the same question one level up — **which counties and
towns lag behind, and which villages each county should visit first** — without ever holding the
country in memory:

1. Each Dask partition (one or a few whole counties) runs the town pipeline,
   :func:`pufa_metrics.workflow.analyse`, on its own rows (coverage, village rates without
   shrinkage, which only feeds spatial cold spots, the standing services over the same 12-month
   window as the town report, and the follow-up list with every village; no spatial cold spots:
   the national data has no geometry), then :func:`~pufa_metrics.survey.awareness_rates` and
   the village-clustered :func:`~pufa_metrics.survey.pooled_rates` by county and by town. It
   reduces them with
   :func:`area_summary` to one row per county and per town, and writes these with its villages'
   follow-up list as Parquet: the client never sees village rows.
2. :func:`national_report` then reads the small per-county and per-town tables and writes the
   workbook, the charts and a one-file HTML brief, atomically.

Everything here is computed by the same functions as the town report, so a county's figures are
the ones its own ``pufa report`` would give.
"""

from __future__ import annotations

import base64
import html
import io as _io
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import distributed as _dist
from ._common import check_frame, check_lang
from .blindspots import REASON_CODES, REASONS
from .brief import BRIEF_CSS  # one look for the town and the county brief
from .config import Settings, resolve_settings
from .distributed import SERVICE_TABLES
from .io import Dataset
from .rules import URGENT_SCORE, assessed_reasons
from .services import service_window
from .survey import awareness_rates, pooled_rates
from .workflow import Period, analyse

__all__ = [
    "AREA_HEADERS",
    "area_summary",
    "area_bar",
    "national_report",
    "reason_bar",
    "summarise_partitioned",
]

#: Reasons counted per area (cold spots need geometry, which a national dataset lacks).
_AREA_REASONS: tuple[str, ...] = tuple(r for r in REASON_CODES if r != "cold_spot")
#: The follow-up columns kept in the national list (those present).
_FOLLOW_UP_COLUMNS: tuple[str, ...] = (
    "county", "town", "village_name", "population", "score", "county_priority", "reasons",
    "reasons_zh", "actions_zh", "reasons_en", "actions_en", "n_events", "days_since_last",
    "longest_gap_days", "attendance_per_100", "missing_topics", "missing_audiences",
    "has_site", "n_legal_literates", "literates_target", "adviser_visits", "days_since_adviser",
    "stale_sites", "stale_site_names", "awareness_n", "awareness_rate", "awareness_ci_high",
    "lqas",
)

#: The urgent cut of :mod:`pufa_metrics.rules` as text ("8"): ``national.URGENT_SCORE`` is
#: the rules' value, which every map, brief and workbook takes.
_URGENT = f"{URGENT_SCORE:g}"

#: Chinese headers of the area tables (workbook and brief).
AREA_HEADERS: dict[str, str] = {
    "county": "县（市、区）",
    "town": "乡镇（街道）",
    "n_towns": "乡镇数",
    "n_villages": "村（社区）数",
    "population": "常住人口",
    "villages_reached": "有活动的村数",
    "reach_rate": "村覆盖率",
    "population_reach_rate": "人口覆盖率",
    "n_events": "村级活动场次",
    "events_per_village": "村均活动场次",
    "villages_recent": "近期有活动的村数",
    "recent_rate": "近期活动村比例",
    "villages_missing_topics": "必讲主题未讲全的村数",
    "villages_flagged": "需跟进的村数",
    "villages_urgent": f"重点跟进村数（得分≥{_URGENT}）",
    "respondents": "问卷样本量",
    "awareness_rate": "知晓率",
    "awareness_ci_low": "知晓率95%CI下限",
    "awareness_ci_high": "知晓率95%CI上限",
    "awareness_n_eff": "有效样本量（按村整群）",
    "awareness_items_below": "低于目标的法律数",
    "awareness_lowest_item": "知晓率最低的题目",
    "awareness_lowest_rate": "最低题目知晓率",
    **{f"n_{r}": f"{REASONS[r]['zh']}（村数）" for r in _AREA_REASONS},
}
_EN_HEADERS: dict[str, str] = {
    "county": "County", "town": "Town", "n_towns": "Towns", "n_villages": "Villages",
    "population": "Population", "villages_reached": "Villages reached",
    "reach_rate": "Village reach", "population_reach_rate": "Population reach",
    "n_events": "Village events", "events_per_village": "Events per village",
    "villages_recent": "Villages with a recent event", "recent_rate": "Recent share",
    "villages_missing_topics": "Villages missing required topics",
    "villages_flagged": "Villages to follow up",
    "villages_urgent": f"Urgent villages (score ≥ {_URGENT})",
    "respondents": "Respondents", "awareness_rate": "Awareness",
    "awareness_ci_low": "Awareness 95% CI low", "awareness_ci_high": "Awareness 95% CI high",
    "awareness_n_eff": "Effective n (village clusters)",
    "awareness_items_below": "Laws below target", "awareness_lowest_item": "Lowest item",
    "awareness_lowest_rate": "Lowest item rate",
    **{f"n_{r}": f"{REASONS[r]['en']} (villages)" for r in _AREA_REASONS},
}


def _by(by: str | Sequence[str]) -> list[str]:
    if isinstance(by, str):
        return [by]
    if not isinstance(by, Sequence) or not by or not all(isinstance(b, str) for b in by):
        raise TypeError(f"`by` should be a column name or a list of them, got {by!r}")
    return list(by)


# --------------------------------------------------------------------------------------------
# One row per area
# --------------------------------------------------------------------------------------------


def _awareness_figures(rates: pd.DataFrame | None, pooled: pd.DataFrame | None,
                       keys: list[str], target: float, min_n: int) -> pd.DataFrame:
    """Per area: pooled awareness with its design-based CI, the lowest item, items below target.

    The pooled figures come from ``pooled`` (:func:`~pufa_metrics.survey.pooled_rates`); the
    lowest item and the items whose CI upper bound is below target from ``rates``, among items
    with at least ``min_n`` answers only (as ``find_blind_spots`` judges a village's items).
    """
    parts = []
    if pooled is not None:
        p = pooled.set_index(keys)
        parts.append(pd.DataFrame({
            "respondents": p["n_respondents"].astype("float64"),
            "awareness_rate": p["rate"].astype("float64"),
            "awareness_ci_low": p["ci_low"].astype("float64"),
            "awareness_ci_high": p["ci_high"].astype("float64"),
            "awareness_n_eff": p["n_eff"].astype("float64"),
        }, index=p.index))
    if rates is not None:
        rows = rates[rates["rate"].notna()]
        if "domain" in rows.columns:
            rows = rows[rows["domain"] == "awareness"]
        enough = rows["n"].astype("float64") >= min_n
        work = rows[keys].assign(
            _n=rows["n"].astype("float64"),
            _below=enough & (rows["ci_high"].astype("float64") < target))
        g = work.groupby(keys, observed=True, sort=False, dropna=False)
        items = pd.DataFrame({"_max_n": g["_n"].max(),
                              "awareness_items_below": g["_below"].sum()})
        judged = rows[enough]
        lowest = judged.loc[judged["rate"].astype("float64").groupby(
            [judged[k] for k in keys], observed=True, sort=False, dropna=False).idxmin()]
        lowest = lowest.set_index(keys)
        items["awareness_lowest_item"] = lowest["item"].astype("str").reindex(items.index)
        items["awareness_lowest_rate"] = lowest["rate"].astype("float64").reindex(items.index)
        if pooled is None:  # respondents: the best-answered item's n
            items = items.rename(columns={"_max_n": "respondents"})
        else:
            items = items.drop(columns="_max_n")
        parts.append(items)
    out = pd.concat(parts, axis=1) if len(parts) > 1 else parts[0]
    return out


_AREA_SURVEY = ("respondents", "awareness_rate", "awareness_ci_low", "awareness_ci_high",
                "awareness_n_eff", "awareness_items_below", "awareness_lowest_item",
                "awareness_lowest_rate")


def _suppress_areas(aware: pd.DataFrame, keys: list[str], secondary_by: Sequence[str] | None,
                    k: int) -> pd.DataFrame:
    """Blank the survey figures of areas with fewer than ``k`` respondents (areas surveyed).

    With ``secondary_by`` (e.g. the county of towns), a group where exactly one area is
    suppressed has its next smallest area suppressed too, so that the hidden area cannot be
    worked out from the group's published total (:func:`~pufa_metrics.privacy.suppress_small`).
    Areas with no respondent at all are "not surveyed", not suppressed.
    """
    from .privacy import suppress_small

    surveyed = aware["respondents"] > 0
    flat = aware[surveyed].reset_index()
    hidden = suppress_small(flat, k=k, n="respondents", columns=[],
                            secondary_by=secondary_by)["suppressed"].to_numpy()
    mask = pd.Series(False, index=aware.index)
    mask[surveyed.to_numpy()] = hidden
    out = aware.copy()
    if "awareness_items_below" in out.columns:
        out["awareness_items_below"] = out["awareness_items_below"].astype("Float64")
    for column in _AREA_SURVEY:  # eight columns
        if column in out.columns:
            out[column] = out[column].astype("Float64" if column == "respondents" else
                                             out[column].dtype).mask(mask)
    out["respondents"] = out["respondents"].astype("Int64")
    if "awareness_items_below" in out.columns:
        out["awareness_items_below"] = out["awareness_items_below"].astype("Int64")
    out["awareness_suppressed"] = mask
    return out


def area_summary(
    villages: pd.DataFrame,
    *,
    by: str | Sequence[str] = "county",
    rates: pd.DataFrame | None = None,
    pooled: pd.DataFrame | None = None,
    reasons: Sequence[str] | None = None,
    secondary_by: str | Sequence[str] | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """One row per county (or town, or any area): how far legal education reached its villages.

    Parameters
    ----------
    villages : pandas.DataFrame
        One row per village: ``find_blind_spots(..., include_all=True)`` output (every village,
        those without a reason too) with the ``by`` columns added. Uses ``population``,
        ``n_events``, ``days_since_last``, ``missing_topics``, ``score`` and ``reasons``.
    by : str or list of str, default "county"
        The area columns, e.g. ``["county", "town"]``.
    rates : pandas.DataFrame, optional
        Item rates of the same areas: ``awareness_rates(responses, codebook, by=by)`` (the
        responses carrying the ``by`` columns). Adds the lowest item and the number of items
        whose CI upper bound is below the target, among items with at least
        ``max(min_respondents, suppress_below)`` answers.
    pooled : pandas.DataFrame, optional
        ``pooled_rates(responses, codebook, by=by)`` (:func:`~pufa_metrics.survey.pooled_rates`):
        the area's awareness pooled over the items, with its 95% CI from the village-clustered
        design (respondents are sampled village by village, and answers within a village are
        alike: a simple-random-sample interval would be about twice too narrow).
    secondary_by : str or list of str, optional
        Complementary suppression groups among the areas (e.g. ``"county"`` for towns): where
        exactly one area of a group is suppressed, the next smallest is too, so that the hidden
        one cannot be worked out from the group's published figure.
    reasons : sequence of str, optional
        The reason codes counted in ``n_<reason>`` columns; default every code of
        :data:`~pufa_metrics.blindspots.REASON_CODES` but ``cold_spot``. Pass only those the data
        could assess (no ``n_no_site`` column without a site register: a 0 there would read as
        "every village has a site").
    settings : Settings, optional
        Targets (``max_days_without_event``, ``awareness``) and the small-group limit
        (``[privacy] suppress_below``): awareness of an area with fewer respondents is blanked.

    Returns
    -------
    pandas.DataFrame
        Index ``by``, sorted; columns (see :data:`AREA_HEADERS` for the Chinese headers):

        - ``n_villages``, ``population`` (sum; NA when no village has one)
        - ``villages_reached`` (≥ 1 village event in the period), ``reach_rate`` =
          villages_reached / n_villages, ``population_reach_rate`` = population of the reached
          villages / population of the villages with a known population
        - ``n_events`` (village events), ``events_per_village`` = n_events / n_villages
        - ``villages_recent`` (last event at most ``max_days_without_event`` days before
          ``as_of``), ``recent_rate``
        - ``villages_missing_topics`` (some required topic never covered)
        - ``villages_flagged`` (score > 0), ``villages_urgent`` (score ≥
          :data:`pufa_metrics.rules.URGENT_SCORE`)
        - ``n_<reason>`` for each of ``reasons``: villages with that reason
        - with ``pooled``: ``respondents``, ``awareness_rate``, ``awareness_ci_low``,
          ``awareness_ci_high``, ``awareness_n_eff`` (design-based effective n); with
          ``rates``: ``awareness_items_below``, ``awareness_lowest_item``,
          ``awareness_lowest_rate`` (and ``respondents`` = the best-answered item's n when
          ``pooled`` is not given); with either, ``awareness_suppressed``: an area with fewer
          than ``suppress_below`` respondents has all of these blanked.

    Examples
    --------
    Two counties; 甲县 has three villages, one never reached (its population 500 of 3,000):

    >>> v = pd.DataFrame({
    ...     "county": ["甲县", "甲县", "甲县", "乙县"],
    ...     "population": [1000, 1500, 500, 800], "n_events": [4, 2, 0, 7],
    ...     "days_since_last": [30.0, 400.0, np.nan, 10.0],
    ...     "missing_topics": [(), ("禁毒",), ("宪法", "禁毒"), ()],
    ...     "score": [0.0, 4.5, 7.0, 0.0],
    ...     "reasons": [(), ("stale", "missing_topics"), ("no_events", "missing_topics"), ()]})
    >>> s = area_summary(v, settings=Settings())
    >>> s[["n_villages", "villages_reached", "reach_rate", "population_reach_rate"]].round(3)
          n_villages  villages_reached  reach_rate  population_reach_rate
    county
    乙县             1                 1       1.000                  1.000
    甲县             3                 2       0.667                  0.833
    >>> cols = ["villages_recent", "villages_flagged", "n_stale", "n_missing_topics"]
    >>> s.loc["甲县", cols].tolist()
    [1, 2, 1, 2]
    """
    keys = _by(by)
    if not isinstance(villages, pd.DataFrame):
        raise TypeError(f"`villages` should be a DataFrame, got {type(villages).__name__}")
    needed = [*keys, "population", "n_events", "days_since_last", "score", "reasons"]
    missing = [c for c in needed if c not in villages.columns]
    if missing:
        raise ValueError(
            f"`villages` lacks the columns {missing}; pass find_blind_spots(..., "
            "include_all=True) output with the area columns added（缺少列："
            f"{'、'.join(missing)}）"
        )
    st = resolve_settings(settings)
    if reasons is None:
        counted = list(_AREA_REASONS)
    else:
        if isinstance(reasons, str) or not all(r in REASON_CODES for r in reasons):
            raise ValueError(
                f"`reasons` should be a list of codes among {list(REASON_CODES)}, got {reasons!r}"
            )
        counted = [r for r in REASON_CODES if r in set(reasons)]
    max_days = float(st.targets["max_days_without_event"])
    pop = pd.to_numeric(villages["population"], errors="coerce").astype("float64")
    events = pd.to_numeric(villages["n_events"], errors="coerce").fillna(0).astype("int64")
    days = pd.to_numeric(villages["days_since_last"], errors="coerce").astype("float64")
    score = pd.to_numeric(villages["score"], errors="coerce").fillna(0.0).astype("float64")
    reached = events > 0
    topics = (villages["missing_topics"].map(len, na_action="ignore").fillna(0).astype("int64")
              if "missing_topics" in villages.columns else pd.Series(0, index=villages.index))
    work = villages[keys].assign(
        _one=1, _pop=pop, _pop_known=pop.where(pop.notna() & reached.notna(), np.nan),
        _pop_reached=pop.where(reached, 0.0).where(pop.notna()), _reached=reached.astype("int64"),
        _events=events, _recent=(days <= max_days).astype("int64"),
        _topics=(topics > 0).astype("int64"), _flagged=(score > 0).astype("int64"),
        _urgent=(score >= URGENT_SCORE).astype("int64"),
    )
    g = work.groupby(keys, observed=True, sort=True, dropna=False)
    sums = g[["_one", "_reached", "_events", "_recent", "_topics", "_flagged", "_urgent"]].sum()
    pops = g[["_pop", "_pop_reached"]].sum(min_count=1)
    out = pd.DataFrame({
        "n_villages": sums["_one"],
        "population": pops["_pop"].astype("Int64"),
        "villages_reached": sums["_reached"],
        "reach_rate": sums["_reached"] / sums["_one"],
        "population_reach_rate": pops["_pop_reached"] / pops["_pop"],
        "n_events": sums["_events"],
        "events_per_village": sums["_events"] / sums["_one"],
        "villages_recent": sums["_recent"],
        "recent_rate": sums["_recent"] / sums["_one"],
        "villages_missing_topics": sums["_topics"],
        "villages_flagged": sums["_flagged"],
        "villages_urgent": sums["_urgent"],
    })
    # reason counts: one row per (village, reason), counted per area and reason
    exploded = villages[keys].assign(_reason=villages["reasons"]).explode("_reason")
    exploded = exploded[exploded["_reason"].isin(counted)]
    counts = (exploded.groupby([*keys, "_reason"], observed=True, sort=False, dropna=False)
              .size().unstack("_reason"))
    counts = counts.reindex(index=out.index, columns=counted).fillna(0)
    counts = counts.astype("int64").add_prefix("n_")
    counts.columns.name = None
    out = out.join(counts)
    needs = {"rates": (rates, [*keys, "item", "n", "rate", "ci_high"], "awareness_rates"),
             "pooled": (pooled, [*keys, "n_respondents", "rate", "ci_low", "ci_high", "n_eff"],
                        "pooled_rates")}
    for name, (frame, columns, producer) in needs.items():  # two frames
        if frame is None:
            continue
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"`{name}` should be a DataFrame, got {type(frame).__name__}")
        lacking = [c for c in columns if c not in frame.columns]
        if lacking:
            raise ValueError(
                f"`{name}` lacks the columns {lacking}; pass {producer}(..., by={keys!r})"
                f"（问卷结果缺少列：{'、'.join(lacking)}）"
            )
    if rates is not None or pooled is not None:
        min_n = max(int(st.targets["min_respondents"]), st.suppress_below)
        aware = _awareness_figures(rates, pooled, keys, float(st.targets["awareness"]), min_n)
        aware = aware.reindex(out.index)
        aware["respondents"] = aware["respondents"].fillna(0).astype("int64")
        aware = _suppress_areas(aware, keys, secondary_by, st.suppress_below)
        out = out.join(aware)
    return out.sort_index()


# --------------------------------------------------------------------------------------------
# The partition task
# --------------------------------------------------------------------------------------------


def _area_rates(responses: pd.DataFrame, codebook: pd.DataFrame, keys: list[str],
                weight: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Awareness items and pooled awareness per area; empty frames when no one answered."""
    area = {k: pd.Series(dtype="str") for k in keys}
    answered = responses[responses["village_id"].notna()]
    if len(answered):
        return (awareness_rates(answered, codebook, by=keys, domain="awareness",
                                weight=weight),
                pooled_rates(answered, codebook, by=keys, domain="awareness", weight=weight))
    floats = {c: pd.Series(dtype="float64") for c in ("rate", "ci_low", "ci_high", "n_eff")}
    return (pd.DataFrame({**area, "item": pd.Series(dtype="str"),
                          "domain": pd.Series(dtype="str"), "n": pd.Series(dtype="int64"),
                          **floats}),
            pd.DataFrame({**area, "n_respondents": pd.Series(dtype="int64"), **floats}))


#: Figures of one village's survey answers, blanked when it has fewer than k respondents.
_VILLAGE_SURVEY = ("awareness_rate", "awareness_ci_high", "awareness_rate_shrunk", "lqas")


def _suppress_villages(follow_up: pd.DataFrame, k: int) -> pd.DataFrame:
    """Blank the survey figures of villages with fewer than ``k`` respondents (shown "<k")."""
    if "awareness_n" not in follow_up.columns:
        return follow_up
    n = pd.to_numeric(follow_up["awareness_n"], errors="coerce").astype("float64")
    small = (n > 0) & (n < k)
    out = follow_up.copy()
    for column in _VILLAGE_SURVEY:  # four columns
        if column in out.columns:
            out[column] = out[column].mask(small)
    out["awareness_n"] = n.mask(small).astype("Int64")
    out["awareness_suppressed"] = small
    return out


#: Columns of the optional service tables that :func:`~pufa_metrics.services.service_coverage`
#: and ``village_coverage(..., sites=)`` use (those present are read).
_SERVICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sites": ("site_id", "site_name", "village_id", "level", "last_updated"),
    "legal_literates": ("person_id", "village_id", "group", "trained_hours", "year"),
    "adviser_visits": ("date", "village_id", "service", "lectures", "consultations",
                       "mediations"),
}


def _inputs(event_columns: Sequence[str], tables: Sequence[str], site_updates: bool, *,
            surveyed: bool) -> list[str]:
    """The inputs of the rules (:data:`pufa_metrics.rules.INPUTS`) a partitioned dataset holds.

    ``sites.last_updated`` needs update dates somewhere in the site register
    (:func:`~pufa_metrics.services.service_coverage` leaves staleness unassessed otherwise).
    There is never village geometry.
    """
    out = ["events"]
    out += [f"events.{c}" for c in ("attendees", "topic", "audience") if c in event_columns]
    out += [t for t in SERVICE_TABLES if t in tables]
    out += ["sites.last_updated"] if "sites" in tables and site_updates else []
    return out + (["rates"] if surveyed else [])


def _masked(follow_up: pd.DataFrame) -> pd.DataFrame:
    """The follow-up list with personal data in its free text replaced by ``[已隐去]``.

    A site named with its keeper's phone number, say: a partitioned dataset written from frames
    that never went through the ledger reader has not been scrubbed.
    """
    from .privacy import mask_personal_data

    out = follow_up.copy()
    for column in out.columns:  # a few text columns
        if pd.api.types.is_string_dtype(out[column]) and not isinstance(
                out[column].dtype, pd.CategoricalDtype):
            out[column] = mask_personal_data(out[column])[0].astype(out[column].dtype)
    return out


class _SummaryPart:
    """One partition (a few whole counties): the town pipeline, reduced to areas, written out."""

    def __init__(self, root: str, out: str, settings: Settings, codebook: pd.DataFrame | None,
                 options: dict[str, Any], groups: list):
        self.root, self.out, self.settings, self.codebook = root, out, settings, codebook
        self.options = options
        self.number = {group: i for i, group in enumerate(groups)}

    def _data(self, group: tuple[str, ...]) -> Dataset:
        """The partition's rows as a Dataset of the tables a national dataset holds."""
        opt = self.options
        villages = _dist.read_counties(self.root, "villages", group, with_key=True)
        villages = villages.drop(columns=[c for c in villages.columns
                                          if c not in ("village_id", "village_name", "town",
                                                       "kind", "population", "county")])
        topics = (_dist.read_counties(self.root, "event_topics", group,
                                      columns=["event_id", "topic"])
                  if _dist.has_table(self.root, "event_topics") else None)
        # source_file: a ledger that did not record a field leaves its reason not assessed
        wanted = ("event_id", "date", "village_id", "topic", "attendees", "audience",
                  "source_file")
        columns = [c for c in wanted if c in opt["event_columns"]
                   and (c != "event_id" or topics is not None)]
        tables = opt["service_tables"]
        # in a dataset with sites, a county without any has none (an empty frame, not None)
        service = {t: _dist.read_counties(self.root, t, group, columns=_SERVICE_COLUMNS[t])
                   if t in tables else None for t in _SERVICE_COLUMNS}
        responses = (_dist.read_counties(self.root, "responses", group)
                     if self.codebook is not None else None)
        events = _dist.read_counties(self.root, "events", group, columns=columns)
        return Dataset(villages=villages, events=events,
                       event_topics=topics, responses=responses, codebook=self.codebook,
                       cadres=None, geometry=None, **service)

    def _frames(self, group: tuple[str, ...]) -> dict[str, pd.DataFrame]:
        st, opt = self.settings, self.options
        data = self._data(group)
        tables = (*opt["service_tables"], *(["responses"] if self.codebook is not None else []))
        # the town pipeline on these counties' rows: every figure of a village is the one its
        # own report gives (no shrinkage: it only feeds cold spots, and there is no geometry)
        blind = analyse(
            data, settings=st, period=opt["period"], parts=(), tables=tables, include_all=True,
            shrink=False, weight=opt["weight"],
            site_updates_recorded=bool(opt["site_updates"]) if "sites" in tables else None,
        ).follow_up
        villages = data.villages
        place = villages.set_index(villages["village_id"].astype("str"))
        blind.insert(0, "county", place["county"].reindex(blind.index.astype("str")).to_numpy())
        area = None
        if self.codebook is not None:  # the dataset is surveyed: every county is judged on it
            ids = data.responses["village_id"].astype("str")
            area = data.responses.assign(
                county=place["county"].reindex(ids).to_numpy(),
                town=(place["town"].reindex(ids).to_numpy() if "town" in place.columns
                      else np.nan))
        assessed = opt["assessed"]
        levels = [("counties", ["county"])]
        if "town" in place.columns:
            levels.append(("towns", ["county", "town"]))
        out = {}
        for name, keys in levels:  # county, then town
            level_rates = level_pooled = None
            if area is not None:
                level_rates, level_pooled = _area_rates(area, self.codebook, keys,
                                                        opt["weight"])
            out[name] = area_summary(blind, by=keys, rates=level_rates, pooled=level_pooled,
                                     reasons=assessed,
                                     secondary_by=["county"] if name == "towns" else None,
                                     settings=st)
        flagged = blind[blind["score"] > 0]
        flagged = flagged.sort_values(["county", "priority"], kind="stable")
        flagged = flagged.assign(
            county_priority=flagged.groupby("county", sort=False).cumcount() + 1)
        keep = [c for c in _FOLLOW_UP_COLUMNS if c in flagged.columns]
        out["follow_up"] = _masked(_suppress_villages(flagged[keep], st.suppress_below)
                                   ).reset_index()
        return out

    def __call__(self, group: tuple[str, ...]) -> pd.DataFrame:
        try:
            frames = self._frames(group)
        except ValueError as exc:
            raise ValueError(f"counties {list(group)}（县 {'、'.join(group)}）: {exc}") from exc
        rows = {"towns": 0}
        for name, frame in frames.items():
            frame = frame.reset_index() if name != "follow_up" else frame
            frame.attrs = {}
            for column in frame.columns:  # tuples are stored as lists
                if frame[column].dtype == object:
                    frame[column] = frame[column].map(
                        lambda v: list(v) if isinstance(v, tuple) else v)
            folder = Path(self.out) / name
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False),
                           folder / f"part-{self.number[group]:05d}.parquet")
            rows[name] = len(frame)
        return pd.DataFrame({
            "first_county": pd.array([group[0]], dtype="str"),
            "last_county": pd.array([group[-1]], dtype="str"),
            "counties": np.array([rows["counties"]], dtype=np.int64),
            "towns": np.array([rows["towns"]], dtype=np.int64),
            "follow_up": np.array([rows["follow_up"]], dtype=np.int64),
        })


def _read_parts(folder: Path) -> pd.DataFrame:
    files = sorted(folder.glob("part-*.parquet"))
    if not files:  # e.g. towns of a register without a town column
        return pd.DataFrame()
    tables = [pq.read_table(f) for f in files]  # one small file per partition
    frame = pa.concat_tables(tables, promote_options="default").to_pandas()
    for column in ("reasons", "missing_topics", "missing_audiences"):
        if column in frame.columns:
            frame[column] = frame[column].map(
                lambda v: tuple(v.tolist() if hasattr(v, "tolist") else v), na_action="ignore")
    return frame


def summarise_partitioned(
    root: str | os.PathLike,
    out: str | os.PathLike,
    *,
    settings: Settings | None = None,
    codebook: pd.DataFrame | None = None,
    weight: str | bool | None = None,
    counties_per_partition: int | None = None,
) -> dict[str, pd.DataFrame]:
    """Per-county and per-town summaries and the follow-up list of a county-partitioned dataset.

    Runs on the active Dask scheduler (see :func:`pufa_metrics.distributed.connect`): each
    partition of whole counties computes coverage, survey rates and blind spots for its villages
    and writes ``out/counties``, ``out/towns`` and ``out/follow_up`` (one Parquet file per
    partition); only these small tables are read back.

    The standing services are assessed as the town report assesses them
    (:func:`pufa_metrics.workflow.analyse`: :func:`~pufa_metrics.services.service_coverage`
    over :func:`~pufa_metrics.services.service_window`) when the dataset has their tables:
    ``sites`` gives ``no_site`` (and ``stale_site`` when some site has an update date),
    ``legal_literates`` gives ``few_legal_literates``, ``adviser_visits`` gives
    ``adviser_absent``. Whether a table is there is decided once for the whole dataset, as for
    the survey, so that the partitioning never changes a figure: in a dataset with sites, the
    villages of a county without site rows have no site.

    Parameters
    ----------
    root : str or path
        The county-partitioned dataset (:mod:`pufa_metrics.distributed` layout).
    out : str or path
        Folder for the per-partition files (its three sub-folders are replaced).
    settings : Settings, optional
        Period, targets and thresholds (default ``Settings.load()``); a period left empty
        defaults to the dataset's first and last event dates.
    codebook : pandas.DataFrame, optional
        The survey codebook; default ``root/codebook.parquet`` when present. Without one, or
        without responses, the survey columns are left out.
    weight : None, False or str
        Survey weights, as in :func:`~pufa_metrics.survey.awareness_rates`.
    counties_per_partition : int, optional
        Whole counties per Dask task. Default: the counties split into about 32 tasks
        (``pufa_metrics.distributed.TASKS``), at least one county each. Each task has a fixed
        cost of about 0.3 s (the blind-spot rules are many small pandas steps): at 490,000
        villages in 2,800 counties, 25 counties per task took 91 s with 2 workers and 100
        counties 31 s.

    Returns
    -------
    dict
        ``{"counties": …, "towns": …, "follow_up": …}``: :func:`area_summary` frames indexed by
        ``county`` and ``[county, town]`` (no ``towns`` when the register has no ``town``
        column), and every village with a reason, ranked within its county
        (``county_priority``); survey figures of villages with fewer than ``[privacy]
        suppress_below`` respondents are blanked (``awareness_suppressed``). ``n_no_site``,
        ``n_stale_site``, ``n_few_legal_literates`` and ``n_adviser_absent`` are there only
        when assessed. Each frame's ``attrs``: ``start``, ``end``, ``as_of``,
        ``service_tables`` (the service tables of the dataset) and ``not_assessed`` (reason
        codes the data cannot support: ``cold_spot`` always, as there is no village geometry).

    Examples
    --------
    >>> import tempfile, dask
    >>> from pufa_metrics.ingest import write_partitioned
    >>> tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["A1", "A2", "B1"], "village_name": ["甲村", "乙村",
    ...                          "丙村"], "town": ["一镇", "一镇", "二镇"],
    ...                          "population": [900, 700, 500], "county": ["甲县", "甲县", "乙县"]})
    >>> events = pd.DataFrame({"date": pd.to_datetime(["2024-03-01", "2024-05-02"]),
    ...                        "village_id": ["A1", "B1"], "topic": ["宪法", "禁毒"]})
    >>> root = write_partitioned({"villages": villages, "events": events}, f"{tmp.name}/data")
    >>> settings = Settings.from_dict({"period": {"start": "2024-01-01", "end": "2024-12-31"}})
    >>> with dask.config.set(scheduler="sync"):
    ...     s = summarise_partitioned(root, f"{tmp.name}/out", settings=settings)
    >>> s["counties"].index.tolist()
    ['乙县', '甲县']
    >>> s["counties"][["n_villages", "villages_reached", "n_no_events"]].values.tolist()
    [[1, 1, 0], [2, 1, 1]]
    >>> s["follow_up"].query("county == '甲县'")["village_name"].tolist()[0]
    '乙村'
    >>> tmp.cleanup()
    """
    path = _dist.check_dataset(root)
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"`out` should be a folder path, got {type(out).__name__} {out!r}")
    st = resolve_settings(settings)
    start, end = _dist.dataset_period(path, start=st.start, end=st.end)
    as_of = st.as_of if st.as_of is not None else end
    if codebook is None and (path / "codebook.parquet").is_file():
        codebook = pd.read_parquet(path / "codebook.parquet")
    if codebook is not None:
        check_frame(codebook, "codebook")
    # surveyed or not is decided once for the whole dataset, so that every county is judged
    # alike (a county with no answers in a surveyed dataset: its villages' awareness is unknown)
    if (codebook is None or not _dist.counties(path, table="responses")
            or "domain" not in codebook.columns or not (codebook["domain"] == "awareness").any()):
        codebook = None
    event_columns = _dist.table_columns(path, "events") or ["date", "village_id"]
    # the service tables too: a dataset with sites judges every county on them (a county with
    # no site rows: its villages have no site), whatever the partitioning
    tables = tuple(t for t in SERVICE_TABLES if _dist.has_table(path, t))
    site_updates = "sites" in tables and _dist.has_values(path, "sites", "last_updated")
    assessed = assessed_reasons(
        _inputs(event_columns, tables, site_updates, surveyed=codebook is not None),
        settings=st)
    groups = _dist.county_groups(_dist.counties(path),
                                 counties_per_partition=counties_per_partition)
    target = Path(out)
    for name in ("counties", "towns", "follow_up"):
        if (target / name).is_dir():
            shutil.rmtree(target / name)
    part = _SummaryPart(str(path), str(target), st, codebook,
                        {"period": Period(pd.Timestamp(start), pd.Timestamp(end),
                                          pd.Timestamp(as_of)), "weight": weight,
                         "event_columns": event_columns, "service_tables": tables,
                         "site_updates": site_updates, "assessed": assessed}, groups)
    meta = pd.DataFrame({
        "first_county": pd.array([], dtype="str"), "last_county": pd.array([], dtype="str"),
        "counties": np.array([], dtype=np.int64), "towns": np.array([], dtype=np.int64),
        "follow_up": np.array([], dtype=np.int64),
    })
    _dist.map_counties(part, groups, meta=meta, label="national_summary").compute()
    counties = _read_parts(target / "counties").set_index("county").sort_index()
    towns = _read_parts(target / "towns")
    towns = (towns.set_index(["county", "town"]).sort_index() if len(towns.columns)
             else None)
    follow_up = _read_parts(target / "follow_up").set_index("village_id")
    follow_up = follow_up.sort_values(["county", "county_priority"], kind="stable")
    frames = {"counties": counties, "towns": towns, "follow_up": follow_up}
    if towns is None:
        del frames["towns"]
    # what a partitioned dataset may lack: geometry always, its service tables often
    possible = set(assessed_reasons(
        ["geometry", *SERVICE_TABLES, "sites.last_updated"], settings=st))
    not_assessed = tuple(r for r in REASON_CODES if r in possible and r not in assessed)
    for frame in frames.values():
        frame.attrs = {"start": pd.Timestamp(start), "end": pd.Timestamp(end),
                       "as_of": pd.Timestamp(as_of), "service_tables": tables,
                       "not_assessed": not_assessed}
    return frames


# --------------------------------------------------------------------------------------------
# Charts
# --------------------------------------------------------------------------------------------


def _pick(zh: str, en: str, lang: str) -> str:
    return zh if lang == "zh" else en


def area_bar(
    summary: pd.DataFrame,
    *,
    column: str = "reach_rate",
    n: int = 30,
    target: float | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
    ax: Any = None,
):
    """The ``n`` areas with the lowest ``column`` (a share), with the overall median and a target.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`area_summary` output (index: the area).
    column : str, default "reach_rate"
        A share between 0 and 1 (``reach_rate``, ``population_reach_rate``, ``recent_rate``,
        ``awareness_rate``). Areas where it is missing (awareness suppressed or not surveyed)
        are not drawn.
    n : int, default 30
        How many areas to show.
    target : float, optional
        A dashed target line (e.g. 0.9 for awareness); bars below it are vermillion.
    lang, title, caption, synthetic, ax
        As in :func:`pufa_metrics.plots.coverage_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> s = pd.DataFrame({"reach_rate": [0.5, 1.0, 0.8], "n_villages": [4, 3, 5]},
    ...                  index=pd.Index(["甲县", "乙县", "丙县"], name="county"))
    >>> fig = area_bar(s, n=2)
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['丙县（5村）', '甲县（4村）']
    """
    from . import plots as P

    check_lang(lang)
    if not isinstance(summary, pd.DataFrame) or column not in summary.columns:
        raise ValueError(f"`summary` should be an area_summary frame with a {column!r} column")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"`n` should be a whole number ≥ 1, got {n!r}")
    values = pd.to_numeric(summary[column], errors="coerce").astype("float64").dropna()
    median = float(values.median()) if len(values) else np.nan
    shown = values.sort_values(kind="stable").iloc[:n].iloc[::-1]
    labels = [" ".join(map(str, k)) if isinstance(k, tuple) else str(k) for k in shown.index]
    if "n_villages" in summary.columns:
        sizes = summary.loc[shown.index, "n_villages"].to_numpy()
        labels = [_pick(f"{a}（{int(b)}村）", f"{a} ({int(b)} villages)", lang)
                  for a, b in zip(labels, sizes)]
    header = AREA_HEADERS if lang == "zh" else _EN_HEADERS
    metric = header.get(column, column)
    level = header.get(summary.index.names[-1] or "", "")
    with P.house_style():
        ax = P.chart_axes(ax, (P.FIG_WIDTH, P.rows_height(len(shown))))
        if shown.empty:
            P.no_data_message(ax, _pick("无数据", "No data", lang))
            return P.finish_chart(ax, title=title or metric, caption=[caption or ""],
                             synthetic=synthetic, lang=lang)
        y = np.arange(len(shown))
        v = shown.to_numpy()
        below = v < target if target is not None else np.zeros(len(v), dtype=bool)
        bars = ax.barh(y, v, height=0.68, color=np.where(below, P.VERMILLION, P.BLUE))
        ci = ("awareness_ci_low", "awareness_ci_high") if column == "awareness_rate" else None
        if ci and all(c in summary.columns for c in ci):
            low = summary.loc[shown.index, ci[0]].astype("float64").to_numpy()
            high = summary.loc[shown.index, ci[1]].astype("float64").to_numpy()
            ax.errorbar(v, y, xerr=np.vstack([v - low, high - v]), fmt="none", ecolor=P.INK,
                        elinewidth=1.0, capsize=2.5, zorder=3)
            ax.bar_label(bars, labels=[f"{x * 100:.0f}%" for x in v], padding=3, fontsize=8.5,
                         color="white", label_type="center")
        else:
            ax.bar_label(bars, labels=[f"{x * 100:.0f}%" for x in v], padding=3, fontsize=8.5,
                         color=P.INK)
        ax.set_yticks(y, labels=labels)
        ax.set_ylim(-0.6, len(shown) - 0.4)
        ax.set_xlim(0, 1.12)
        ax.xaxis.set_major_formatter(P.PercentFormatter(1.0))
        ax.set_xlabel(metric)
        ax.xaxis.grid(True)
        ax.set_axisbelow(True)
        ax.axvline(median, color=P.GREY, linestyle=":", linewidth=1.2)
        extra = []
        if target is not None:
            extra.append(P.target_line(ax, target, _pick(f"目标 {target * 100:.0f}%",
                                                          f"target {target * 100:.0f}%", lang)))
        note = _pick(f"点线：全部{len(values):,}个{level}的中位数 {median * 100:.0f}%",
                     f"Dotted line: median of all {len(values):,} areas, {median * 100:.0f}%",
                     lang)
        if ci and all(c in summary.columns for c in ci):
            note += _pick("；横线：95%置信区间（按村整群抽样）",
                          "; whiskers: 95% confidence interval (village-clustered sample)", lang)
        default = _pick(f"{metric}最低的{len(shown)}个{level}",
                        f"The {len(shown)} areas with the lowest {metric.lower()}", lang)
        return P.finish_chart(ax, title=title or default, caption=[caption or "", note],
                         synthetic=synthetic, lang=lang, extra_axes=extra)


def reason_bar(
    summary: pd.DataFrame,
    *,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
    ax: Any = None,
):
    """How many villages carry each blind-spot reason, over all areas of ``summary``.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`area_summary` output (the ``n_<reason>`` columns are summed).
    lang, title, caption, synthetic, ax
        As in :func:`area_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> s = pd.DataFrame({"n_villages": [10, 5], "n_no_events": [1, 2], "n_stale": [0, 4]})
    >>> fig = reason_bar(s)
    >>> # bottom to top: 无普法活动 1 + 2 = 3, 长期无活动 0 + 4 = 4
    >>> [float(p.get_width()) for p in fig.axes[0].patches]
    [3.0, 4.0]
    """
    from . import plots as P

    check_lang(lang)
    columns = [f"n_{r}" for r in _AREA_REASONS if f"n_{r}" in summary.columns]
    if not isinstance(summary, pd.DataFrame) or not columns:
        raise ValueError("`summary` should be an area_summary frame with n_<reason> columns")
    totals = summary[columns].sum().astype("int64")
    totals = totals[totals > 0].sort_values(kind="stable")
    n_villages = int(summary["n_villages"].sum()) if "n_villages" in summary.columns else None
    labels = [REASONS[c[2:]]["zh" if lang == "zh" else "en"] for c in totals.index]
    with P.house_style():
        ax = P.chart_axes(ax, (P.FIG_WIDTH, P.rows_height(max(len(totals), 1), per_row=0.4)))
        if totals.empty:
            P.no_data_message(ax, _pick("没有需要跟进的村", "No village needs follow-up", lang))
        else:
            y = np.arange(len(totals))
            bars = ax.barh(y, totals.to_numpy(), height=0.6, color=P.VERMILLION)
            text = [f"{v:,}" + (f"（{v / n_villages * 100:.1f}%）" if n_villages else "")
                    for v in totals.to_numpy()]
            ax.bar_label(bars, labels=text, padding=3, fontsize=8.5, color=P.INK)
            ax.set_yticks(y, labels=labels)
            ax.set_xlim(0, totals.max() * 1.3)
            ax.set_xlabel(_pick("村（社区）数", "Villages", lang))
            ax.xaxis.grid(True)
            ax.set_axisbelow(True)
        note = (_pick(f"共{n_villages:,}个村（社区）；一个村可有多项原因。",
                      f"{n_villages:,} villages in all; a village may have several reasons.",
                      lang) if n_villages else "")
        default = _pick("需跟进的原因（村数）", "Why villages need follow-up", lang)
        return P.finish_chart(ax, title=title or default, caption=[caption or "", note],
                         synthetic=synthetic, lang=lang)


# --------------------------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------------------------


def _headline(counties: pd.DataFrame, towns: pd.DataFrame | None, follow_up: pd.DataFrame,
              settings: Settings, lang: str) -> pd.DataFrame:
    """The national figures, one row each: label, value."""
    n_v = int(counties["n_villages"].sum())
    reached = int(counties["villages_reached"].sum())
    pop = counties["population"].astype("Float64").sum()
    rows = [
        (_pick("县（市、区）数", "Counties", lang), f"{len(counties):,}"),
        (_pick("乡镇（街道）数", "Towns", lang), f"{len(towns):,}" if towns is not None else "—"),
        (_pick("村（社区）数", "Villages", lang), f"{n_v:,}"),
        (_pick("有村级普法活动的村", "Villages with a village event", lang),
         f"{reached:,}（{reached / n_v * 100:.1f}%）" if n_v else "—"),
        (_pick("统计期内从未开展活动的村", "Villages never reached", lang),
         f"{n_v - reached:,}"),
        (_pick("村覆盖率最低的县", "County with the lowest village reach", lang),
         (f"{counties['reach_rate'].idxmin()}（{counties['reach_rate'].min() * 100:.0f}%）"
          if len(counties) else "—")),
        (_pick(f"需跟进的村（得分≥{_URGENT}为重点）",
               f"Villages to follow up (score ≥ {_URGENT} urgent)", lang),
         f"{len(follow_up):,}（{int((follow_up['score'] >= URGENT_SCORE).sum()):,}）"),
    ]
    if pd.notna(pop) and pop > 0:
        rows.insert(3, (_pick("常住人口", "Population", lang), f"{int(pop):,}"))
    if "awareness_rate" in counties.columns and counties["respondents"].sum() > 0:
        target = float(settings.targets["awareness"])
        shown = counties["awareness_rate"].notna()
        below = int((counties.loc[shown, "awareness_ci_high"] < target).sum())
        rows.append((_pick("问卷样本量", "Respondents", lang),
                     f"{int(counties['respondents'].sum()):,}"))
        rows.append((_pick(f"知晓率95%CI上限低于{target * 100:.0f}%的县",
                           f"Counties whose awareness CI upper bound < {target * 100:.0f}%",
                           lang), f"{below:,} / {int(shown.sum()):,}"))
    return pd.DataFrame(rows, columns=["label", "value"])


def _png(fig) -> str:
    buffer = _io.BytesIO()
    from . import plots as P

    with P.house_style():
        fig.savefig(buffer, format="png", dpi=110)
    return base64.b64encode(buffer.getvalue()).decode("ascii")




def _brief_html(heading: str, period: str, headline: pd.DataFrame, charts: list[tuple[str, str]],
                table: pd.DataFrame, table_heading: str, notes: list[str], synthetic: bool,
                lang: str) -> str:
    e = html.escape
    parts = ["<!DOCTYPE html>", f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
             '<head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{e(heading)}</title><style>{BRIEF_CSS}</style></head><body>",
             f"<header><h1>{e(heading)}</h1><p>{e(period)}</p>"]
    if synthetic:
        mark = _pick("示例数据（合成）", "Sample data (synthetic)", lang)
        parts.append(f'<p class="synthetic">{e(mark)}</p>')
    parts.append("</header><section><table><tbody>")
    parts += [f"<tr><th>{e(r.label)}</th><td>{e(r.value)}</td></tr>"
              for r in headline.itertuples()]  # a handful of rows
    parts.append("</tbody></table>")
    parts += [f'<p class="note">{e(n)}</p>' for n in notes]
    parts.append("</section>")
    for name, png in charts:  # three charts
        parts.append(f'<section><img src="data:image/png;base64,{png}" alt="{e(name)}">'
                     "</section>")
    parts.append(f"<section><h2>{e(table_heading)}</h2><table><thead><tr>")
    parts += [f"<th>{e(str(c))}</th>" for c in table.columns]
    parts.append("</tr></thead><tbody>")
    parts += ["<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
              for row in table.itertuples(index=False)]  # at most 30 rows
    parts.append("</tbody></table></section>")
    made = _pick("由 pufa_metrics 生成。", "Made with pufa_metrics.", lang)
    parts.append(f'<footer class="note"><p>{e(made)}</p></footer></body></html>')
    return "\n".join(parts)


def _display(frame: pd.DataFrame, lang: str, k: int) -> pd.DataFrame:
    """Shares as percentages (one decimal), suppressed figures as "<k", Chinese or English."""
    shown = frame.reset_index()
    for column in shown.columns:
        if column.endswith("_rate") or column in ("awareness_ci_low", "awareness_ci_high"):
            shown[column] = (shown[column].astype("float64") * 100).round(1)
        elif column == "events_per_village":
            shown[column] = shown[column].astype("float64").round(2)
    if "awareness_suppressed" in shown.columns:
        hidden = shown["awareness_suppressed"].astype(bool)
        for column in ("respondents", "awareness_rate"):  # the rest stays blank
            shown[column] = shown[column].astype("object").where(~hidden, f"<{k}")
        shown = shown.drop(columns=["awareness_suppressed"])
    header = AREA_HEADERS if lang == "zh" else _EN_HEADERS
    percent = "（%）" if lang == "zh" else " (%)"
    renamed = {c: header.get(c, c) + (percent if c.endswith("_rate") or c.startswith(
        "awareness_ci") else "") for c in shown.columns}
    return shown.rename(columns=renamed)


_FOLLOW_UP_HEADERS = {
    "village_id": ("村（社区）编码", "Village code"), "county": ("县（市、区）", "County"),
    "town": ("乡镇（街道）", "Town"), "village_name": ("村（社区）", "Village"),
    "population": ("常住人口", "Population"), "score": ("得分", "Score"),
    "county_priority": ("县内排序", "Rank in county"), "reasons_zh": ("原因", "Reasons (zh)"),
    "actions_zh": ("建议措施", "Actions (zh)"), "reasons_en": ("Reasons", "Reasons"),
    "actions_en": ("Actions", "Actions"), "n_events": ("活动场次", "Events"),
    "days_since_last": ("距最近活动天数", "Days since last event"),
    "awareness_n": ("问卷样本量", "Respondents"),
    "awareness_rate": ("知晓率（%）", "Awareness (%)"),
}


def _follow_up_sheet(follow_up: pd.DataFrame, top_n: int, lang: str, k: int) -> pd.DataFrame:
    top = follow_up[follow_up["county_priority"] <= top_n].reset_index()
    small = (top["awareness_suppressed"].astype(bool).to_numpy()
             if "awareness_suppressed" in top.columns else np.zeros(len(top), dtype=bool))
    keep = [c for c in _FOLLOW_UP_HEADERS if c in top.columns]
    top = top[keep].copy()
    if "awareness_rate" in top.columns:
        top["awareness_rate"] = (top["awareness_rate"].astype("float64") * 100).round(1)
        top["awareness_n"] = top["awareness_n"].astype("object").where(~small, f"<{k}")
    return top.rename(columns={c: _FOLLOW_UP_HEADERS[c][0 if lang == "zh" else 1]
                               for c in top.columns})


#: Why a reason may be unassessed in a national dataset: (zh, en) of what the data lacks.
_LACKS: dict[str, tuple[str, str]] = {
    "cold_spot": ("村界", "village boundaries"),
    "no_site": ("普法阵地台账", "site register"),
    "stale_site": ("普法阵地台账", "site register"),
    "few_legal_literates": ("法律明白人名册", "法律明白人 roster"),
    "adviser_absent": ("法律顾问服务台账", "legal adviser log"),
}


def _not_assessed_note(not_assessed: Sequence[str], tables: Sequence[str]) -> str:
    """The notes sheet's "not assessed" text: each missing table and the reasons it costs."""
    lacks: dict[tuple[str, str], list[str]] = {}
    for code in not_assessed:  # a handful of reasons
        cause = _LACKS.get(code, ("数据", "data"))
        if code == "stale_site" and "sites" in tables:
            cause = ("阵地更新日期", "site update dates")
        lacks.setdefault(cause, []).append(code)
    zh = "；".join(f"数据不含{c[0]}，故不评估" + "、".join(f"“{REASONS[r]['zh']}”" for r in codes)
                  for c, codes in lacks.items())
    en = "; ".join(f"no {c[1]}, so " + ", ".join(f"'{REASONS[r]['en']}'" for r in codes)
                   + " not assessed" for c, codes in lacks.items())
    return (f"{zh}。未评估的原因不计分，故得分可能低于乡镇报告中同一村的得分。/ {en}. Reasons "
            "not assessed add nothing to a score, so scores may run lower than in town reports.")


def _notes_sheet(settings: Settings, start, end, as_of, lang: str, *,
                 not_assessed: Sequence[str] = ("cold_spot", "no_site", "few_legal_literates",
                                                "adviser_absent", "stale_site"),
                 tables: Sequence[str] = ()) -> pd.DataFrame:
    tg = settings.targets
    rows = [
        ("统计期间 / period", f"{start:%Y-%m-%d} — {end:%Y-%m-%d}（截至 as of {as_of:%Y-%m-%d}）"),
        ("村覆盖率 / village reach",
         "统计期内至少有1场村级普法活动的村占全部村的比例；乡镇级活动不计入村。/ share of "
         "villages with at least one village event; town-wide events are not attributed."),
        ("人口覆盖率 / population reach",
         "有活动的村的常住人口占比 / population of reached villages"),
        ("近期有活动 / recent",
         f"最近一次活动距截至日不超过 {tg['max_days_without_event']:.0f} 天 / last event at most "
         f"{tg['max_days_without_event']:.0f} days before the as-of date"),
        ("知晓率 / awareness",
         "各题全部有效回答合并（按权重）；95%CI 按村整群抽样计算（泰勒线性化），村内回答相似，"
         "故比简单随机抽样宽；样本少于 "
         f"{settings.suppress_below} 人的地区（及同县可反推的地区）不公布，显示“<"
         f"{settings.suppress_below}”。/ all valid answers to the awareness items pooled "
         "(weighted); 95% CI from the village-clustered design (Taylor linearisation), wider "
         "than a simple-random-sample interval because answers within a village are alike; "
         f"areas with fewer than {settings.suppress_below} respondents (and any town from "
         "which one could be worked out) are suppressed."),
        ("未评估的原因 / not assessed", _not_assessed_note(not_assessed, tables)),
        ("需跟进 / follow-up",
         f"与乡镇报告相同的规则（find_blind_spots）；得分≥{_URGENT}为重点；县内按得分排序。/ "
         f"the town report's rules; score ≥ {_URGENT} is urgent; ranked within each county."),
    ]
    if tables:
        w_start, w_end = service_window(end, start=start)
        rows.append(
            ("阵地与法律服务 / sites and legal services",
             f"法律明白人、村法律顾问与阵地更新按统计期最后12个月（{w_start:%Y-%m-%d} — "
             f"{w_end:%Y-%m-%d}）评估，与乡镇报告相同；数据集中有此类台账时，没有记录的村按“无”"
             "计。/ 法律明白人, the village legal adviser and site upkeep are judged on the last "
             f"12 months of the period ({w_start:%Y-%m-%d} to {w_end:%Y-%m-%d}), as in the town "
             "report; where the dataset has such a table, a village with no rows in it has none."))
    rows += [
        ("目标 / targets", f"知晓率 awareness {tg['awareness']:.0%}; 最长间隔 max gap "
         f"{tg['max_gap_days']:.0f} 天; 必讲主题 required topics: "
         f"{'、'.join(settings.required_topics)}"),
    ]
    return pd.DataFrame(rows, columns=["项目 / item", "说明 / definition"])


def national_report(
    root: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    settings: Settings | None = None,
    codebook: pd.DataFrame | None = None,
    weight: str | bool | None = None,
    counties_per_partition: int | None = None,
    top_n: int = 20,
    lang: str = "zh",
    title: str | None = None,
) -> Path:
    """Write the report of a county-partitioned dataset: workbook, charts, brief, Parquet tables.

    Computes on the active Dask scheduler (see :func:`pufa_metrics.distributed.connect`) through
    :func:`summarise_partitioned`. Everything is written into a temporary folder next to
    ``out_dir`` and swapped into place when complete, so a failure leaves the previous report
    intact.

    Parameters
    ----------
    root : str or path
        The county-partitioned dataset.
    out_dir : str or path
        The report folder (replaced). It receives:

        - ``summary.xlsx``: sheets 说明 (definitions), 总体 (headline), 县汇总 (one row per
          county), 乡镇汇总 (one row per town), 重点跟进村 (the ``top_n`` most urgent villages of
          each county, with reasons and actions);
        - ``figures/``: ``county_reach``, ``county_awareness`` (when surveyed), ``town_reach``
          and ``reasons`` as PNG, PDF and SVG;
        - ``brief.html``: one self-contained page with the headline, the charts and the 30
          counties with the lowest village reach;
        - ``data/``: ``counties.parquet``, ``towns.parquet`` and ``follow_up.parquet`` (every
          village with a reason) for further analysis.
    settings, codebook, weight, counties_per_partition
        As in :func:`summarise_partitioned`.
    top_n : int, default 20
        Villages per county in the workbook's follow-up sheet.
    lang : {"zh", "en"}
        Language of the charts, headers and brief.
    title : str, optional
        The report's title (default "普法覆盖情况汇总报告").

    Returns
    -------
    pathlib.Path
        ``out_dir``.
    """
    from . import plots as P
    from ._common import recover_dir as _recover
    from ._common import swap_dir as _swap_into_place
    from .excel import write_workbook

    if lang not in ("zh", "en"):
        raise ValueError(f"`lang` should be 'zh' or 'en', got {lang!r}")
    if isinstance(top_n, bool) or not isinstance(top_n, int) or top_n < 1:
        raise ValueError(f"`top_n` should be a whole number ≥ 1, got {top_n!r}")
    st = resolve_settings(settings)
    k = st.suppress_below
    _dist.check_dataset(root)
    out = Path(out_dir).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _recover(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        frames = summarise_partitioned(root, tmp / ".parts", settings=st, codebook=codebook,
                                       weight=weight,
                                       counties_per_partition=counties_per_partition)
        counties, follow_up = frames["counties"], frames["follow_up"]
        towns = frames.get("towns")
        start, end, as_of = (counties.attrs[k] for k in ("start", "end", "as_of"))
        synthetic = (Path(root) / ".synthetic").exists()
        period = _pick(f"统计期间：{start:%Y-%m-%d}至{end:%Y-%m-%d}",
                       f"Period: {start:%Y-%m-%d} to {end:%Y-%m-%d}", lang)
        caption = _pick(f"数据来源：按县汇总的普法活动台账与问卷；{period}",
                        f"Source: county event ledgers and surveys. {period}", lang)
        (tmp / "data").mkdir()
        for name, frame in frames.items():
            table = frame.reset_index()
            table.attrs = {}
            for column in ("reasons", "missing_topics", "missing_audiences"):
                if column in table.columns:
                    table[column] = table[column].map(list, na_action="ignore")
            pq.write_table(pa.Table.from_pandas(table, preserve_index=False),
                           tmp / "data" / f"{name}.parquet")
        charts = [("county_reach", area_bar(counties, column="reach_rate", lang=lang,
                                            caption=caption, synthetic=synthetic))]
        if towns is not None:
            charts.append(("town_reach", area_bar(towns, column="reach_rate", lang=lang,
                                                  caption=caption, synthetic=synthetic)))
        if "awareness_rate" in counties.columns and counties["awareness_rate"].notna().any():
            target = float(st.targets["awareness"])
            charts.append(("county_awareness", area_bar(
                counties, column="awareness_rate", target=target, lang=lang, caption=caption,
                synthetic=synthetic)))
        charts.append(("reasons", reason_bar(counties, lang=lang, caption=caption,
                                             synthetic=synthetic)))
        for name, fig in charts:  # four charts
            P.save(fig, tmp / "figures" / name)
        headline = _headline(counties, towns, follow_up, st, lang)
        sheets = {
            _pick("说明", "Notes", lang): _notes_sheet(
                st, start, end, as_of, lang, not_assessed=counties.attrs["not_assessed"],
                tables=counties.attrs["service_tables"]),
            _pick("总体", "Overview", lang): headline.rename(
                columns={"label": _pick("指标", "Figure", lang), "value": _pick("数值", "Value",
                                                                                 lang)}),
            _pick("县汇总", "Counties", lang): _display(counties, lang, k),
        }
        if towns is not None:
            sheets[_pick("乡镇汇总", "Towns", lang)] = _display(towns, lang, k)
        sheets[_pick("重点跟进村", "Follow-up", lang)] = _follow_up_sheet(follow_up, top_n, lang, k)
        write_workbook(sheets, tmp / "summary.xlsx")
        brief_cols = [c for c in ("n_villages", "villages_reached", "reach_rate",
                                  "population_reach_rate", "events_per_village",
                                  "villages_flagged", "villages_urgent", "respondents",
                                  "awareness_rate", "awareness_suppressed")
                      if c in counties.columns]
        worst = _display(counties.sort_values("reach_rate", kind="stable").head(30)[brief_cols],
                         lang, k)
        heading = title or _pick("普法覆盖情况汇总报告", "Legal-education reach: summary", lang)
        notes = [_pick("村覆盖率：统计期内至少有1场村级普法活动的村所占比例；乡镇级活动不计入村。",
                       "Village reach: share of villages with at least one village-level event "
                       "in the period; town-wide events are not attributed to villages.", lang)]
        page = _brief_html(heading, period, headline, [(n, _png(f)) for n, f in charts],
                           worst, _pick("村覆盖率最低的30个县", "The 30 counties with the "
                                              "lowest village reach", lang), notes, synthetic,
                           lang)
        (tmp / "brief.html").write_text(page, encoding="utf-8")
        shutil.rmtree(tmp / ".parts")
        _swap_into_place(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return out
