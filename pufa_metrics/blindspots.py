"""Blind spots (普法盲区): rules → a ranked, explained follow-up list.

:func:`find_blind_spots` turns the coverage table, survey rates and (optionally) the event ledger,
the standing services (:func:`~pufa_metrics.services.service_coverage`: 法律明白人, the village
legal adviser, site upkeep) and village geometry into one row per village with the reasons it
needs attention, in plain Chinese and English with the figures behind them, a suggested action
per reason, a score and a priority. :func:`group_gaps` finds population groups (gender × age
group) whose awareness is confidently below target; :func:`pufa_metrics.excel.export_follow_up`
writes the list as an Excel workbook the town can use as it is.

Every threshold comes from ``pufa.toml`` (:class:`~pufa_metrics.config.Settings`): targets
``awareness`` (or the domain's), ``attendance_per_100``, ``max_days_without_event``,
``max_gap_days``, ``min_respondents``, ``legal_literates_per_village``; ``[services]
max_days_without_adviser`` and ``site_stale_months``; ``[topics] required``; ``[audiences]
required``; ``[privacy] suppress_below``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from ._common import n_text as _n_text
from .assessed import mark_not_assessed
from .config import Settings, resolve_settings
from .coverage import longest_gaps, unrecorded_events
from .rules import RULES, Context
from .schema import DOMAIN_LABELS as _DOMAIN_WORDS  # the one zh/en vocabulary
from .schema import audience_vocabulary, canonical_audience, canonical_topic, label
from .survey import awareness_verdict

__all__ = [
    "REASON_CODES",
    "REASONS",
    "SEVERITY",
    "find_blind_spots",
    "group_gaps",
    "COLD_SPOT_METRIC_WORDS",
    "SPATIAL_METHOD_NAMES",
]

#: Reason codes in the order they are listed (:data:`pufa_metrics.rules.RULES`).
REASON_CODES: tuple[str, ...] = tuple(r.code for r in RULES)

#: Points per reason before the population factor (see :func:`find_blind_spots`): each rule's
#: base points (:class:`pufa_metrics.rules.Rule` also holds the extra points and their cap).
SEVERITY: dict[str, float] = {r.code: r.points for r in RULES}

#: Short names and rules of every reason (zh, en, rule); thresholds are filled from settings.
REASONS: dict[str, dict[str, str]] = {
    r.code: {"zh": r.zh, "en": r.en, "rule_zh": r.rule_zh, "rule_en": r.rule_en} for r in RULES
}

#: What is said of a reason the ledgers could not assess for a village (zh, en): a field some
#: of its events did not record (:func:`pufa_metrics.coverage.unrecorded_events`).
NOT_ASSESSED: dict[str, tuple[str, str]] = {
    r.code: r.not_assessed for r in RULES if r.not_assessed is not None
}

#: The same for the whole list (``attrs["not_assessed"]``, :mod:`pufa_metrics.assessed`): {n}
#: is the number of villages concerned.
_NOT_ASSESSED_TOWN: dict[str, tuple[str, str]] = {
    r.code: r.not_assessed_town for r in RULES if r.not_assessed_town is not None
}

#: How a cold-spot message names the tested metric (zh, en); also used by the workbook.
COLD_SPOT_METRIC_WORDS: dict[str, tuple[str, str]] = {
    "n_events": ("普法活动", "events"),
    "events_per_1000": ("普法活动", "events per 1,000 residents"),
    "attendance_per_100": ("普法参与", "attendance"),
    "attendance": ("普法参与", "attendance"),
    "awareness": ("知晓率", "awareness"),
}
#: Display names of the local statistics of :func:`~pufa_metrics.spatial.spatial_clusters`.
SPATIAL_METHOD_NAMES = {"gi_star": "Gi*", "lisa": "LISA"}

_COVERAGE_REQUIRED = (
    "village_name",
    "population",
    "n_events",
    "days_since_last",
    "longest_gap_days",
    "attendance_per_100",
)
_RATES_REQUIRED = ("village_id", "item", "n", "rate", "ci_high")
_SERVICES_REQUIRED = (
    "n_legal_literates",
    "literates_target",
    "literates_met",
    "adviser_visits",
    "last_adviser_visit",
    "days_since_adviser",
    "stale_sites",
)


# ------------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------------


def _require(frame: Any, name: str, columns: Iterable[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name!r} should be a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{name!r} is missing column(s) {missing}; columns are {list(frame.columns)}"
            f"（{name} 缺少列 {missing}）"
        )


def _pct(x: pd.Series) -> pd.Series:
    """0.583 → '58' (per cent, rounded)."""
    return (x.astype("float64") * 100).round().astype("Int64").astype("str")


def _p_text(p: pd.Series) -> pd.Series:
    text = "p=" + p.round(3).astype("str")
    return text.where(~(p < 0.001), "p<0.001")


def _fmt_number(value: float) -> str:
    return f"{value:g}"


def _join_columns(frame: pd.DataFrame, sep: str) -> pd.Series:
    """Join the non-missing strings of each row, in column order ('' when none).

    Vectorised over rows: one string concatenation per column (there are a handful).
    """
    acc = pd.Series("", index=frame.index, dtype="str")
    has = np.zeros(len(frame), dtype=bool)
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j].astype("str")
        present = col.notna().to_numpy()
        glue = np.where(has & present, sep, "")
        acc = acc + glue + col.fillna("")
        has |= present
    return acc


def _wide(values: pd.Series, index: pd.Index) -> pd.DataFrame:
    """A long Series (index = village id, repeated) as a village × position frame.

    Values keep their order within each village; positions run 0, 1, … per village.
    """
    rows = index.get_indexer(values.index)
    keep = rows >= 0
    rows, vals = rows[keep], values.to_numpy(dtype=object)[keep]
    if rows.size == 0:
        return pd.DataFrame(index=index)
    pos = pd.Series(rows).groupby(rows).cumcount().to_numpy()
    arr = np.full((len(index), pos.max() + 1), None, dtype=object)
    arr[rows, pos] = vals
    return pd.DataFrame(arr, index=index)


def _join_per_index(values: pd.Series, index: pd.Index, sep: str) -> pd.Series:
    """Join a long Series per village of ``index`` (NaN where a village has none)."""
    joined = _join_columns(_wide(values, index), sep)
    return joined.where(joined != "")


_UNIT_SEP = "\x1f"


def _tuples_of_rows(frame: pd.DataFrame) -> pd.Series:
    """One tuple per row of a village × position frame (missing cells skipped).

    Tuples are built once per distinct row, not once per row.
    """
    key = _join_columns(frame, _UNIT_SEP)
    codes, uniques = pd.factorize(key)
    lut = np.empty(len(uniques), dtype=object)
    for i, text in enumerate(uniques):  # distinct patterns only
        lut[i] = tuple(text.split(_UNIT_SEP)) if text else ()
    return pd.Series(lut[codes], index=frame.index, dtype=object)


def _as_tuple(value: Any) -> tuple:
    """Type coercion of one cell: list/tuple → tuple, anything else (NaN) → ()."""
    return tuple(value) if isinstance(value, list | tuple | np.ndarray) else ()


def _tuple_series(found: pd.Series, index: pd.Index) -> pd.Series:
    """A Series of tuples on ``index``: ``found`` where given, the empty tuple elsewhere."""
    arr = np.empty(len(index), dtype=object)
    arr.fill(())
    if len(found):
        pos = index.get_indexer(found.index)
        keep = pos >= 0
        arr[pos[keep]] = found.to_numpy()[keep]
    return pd.Series(arr, index=index, dtype=object)


def _group_tuples(keys: pd.Series, values: pd.Series, index: pd.Index) -> pd.Series:
    """Tuples of ``values`` per key (a village id), in row order, on ``index``."""
    long = pd.Series(values.to_numpy(), index=pd.Index(keys.to_numpy()))
    return _tuples_of_rows(_wide(long.astype("str"), index))


def _explode_tuples(series: pd.Series) -> pd.Series:
    """Tuples → one row per element (index repeated), empty tuples dropped."""
    out = series.explode().dropna()
    return out.astype("str")


_NUMBERING = re.compile(r"^\s*[\(（]?\d+[\)）]?[、.．:：\s]*")
_QUESTION = re.compile(r"^(您|你)?(是否)?(知道|了解|听说过|清楚)?")
_TRAILING = re.compile(r"[？?：:。！!\s]+$")
_TITLE = re.compile(r"《[^》]+》")


def _item_labels(codebook: pd.DataFrame | None, items: pd.Series) -> pd.Series:
    """Short Chinese labels of survey items for messages: the 《law》 named, else the question."""
    items = items.astype("str")
    fallback = "题目" + items
    if codebook is None:
        return fallback
    _require(codebook, "codebook", ("item", "text"))
    book = codebook.drop_duplicates("item")
    text = pd.Series(
        book["text"].astype("str").to_numpy(), index=book["item"].astype("str").to_numpy()
    ).str.normalize("NFKC")
    title = text.str.extract(f"({_TITLE.pattern})", expand=False)
    plain = (
        text.str.replace(_NUMBERING, "", regex=True)
        .str.replace(_QUESTION, "", regex=True)
        .str.replace(_TRAILING, "", regex=True)
    )
    long = plain.str.len() > 16
    plain = plain.where(~long, plain.str.slice(0, 15) + "…")
    plain = "“" + plain + "”"
    short = title.fillna(plain)
    short = short.where(text.notna() & (short.str.len() > 2), np.nan)
    return items.map(short).fillna(fallback).astype("str")


# ------------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------------


def _by_village(frame: Any, name: str, producer: str) -> pd.DataFrame:
    """``frame`` indexed by village_id, checked to be the DataFrame ``producer()`` returns."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"'{name}' should be the DataFrame from {producer}(), got {type(frame).__name__}"
        )
    if frame.index.name == "village_id":
        return frame
    if "village_id" not in frame.columns:
        raise ValueError(
            f"'{name}' should be indexed by village_id (as {producer} returns) or have a "
            f"village_id column; index is {frame.index.name!r}, columns {list(frame.columns)}"
        )
    return frame.set_index("village_id")


