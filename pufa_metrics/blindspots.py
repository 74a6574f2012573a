"""Blind spots (普法盲区): rules → a ranked, explained follow-up list.

:func:`find_blind_spots` turns the coverage table, survey rates and (optionally) the event ledger,
the standing services (:func:`~pufa_metrics.services.service_coverage`: 法律明白人, the village
legal adviser, site upkeep) and village geometry into one row per village with the reasons it
needs attention, in plain Chinese and English with the figures behind them, a suggested action
per reason, a score and a priority. :func:`group_gaps` finds population groups (gender × age
group) whose awareness is confidently below target; :func:`export_follow_up` writes the list as
an Excel workbook the town can use as it is.

Every threshold comes from ``pufa.toml`` (:class:`~pufa_metrics.config.Settings`): targets
``awareness`` (or the domain's), ``attendance_per_100``, ``max_days_without_event``,
``max_gap_days``, ``min_respondents``, ``legal_literates_per_village``; ``[services]
max_days_without_adviser`` and ``site_stale_months``; ``[topics] required``; ``[audiences]
required``; ``[privacy] suppress_below``.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .assessed import mark_not_assessed
from .config import Settings, resolve_settings
from .coverage import unrecorded_events
from .excel import cell_value, display_width, write_cell
from .rules import TIERS, tier_of
from .schema import audience_vocabulary, canonical_audience, canonical_topic, label

__all__ = [
    "REASON_CODES",
    "REASONS",
    "SEVERITY",
    "find_blind_spots",
    "group_gaps",
    "export_follow_up",
]

#: Reason codes in the order they are listed.
REASON_CODES: tuple[str, ...] = (
    "no_events",
    "stale",
    "long_gap",
    "low_attendance",
    "missing_topics",
    "missing_audiences",
    "no_site",
    "few_legal_literates",
    "adviser_absent",
    "stale_site",
    "low_awareness",
    "unknown_awareness",
    "cold_spot",
)

#: Points per reason before the population factor (see :func:`find_blind_spots`).
SEVERITY: dict[str, float] = {
    "no_events": 5.0,
    "stale": 3.0,  # + 0.125 per month beyond the limit, at most + 1.5
    "long_gap": 1.5,
    "low_attendance": 1.5,
    "missing_topics": 1.0,  # per topic
    "missing_audiences": 0.5,  # per audience group
    "no_site": 2.0,
    "few_legal_literates": 1.0,  # + 0.5 per further person short of the target, at most + 1
    "adviser_absent": 2.0,
    "stale_site": 1.0,
    "low_awareness": 4.0,  # + 1 per further item below target, at most + 2
    "unknown_awareness": 1.0,
    "cold_spot": 2.0,
}
_STALE_PER_MONTH = 0.125
_STALE_MAX_EXTRA = 1.5
_LOW_AWARENESS_PER_ITEM = 1.0
_LOW_AWARENESS_MAX_EXTRA = 2.0
_LITERATES_PER_PERSON = 0.5
_LITERATES_MAX_EXTRA = 1.0
_DAYS_PER_MONTH = 30.44

#: Short names and rules of every reason (zh, en, rule); thresholds are filled from settings.
REASONS: dict[str, dict[str, str]] = {
    "no_events": {
        "zh": "无普法活动",
        "en": "No event",
        "rule_zh": "统计期内本村无普法活动",
        "rule_en": "no event in the village in the period",
    },
    "stale": {
        "zh": "长期无活动",
        "en": "No recent event",
        "rule_zh": "距最近一次活动超过 {max_days_without_event} 天",
        "rule_en": "days since the last event > {max_days_without_event}",
    },
    "long_gap": {
        "zh": "活动间隔过长",
        "en": "Long gap",
        "rule_zh": "两次活动（或期初、期末）之间最长间隔超过 {max_gap_days} 天",
        "rule_en": "longest gap between events (or period ends) > {max_gap_days} days",
    },
    "low_attendance": {
        "zh": "参与人次偏低",
        "en": "Low attendance",
        "rule_zh": "每百名常住人口参与人次低于 {attendance_per_100}",
        "rule_en": "attendances per 100 residents < {attendance_per_100}",
    },
    "missing_topics": {
        "zh": "重点主题未覆盖",
        "en": "Required topics missing",
        "rule_zh": "必讲主题（{required_topics}）期内从未讲过",
        "rule_en": "a required topic ({required_topics}) never covered in the period",
    },
    "missing_audiences": {
        "zh": "重点人群未覆盖",
        "en": "Audience groups missing",
        "rule_zh": "重点人群（{required_audiences}）期内从未作为活动对象",
        "rule_en": "a required audience ({required_audiences}) never targeted in the period",
    },
    "no_site": {
        "zh": "无村级阵地",
        "en": "No village site",
        "rule_zh": "没有村级普法阵地",
        "rule_en": "no village-level publicity site",
    },
    "few_legal_literates": {
        "zh": "法律明白人不足",
        "en": "Too few legally literate persons",
        "rule_zh": "已培训的法律明白人少于 {legal_literates_per_village} 名（行政村）",
        "rule_en": (
            "fewer than {legal_literates_per_village} trained legally literate persons "
            "(法律明白人; administrative villages)"
        ),
    },
    "adviser_absent": {
        "zh": "法律顾问未到村",
        "en": "Legal adviser absent",
        "rule_zh": "村法律顾问超过 {max_days_without_adviser} 天未到村，或统计期内没有到村服务记录",
        "rule_en": (
            "the village legal adviser has not come for more than {max_days_without_adviser} "
            "days, or never in the period"
        ),
    },
    "stale_site": {
        "zh": "阵地内容陈旧",
        "en": "Site content out of date",
        "rule_zh": "村级普法阵地内容超过 {site_stale_months} 个月未更新（或无更新记录）",
        "rule_en": (
            "a village-level publicity site not updated for more than {site_stale_months} months "
            "(or no update recorded)"
        ),
    },
    "low_awareness": {
        "zh": "知晓率低于目标",
        "en": "Awareness below target",
        "rule_zh": (
            "至少一题在样本≥{min_respondents}份时，95%置信区间上限低于目标 {target}，"
            "或 LQAS 判定未达标"
        ),
        "rule_en": (
            "for at least one item with ≥ {min_respondents} answers, the 95% CI upper bound "
            "is below the target {target}, or LQAS says below"
        ),
    },
    "unknown_awareness": {
        "zh": "知晓率未知",
        "en": "Awareness unknown",
        "rule_zh": "问卷有效样本少于 {min_respondents} 份（或无问卷），不作好坏判断",
        "rule_en": "fewer than {min_respondents} answers (or none): neither good nor bad",
    },
    "cold_spot": {
        "zh": "空间冷点",
        "en": "Spatial cold spot",
        "rule_zh": (
            "低于平均水平，且本身是 Gi* 冷点（或 LISA 低-低）核心村或与这样的核心村相邻；"
            "置换检验并控制错误发现率"
        ),
        "rule_en": (
            "below average, and a Gi* cold (or LISA low-low) core or touching a below-average "
            "one; permutation test with false-discovery-rate control"
        ),
    },
}

#: What is said of a reason the ledgers could not assess for a village (zh, en): a field some
#: of its events did not record (:func:`pufa_metrics.coverage.unrecorded_events`).
NOT_ASSESSED: dict[str, tuple[str, str]] = {
    "low_attendance": ("有活动未记录参加人数，参与人次未评估",
                       "Attendee counts not recorded for some events: attendance not assessed"),
    "missing_topics": ("有活动未记录宣传内容，{}是否讲过未评估",
                       "Topics not recorded for some events: {} not assessed"),
    "missing_audiences": ("有活动未记录参加对象，{}是否作为宣传对象未评估",
                          "Audience not recorded for some events: {} not assessed"),
    "low_awareness": ("问卷题目{}含未归入肯定或否定的答案（需核定答案分类），其知晓率未评估",
                      "survey item(s) {} have answers classified neither positive nor negative "
                      "(a codebook decision is needed): not assessed"),
}

#: The same for the whole list (``attrs["not_assessed"]``, :mod:`pufa_metrics.assessed`): {n}
#: is the number of villages concerned.
_NOT_ASSESSED_TOWN: dict[str, tuple[str, str]] = {
    "low_attendance": ("{n}个村有活动未记录参加人数，其参与人次未评估",
                       "{n} village(s) have events with no attendee count recorded: "
                       "attendance not assessed there"),
    "missing_topics": ("{n}个村有活动未记录宣传内容，其必讲主题覆盖未评估",
                       "{n} village(s) have events whose ledger records no topic: required "
                       "topics not assessed there"),
    "missing_audiences": ("{n}个村有活动未记录参加对象（台账无此列或整列为空），"
                          "其重点人群覆盖未评估",
                          "{n} village(s) have events whose ledger records no audience: audience "
                          "groups not assessed there"),
    "low_awareness": ("{n}个村的问卷题目含未归类答案（需核定答案分类，见 pufa validate），"
                      "这些题目的知晓率未评估",
                      "{n} village(s) answered survey items with unclassified answers (a codebook "
                      "decision is needed, see pufa validate): those items not assessed"),
}

_TOPIC_ACTIONS: dict[str, tuple[str, str]] = {
    "宪法": ("结合12·4国家宪法日开展宪法宣传", "Constitution session on Constitution Day (4 Dec)"),
    "民法典": ("结合5月民法典宣传月举办民法典讲座", "Civil Code lecture in Civil Code Month (May)"),
    "反电信网络诈骗": ("结合赶集日摆摊宣传反电信网络诈骗", "Anti-fraud stall on a market day"),
    "禁毒": ("结合6·26国际禁毒日开展禁毒宣传", "Anti-drug publicity around 26 June"),
    "扫黑除恶": ("开展扫黑除恶以案释法", "Case-based session on organised crime"),
    "未成年人保护": ("开展送法进校园", "Law-in-school session on protecting minors"),
    "妇女权益": ("联合妇联开展妇女权益宣传", "Women's rights session with the Women's Federation"),
    "老年人权益": ("开展防范养老诈骗宣传", "Session on elder fraud"),
}
_AUDIENCE_ACTIONS: dict[str, tuple[str, str]] = {
    "老年人": ("针对老年人开展入户走访", "Door-to-door visits to elderly residents"),
    "青少年": ("开展送法进校园（模拟法庭）", "Law-in-school session (mock trial) for young people"),
    "妇女": ("联合妇联开展妇女权益讲座", "Women's rights talk with the Women's Federation"),
    "外出务工人员": (
        "春节返乡期间面向外出务工人员集中宣传",
        "Spring Festival session for returning migrant workers",
    ),
    "留守儿童": ("联合学校开展留守儿童法治教育", "School session for left-behind children"),
}
_DOMAIN_WORDS: dict[str, tuple[str, str]] = {
    "awareness": ("知晓率", "awareness"),
    "support": ("支持率", "support"),
    "satisfaction": ("满意率", "satisfaction"),
    "knowledge": ("正确率", "correct answers"),
}
_METRIC_WORDS: dict[str, tuple[str, str]] = {
    "n_events": ("普法活动", "events"),
    "events_per_1000": ("普法活动", "events per 1,000 residents"),
    "attendance_per_100": ("普法参与", "attendance"),
    "attendance": ("普法参与", "attendance"),
    "awareness": ("知晓率", "awareness"),
}
_METHOD_NAMES = {"gi_star": "Gi*", "lisa": "LISA"}

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


def _int_text(x: pd.Series) -> pd.Series:
    return x.astype("float64").round().astype("Int64").astype("str")


def _n_text(n: pd.Series, suppress_below: int) -> pd.Series:
    """Sample sizes as text, small ones suppressed: 41 → 'n=41', 3 → 'n<5'."""
    text = "n=" + _int_text(n)
    return text.where(~(n.astype("float64") < suppress_below), f"n<{suppress_below}")


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


def _topic_actions(topics: pd.Series) -> tuple[pd.Series, pd.Series]:
    zh = topics.map({k: v[0] for k, v in _TOPIC_ACTIONS.items()})
    en = topics.map({k: v[1] for k, v in _TOPIC_ACTIONS.items()})
    zh = zh.fillna("开展" + topics + "专题宣传")
    en = en.fillna("Session on " + topics.map(label))
    return zh.astype("str"), en.astype("str")


def _audience_actions(groups: pd.Series) -> tuple[pd.Series, pd.Series]:
    zh = groups.map({k: v[0] for k, v in _AUDIENCE_ACTIONS.items()})
    en = groups.map({k: v[1] for k, v in _AUDIENCE_ACTIONS.items()})
    zh = zh.fillna("面向" + groups + "开展专题宣传")
    en = en.fillna("Session for " + groups.map(label))
    return zh.astype("str"), en.astype("str")


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
    settings: Settings, as_of: Any
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    end = as_of if as_of is not None else settings.as_of
    return settings.start, end


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
    # an item whose answers the codebook does not all classify is not assessed (survey.py)
    decided = (r["status"].eq("ok") if "status" in r.columns
               else pd.Series(True, index=r.index)).astype(bool)
    eligible = (n >= min_n) & decided
    by_ci = eligible & (ci_high < target)
    by_lqas = (
        eligible & (r["lqas"] == "below") if "lqas" in r.columns else pd.Series(False, r.index)
    )
    low = by_ci | by_lqas
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


def _ymd_zh(dates: pd.Series) -> pd.Series:
    """2025-06-27 → '2025年6月27日' (NaN for NaT)."""
    return (
        dates.dt.year.astype("Int64").astype("str") + "年"
        + dates.dt.month.astype("Int64").astype("str") + "月"
        + dates.dt.day.astype("Int64").astype("str") + "日"
    )


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
        word_zh, word_en = _METRIC_WORDS.get(metric, (metric, metric))
        m = _METHOD_NAMES[method]
        p = _p_text(res["cold_area_p"])
        zh_parts.append(("位于" + word_zh + "冷点区域（" + m + "，" + p + "）").where(flagged))
        en_parts.append(("In a cold spot of " + word_en + " (" + m + ", " + p + ")").where(flagged))
    out["_cold_zh"] = _join_columns(pd.concat(zh_parts, axis=1), "；") if zh_parts else ""
    out["_cold_en"] = _join_columns(pd.concat(en_parts, axis=1), "; ") if en_parts else ""
    return out


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
        awareness_item, awareness_low_items, cold_spot (boolean, NA when not assessed),
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
    - ``long_gap``: ``longest_gap_days`` > ``max_gap_days``.
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
      ``[targets] legal_literates_per_village`` (3 per 行政村, DOMAIN.md §1.4), e.g.
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
    if not isinstance(domain, str) or domain not in st.targets:
        raise ValueError(
            f"'domain' should name a target in pufa.toml [targets] (e.g. 'awareness'), got "
            f"{domain!r}"
        )
    if cold_spot_metric not in cov.columns:
        if geometry is not None:
            raise ValueError(
                f"'cold_spot_metric' {cold_spot_metric!r} is not a column of 'coverage'; "
                f"columns are {list(cov.columns)}"
            )
    if not isinstance(cold_spot_alpha, int | float) or not 0 < cold_spot_alpha < 1:
        raise ValueError(f"'cold_spot_alpha' should be between 0 and 1, got {cold_spot_alpha!r}")
    if spatial_method not in _METHOD_NAMES:
        raise ValueError(
            f"'spatial_method' should be one of {list(_METHOD_NAMES)}, got {spatial_method!r}"
        )
    as_of_ts = None
    if as_of is not None:
        try:
            as_of_ts = pd.Timestamp(as_of)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"'as_of' should be a date, got {as_of!r}") from exc

    tg = st.targets
    max_days = float(tg["max_days_without_event"])
    max_gap = float(tg["max_gap_days"])
    att_target = float(tg["attendance_per_100"])
    min_n = int(tg["min_respondents"])
    target = float(tg[domain])
    suppress = st.suppress_below
    start, end = _period_bounds(st, as_of_ts)
    idx = cov.index

    n_events = pd.to_numeric(cov["n_events"], errors="coerce").astype("float64")
    days = pd.to_numeric(cov["days_since_last"], errors="coerce").astype("float64")
    if as_of_ts is not None and "last_event" in cov.columns:
        last = pd.to_datetime(cov["last_event"], errors="coerce")
        days = (as_of_ts.normalize() - last.dt.normalize()).dt.days.astype("float64")
    gap = pd.to_numeric(cov["longest_gap_days"], errors="coerce").astype("float64")
    att = pd.to_numeric(cov["attendance_per_100"], errors="coerce").astype("float64")
    att_not_assessed = pd.Series(False, index=idx)
    if "attendance_unknown" in cov.columns:  # no event with a figure: attendance not assessed
        unknown = pd.to_numeric(cov["attendance_unknown"], errors="coerce").astype("float64")
        att_not_assessed |= (unknown >= n_events) & (n_events > 0)
    population = pd.to_numeric(cov["population"], errors="coerce").astype("float64")

    audiences = (
        _audience_gaps(events, idx, st.required_audiences, start, end, st.audience_aliases)
        if events is not None
        else None
    )
    unrec = (
        _unrecorded_by_village(events, event_topics, idx, start, end)
        if events is not None
        else pd.DataFrame(False, index=idx, columns=["audience", "topic", "attendees"])
    )
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

    # not assessed: some events of the village did not record the field, and the recorded ones
    # do not already show the topic / group reached, or the attendance target met
    unrec_att = unrec["attendees"]
    if "attendance_unrecorded" in cov.columns:
        unrec_att = unrec_att | pd.to_numeric(cov["attendance_unrecorded"],
                                              errors="coerce").fillna(0).gt(0)
    att_not_assessed |= unrec_att & (n_events > 0) & ~(att >= att_target)
    att = att.mask(att_not_assessed)
    topics_na |= unrec["topic"] & (topics.str.len() > 0)
    topics_open = topics  # the topics a not-assessed village's records leave open
    topics = _without(topics, topics_na)
    audiences_na = pd.Series(False, index=idx)
    audiences_open = None
    if audiences is not None:
        audiences_na = unrec["audience"] & (audiences.str.len() > 0)
        audiences_open = audiences
        audiences = _without(audiences, audiences_na)

    flags = pd.DataFrame(False, index=idx, columns=list(REASON_CODES))
    flags["no_events"] = n_events == 0
    flags["stale"] = ~flags["no_events"] & (days > max_days)
    flags["long_gap"] = ~flags["no_events"] & ~flags["stale"] & (gap > max_gap)
    flags["low_attendance"] = ~flags["no_events"] & (att < att_target)
    flags["missing_topics"] = topics.str.len() > 0
    if audiences is not None:
        flags["missing_audiences"] = audiences.str.len() > 0
    if "has_site" in cov.columns:
        flags["no_site"] = cov["has_site"].astype("boolean").eq(False).fillna(False).astype(bool)

    svc = None
    max_adviser = float(st.services["max_days_without_adviser"])
    site_months = st.services["site_stale_months"]
    lit_target_setting = st.targets["legal_literates_per_village"]
    if services is not None:
        svc = _check_services(services, idx)
        site_months = services.attrs.get("thresholds", {}).get("site_stale_months", site_months)
        n_lit = pd.to_numeric(svc["n_legal_literates"], errors="coerce").astype("float64")
        lit_target = pd.to_numeric(svc["literates_target"], errors="coerce").astype("float64")
        lit_short = (lit_target - n_lit).clip(lower=0)
        flags["few_legal_literates"] = (
            svc["literates_met"].astype("boolean").eq(False).fillna(False).astype(bool)
        )
        last_adviser = pd.to_datetime(svc["last_adviser_visit"], errors="coerce")
        adv_days = pd.to_numeric(svc["days_since_adviser"], errors="coerce").astype("float64")
        if as_of_ts is not None:
            adv_days = (as_of_ts.normalize() - last_adviser.dt.normalize()).dt.days.astype(
                "float64"
            )
        n_visits = pd.to_numeric(svc["adviser_visits"], errors="coerce").astype("float64")
        flags["adviser_absent"] = n_visits.notna() & ((adv_days > max_adviser) | (n_visits == 0))
        n_stale = pd.to_numeric(svc["stale_sites"], errors="coerce").astype("float64")
        flags["stale_site"] = n_stale > 0

    aware = None
    if rates is not None:
        aware = _awareness(
            rates, idx, domain=domain, target=target, min_n=min_n, suppress_below=suppress,
            codebook=codebook,
        )
        flags["low_awareness"] = aware["_low"]
        flags["unknown_awareness"] = aware["_unknown"]

    cold = None
    if geometry is not None:
        analyses = {cold_spot_metric: pd.to_numeric(cov[cold_spot_metric], errors="coerce")}
        if aware is not None:
            analyses["awareness"] = aware["_awareness_mean"]
        cold = _cold_spots(
            analyses, geometry, idx, method=spatial_method, alpha=cold_spot_alpha,
            options=spatial_options or {},
        )
        flags["cold_spot"] = cold["cold_spot"].fillna(False).astype(bool)

    # ---- score -------------------------------------------------------------------------------
    months_over = ((days - max_days) / _DAYS_PER_MONTH).clip(lower=0)
    n_low = aware["awareness_low_items"].str.len() if aware is not None else 0
    points = pd.DataFrame(
        {
            "no_events": SEVERITY["no_events"] * flags["no_events"],
            "stale": flags["stale"]
            * (SEVERITY["stale"] + (_STALE_PER_MONTH * months_over).clip(upper=_STALE_MAX_EXTRA)),
            "long_gap": SEVERITY["long_gap"] * flags["long_gap"],
            "low_attendance": SEVERITY["low_attendance"] * flags["low_attendance"],
            "missing_topics": SEVERITY["missing_topics"] * topics.str.len().fillna(0),
            "missing_audiences": SEVERITY["missing_audiences"]
            * (audiences.str.len().fillna(0) if audiences is not None else 0),
            "no_site": SEVERITY["no_site"] * flags["no_site"],
            "few_legal_literates": flags["few_legal_literates"]
            * (
                SEVERITY["few_legal_literates"]
                + (_LITERATES_PER_PERSON * (lit_short - 1)).clip(0, _LITERATES_MAX_EXTRA)
                if svc is not None
                else 0.0
            ),
            "adviser_absent": SEVERITY["adviser_absent"] * flags["adviser_absent"],
            "stale_site": SEVERITY["stale_site"] * flags["stale_site"],
            "low_awareness": flags["low_awareness"]
            * (
                SEVERITY["low_awareness"]
                + (_LOW_AWARENESS_PER_ITEM * (n_low - 1)).clip(0, _LOW_AWARENESS_MAX_EXTRA)
                if aware is not None
                else 0.0
            ),
            "unknown_awareness": SEVERITY["unknown_awareness"] * flags["unknown_awareness"],
            "cold_spot": SEVERITY["cold_spot"] * flags["cold_spot"],
        },
        index=idx,
    ).fillna(0.0)
    factor = (1 + np.log10(population.where(population > 0) / 1000)).clip(lower=1).fillna(1.0)
    score = (points.sum(axis=1) * factor).round(2)

    # ---- messages ----------------------------------------------------------------------------
    zh: dict[str, pd.Series] = {}
    en: dict[str, pd.Series] = {}
    act_zh: dict[str, pd.Series] = {}
    act_en: dict[str, pd.Series] = {}

    def put(code: str, r_zh: Any, r_en: Any, a_zh: Any, a_en: Any) -> None:
        mask = flags[code]
        for store, value in ((zh, r_zh), (en, r_en), (act_zh, a_zh), (act_en, a_en)):
            s = value if isinstance(value, pd.Series) else pd.Series(value, index=idx)
            store[code] = s.astype("str").where(mask)

    if start is not None:
        since_zh = f"{start.year}年{start.month}月以来无普法活动"
        since_en = f"No legal-education event since {start:%Y-%m}"
    else:
        since_zh, since_en = "统计期内无普法活动", "No legal-education event in the period"
    put("no_events", since_zh, since_en, "尽快开展首场普法活动（安排律师下村讲座）",
        "Hold a first event soon (a lawyer's lecture in the village)")

    months = _int_text(days / _DAYS_PER_MONTH)
    stale_zh = "近" + months + "个月无普法活动"
    stale_en = "No event for " + months + " months"
    if "last_event" in cov.columns:
        last = pd.to_datetime(cov["last_event"], errors="coerce")
        has_last = last.notna()
        ym_zh = last.dt.year.astype("Int64").astype("str") + "年" + last.dt.month.astype(
            "Int64"
        ).astype("str") + "月"
        stale_zh = stale_zh.where(~has_last, stale_zh + "（最近一次" + ym_zh + "）")
        stale_en = stale_en.where(~has_last, stale_en + " (last " + last.dt.strftime("%Y-%m") + ")")
    put("stale", stale_zh, stale_en, "安排律师下村讲座",
        "Send a lawyer to give a lecture in the village")

    put(
        "long_gap",
        "活动最长间隔" + _int_text(gap) + "天（上限" + _fmt_number(max_gap) + "天）",
        "Longest gap between events " + _int_text(gap) + " days (limit "
        + _fmt_number(max_gap) + ")",
        "制定全年活动计划，每季度至少开展一次",
        "Plan events through the year, at least one a quarter",
    )
    att_text = att.round(1).astype("str")
    put(
        "low_attendance",
        "每百人参与" + att_text + "人次（目标" + _fmt_number(att_target) + "）",
        att_text + " attendances per 100 residents (target " + _fmt_number(att_target) + ")",
        "结合赶集日、春节返乡等人流高峰开展活动",
        "Hold events on market days and at Spring Festival, when people are at home",
    )

    t_long = _explode_tuples(topics)
    t_act_zh, t_act_en = _topic_actions(t_long)
    put(
        "missing_topics",
        topics.str.join("、") + "未覆盖",
        "Not covered: " + _join_per_index(t_long.map(label), idx, ", "),
        _join_per_index(t_act_zh, idx, "；"),
        _join_per_index(t_act_en, idx, "; "),
    )
    if audiences is not None:
        a_long = _explode_tuples(audiences)
        a_act_zh, a_act_en = _audience_actions(a_long)
        put(
            "missing_audiences",
            audiences.str.join("、") + "未作为宣传对象",
            "Never targeted: " + _join_per_index(a_long.map(label), idx, ", "),
            _join_per_index(a_act_zh, idx, "；"),
            _join_per_index(a_act_en, idx, "; "),
        )
    put("no_site", "无村级普法阵地", "No village-level publicity site",
        "建设村级普法阵地（宣传栏/法治长廊）",
        "Set up a village publicity site (notice board / rule-of-law corridor)")

    if svc is not None:
        n_txt, t_txt = _int_text(n_lit), _int_text(lit_target)
        none = n_lit.fillna(0) == 0
        short_txt = _int_text(lit_short)
        put(
            "few_legal_literates",
            ("法律明白人仅" + n_txt + "名（目标" + t_txt + "名）").where(
                ~none, "尚无法律明白人（目标" + t_txt + "名）"),
            ("Trained legally literate persons: only " + n_txt + " (target " + t_txt
             + ")").where(~none, "No trained legally literate person (target " + t_txt + ")"),
            "组织法律明白人培训（至少再培养" + short_txt + "名）",
            "Train at least " + short_txt + " more legally literate person(s)",
        )
        days_txt = _int_text(adv_days)
        known = adv_days.notna()
        absent_zh = ("法律顾问已" + days_txt + "天未到村（最近一次" + _ymd_zh(last_adviser) + "）")
        absent_en = ("Legal adviser has not come for " + days_txt + " days (last "
                     + last_adviser.dt.strftime("%Y-%m-%d") + ")")
        quiet = known & ~(adv_days > max_adviser)  # came recently, but not in the period
        absent_zh = absent_zh.where(known, "无法律顾问到村服务记录").where(
            ~quiet, "统计期内法律顾问未到村服务")
        absent_en = absent_en.where(known, "No record of the legal adviser coming").where(
            ~quiet, "The legal adviser did not come in the period")
        put("adviser_absent", absent_zh, absent_en, "督促村法律顾问按月驻村服务",
            "Ask the village legal adviser to serve on site every month")
        months_txt = _fmt_number(float(site_months))
        if "stale_site_names" in svc.columns:
            names = svc["stale_site_names"].astype("str")
            site_zh = ("（" + names + "）").fillna("")
            site_en = (" (" + names.str.replace("、", ", ", regex=False) + ")").fillna("")
        else:
            site_zh = site_en = pd.Series("", index=idx, dtype="str")
        many = n_stale > 1
        count_txt = _int_text(n_stale)
        put(
            "stale_site",
            pd.Series(np.where(many, count_txt + "处普法阵地", "普法阵地"), index=idx)
            + "内容超过" + months_txt + "个月未更新" + site_zh,
            pd.Series(np.where(many, count_txt + " publicity sites", "Publicity site"),
                      index=idx)
            + " not updated for over " + months_txt + " months" + site_en,
            "更新宣传栏内容，并登记更新时间",
            "Renew the site's content and record the date",
        )

    word_zh, word_en = _DOMAIN_WORDS.get(domain, (domain, domain))
    if aware is not None:
        put("low_awareness", aware["_low_zh"], aware["_low_en"], aware["_low_act_zh"],
            aware["_low_act_en"])
        n_aw = aware["awareness_n"].astype("float64")
        n_txt = _n_text(n_aw, suppress)
        small = n_aw < suppress
        n_zh = n_txt.where(small, n_txt + "<" + str(min_n))
        n_en = n_txt.where(small, n_txt + " < " + str(min_n))
        few_zh = "问卷样本不足（" + n_zh + "），" + word_zh + "未知"
        few_en = "Too few survey answers (" + n_en + "); " + word_en + " unknown"
        none = n_aw.fillna(0) == 0
        few_zh = few_zh.where(~none, "无问卷数据，" + word_zh + "未知")
        few_en = few_en.where(~none, "No survey answers; " + word_en + " unknown")
        put("unknown_awareness", few_zh, few_en, f"补充问卷调查（至少{min_n}份）",
            f"Survey at least {min_n} residents")
    if cold is not None:
        put("cold_spot", cold["_cold_zh"], cold["_cold_en"],
            "与相邻村联合开展巡回普法（流动宣传车、律师巡回）",
            "Joint roadshow with neighbouring villages (mobile van, circuit lawyer)")

    codes_present = [c for c in REASON_CODES if c in zh]
    code_cells = np.where(flags[codes_present].to_numpy(), np.array(codes_present), None)
    reasons = _tuples_of_rows(pd.DataFrame(code_cells, index=idx))

    out = pd.DataFrame(index=idx)
    out["village_name"] = cov["village_name"].astype("str")
    out["town"] = cov["town"].astype("str") if "town" in cov.columns else np.nan
    out["town"] = out["town"].astype("str")
    out["population"] = cov["population"]
    out["score"] = score.astype("float64")
    out["priority"] = 0
    out["reasons"] = reasons
    out["reasons_zh"] = _join_columns(pd.DataFrame({c: zh[c] for c in codes_present}), "；")
    out["actions_zh"] = _join_columns(pd.DataFrame({c: act_zh[c] for c in codes_present}), "；")
    out["reasons_en"] = _join_columns(pd.DataFrame({c: en[c] for c in codes_present}), "; ")
    out["actions_en"] = _join_columns(pd.DataFrame({c: act_en[c] for c in codes_present}), "; ")
    out["n_events"] = cov["n_events"]
    out["days_since_last"] = days
    out["longest_gap_days"] = gap
    out["attendance_per_100"] = att
    out["missing_topics"] = topics
    if audiences is not None:
        out["missing_audiences"] = audiences
    aware_na = (aware["_undecided"].str.len() > 0 if aware is not None
                else pd.Series(False, index=idx)).astype(bool)
    na_flags = pd.DataFrame({"low_attendance": att_not_assessed, "missing_topics": topics_na,
                             "missing_audiences": audiences_na, "low_awareness": aware_na},
                            index=idx)
    na_cells = np.where(na_flags.to_numpy(), np.array(list(na_flags.columns)), None)
    out["not_assessed"] = _tuples_of_rows(pd.DataFrame(na_cells, index=idx))
    open_zh = {"low_attendance": pd.Series("", index=idx),
               "missing_topics": topics_open.str.join("、").where(topics_open.str.len() > 0,
                                                                  "必讲主题")}
    open_en = {"low_attendance": pd.Series("", index=idx),
               "missing_topics": _join_per_index(_explode_tuples(topics_open).map(label), idx,
                                                 ", ").fillna("required topics")}
    if aware is not None:
        open_zh["low_awareness"] = aware["_undecided"].str.join("、")
        open_en["low_awareness"] = aware["_undecided"].str.join(", ")
    if audiences_open is not None:
        open_zh["missing_audiences"] = audiences_open.str.join("、")
        open_en["missing_audiences"] = _join_per_index(
            _explode_tuples(audiences_open).map(label), idx, ", ")
    na_zh = {c: _fill(NOT_ASSESSED[c][0], w) for c, w in open_zh.items()}
    na_en = {c: _fill(NOT_ASSESSED[c][1], w) for c, w in open_en.items()}
    out["not_assessed_zh"] = _join_columns(
        pd.DataFrame({c: v.astype("str").where(na_flags[c]) for c, v in na_zh.items()}), "；")
    out["not_assessed_en"] = _join_columns(
        pd.DataFrame({c: v.astype("str").where(na_flags[c]) for c, v in na_en.items()}), "; ")
    if "has_site" in cov.columns:
        out["has_site"] = cov["has_site"].astype("boolean")
    if svc is not None:
        out["n_legal_literates"] = svc["n_legal_literates"].astype("Int64")
        out["literates_target"] = svc["literates_target"]
        out["adviser_visits"] = svc["adviser_visits"].astype("Int64")
        out["last_adviser_visit"] = last_adviser
        out["days_since_adviser"] = adv_days
        out["stale_sites"] = svc["stale_sites"].astype("Int64")
        if "stale_site_names" in svc.columns:
            out["stale_site_names"] = svc["stale_site_names"].astype("str")
    aw_cols = {
        "awareness_n": pd.array([pd.NA] * len(idx), dtype="Int64"),
        "awareness_rate": np.nan,
        "awareness_ci_high": np.nan,
        "awareness_rate_shrunk": np.nan,
        "lqas": pd.Series(np.nan, index=idx, dtype="str"),
        "awareness_item": pd.Series(np.nan, index=idx, dtype="str"),
        "awareness_low_items": _tuple_series(pd.Series(dtype=object), idx),
    }
    for col, default in aw_cols.items():
        out[col] = aware[col] if aware is not None else default
    if cold is not None:
        out["cold_spot"] = cold["cold_spot"]
        out["cold_spot_method"] = cold["cold_spot_method"]
        out["cold_spot_p"] = cold["cold_spot_p"]
    else:
        out["cold_spot"] = pd.array([pd.NA] * len(idx), dtype="boolean")
        out["cold_spot_method"] = pd.Series(np.nan, index=idx, dtype="str")
        out["cold_spot_p"] = np.nan

    order = pd.DataFrame({"score": -out["score"].to_numpy(), "vid": idx.to_numpy()})
    order = order.sort_values(["score", "vid"], kind="mergesort").index.to_numpy()
    out = out.iloc[order]
    out["priority"] = np.arange(1, len(out) + 1, dtype="int64")
    if not include_all:
        out = out[out["reasons"].str.len() > 0]
    out.attrs = {
        "domain": domain,
        "target": target,
        "as_of": None if end is None else str(pd.Timestamp(end).date()),
        "thresholds": {
            "max_days_without_event": max_days,
            "max_gap_days": max_gap,
            "attendance_per_100": att_target,
            "min_respondents": min_n,
            "target": target,
            "suppress_below": suppress,
            "required_topics": list(st.required_topics),
            "required_audiences": list(st.required_audiences),
            "legal_literates_per_village": lit_target_setting,
            "max_days_without_adviser": max_adviser,
            "site_stale_months": site_months,
            "cold_spot_metric": cold_spot_metric,
            "spatial_method": spatial_method,
            "cold_spot_alpha": cold_spot_alpha,
            "spatial_permutations": dict(spatial_options or {}).get("permutations", 9999),
        },
    }
    counts = na_flags.sum()  # villages per reason not assessed (a few codes)
    return mark_not_assessed(out, *(
        (zh.format(n=int(counts[code])), en.format(n=int(counts[code])))
        for code, (zh, en) in _NOT_ASSESSED_TOWN.items() if counts[code] > 0
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


# ------------------------------------------------------------------------------------------------
# Excel export
# ------------------------------------------------------------------------------------------------

_HEADERS: dict[str, str] = {
    "priority": "优先级",
    "tier": "等级",
    "village_name": "村（社区）",
    "village_id": "村编码",
    "town": "镇（街道）",
    "population": "常住人口",
    "score": "得分",
    "reasons_zh": "问题",
    "actions_zh": "建议措施",
    "n_events": "活动次数",
    "days_since_last": "距最近活动天数",
    "longest_gap_days": "最长间隔天数",
    "attendance_per_100": "每百人参与人次",
    "missing_topics": "未覆盖主题",
    "missing_audiences": "未覆盖人群",
    "not_assessed_zh": "未评估",
    "has_site": "有村级阵地",
    "n_legal_literates": "法律明白人（名）",
    "literates_target": "法律明白人目标",
    "adviser_visits": "法律顾问服务次数",
    "last_adviser_visit": "法律顾问最近到村",
    "days_since_adviser": "距法律顾问上次到村天数",
    "stale_sites": "未更新阵地数",
    "stale_site_names": "未更新阵地",
    "awareness_item": "判定题目",
    "awareness_n": "问卷样本数",
    "awareness_rate": "知晓率",
    "awareness_ci_high": "知晓率95%CI上限",
    "awareness_rate_shrunk": "知晓率（收缩估计）",
    "lqas": "LQAS判定",
    "cold_spot": "空间冷点",
    "cold_spot_method": "冷点方法",
    "cold_spot_p": "冷点p值",
    "reasons": "问题代码",
    "reasons_en": "Reasons (EN)",
    "actions_en": "Actions (EN)",
}
_WIDE = {"reasons_zh": 48, "actions_zh": 48, "reasons_en": 48, "actions_en": 48}
_PERCENT = ("awareness_rate", "awareness_ci_high", "awareness_rate_shrunk")
_LQAS_ZH = {"reaches": "达标", "below": "未达标", "too_few": "样本不足"}
_SPATIAL_ZH = {"island": "孤岛（无相邻村）", "no geometry": "无边界数据"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def _shown(column: str, value: Any) -> str:
    """Roughly what Excel shows in the cell (for column widths)."""
    if isinstance(value, float):
        return f"{value:.1%}" if column in _PERCENT else f"{value:.2f}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}"
    return str(value)


def _sheet_name(name: Any, used: set[str]) -> str:
    missing = name is None or (isinstance(name, float) and math.isnan(name))
    text = "未注明镇" if missing else str(name)
    text = _BAD_SHEET_CHARS.sub("_", text).strip("'")[:31] or "清单"
    base, i = text, 2
    while text in used or text == "说明":
        suffix = f"_{i}"
        text = base[: 31 - len(suffix)] + suffix
        i += 1
    used.add(text)
    return text


def _export_frame(follow_up: pd.DataFrame, suppress: int) -> pd.DataFrame:
    fu = follow_up.copy()
    if fu.index.name == "village_id":
        fu = fu.reset_index()
    score = pd.to_numeric(fu["score"], errors="coerce").fillna(0)
    fu["tier"] = tier_of(score)
    if "lqas" in fu.columns:
        fu["lqas"] = fu["lqas"].map(_LQAS_ZH).fillna(fu["lqas"])
    if "cold_spot_method" in fu.columns:
        m = fu["cold_spot_method"].astype("str")
        for code, name in _METHOD_NAMES.items():
            m = m.str.replace(f"{code}:", f"{name}·", regex=False)
        for metric, (word, _) in _METRIC_WORDS.items():
            m = m.str.replace(f"·{metric}", f"·{word}", regex=False)
        fu["cold_spot_method"] = m.map(_SPATIAL_ZH).fillna(m)
    if "awareness_n" in fu.columns:
        n = pd.to_numeric(fu["awareness_n"], errors="coerce")
        small = n < suppress
        fu["awareness_n"] = fu["awareness_n"].astype(object).where(~small, f"<{suppress}")
        for col in _PERCENT:
            if col in fu.columns:
                fu[col] = fu[col].astype(object).where(~small, "—")
    return fu


def export_follow_up(
    follow_up: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    settings: Settings | None = None,
    groups: pd.DataFrame | None = None,
) -> Path:
    """Write the follow-up list as an Excel workbook the town can use as it is.

    One sheet per town (one sheet when there is one town), Chinese headers, the header row and
    the first three columns frozen, column widths fitted to the text (long reason and action
    columns wrapped), rows coloured by tier (紧急 score ≥ 8, 较高 ≥ 4, 一般 otherwise), a filter on
    the header, and a sheet 说明 explaining every reason, threshold and the score. Survey counts
    below ``[privacy] suppress_below`` are shown as "<5" and their rates as "—". Text that
    Excel would run as a formula (starting with = + - @) is stored as text. The file is written
    to a temporary file first and then moved into place, so a failure never leaves half a
    workbook.

    Parameters
    ----------
    follow_up : pandas.DataFrame
        :func:`find_blind_spots` output.
    path : str or path-like
        Target ``.xlsx`` file; its folder is created when missing.
    settings : Settings, optional
        For the 说明 sheet and the suppression threshold; default ``Settings.load()``.
    groups : pandas.DataFrame, optional
        :func:`group_gaps` output, written to a sheet 人群短板.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> from pufa_metrics.config import Settings
    >>> fu = pd.DataFrame({"village_name": ["甲村"], "town": ["水寨镇"], "population": [3000],
    ...     "score": [11.45], "priority": [1], "reasons": [("stale",)],
    ...     "reasons_zh": ["近18个月无普法活动"], "actions_zh": ["安排律师下村讲座"],
    ...     "awareness_n": [3]}, index=pd.Index(["A"], name="village_id"))
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = export_follow_up(fu, f"{d}/跟进清单.xlsx", settings=Settings())
    ...     wb = openpyxl.load_workbook(p)
    ...     ws = wb["水寨镇"]
    ...     print(wb.sheetnames, ws.freeze_panes, ws["A1"].value, ws["C2"].value)
    ['水寨镇', '说明'] D2 优先级 甲村
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    if not isinstance(follow_up, pd.DataFrame):
        raise TypeError(
            f"'follow_up' should be the DataFrame from find_blind_spots, got "
            f"{type(follow_up).__name__}"
        )
    _require(follow_up, "follow_up", ("village_name", "score", "priority", "reasons_zh"))
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise ValueError(f"'path' should end in .xlsx, got {str(path)!r}")
    st = resolve_settings(settings)
    suppress = st.suppress_below
    fu = _export_frame(follow_up, suppress)
    columns = [c for c in _HEADERS if c in fu.columns]
    word = _DOMAIN_WORDS.get(follow_up.attrs.get("domain", "awareness"), ("知晓率",))[0]
    headers = {c: h.replace("知晓率", word) for c, h in _HEADERS.items()}
    fills = {name: PatternFill("solid", fgColor=colour) for _l, name, _e, colour in TIERS}
    header_fill = PatternFill("solid", fgColor="D9D9D9")
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    towns = fu["town"] if "town" in fu.columns else pd.Series(np.nan, index=fu.index)
    town_values = towns.dropna().unique().tolist()
    if len(town_values) <= 1 and towns.notna().all():
        parts = [(town_values[0] if town_values else "跟进清单", fu)]
    elif towns.notna().any():
        parts = [(t, fu[towns == t]) for t in town_values]
        if towns.isna().any():
            parts.append((None, fu[towns.isna()]))
    else:
        parts = [("跟进清单", fu)]

    for town, part in parts:
        ws = wb.create_sheet(_sheet_name(town, used))
        part = part.sort_values("priority", kind="mergesort")
        widths = []
        for j, col in enumerate(columns, start=1):
            cell = write_cell(ws, 1, j, headers[col])
            cell.font, cell.fill = bold, header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            widths.append(display_width(headers[col]))
        values = part[columns].astype(object).to_numpy()
        tiers = part["tier"].to_numpy()
        for i, (row, tier) in enumerate(zip(values, tiers, strict=True), start=2):
            fill = fills.get(tier)
            for j, (col, raw) in enumerate(zip(columns, row, strict=True), start=1):
                value = cell_value(raw)
                cell = write_cell(ws, i, j, value)
                if col in _PERCENT and isinstance(value, float):
                    cell.number_format = "0.0%"
                elif col in ("score", "attendance_per_100"):
                    cell.number_format = "0.00" if col == "score" else "0.0"
                elif col == "last_adviser_visit" and value is not None:
                    cell.number_format = "yyyy-mm-dd"
                if col in _WIDE:
                    cell.alignment = wrap
                if fill is not None and col in ("priority", "tier", "village_name"):
                    cell.fill = fill
                if value is not None:
                    widths[j - 1] = max(widths[j - 1], display_width(_shown(col, value)))
        for j, col in enumerate(columns, start=1):
            width = min(widths[j - 1] + 2, _WIDE.get(col, 30))
            ws.column_dimensions[get_column_letter(j)].width = max(width, 6)
        ws.freeze_panes = "D2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(part) + 1, 2)}"

    if groups is not None:
        _require(groups, "groups", ("reason_zh",))
        ws = wb.create_sheet(_sheet_name("人群短板", used))
        g = groups.copy()
        if "n" in g.columns:
            n = pd.to_numeric(g["n"], errors="coerce")
            g["n"] = g["n"].astype(object).where(~(n < suppress), f"<{suppress}")
        gcols = list(g.columns)
        names = {"item": "题目", "label": "内容", "n": "样本数", "rate": "知晓率",
                 "ci_low": "95%CI下限", "ci_high": "95%CI上限", "target": "目标",
                 "reason_zh": "问题", "reason_en": "Reason (EN)", "gender": "性别",
                 "age_group": "年龄段"}
        for j, col in enumerate(gcols, start=1):
            cell = write_cell(ws, 1, j, names.get(col, col))
            cell.font, cell.fill = bold, header_fill
        for i, row in enumerate(g.astype(object).to_numpy(), start=2):
            for j, raw in enumerate(row, start=1):
                cell = write_cell(ws, i, j, cell_value(raw))
                if gcols[j - 1] in ("rate", "ci_low", "ci_high", "target") and isinstance(
                    cell.value, float
                ):
                    cell.number_format = "0.0%"
        for j, col in enumerate(gcols, start=1):
            width = 60 if col.startswith("reason") else 14
            ws.column_dimensions[get_column_letter(j)].width = width
        ws.freeze_panes = "A2"

    _write_notes(wb.create_sheet("说明"), follow_up, st, bold, header_fill, wrap)

    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".xlsx.tmp", dir=path.parent)
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _write_notes(ws: Any, follow_up: pd.DataFrame, st: Settings, bold: Any, fill: Any,
                 wrap: Any) -> None:
    """The 说明 sheet: reasons, thresholds, score and privacy rules."""
    # The thresholds find_blind_spots used (attrs) win over the settings given here.
    tg = st.targets
    domain = follow_up.attrs.get("domain", "awareness")
    used = {
        "max_days_without_event": tg["max_days_without_event"],
        "max_gap_days": tg["max_gap_days"],
        "attendance_per_100": tg["attendance_per_100"],
        "min_respondents": tg["min_respondents"],
        "target": tg.get(domain, tg["awareness"]),
        "required_topics": list(st.required_topics),
        "required_audiences": list(st.required_audiences),
        "suppress_below": st.suppress_below,
        "legal_literates_per_village": tg["legal_literates_per_village"],
        "max_days_without_adviser": st.services["max_days_without_adviser"],
        "site_stale_months": st.services["site_stale_months"],
        "spatial_method": "gi_star",
        "cold_spot_alpha": 0.10,
        "spatial_permutations": 9999,
    }
    used.update(follow_up.attrs.get("thresholds", {}))
    values = {
        key: _fmt_number(float(used[key]))
        for key in ("max_days_without_event", "max_gap_days", "attendance_per_100",
                    "min_respondents", "legal_literates_per_village",
                    "max_days_without_adviser", "site_stale_months")
    }
    values["target"] = f"{float(used['target']):.0%}"
    values["required_topics"] = "、".join(used["required_topics"])
    values["required_audiences"] = "、".join(used["required_audiences"])
    method = _METHOD_NAMES.get(str(used["spatial_method"]), str(used["spatial_method"]))
    weights = "二值邻接权重，含本村" if used["spatial_method"] == "gi_star" else "行标准化邻接权重"
    as_of = follow_up.attrs.get("as_of")
    as_of_text = f"；统计截至 as of {as_of}" if as_of else ""
    rows: list[list[Any]] = [
        ["普法盲区跟进清单 — 说明 / Notes"],
        [f"生成时间 Generated: {datetime.now():%Y-%m-%d %H:%M}" + as_of_text],
        [],
        ["问题代码 Code", "问题 Reason (zh)", "Reason (en)", "判定规则", "Rule", "基础分 Points"],
    ]
    points_text = {
        "stale": "3 + 每超1个月0.125（最多+1.5）",
        "missing_topics": "每个主题 1",
        "missing_audiences": "每类人群 0.5",
        "few_legal_literates": "1 + 每多缺1名0.5（最多+1）",
        "low_awareness": "4 + 每多一题1（最多+2）",
    }
    for code in REASON_CODES:
        info = REASONS[code]
        rows.append([
            code, info["zh"], info["en"], info["rule_zh"].format(**values),
            info["rule_en"].format(**values),
            points_text.get(code, _fmt_number(SEVERITY[code])),
        ])
    rows += [
        [],
        ["得分 Score", "各项基础分之和 × 人口系数；人口系数 = max(1, 1 + log10(常住人口/1000))，"
         "1000人及以下为1，1万人为2。得分相同按村编码排序。"],
        ["", "Sum of points × population factor max(1, 1 + log10(population / 1000)); ties by "
         "village id."],
        ["等级 Tier", "紧急：得分 ≥ 8；较高：得分 ≥ 4；一般：其余有问题的村。"],
        ["未评估 Not assessed", "台账未记录参加对象、宣传内容或参加人数（无此列或整列为空）的活动，"
         "相应问题（重点人群、必讲主题、参与人次）不作判定、不计分，列于“未评估”；已记录的活动已覆盖"
         "或已达标的除外。"],
        ["", "Events whose ledger did not record the audience, topic or attendee figure leave "
         "that reason not assessed (no points), unless the recorded events already show it met."],
        ["隐私 Privacy", f"问卷样本少于 {st.suppress_below} 份的计数显示为“<{st.suppress_below}”，"
         "对应比率显示为“—”。"],
        ["冷点 Cold spot", f"{method}（{weights}）置换检验（{used['spatial_permutations']}次，"
         f"固定随机种子），错误发现率控制在 {float(used['cold_spot_alpha']):.0%}；"
         "低于平均且为冷点核心或与冷点核心相邻的村视为位于冷点区域。"],
        [],
        ["阈值 Threshold", "取值 Value"],
    ]
    rows.append([f"targets.{domain}", float(used["target"])])
    for key in ("attendance_per_100", "max_days_without_event", "max_gap_days",
                "min_respondents"):
        rows.append([f"targets.{key}", used[key]])
    rows.append(["targets.legal_literates_per_village", used["legal_literates_per_village"]])
    for key in ("max_days_without_adviser", "site_stale_months"):
        rows.append([f"services.{key}", used[key]])
    rows.append(["topics.required", values["required_topics"]])
    rows.append(["audiences.required", values["required_audiences"]])
    rows.append(["privacy.suppress_below", st.suppress_below])
    for key in ("cold_spot_metric", "spatial_method", "cold_spot_alpha", "spatial_permutations"):
        if key in used:
            rows.append([f"find_blind_spots.{key}", str(used[key])])
    for i, row in enumerate(rows, start=1):
        for j, value in enumerate(row, start=1):
            cell = write_cell(ws, i, j, value)
            if i in (1, 4) or (j == 1 and value):
                cell.font = bold
            if i == 4:
                cell.fill = fill
            if j in (2, 3, 4, 5):
                cell.alignment = wrap
    for col, width in zip("ABCDEF", (22, 40, 28, 50, 50, 26), strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"