def _check_coverage(coverage: Any) -> pd.DataFrame:
    cov = _by_village(coverage, "coverage", "village_coverage")
    _require(cov, "coverage", _COVERAGE_REQUIRED)
    cov = cov.copy()
    cov.index = cov.index.astype("str")
    cov.index.name = "village_id"
    if cov.index.has_duplicates:
        dup = cov.index[cov.index.duplicated()].unique().tolist()[:10]
        raise ValueError(f"'coverage' should have one row per village; repeated ids: {dup}")
    return cov


def _period_bounds(
    settings: Settings, as_of: pd.Timestamp | None, period: Any = None
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """The period's start (``period`` when given, else pufa.toml) and "today"."""
    start = settings.start if period is None else pd.Timestamp(period.start)
    end = as_of if as_of is not None else settings.as_of
    return start, end


def _in_period(dates: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp | None) -> pd.Series:
    keep = dates.notna()
    day = dates.dt.normalize()
    if start is not None:
        keep &= day >= start.normalize()
    if end is not None:
        keep &= day <= end.normalize()
    return keep


def _audience_gaps(
    events: pd.DataFrame,
    index: pd.Index,
    required: tuple[str, ...],
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    aliases: Mapping[str, str] | None = None,
) -> pd.Series:
    """Required audience groups never the audience of an event of the village in the period.

    Cells are read by :func:`pufa_metrics.schema.split_audiences` (groups found in free text:
    留守老人 → 老年人), once per distinct cell.
    """
    _require(events, "events", ("village_id", "date", "audience"))
    dates = pd.to_datetime(events["date"], errors="coerce")
    keep = events["village_id"].notna() & _in_period(dates, start, end)
    ev = events.loc[keep, ["village_id", "audience"]].reset_index(drop=True)
    cells = ev["audience"].astype("str")  # all-NaN cells (float) become str NA
    vocab = audience_vocabulary(aliases)
    groups = {u: vocab.split(u) for u in cells.dropna().unique()}  # distinct cells
    parts = cells.map(groups).explode().dropna()
    seen = pd.DataFrame(  # str dtype even when no event names an audience (empty columns)
        {
            "village_id": pd.Series(
                ev.loc[parts.index, "village_id"].astype("str").to_numpy(), dtype="str"
            ),
            "audience": pd.Series(parts.to_numpy(), dtype="str"),
        }
    ).drop_duplicates()
    req = [canonical_audience(a) for a in required]
    grid = pd.DataFrame(
        {"village_id": np.repeat(index.to_numpy(), len(req)), "audience": np.tile(req, len(index))}
    )
    merged = grid.merge(seen, how="left", on=["village_id", "audience"], indicator=True)
    miss = merged[merged["_merge"] == "left_only"]
    return _group_tuples(miss["village_id"], miss["audience"], index)


def _topic_gaps(
    events: pd.DataFrame,
    event_topics: pd.DataFrame | None,
    index: pd.Index,
    required: tuple[str, ...],
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pd.Series:
    """Required topics never covered (used only when coverage has no ``missing_topics``)."""
    _require(events, "events", ("village_id", "date", "event_id" if event_topics is not None
                                else "topic"))
    dates = pd.to_datetime(events["date"], errors="coerce")
    keep = events["village_id"].notna() & _in_period(dates, start, end)
    ev = events.loc[keep]
    if event_topics is not None:
        _require(event_topics, "event_topics", ("event_id", "topic"))
        pairs = ev[["event_id", "village_id"]].merge(event_topics, on="event_id")
        pairs = pairs[["village_id", "topic"]]
    else:
        pairs = ev[["village_id", "topic"]]
    uniq = pd.Series(pairs["topic"].dropna().unique())
    canon = pd.Series(uniq.map(canonical_topic).to_numpy(), index=uniq.to_numpy())
    seen = pd.DataFrame(
        {"village_id": pairs["village_id"].astype("str"), "topic": pairs["topic"].map(canon)}
    ).drop_duplicates()
    req = [canonical_topic(t) for t in required]
    grid = pd.DataFrame(
        {"village_id": np.repeat(index.to_numpy(), len(req)), "topic": np.tile(req, len(index))}
    )
    merged = grid.merge(seen, how="left", on=["village_id", "topic"], indicator=True)
    miss = merged[merged["_merge"] == "left_only"]
    return _group_tuples(miss["village_id"], miss["topic"], index)


def _unrecorded_by_village(
    events: pd.DataFrame,
    event_topics: pd.DataFrame | None,
    index: pd.Index,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
) -> pd.DataFrame:
    """Villages with events in the period whose ledger did not record a field: bool per field.

    The fields are audience, topic and attendees (:func:`pufa_metrics.coverage.unrecorded_events`).
    """
    dates = pd.to_datetime(events["date"], errors="coerce")
    keep = (events["village_id"].notna() & _in_period(dates, start, end)).to_numpy()
    topics = event_topics if "event_id" in events.columns else None
    # a column the caller left out of ``events`` says nothing (coverage judges attendance)
    fields = [f for f in ("audience", "topic", "attendees")
              if f in events.columns or (f == "topic" and topics is not None)]
    unrec = unrecorded_events(events, event_topics=topics, fields=fields)
    ids = events["village_id"].astype("str").to_numpy()
    return pd.DataFrame(
        {f: index.isin(pd.unique(ids[keep & unrec[f].to_numpy()])) if f in fields
         else np.zeros(len(index), dtype=bool) for f in ("audience", "topic", "attendees")},
        index=index,
    )


def _fill(template: str, words: pd.Series) -> pd.Series:
    """``template`` with its ``{}`` replaced by each of ``words`` (vectorised ``str.format``)."""
    before, _, after = template.partition("{}")
    return before + words.astype("str") + after


def _without(tuples: pd.Series, drop: pd.Series) -> pd.Series:
    """Tuples with None where ``drop`` is True (a reason not assessed)."""
    arr = tuples.to_numpy(dtype=object).copy()
    arr[drop.to_numpy(dtype=bool)] = None
    return pd.Series(arr, index=tuples.index, dtype=object)


def _domain_rates(
    rates: pd.DataFrame, domain: str, codebook: pd.DataFrame | None
) -> pd.DataFrame:
    _require(rates, "rates", _RATES_REQUIRED)
    if "domain" in rates.columns:
        sub = rates[rates["domain"] == domain]
        if sub.empty:
            raise ValueError(
                f"'rates' has no rows of domain {domain!r}; domains present: "
                f"{sorted(rates['domain'].dropna().unique().tolist())}"
            )
    elif codebook is not None and "domain" in codebook.columns:
        items = codebook.loc[codebook["domain"] == domain, "item"].astype("str")
        sub = rates[rates["item"].astype("str").isin(items)]
    else:
        sub = rates
    sub = sub.copy()
    sub["village_id"] = sub["village_id"].astype("str")
    sub["item"] = sub["item"].astype("str")
    if sub.duplicated(["village_id", "item"]).any():
        raise ValueError(
            "'rates' should have one row per (village_id, item); compute them with "
            "awareness_rates(..., by='village_id') (other group columns repeat villages)"
        )
    return sub


# ------------------------------------------------------------------------------------------------
# Awareness
# ------------------------------------------------------------------------------------------------


def _awareness(
    rates: pd.DataFrame,
    index: pd.Index,
    *,
    domain: str,
    target: float,
    min_n: int,
    suppress_below: int,
    codebook: pd.DataFrame | None,
) -> pd.DataFrame:
    """Per-village awareness evidence and the messages of its low items."""
    r = _domain_rates(rates, domain, codebook)
    r = r[r["village_id"].isin(index)].copy()
    n = pd.to_numeric(r["n"], errors="coerce").fillna(0).astype("float64")
    ci_high = pd.to_numeric(r["ci_high"], errors="coerce").astype("float64")
    rate = pd.to_numeric(r["rate"], errors="coerce").astype("float64")
    # The one awareness verdict (survey.awareness_verdict) per village × item: an item whose
    # answers the codebook does not all classify is not assessed, one with fewer than min_n
    # answers is insufficient, and low is "95% upper bound below target, or LQAS below".
    verdict = awareness_verdict(r if "ci_low" in r.columns else r.assign(ci_low=np.nan),
                                target=target, min_respondents=min_n)["verdict"]
    decided = verdict.ne("not_assessed")  # answered items whose answers are all classified
    eligible = ~verdict.isin(["not_assessed", "insufficient"])
    low = verdict.eq("low")
    by_ci = low & (ci_high < target)  # else LQAS said below: the message says which
    shrunk_col = "rate_shrunk" if "rate_shrunk" in r.columns else None

    r = r.assign(
        _n=n, _rate=rate, _ci_high=ci_high, _eligible=eligible, _low=low, _by_ci=by_ci,
        _key=np.where(eligible, ci_high.fillna(np.inf), -n),
        _label=_item_labels(codebook, r["item"]).to_numpy(),
    )
    decisive = r.sort_values(
        ["village_id", "_eligible", "_key", "_rate", "item"],
        ascending=[True, False, True, True, True],
    ).drop_duplicates("village_id")
    decisive = decisive.set_index("village_id").reindex(index)

    out = pd.DataFrame(index=index)
    out["awareness_n"] = decisive["_n"].fillna(0).round().astype("Int64")
    out["awareness_rate"] = decisive["_rate"]
    out["awareness_ci_high"] = decisive["_ci_high"]
    out["awareness_rate_shrunk"] = (
        pd.to_numeric(decisive[shrunk_col], errors="coerce").astype("float64")
        if shrunk_col
        else np.nan
    )
    out["lqas"] = decisive["lqas"].astype("str") if "lqas" in decisive.columns else np.nan
    out["lqas"] = out["lqas"].astype("str")
    out["awareness_item"] = decisive["item"].astype("str")
    out["_awareness_label"] = decisive["_label"].astype("str")
    # the law or question the codebook names (NaN when it names none: the code says it all)
    out["awareness_label"] = out["_awareness_label"].where(
        out["_awareness_label"] != "题目" + out["awareness_item"])
    lows = r[r["_low"]]
    out["awareness_low_items"] = _group_tuples(lows["village_id"], lows["item"], index)
    answered = r[r["_n"] > 0]
    level_col = shrunk_col or "rate"
    out["_awareness_mean"] = (
        pd.to_numeric(answered[level_col], errors="coerce")
        .groupby(answered["village_id"])
        .mean()
        .reindex(index)
    )
    out["_low"] = out["awareness_low_items"].str.len() > 0
    undecided = r[~decided & (r["_n"] > 0)]
    out["_undecided"] = _group_tuples(undecided["village_id"], undecided["_label"], index)
    has_undecided = out["_undecided"].str.len() > 0
    out["_unknown"] = ~(r.groupby("village_id")["_eligible"].any().reindex(index, fill_value=False))
    out["_unknown"] = (out["_unknown"] & ~has_undecided).astype(bool)

    # Messages, one per low item, joined per village.
    word_zh, word_en = _DOMAIN_WORDS.get(domain, (domain, domain))
    t = _pct(pd.Series(target, index=lows.index))
    nt = _n_text(lows["_n"], suppress_below)
    rt, ct = _pct(lows["_rate"]), _pct(lows["_ci_high"])
    zh_ci = (
        lows["_label"] + word_zh + rt + "%（" + nt + "，95%CI上限" + ct + "%）低于目标" + t + "%"
    )
    zh_lqas = lows["_label"] + word_zh + rt + "%（" + nt + "），LQAS判定未达目标" + t + "%"
    en_ci = (
        "item " + lows["item"] + " " + word_en + " " + rt + "% (" + nt
        + ", 95% CI upper " + ct + "%) below target " + t + "%"
    )
    en_lqas = (
        "item " + lows["item"] + " " + word_en + " " + rt + "% (" + nt
        + "), LQAS: below target " + t + "%"
    )
    zh_msg = zh_ci.where(lows["_by_ci"], zh_lqas)
    en_msg = en_ci.where(lows["_by_ci"], en_lqas)
    vid = lows["village_id"].to_numpy()
    for col, values, sep in (
        ("_low_zh", zh_msg, "；"),
        ("_low_en", en_msg, "; "),
        ("_low_labels", lows["_label"], "、"),
        ("_low_items_en", lows["item"], ", "),
    ):
        out[col] = _join_per_index(pd.Series(values.to_numpy(), index=vid), index, sep)
    # One action for all low items of a village.
    out["_low_act_zh"] = "围绕" + out["_low_labels"] + "开展以案释法宣传，并复测" + word_zh
    out["_low_act_en"] = (
        "Case-based sessions on item(s) " + out["_low_items_en"] + ", then re-survey"
    )
    return out


# ------------------------------------------------------------------------------------------------
# Standing services (法律明白人, legal adviser, sites)
# ------------------------------------------------------------------------------------------------


def _check_services(services: Any, index: pd.Index) -> pd.DataFrame:
    """The ``service_coverage`` frame on the coverage's villages (missing villages: NA)."""
    svc = _by_village(services, "services", "service_coverage")
    _require(svc, "services", _SERVICES_REQUIRED)
    ids = svc.index.astype("str")
    if ids.has_duplicates:
        dup = ids[ids.duplicated()].unique().tolist()[:10]
        raise ValueError(f"'services' should have one row per village; repeated ids: {dup}")
    svc = svc.set_axis(ids).reindex(index)
    svc.index.name = "village_id"
    return svc


# ------------------------------------------------------------------------------------------------
# Spatial
# ------------------------------------------------------------------------------------------------


def _cold_spots(
    analyses: dict[str, pd.Series],
    geometry: Any,
    index: pd.Index,
    *,
    method: str,
    alpha: float,
    options: Mapping[str, Any],
) -> pd.DataFrame:
    from .spatial import spatial_clusters

    out = pd.DataFrame(index=index)
    out["cold_spot"] = pd.array([pd.NA] * len(index), dtype="boolean")
    out["cold_spot_method"] = pd.Series(np.nan, index=index, dtype="str")
    out["cold_spot_p"] = np.nan
    zh_parts, en_parts = [], []
    primary = True
    for metric, values in analyses.items():
        res = spatial_clusters(
            values.reindex(index), geometry, method=method, alpha=alpha, **dict(options)
        )
        tested = res["significant"].notna()
        flagged = res["cold_area"].astype(bool)
        # A village counts as assessed when any analysis could test it.
        out["cold_spot"] = out["cold_spot"].mask(tested & out["cold_spot"].isna(), False)
        out["cold_spot"] = out["cold_spot"].mask(flagged, True)
        tag = f"{method}:{metric}"
        out["cold_spot_method"] = out["cold_spot_method"].mask(
            flagged & out["cold_spot_method"].notna(), out["cold_spot_method"] + "; " + tag
        )
        out["cold_spot_method"] = out["cold_spot_method"].mask(
            flagged & out["cold_spot_method"].isna(), tag
        )
        out["cold_spot_p"] = np.fmin(
            out["cold_spot_p"], res["cold_area_p"].where(flagged)
        )
        if primary:
            untested = res["cluster"].isin(["island", "no geometry"])
            out["cold_spot_method"] = out["cold_spot_method"].mask(untested, res["cluster"])
            primary = False
        word_zh, word_en = COLD_SPOT_METRIC_WORDS.get(metric, (metric, metric))
        m = SPATIAL_METHOD_NAMES[method]
        p = _p_text(res["cold_area_p"])
        zh_parts.append(("位于" + word_zh + "冷点区域（" + m + "，" + p + "）").where(flagged))
        en_parts.append(("In a cold spot of " + word_en + " (" + m + ", " + p + ")").where(flagged))
    out["_cold_zh"] = _join_columns(pd.concat(zh_parts, axis=1), "；") if zh_parts else ""
    out["_cold_en"] = _join_columns(pd.concat(en_parts, axis=1), "; ") if en_parts else ""
    return out


# ------------------------------------------------------------------------------------------------
# Preparing the per-village figures the rules read, and applying the rules
# ------------------------------------------------------------------------------------------------


def _check_options(cov: pd.DataFrame, st: Settings, *, domain: Any, geometry: Any,
                   cold_spot_metric: str, cold_spot_alpha: Any, spatial_method: Any) -> None:
    if not isinstance(domain, str) or domain not in st.targets:
        raise ValueError(
            f"'domain' should name a target in pufa.toml [targets] (e.g. 'awareness'), got "
            f"{domain!r}"
        )
    if cold_spot_metric not in cov.columns and geometry is not None:
        raise ValueError(
            f"'cold_spot_metric' {cold_spot_metric!r} is not a column of 'coverage'; "
            f"columns are {list(cov.columns)}"
        )
    if not isinstance(cold_spot_alpha, int | float) or not 0 < cold_spot_alpha < 1:
        raise ValueError(f"'cold_spot_alpha' should be between 0 and 1, got {cold_spot_alpha!r}")
    if spatial_method not in SPATIAL_METHOD_NAMES:
        raise ValueError(
            f"'spatial_method' should be one of {list(SPATIAL_METHOD_NAMES)}, got "
            f"{spatial_method!r}"
        )


def _as_of_of(as_of: Any, period: Any) -> pd.Timestamp | None:
    """"Today": ``as_of`` when given, else the period's ``as_of`` (None without a period)."""
    if period is not None and not all(hasattr(period, a) for a in ("start", "end", "as_of")):
        raise TypeError(
            f"'period' should be a Period (with start, end and as_of), got "
            f"{type(period).__name__}（period 应为统计期对象）"
        )
    if as_of is None and period is not None:
        as_of = period.as_of if period.as_of is not None else period.end
    if as_of is None:
        return None
    try:
        return pd.Timestamp(as_of)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"'as_of' should be a date, got {as_of!r}") from exc


def _gap_window(st: Settings, period: Any, start: pd.Timestamp | None,
                end: pd.Timestamp | None) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The last ``[targets] gap_window_months`` before the period's end (None: whole period).

    The window never starts before the period; its end is the period's end (pufa.toml's
    ``end`` without a period, else "today").
    """
    months = int(st.targets.get("gap_window_months") or 0)
    w_end = period.end if period is not None else (st.end if st.end is not None else end)
    if months <= 0 or w_end is None:
        return None
    w_end = pd.Timestamp(w_end).normalize()
    w_start = w_end - pd.DateOffset(months=months)
    if start is not None:
        w_start = max(w_start, pd.Timestamp(start).normalize())
    return w_start, w_end


def _recent_gaps(events: pd.DataFrame, index: pd.Index,
                 window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.Series:
    """Each village's longest gap between events inside the window (its ends count)."""
    _require(events, "events", ("village_id", "date"))
    ev = pd.DataFrame({"date": pd.to_datetime(events["date"], errors="coerce"),
                       "village_id": events["village_id"].astype("str")})
    return longest_gaps(ev, index, start=window[0], end=window[1])


def _context(st: Settings, domain: str, start: pd.Timestamp | None,
             site_months: Any) -> Context:
    tg = st.targets
    word_zh, word_en = _DOMAIN_WORDS.get(domain, (domain, domain))
    return Context(
        max_days_without_event=float(tg["max_days_without_event"]),
        max_gap_days=float(tg["max_gap_days"]),
        attendance_per_100=float(tg["attendance_per_100"]),
        min_respondents=int(tg["min_respondents"]),
        target=float(tg[domain]),
        suppress_below=st.suppress_below,
        max_days_without_adviser=float(st.services["max_days_without_adviser"]),
        site_stale_months=float(site_months),
        word_zh=word_zh,
        word_en=word_en,
        start=start,
    )


def _numbers(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(frame[column], errors="coerce").astype("float64")


def _topic_figures(cov: pd.DataFrame, events: pd.DataFrame | None,
                   event_topics: pd.DataFrame | None, st: Settings,
                   start: pd.Timestamp | None, end: pd.Timestamp | None
                   ) -> tuple[pd.Series, pd.Series]:
    """Missing required topics per village, and where coverage left them unassessed."""
    idx = cov.index
    topics_na = pd.Series(False, index=idx)
    if "missing_topics" in cov.columns:
        topics_na |= cov["missing_topics"].isna().to_numpy()  # not assessed by village_coverage
        topics = _tuple_series(cov["missing_topics"].map(_as_tuple), idx)
        if topics_na.any() and events is not None and "topic" in events.columns:
            # which required topics the recorded events leave open, for the message
            gaps = _topic_gaps(events, event_topics if "event_id" in events.columns else None,
                               idx, st.required_topics, start, end)
            topics = topics.where(~topics_na, gaps)
    elif events is not None:
        topics = _topic_gaps(events, event_topics, idx, st.required_topics, start, end)
    else:
        topics = _tuple_series(pd.Series(dtype=object), idx)
    return topics, topics_na


def _event_figures(
    cov: pd.DataFrame, events: pd.DataFrame | None, event_topics: pd.DataFrame | None,
    st: Settings, start: pd.Timestamp | None, end: pd.Timestamp | None,
    as_of_ts: pd.Timestamp | None,
) -> tuple[pd.DataFrame, dict[str, pd.Series], dict[str, tuple[pd.Series, pd.Series]]]:
    """The event figures of every village, what was not assessed, and what it leaves open.

    A figure a village's ledgers did not record is not assessed: some of its events lack the
    field, and the recorded ones do not already show the topic / group reached or the
    attendance target met.
    """
    idx = cov.index
    n_events = _numbers(cov, "n_events")
    days = _numbers(cov, "days_since_last")
    if as_of_ts is not None and "last_event" in cov.columns:
        last = pd.to_datetime(cov["last_event"], errors="coerce")
        days = (as_of_ts.normalize() - last.dt.normalize()).dt.days.astype("float64")
    att = _numbers(cov, "attendance_per_100")
    att_na = pd.Series(False, index=idx)
    if "attendance_unknown" in cov.columns:  # no event with a figure: attendance not assessed
        att_na |= (_numbers(cov, "attendance_unknown") >= n_events) & (n_events > 0)
    unrec = (
        _unrecorded_by_village(events, event_topics, idx, start, end)
        if events is not None
        else pd.DataFrame(False, index=idx, columns=["audience", "topic", "attendees"])
    )
    unrec_att = unrec["attendees"]
    if "attendance_unrecorded" in cov.columns:
        unrec_att = unrec_att | _numbers(cov, "attendance_unrecorded").fillna(0).gt(0)
    att_na |= unrec_att & (n_events > 0) & ~(att >= float(st.targets["attendance_per_100"]))
    topics, topics_na = _topic_figures(cov, events, event_topics, st, start, end)
    topics_na |= unrec["topic"] & (topics.str.len() > 0)

    v = pd.DataFrame({"n_events": n_events, "days_since_last": days,
                      "longest_gap_days": _numbers(cov, "longest_gap_days"),
                      "attendance_per_100": att.mask(att_na),
                      "missing_topics": _without(topics, topics_na)}, index=idx)
    for col in ("last_event", "has_site"):
        if col in cov.columns:
            v[col] = cov[col]
    na = {"low_attendance": att_na, "missing_topics": topics_na}
    opens = {
        "low_attendance": (pd.Series("", index=idx), pd.Series("", index=idx)),
        "missing_topics": (
            topics.str.join("、").where(topics.str.len() > 0, "必讲主题"),
            _join_per_index(_explode_tuples(topics).map(label), idx, ", ").fillna(
                "required topics"),
        ),
    }
    if events is not None:
        audiences = _audience_gaps(events, idx, st.required_audiences, start, end,
                                   st.audience_aliases)
        na["missing_audiences"] = unrec["audience"] & (audiences.str.len() > 0)
        v["missing_audiences"] = _without(audiences, na["missing_audiences"])
        opens["missing_audiences"] = (
            audiences.str.join("、"),
            _join_per_index(_explode_tuples(audiences).map(label), idx, ", "),
        )
    return v, na, opens


def _service_figures(services: Any, index: pd.Index, as_of_ts: pd.Timestamp | None
                     ) -> pd.DataFrame:
    """The standing-service figures the rules read (days since the adviser from ``as_of``)."""
    svc = _check_services(services, index)
    out = svc[[c for c in (*_SERVICES_REQUIRED, "stale_site_names") if c in svc.columns]].copy()
    out["last_adviser_visit"] = pd.to_datetime(svc["last_adviser_visit"], errors="coerce")
    out["days_since_adviser"] = _numbers(svc, "days_since_adviser")
    if as_of_ts is not None:
        out["days_since_adviser"] = (
            as_of_ts.normalize() - out["last_adviser_visit"].dt.normalize()
        ).dt.days.astype("float64")
    return out


def _apply_rules(v: pd.DataFrame, ctx: Context, inputs: set[str]
                 ) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, dict[str, pd.Series]]]:
    """Flags, points and texts (zh, en, act_zh, act_en) of every rule whose inputs are there."""
    idx = v.index
    flags = pd.DataFrame(False, index=idx, columns=list(REASON_CODES))
    points = pd.DataFrame(0.0, index=idx, columns=list(REASON_CODES))
    text: dict[str, dict[str, pd.Series]] = {k: {} for k in ("zh", "en", "act_zh", "act_en")}
    for rule in RULES:  # a dozen rules, each vectorised over the villages
        if not set(rule.needs) <= inputs:
            continue
        flag = rule.flag(v, ctx).astype(bool)
        flags[rule.code] = flag
        points[rule.code] = rule.score(v, ctx, flag)
        acts = rule.actions(v, ctx) if rule.actions else (rule.action_zh, rule.action_en)
        for key, value in zip(text, (*rule.message(v, ctx), *acts), strict=True):
            s = value if isinstance(value, pd.Series) else pd.Series(value, index=idx)
            text[key][rule.code] = s.astype("str").where(flag)
    return flags, points.fillna(0.0), text


def _not_assessed_columns(na: dict[str, pd.Series],
                          opens: dict[str, tuple[pd.Series, pd.Series]],
                          index: pd.Index) -> pd.DataFrame:
    """not_assessed (codes), not_assessed_zh, not_assessed_en, in :data:`REASON_CODES` order."""
    codes = [c for c in REASON_CODES if c in na]
    flags = pd.DataFrame({c: na[c] for c in codes}, index=index).astype(bool)
    cells = np.where(flags.to_numpy(), np.array(codes), None)
    out = pd.DataFrame(index=index)
    out["not_assessed"] = _tuples_of_rows(pd.DataFrame(cells, index=index))
    for j, (col, sep) in enumerate((("not_assessed_zh", "；"), ("not_assessed_en", "; "))):
        out[col] = _join_columns(pd.DataFrame({
            c: _fill(NOT_ASSESSED[c][j], opens[c][j]).astype("str").where(flags[c])
            for c in codes if c in opens}, index=index), sep)
    return out


def _follow_up_frame(cov: pd.DataFrame, v: pd.DataFrame, flags: pd.DataFrame,
                     text: dict[str, dict[str, pd.Series]], score: pd.Series,
                     not_assessed: pd.DataFrame) -> pd.DataFrame:
    """The list's columns in their documented order (figures of absent inputs left empty)."""
    idx = cov.index
    code_cells = np.where(flags.to_numpy(), np.array(REASON_CODES), None)
    out = pd.DataFrame(index=idx)
    out["village_name"] = cov["village_name"].astype("str")
    out["town"] = cov["town"].astype("str") if "town" in cov.columns else np.nan
    out["town"] = out["town"].astype("str")
    out["population"] = cov["population"]
    out["score"] = score.astype("float64")
    out["priority"] = 0
    out["reasons"] = _tuples_of_rows(pd.DataFrame(code_cells, index=idx))
    for col, key, sep in (("reasons_zh", "zh", "；"), ("actions_zh", "act_zh", "；"),
                          ("reasons_en", "en", "; "), ("actions_en", "act_en", "; ")):
        out[col] = _join_columns(pd.DataFrame(text[key], index=idx), sep)
    out["n_events"] = cov["n_events"]
    for col in ("days_since_last", "longest_gap_days", "attendance_per_100", "missing_topics"):
        out[col] = v[col]
    if "missing_audiences" in v.columns:
        out["missing_audiences"] = v["missing_audiences"]
    out = out.join(not_assessed)
    if "has_site" in cov.columns:
        out["has_site"] = cov["has_site"].astype("boolean")
    if "literates_met" in v.columns:  # services given
        out["n_legal_literates"] = v["n_legal_literates"].astype("Int64")
        out["literates_target"] = v["literates_target"]
        out["adviser_visits"] = v["adviser_visits"].astype("Int64")
        out["last_adviser_visit"] = v["last_adviser_visit"]
        out["days_since_adviser"] = v["days_since_adviser"]
        out["stale_sites"] = v["stale_sites"].astype("Int64")
        if "stale_site_names" in v.columns:
            out["stale_site_names"] = v["stale_site_names"].astype("str")
    aw_cols = {
        "awareness_n": pd.array([pd.NA] * len(idx), dtype="Int64"),
        "awareness_rate": np.nan,
        "awareness_ci_high": np.nan,
        "awareness_rate_shrunk": np.nan,
        "lqas": pd.Series(np.nan, index=idx, dtype="str"),
        "awareness_item": pd.Series(np.nan, index=idx, dtype="str"),
        "awareness_label": pd.Series(np.nan, index=idx, dtype="str"),
        "awareness_low_items": _tuple_series(pd.Series(dtype=object), idx),
    }
    for col, default in aw_cols.items():
        out[col] = v[col] if "_low" in v.columns else default
    if "cold_spot" in v.columns:
        for col in ("cold_spot", "cold_spot_method", "cold_spot_p"):
            out[col] = v[col]
    else:
        out["cold_spot"] = pd.array([pd.NA] * len(idx), dtype="boolean")
        out["cold_spot_method"] = pd.Series(np.nan, index=idx, dtype="str")
        out["cold_spot_p"] = np.nan
    return out


def _ranked(out: pd.DataFrame, include_all: bool) -> pd.DataFrame:
    """Sorted by score (ties by village id), priority 1, 2, …; villages with no reason dropped."""
    order = pd.DataFrame({"score": -out["score"].to_numpy(), "vid": out.index.to_numpy()})
    order = order.sort_values(["score", "vid"], kind="mergesort").index.to_numpy()
    out = out.iloc[order]
    out["priority"] = np.arange(1, len(out) + 1, dtype="int64")
    return out if include_all else out[out["reasons"].str.len() > 0]


# ------------------------------------------------------------------------------------------------
# The follow-up list
# ------------------------------------------------------------------------------------------------


def find_blind_spots(
    coverage: pd.DataFrame,
    *,
    rates: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    event_topics: pd.DataFrame | None = None,
    services: pd.DataFrame | None = None,
    settings: Settings | None = None,
    geometry: Any = None,
    domain: str = "awareness",
    as_of: Any = None,
    period: Any = None,
    codebook: pd.DataFrame | None = None,
    include_all: bool = False,
    cold_spot_metric: str = "n_events",
    spatial_method: str = "gi_star",
    cold_spot_alpha: float = 0.10,
    spatial_options: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Rank the villages that need follow-up, with reasons, figures and suggested actions.

    Parameters
    ----------
    coverage : pandas.DataFrame
        ``village_coverage(...)`` output, index ``village_id``: village_name, town, population,
        n_events, days_since_last, longest_gap_days, attendance_per_100, missing_topics (tuples),
        last_event and has_site when available.
    rates : pandas.DataFrame, optional
        Village survey rates, long: ``awareness_rates(..., by="village_id")``, optionally through
        ``shrink_rates`` (adds rate_shrunk) and ``lqas_classify`` (adds lqas). Columns
        village_id, item, n, rate, ci_high, and domain (else items are taken from ``codebook``'s
        domain, else all items are used). A register village with no row gets
        ``unknown_awareness``.
    events : pandas.DataFrame, optional
        The event ledger (village_id, date, audience): adds ``missing_audiences``, the
        ``[audiences] required`` groups never named as the audience of an event of the village
        between ``[period] start`` and ``as_of``. Audience cells may list several groups
        (老年人、妇女); groups are found in free text as the reader finds them
        (:func:`pufa_metrics.schema.split_audiences`: 留守老人 → 老年人, with ``[audiences]
        aliases``). An event for 全体村民 does not count as reaching a specific group. Also
        tells which villages have events whose ledger did not record the audience, topic or
        attendee figure: those reasons are then not assessed (see Notes).
    event_topics : pandas.DataFrame, optional
        Every topic of every event; used with ``events`` to work out missing topics only when
        ``coverage`` has no ``missing_topics`` column.
    services : pandas.DataFrame, optional
        ``service_coverage(...)`` output (:mod:`pufa_metrics.services`), index ``village_id``:
        adds ``few_legal_literates``, ``adviser_absent`` and ``stale_site``. Columns that are NA
        (a roster, log or site register not given) raise no reason: not assessed.
    settings : Settings, optional
        Targets and thresholds; default ``Settings.load()`` (the project's ``pufa.toml``).
    geometry : GeoDataFrame, GeoSeries or DataFrame with lon/lat, optional
        Village polygons or points: adds ``cold_spot`` (see Notes).
    domain : str, default "awareness"
        Survey domain judged against its target (``[targets] awareness``, ``support`` …).
    as_of : date-like, optional
        "Today" for recency; default ``[period] as_of``. When given and ``coverage`` has
        ``last_event``, ``days_since_last`` is recomputed from it (and ``days_since_adviser``
        from ``services``' ``last_adviser_visit``). Also ends the audience period.
    period : Period, optional
        The reporting period (:class:`pufa_metrics.workflow.Period` or any object with
        ``start``, ``end`` and ``as_of``), as :func:`~pufa_metrics.workflow.analyse` uses it:
        its start names the no-event message ("2024年1月以来无普法活动") and starts the audience
        and topic period, its end ends the long-gap window, and its ``as_of`` is "today" when
        ``as_of`` is not given. Default: ``[period]`` of ``settings``.
    codebook : pandas.DataFrame, optional
        Survey codebook (item, text, domain): names the law or question in messages, e.g.
        《反电信网络诈骗法》, instead of the item code.
    include_all : bool, default False
        Keep every village (those with no reason at the bottom, score 0) instead of only the
        villages with at least one reason.
    cold_spot_metric : str, default "n_events"
        The coverage column tested for cold spots. Event count (not per capita) by default:
        every village should be reached whatever its size (无死角、无盲区), and per-capita
        measures make large central communities look cold.
    spatial_method : {"gi_star", "lisa"}, default "gi_star"
        Local statistic for cold spots.
    cold_spot_alpha : float, default 0.10
        False-discovery-rate level for cold spots (see Notes).
    spatial_options : mapping, optional
        Further keywords for :func:`pufa_metrics.spatial.spatial_clusters` (``permutations``,
        ``seed``, ``fdr``, ``kind``, ``k``).

    Returns
    -------
    pandas.DataFrame
        Index ``village_id``, sorted by ``priority`` (1 = most urgent), columns: village_name,
        town, population, score, priority, reasons (tuple of codes in :data:`REASON_CODES`
        order), reasons_zh, actions_zh, reasons_en, actions_en, then the figures behind the
        reasons: n_events, days_since_last, longest_gap_days, attendance_per_100,
        missing_topics, missing_audiences (when ``events`` given; both None when not
        assessed), not_assessed (tuple of the codes of low_attendance, missing_topics and
        missing_audiences the ledgers could not assess), not_assessed_zh, not_assessed_en
        (what was not assessed and why, e.g.
        "有活动未记录参加对象，老年人、妇女是否作为宣传对象未评估"),
        has_site (when in
        ``coverage``), n_legal_literates, literates_target, adviser_visits, last_adviser_visit,
        days_since_adviser, stale_sites, stale_site_names (when ``services`` given),
        awareness_n, awareness_rate, awareness_ci_high, awareness_rate_shrunk, lqas,
        awareness_item, awareness_label (the law or question the codebook gives for it, NaN
        when none), awareness_low_items, cold_spot (boolean, NA when not assessed),
        cold_spot_method, cold_spot_p. The awareness figures are those of the *decisive item*:
        the lowest 95 % upper bound among items with enough answers (else the best-answered
        item). ``attrs["thresholds"]`` records the thresholds used; ``attrs["not_assessed"]``
        (:mod:`pufa_metrics.assessed`) says, for the whole list, how many villages could not
        be assessed for a reason because their ledgers did not record it.

    Notes
    -----
    **Reasons** (thresholds from ``pufa.toml``):

    - ``no_events``: no event in the period. It replaces stale, long_gap and low_attendance,
      which would only restate it.
    - ``stale``: ``days_since_last`` > ``max_days_without_event``. A stale village is not also
      flagged ``long_gap`` (its last gap is the long one).
    - ``long_gap``: the longest gap between events *of the recent past* > ``max_gap_days``: a
      list about now, so that a gap back in 2020 does not flag a village in 2025. With
      ``events`` given, the gap is sought in the last ``[targets] gap_window_months`` (24)
      before the period's end, the window's start counting as a boundary as the period's
      start does (:func:`pufa_metrics.coverage.longest_gaps`; ``longest_gap_days`` is then that
      gap and ``attrs["gap_window"]`` the window); ``gap_window_months = 0`` or no ``events``
      judge ``coverage``'s whole-period ``longest_gap_days`` (``attrs["gap_window"]`` None).
    - ``low_attendance``: ``attendance_per_100`` < target (人次 per 100 residents). Not
      assessed when no event of the village has an attendee figure (``attendance_unknown`` =
      ``n_events``): a ledger without 参加人数 says nothing about attendance.
    - ``missing_topics`` / ``missing_audiences``: required topics never covered / required
      audience groups never targeted.
    - **Not assessed** (no reason, no points, stated in ``not_assessed_zh``): a gap in the record
      is not a gap in the work. When some of a village's events in the period come from a
      ledger that did not record the topic, the audience or the attendee figure (no such
      column, or the column blank throughout: :func:`pufa_metrics.coverage.unrecorded_events`),
      ``missing_topics`` / ``missing_audiences`` are not assessed (None) unless the recorded
      events already cover every required topic / group, and ``low_attendance`` is not
      assessed (``attendance_per_100`` NaN) unless the recorded figures already reach the
      target. ``low_attendance`` is likewise not assessed when no event has a figure.
    - ``no_site``: ``has_site`` is False.
    - ``few_legal_literates``: ``literates_met`` is False: fewer trained 法律明白人 than
      ``[targets] legal_literates_per_village`` (3 per 行政村, docs/domain.md), e.g.
      "法律明白人仅2名（目标3名）".
    - ``adviser_absent``: ``days_since_adviser`` > ``[services] max_days_without_adviser``, or
      no visit of the village legal adviser at all in the period (``adviser_visits == 0``),
      e.g. "法律顾问已187天未到村（最近一次2025年6月27日）".
    - ``stale_site``: a village-level site whose content was not updated within
      ``[services] site_stale_months`` (or has no update date), naming the site.
    - ``low_awareness``: some item of ``domain`` with at least ``min_respondents`` answers has
      its 95 % upper confidence bound below the target, or LQAS classifies it ``below``. A low
      point estimate alone is not enough. Each item is judged on its own evidence and named in
      the message, e.g. "《反电信网络诈骗法》知晓率58%（n=41，95%CI上限71%）低于目标90%".
    - ``unknown_awareness``: no item has ``min_respondents`` answers (or the village has no
      answers at all). Such a village is neither good nor bad: it gets a survey, not a verdict,
      and is never flagged ``low_awareness``.
    - ``cold_spot``: the village lies in a cold spot of ``cold_spot_metric`` (and, when
      ``rates`` are given, of the village mean of shrunk awareness), see
      :func:`~pufa_metrics.spatial.spatial_clusters`: a below-average village that is a
      significant Gi* cold core or touches a below-average one. With a town of ~30 villages,
      permutation p-values of villages with 3–4 neighbours cannot fall much below 0.002, while
      Benjamini-Hochberg at 5 % over 30 tests needs the smallest below 0.0017; the follow-up
      list therefore screens at an FDR of 10 % (``cold_spot_alpha``): one flag in ten may be
      chance, and every flag shows its p-value. On 20 simulated 28-village layouts with a
      planted 5-village corner cluster this found the whole cluster in 17, 4 of 5 in 2 and none
      in 1; on 20 layouts without a cluster it raised a false cold spot in 1. Islands and
      villages without geometry are not assessed: ``cold_spot`` is NA and ``cold_spot_method``
      says "island" or "no geometry".

    **Score** — points per reason, times a population factor:

    ======================  ===================================================================
    no_events               5
    stale                   3, plus 0.125 per month beyond the limit (at most +1.5, so that a
                            stale village never outweighs one with no event at all)
    long_gap                1.5
    low_attendance          1.5
    missing_topics          1 per missing topic
    missing_audiences       0.5 per missing group
    no_site                 2
    few_legal_literates     1, plus 0.5 per further person short of the target (at most +1:
                            with a target of 3, one short = 1, two = 1.5, none trained = 2,
                            as much as having no site)
    adviser_absent          2 (a standing service not delivered, like a missing site)
    stale_site              1 (content out of date: cheap to put right)
    low_awareness           4, plus 1 per further item below target (at most +2)
    unknown_awareness       1
    cold_spot               2
    ======================  ===================================================================

    ``score = points × max(1, 1 + log10(population / 1000))``, rounded to 2 decimals: a village
    of 1,000 people or fewer counts once, 10,000 people twice; a missing population counts once.
    ``priority`` ranks by score, highest first; equal scores are ordered by ``village_id``, so
    the ranking is the same on every run.

    *Worked example.* A village of 3,000 people whose last event was 548 days ago (limit 365:
    183 days ≈ 6.0 months over), with two required topics never covered and no site: points =
    (3 + 0.125 × 6.01) + 2 × 1 + 2 = 7.75; factor = 1 + log10(3) = 1.477; score = 11.45. A
    village of 800 people with no event at all and nothing else recorded scores 5 × 1 = 5. If
    the same village of 800 also had only 1 trained 法律明白人 (two short of 3) and an adviser
    last seen 187 days ago: 5 + (1 + 0.5) + 2 = 8.5.

    Examples
    --------
    >>> from pufa_metrics.config import Settings
    >>> cov = pd.DataFrame({
    ...     "village_name": ["甲村", "乙村", "丙村"], "town": "水寨镇",
    ...     "population": [3000, 800, 2000],
    ...     "n_events": [4, 0, 9], "days_since_last": [548.0, np.nan, 20.0],
    ...     "longest_gap_days": [548.0, 730.0, 90.0],
    ...     "attendance_per_100": [12.0, 0.0, 30.0],
    ...     "missing_topics": [("宪法", "禁毒"), ("宪法", "民法典", "反电信网络诈骗", "禁毒"), ()],
    ...     "has_site": [False, True, True],
    ... }, index=pd.Index(["A", "B", "C"], name="village_id"))
    >>> out = find_blind_spots(cov, settings=Settings())
    >>> out[["priority", "score"]].to_dict("index")
    {'A': {'priority': 1, 'score': 11.45}, 'B': {'priority': 2, 'score': 9.0}}
    >>> out.loc["A", "reasons"]
    ('stale', 'missing_topics', 'no_site')
    >>> print(out.loc["A", "reasons_zh"])
    近18个月无普法活动；宪法、禁毒未覆盖；无村级普法阵地
    >>> print(out.loc["A", "actions_zh"])
    安排律师下村讲座；结合12·4国家宪法日开展宪法宣传；结合6·26国际禁毒日开展禁毒宣传；建设村级普法阵地（宣传栏/法治长廊）
    """
    cov = _check_coverage(coverage)
    st = resolve_settings(settings)
    _check_options(cov, st, domain=domain, geometry=geometry, cold_spot_metric=cold_spot_metric,
                   cold_spot_alpha=cold_spot_alpha, spatial_method=spatial_method)
    as_of_ts = _as_of_of(as_of, period)
    start, end = _period_bounds(st, as_of_ts, period)
    idx = cov.index

    # ---- the per-village figures the rules read, prepared once ----------------------------------
    v, na, opens = _event_figures(cov, events, event_topics, st, start, end, as_of_ts)
    window = _gap_window(st, period, start, end) if events is not None else None
    if window is not None:  # a list about now: long gaps of the recent past only
        v["longest_gap_days"] = _recent_gaps(events, idx, window)
    inputs = {"events", "events.attendees", "events.topic"}  # coverage carries these
    inputs |= {"topics.required"} if st.required_topics else set()
    inputs |= {"audiences.required"} if st.required_audiences else set()
    inputs |= {"events.audience"} if events is not None else set()
    inputs |= {"sites"} if "has_site" in cov.columns else set()
    site_months = st.services["site_stale_months"]
    if services is not None:
        v = v.join(_service_figures(services, idx, as_of_ts))
        site_months = services.attrs.get("thresholds", {}).get("site_stale_months", site_months)
        inputs |= {"legal_literates", "adviser_visits", "sites.last_updated"}
    months = None if window is None else int(st.targets["gap_window_months"])
    ctx = replace(_context(st, domain, start, site_months), gap_window_months=months)
    if rates is not None:
        aware = _awareness(rates, idx, domain=domain, target=ctx.target,
                           min_n=ctx.min_respondents, suppress_below=ctx.suppress_below,
                           codebook=codebook)
        v = v.join(aware)
        inputs.add("rates")
        na["low_awareness"] = (aware["_undecided"].str.len() > 0).astype(bool)
        opens["low_awareness"] = (aware["_undecided"].str.join("、"),
                                  aware["_undecided"].str.join(", "))
    if geometry is not None:
        analyses = {cold_spot_metric: pd.to_numeric(cov[cold_spot_metric], errors="coerce")}
        if rates is not None:
            analyses["awareness"] = v["_awareness_mean"]
        v = v.join(_cold_spots(analyses, geometry, idx, method=spatial_method,
                               alpha=cold_spot_alpha, options=spatial_options or {}))
        inputs.add("geometry")

    # ---- the rules, then score and rank -------------------------------------------------------
    flags, points, text = _apply_rules(v, ctx, inputs)
    population = _numbers(cov, "population")
    factor = (1 + np.log10(population.where(population > 0) / 1000)).clip(lower=1).fillna(1.0)
    score = (points.sum(axis=1) * factor).round(2)
    out = _follow_up_frame(cov, v, flags, text, score, _not_assessed_columns(na, opens, idx))
    out = _ranked(out, include_all)
    out.attrs = {
        "domain": domain,
        "target": ctx.target,
        "as_of": None if end is None else str(pd.Timestamp(end).date()),
        "thresholds": {
            "max_days_without_event": ctx.max_days_without_event,
            "max_gap_days": ctx.max_gap_days,
            "gap_window_months": ctx.gap_window_months or 0,
            "attendance_per_100": ctx.attendance_per_100,
            "min_respondents": ctx.min_respondents,
            "target": ctx.target,
            "suppress_below": ctx.suppress_below,
            "required_topics": list(st.required_topics),
            "required_audiences": list(st.required_audiences),
            "legal_literates_per_village": st.targets["legal_literates_per_village"],
            "max_days_without_adviser": ctx.max_days_without_adviser,
            "site_stale_months": site_months,
            "cold_spot_metric": cold_spot_metric,
            "spatial_method": spatial_method,
            "cold_spot_alpha": cold_spot_alpha,
            "spatial_permutations": dict(spatial_options or {}).get("permutations", 9999),
        },
        "gap_window": None if window is None else tuple(str(d.date()) for d in window),
    }
    counts = {code: int(flag.sum()) for code, flag in na.items()}  # villages per code (a few)
    return mark_not_assessed(out, *(
        (zh.format(n=counts[code]), en.format(n=counts[code]))
        for code, (zh, en) in _NOT_ASSESSED_TOWN.items() if counts.get(code, 0) > 0
    ))


# ------------------------------------------------------------------------------------------------
# Group gaps
# ------------------------------------------------------------------------------------------------


def _flag_group_gaps(
    rates: pd.DataFrame,
    *,
    by: tuple[str, ...],
    target: float,
    min_n: int,
    suppress_below: int,
    domain: str,
    codebook: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Groups whose rate is confidently below target (ci_high < target, n ≥ min_n)."""
    _require(rates, "rates", (*by, "item", "n", "rate", "ci_low", "ci_high"))
    n = pd.to_numeric(rates["n"], errors="coerce").fillna(0)
    ci_high = pd.to_numeric(rates["ci_high"], errors="coerce")
    gaps = rates[(n >= min_n) & (ci_high < target)].copy()
    gaps["target"] = float(target)
    group = _join_columns(gaps[list(by)].astype("str"), "·")
    item_label = _item_labels(codebook, gaps["item"]).to_numpy()
    word_zh, word_en = _DOMAIN_WORDS.get(domain, (domain, domain))
    t = _pct(gaps["target"])
    nt = _n_text(gaps["n"], suppress_below)
    gaps["label"] = item_label
    gaps["reason_zh"] = (
        group + "：" + gaps["label"] + word_zh + _pct(gaps["rate"]) + "%（" + nt
        + "，95%CI上限" + _pct(gaps["ci_high"]) + "%）低于目标" + t + "%"
    )
    gaps["reason_en"] = (
        group.str.replace("·", " × ") + ": item " + gaps["item"].astype("str") + " " + word_en
        + " " + _pct(gaps["rate"]) + "% (" + nt + ", 95% CI upper " + _pct(gaps["ci_high"])
        + "%) below target " + t + "%"
    )
    cols = [*by, "item", "label", "n", "rate", "ci_low", "ci_high", "target", "reason_zh",
            "reason_en"]
    gaps = gaps.sort_values(["ci_high", *by, "item"], kind="mergesort")
    return gaps[cols].reset_index(drop=True)


def group_gaps(
    responses: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    by: Iterable[str] = ("gender", "age_group"),
    domain: str = "awareness",
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Town-wide population groups whose awareness is confidently below target.

    Rates per group (default gender × age group) and item come from
    :func:`pufa_metrics.survey.awareness_rates` (weights used when the responses carry them).
    A group is listed for an item when it has at least ``min_respondents`` answers and the 95 %
    upper confidence bound is below the domain's target: the evidence, not the point estimate,
    says it is short. Small groups are never listed (too few answers to say).

    Parameters
    ----------
    responses, codebook : pandas.DataFrame
        Survey answers and codebook, as for ``awareness_rates``.
    by : iterable of str, default ("gender", "age_group")
        Grouping columns of ``responses``.
    domain : str, default "awareness"
        Items of this domain, judged against ``[targets] <domain>``.
    settings : Settings, optional
        Default ``Settings.load()``.

    Returns
    -------
    pandas.DataFrame
        One row per (group, item) below target, lowest upper bound first: the ``by`` columns,
        item, label (the law or question), n, rate, ci_low, ci_high, target, reason_zh,
        reason_en, e.g. "女·60岁及以上：《反电信网络诈骗法》知晓率52%（n=48，95%CI上限66%）
        低于目标90%".

    Examples
    --------
    >>> from pufa_metrics.config import Settings
    >>> resp = pd.DataFrame({
    ...     "response_id": [str(i) for i in range(40)], "village_id": "A",
    ...     "gender": ["女"] * 20 + ["男"] * 20, "age_group": "60岁及以上",
    ...     "q1": ["不知道"] * 12 + ["知道"] * 8 + ["知道"] * 20})
    >>> book = pd.DataFrame({"item": ["q1"], "text": ["您是否知道《反电信网络诈骗法》？"],
    ...     "domain": ["awareness"], "positive": [("知道", "听说过")], "missing": [("不清楚",)]})
    >>> gaps = group_gaps(resp, book, settings=Settings())
    >>> gaps["reason_zh"].tolist()
    ['女·60岁及以上：《反电信网络诈骗法》知晓率40%（n=20，95%CI上限61%）低于目标90%']
    """
    from .survey import awareness_rates  # lazily: survey is a sibling module

    st = resolve_settings(settings)
    by = tuple([by] if isinstance(by, str) else by)
    _require(responses, "responses", by)
    if domain not in st.targets:
        raise ValueError(f"'domain' should name a target in pufa.toml [targets], got {domain!r}")
    if responses.empty or codebook.empty:  # no survey: no group judged, and said so
        rates = awareness_rates(responses, codebook, by=list(by), settings=st)
    else:
        rates = awareness_rates(responses, codebook, by=list(by), domain=domain, settings=st)
    return _flag_group_gaps(
        rates,
        by=by,
        target=float(st.targets[domain]),
        min_n=int(st.targets["min_respondents"]),
        suppress_below=st.suppress_below,
        domain=domain,
        codebook=codebook,
    )
