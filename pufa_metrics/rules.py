"""The blind-spot rules (one object per reason) and the urgency tiers.

Every output that sorts villages into tiers — the follow-up workbook, the leader brief, the maps,
the notebooks and the county report — takes them from here, so a tier means the same everywhere.

:data:`RULES` holds one :class:`Rule` per reason of the follow-up list, in the order reasons are
listed: its code, zh/en names and rule texts, the inputs it needs to be assessed, the flag, the
points, the zh/en message with its figures and the suggested actions.
:func:`~pufa_metrics.blindspots.find_blind_spots` prepares one frame of per-village figures and
applies the table; :func:`describe` writes the table out (the workbook's 说明 sheet and the docs
come from it); :func:`assessed_reasons` says which reasons a set of inputs lets one assess (the
county report uses it). Adding a reason is one new :class:`Rule` in :data:`RULES` plus its test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ._common import int_text as _int_text
from ._common import n_text as _n_text
from .config import Settings, resolve_settings
from .schema import label

__all__ = [
    "INPUTS",
    "RULES",
    "TIERS",
    "URGENT_SCORE",
    "Context",
    "Rule",
    "assessed_reasons",
    "describe",
    "rule",
    "tier_of",
]

#: Priority tiers: (minimum score, zh, en, fill colour). A score at or above the minimum is in
#: the tier (the last tier takes every score above 0).
TIERS: tuple[tuple[float, str, str, str], ...] = (
    (8.0, "紧急", "urgent", "F4A6A6"),
    (4.0, "较高", "high", "FCD5A5"),
    (0.0, "一般", "normal", "FFF2B3"),
)

#: A village with this score or more is urgent (重点关注村): the first tier.
URGENT_SCORE: float = TIERS[0][0]


def tier_of(score: pd.Series, *, lang: str = "zh") -> pd.Series:
    """The tier name of each score ("" for a score of 0 or missing: no reason, no tier).

    Parameters
    ----------
    score : pandas.Series
        Scores of :func:`~pufa_metrics.blindspots.find_blind_spots`.
    lang : {"zh", "en"}, default "zh"

    Returns
    -------
    pandas.Series
        Same index, string dtype.

    Examples
    --------
    >>> tier_of(pd.Series([9.0, 8.0, 5.5, 0.5, 0.0])).tolist()
    ['紧急', '紧急', '较高', '一般', '']
    >>> tier_of(pd.Series([4.0]), lang="en").tolist()
    ['high']
    """
    if lang not in ("zh", "en"):
        raise ValueError(f"'lang' should be 'zh' or 'en', got {lang!r}")
    s = pd.to_numeric(pd.Series(score), errors="coerce").fillna(0.0).to_numpy(dtype="float64")
    names = [zh if lang == "zh" else en for _low, zh, en, _c in TIERS]
    conditions = [s >= low if low > 0 else s > low for low, *_ in TIERS]
    return pd.Series(np.select(conditions, names, default=""), index=pd.Series(score).index,
                     dtype="str")


# ------------------------------------------------------------------------------------------------
# What a rule sees
# ------------------------------------------------------------------------------------------------

#: The inputs a rule may need to be assessed (:attr:`Rule.needs`, :func:`assessed_reasons`):
#: tables of a dataset, columns of the event ledger and site register, and two settings.
INPUTS: dict[str, tuple[str, str]] = {
    "events": ("普法活动台账", "event ledger (or its coverage table)"),
    "events.attendees": ("台账的参加人数", "attendee figures in the ledger"),
    "events.topic": ("台账的宣传内容", "topics in the ledger"),
    "events.audience": ("台账的参加对象", "audiences in the ledger"),
    "topics.required": ("必讲主题（pufa.toml）", "required topics (pufa.toml)"),
    "audiences.required": ("重点人群（pufa.toml）", "required audiences (pufa.toml)"),
    "sites": ("普法阵地台账", "site register"),
    "sites.last_updated": ("阵地更新日期", "site update dates"),
    "legal_literates": ("法律明白人名册", "法律明白人 roster"),
    "adviser_visits": ("法律顾问服务台账", "legal adviser log"),
    "rates": ("问卷（各村知晓率）", "survey (village rates)"),
    "geometry": ("村界", "village boundaries"),
}

_DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class Context:
    """The thresholds and the period a rule judges against (one per follow-up list).

    :func:`~pufa_metrics.blindspots.find_blind_spots` builds it from ``pufa.toml`` and the
    period; the rule functions read it, never the settings.

    Examples
    --------
    >>> Context(start=pd.Timestamp("2024-01-01")).since_zh
    '2024年1月以来无普法活动'
    >>> Context().since_zh
    '统计期内无普法活动'
    """

    max_days_without_event: float = 365.0
    max_gap_days: float = 365.0
    attendance_per_100: float = 10.0
    min_respondents: int = 10
    target: float = 0.90
    suppress_below: int = 5
    max_days_without_adviser: float = 90.0
    site_stale_months: float = 12.0
    word_zh: str = "知晓率"
    word_en: str = "awareness"
    #: The period's start (the no-event message names it); None: "in the period".
    start: pd.Timestamp | None = None
    #: The long gap is sought in this many months before the period's end; None: the period.
    gap_window_months: int | None = None

    @property
    def since_zh(self) -> str:
        """The no-event message, with the period's start when known."""
        s = self.start
        return "统计期内无普法活动" if s is None else f"{s.year}年{s.month}月以来无普法活动"

    @property
    def since_en(self) -> str:
        """The no-event message in English."""
        s = self.start
        return ("No legal-education event in the period" if s is None
                else f"No legal-education event since {s:%Y-%m}")


#: A rule's function of the prepared per-village frame and the context.
RuleFunction = Callable[[pd.DataFrame, Context], Any]


@dataclass(frozen=True)
class Rule:
    """One reason of the follow-up list.

    Attributes
    ----------
    code, zh, en : str
        Reason code and its short zh/en names.
    rule_zh, rule_en : str
        The rule in words; ``{max_gap_days}`` … are filled from the thresholds (:func:`describe`).
    needs : tuple of str
        Inputs (:data:`INPUTS`) without which the reason cannot be assessed.
    flag : callable
        ``flag(v, ctx)`` → bool Series: the villages of the prepared frame ``v`` with the reason.
    message : callable
        ``message(v, ctx)`` → (zh, en), Series or str: what is wrong, with its figures.
    action_zh, action_en : str
        The suggested action (:attr:`actions` may make it village-specific).
    points : float
        Points of a flagged village (per counted thing when :attr:`count` is given).
    per, cap, extra : float, float, callable
        Extra points ``min(per × extra(v, ctx), cap)`` on top (e.g. per month over the limit).
    count : callable, optional
        ``count(v, ctx)`` → how many things :attr:`points` is paid for (e.g. missing topics).
    unit_zh, unit_en : str
        What :attr:`per` or :attr:`count` counts, for the points text.
    actions : callable, optional
        ``actions(v, ctx)`` → (zh, en) village-specific actions.
    not_assessed : (str, str), optional
        What a village's row says when its ledgers could not assess the reason (``{}`` = what).
    not_assessed_town : (str, str), optional
        The same for the whole list (``{n}`` = villages concerned).
    """

    code: str
    zh: str
    en: str
    rule_zh: str
    rule_en: str
    needs: tuple[str, ...]
    flag: RuleFunction
    message: RuleFunction
    action_zh: str
    action_en: str
    points: float
    per: float = 0.0
    cap: float = 0.0
    extra: RuleFunction | None = None
    count: RuleFunction | None = None
    unit_zh: str = ""
    unit_en: str = ""
    actions: RuleFunction | None = None
    not_assessed: tuple[str, str] | None = None
    not_assessed_town: tuple[str, str] | None = None

    def score(self, v: pd.DataFrame, ctx: Context, flag: pd.Series) -> pd.Series:
        """Points of every village (0 where not flagged).

        ``flag × (points × count + min(per × extra, cap))``, the extra clipped below at 0.
        """
        count = 1.0 if self.count is None else self.count(v, ctx)
        base = self.points * count
        if self.extra is not None:
            base = base + (self.per * self.extra(v, ctx)).clip(0, self.cap)
        return (flag * base).astype("float64") if isinstance(base, pd.Series) else \
            flag.astype("float64") * base

    def points_text(self, *, lang: str = "zh") -> str:
        """The points in words, e.g. "3 + 每超1个月0.125（最多+1.5）".

        Examples
        --------
        >>> RULES[1].points_text(), RULES[1].points_text(lang="en")
        ('3 + 每超1个月0.125（最多+1.5）', '3 + 0.125 per month beyond the limit (at most +1.5)')
        >>> RULES[4].points_text()
        '每个主题 1'
        """
        if lang not in ("zh", "en"):
            raise ValueError(f"'lang' should be 'zh' or 'en', got {lang!r}")
        unit = self.unit_zh if lang == "zh" else self.unit_en
        if self.count is not None:
            return f"{unit} {self.points:g}" if lang == "zh" else f"{self.points:g} {unit}"
        if self.extra is not None:
            if lang == "zh":
                return f"{self.points:g} + {unit}{self.per:g}（最多+{self.cap:g}）"
            return f"{self.points:g} + {self.per:g} {unit} (at most +{self.cap:g})"
        return f"{self.points:g}"


# ------------------------------------------------------------------------------------------------
# Text helpers (vectorised: one string operation per column, one call per distinct tuple)
# ------------------------------------------------------------------------------------------------


def _num(value: float) -> str:
    return f"{float(value):g}"


def _ymd_zh(dates: pd.Series) -> pd.Series:
    """2025-06-27 → '2025年6月27日' (NaN for NaT)."""
    return (
        dates.dt.year.astype("Int64").astype("str") + "年"
        + dates.dt.month.astype("Int64").astype("str") + "月"
        + dates.dt.day.astype("Int64").astype("str") + "日"
    )


def _per_tuple(tuples: pd.Series, fn: Callable[[tuple], str]) -> pd.Series:
    """``fn`` of each cell's tuple, called once per distinct tuple (NaN for None)."""
    codes, uniques = pd.factorize(tuples)
    lut = np.array([fn(t) for t in uniques] + [np.nan], dtype=object)  # distinct tuples only
    return pd.Series(lut[codes], index=tuples.index, dtype=object)


def _col(v: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(v[name], errors="coerce").astype("float64")


#: Suggested actions per missing topic and audience group (zh, en); others get a generic one.
TOPIC_ACTIONS: dict[str, tuple[str, str]] = {
    "宪法": ("结合12·4国家宪法日开展宪法宣传", "Constitution session on Constitution Day (4 Dec)"),
    "民法典": ("结合5月民法典宣传月举办民法典讲座", "Civil Code lecture in Civil Code Month (May)"),
    "反电信网络诈骗": ("结合赶集日摆摊宣传反电信网络诈骗", "Anti-fraud stall on a market day"),
    "禁毒": ("结合6·26国际禁毒日开展禁毒宣传", "Anti-drug publicity around 26 June"),
    "扫黑除恶": ("开展扫黑除恶以案释法", "Case-based session on organised crime"),
    "未成年人保护": ("开展送法进校园", "Law-in-school session on protecting minors"),
    "妇女权益": ("联合妇联开展妇女权益宣传", "Women's rights session with the Women's Federation"),
    "老年人权益": ("开展防范养老诈骗宣传", "Session on elder fraud"),
}
AUDIENCE_ACTIONS: dict[str, tuple[str, str]] = {
    "老年人": ("针对老年人开展入户走访", "Door-to-door visits to elderly residents"),
    "青少年": ("开展送法进校园（模拟法庭）", "Law-in-school session (mock trial) for young people"),
    "妇女": ("联合妇联开展妇女权益讲座", "Women's rights talk with the Women's Federation"),
    "外出务工人员": (
        "春节返乡期间面向外出务工人员集中宣传",
        "Spring Festival session for returning migrant workers",
    ),
    "留守儿童": ("联合学校开展留守儿童法治教育", "School session for left-behind children"),
}


def _topic_action(topic: str) -> tuple[str, str]:
    return TOPIC_ACTIONS.get(topic, ("开展" + topic + "专题宣传", "Session on " + label(topic)))


def _audience_action(group: str) -> tuple[str, str]:
    return AUDIENCE_ACTIONS.get(group, ("面向" + group + "开展专题宣传",
                                        "Session for " + label(group)))


# ------------------------------------------------------------------------------------------------
# The rules' functions. ``v`` is the prepared per-village frame of find_blind_spots: coverage
# figures (n_events, days_since_last, longest_gap_days, attendance_per_100, last_event,
# missing_topics, missing_audiences, has_site), service figures, awareness evidence and cold
# spots, each present when its input was given.
# ------------------------------------------------------------------------------------------------


def _no_events(v: pd.DataFrame, ctx: Context) -> pd.Series:
    return _col(v, "n_events") == 0


def _stale(v: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~_no_events(v, ctx) & (_col(v, "days_since_last") > ctx.max_days_without_event)


def _long_gap(v: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~_no_events(v, ctx) & ~_stale(v, ctx) & (_col(v, "longest_gap_days")
                                                      > ctx.max_gap_days)


def _low_attendance(v: pd.DataFrame, ctx: Context) -> pd.Series:
    return ~_no_events(v, ctx) & (_col(v, "attendance_per_100") < ctx.attendance_per_100)


def _has_tuple(column: str) -> RuleFunction:
    def flag(v: pd.DataFrame, ctx: Context) -> pd.Series:
        return (v[column].str.len() > 0) if column in v.columns else \
            pd.Series(False, index=v.index)
    return flag


def _n_in_tuple(column: str) -> RuleFunction:
    def count(v: pd.DataFrame, ctx: Context) -> pd.Series:
        return v[column].str.len().fillna(0)
    return count


def _no_site(v: pd.DataFrame, ctx: Context) -> pd.Series:
    if "has_site" not in v.columns:
        return pd.Series(False, index=v.index)
    return v["has_site"].astype("boolean").eq(False).fillna(False).astype(bool)


def _few_literates(v: pd.DataFrame, ctx: Context) -> pd.Series:
    return v["literates_met"].astype("boolean").eq(False).fillna(False).astype(bool)


def _adviser_absent(v: pd.DataFrame, ctx: Context) -> pd.Series:
    visits = _col(v, "adviser_visits")
    days = _col(v, "days_since_adviser")
    return visits.notna() & ((days > ctx.max_days_without_adviser) | (visits == 0))


def _stale_site(v: pd.DataFrame, ctx: Context) -> pd.Series:
    return _col(v, "stale_sites") > 0


def _flag_column(column: str) -> RuleFunction:
    def flag(v: pd.DataFrame, ctx: Context) -> pd.Series:
        return v[column].astype("boolean").fillna(False).astype(bool)
    return flag


def _const(zh: str, en: str) -> RuleFunction:
    def message(v: pd.DataFrame, ctx: Context) -> tuple[str, str]:
        return zh, en
    return message


def _columns(zh: str, en: str) -> RuleFunction:
    def message(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
        return v[zh], v[en]
    return message


def _msg_no_events(v: pd.DataFrame, ctx: Context) -> tuple[str, str]:
    return ctx.since_zh, ctx.since_en


def _msg_stale(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    months = _int_text(_col(v, "days_since_last") / _DAYS_PER_MONTH)
    zh = "近" + months + "个月无普法活动"
    en = "No event for " + months + " months"
    if "last_event" in v.columns:
        last = pd.to_datetime(v["last_event"], errors="coerce")
        has_last = last.notna()
        ym_zh = (last.dt.year.astype("Int64").astype("str") + "年"
                 + last.dt.month.astype("Int64").astype("str") + "月")
        zh = zh.where(~has_last, zh + "（最近一次" + ym_zh + "）")
        en = en.where(~has_last, en + " (last " + last.dt.strftime("%Y-%m") + ")")
    return zh, en


def _msg_long_gap(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    gap = _int_text(_col(v, "longest_gap_days"))
    limit = _num(ctx.max_gap_days)
    m = ctx.gap_window_months
    within_zh, within_en = (f"近{m}个月内", f" in the last {m} months") if m else ("", "")
    return (within_zh + "活动最长间隔" + gap + "天（上限" + limit + "天）",
            "Longest gap between events" + within_en + " " + gap + " days (limit " + limit + ")")


def _msg_low_attendance(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    att = _col(v, "attendance_per_100").round(1).astype("str")
    target = _num(ctx.attendance_per_100)
    return ("每百人参与" + att + "人次（目标" + target + "）",
            att + " attendances per 100 residents (target " + target + ")")


def _msg_topics(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    t = v["missing_topics"]
    return (t.str.join("、") + "未覆盖",
            _per_tuple(t, lambda x: "Not covered: " + ", ".join(label(i) for i in x)))


def _act_topics(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    t = v["missing_topics"]
    return (_per_tuple(t, lambda x: "；".join(_topic_action(i)[0] for i in x)),
            _per_tuple(t, lambda x: "; ".join(_topic_action(i)[1] for i in x)))


def _msg_audiences(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    a = v["missing_audiences"]
    return (a.str.join("、") + "未作为宣传对象",
            _per_tuple(a, lambda x: "Never targeted: " + ", ".join(label(i) for i in x)))


def _act_audiences(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    a = v["missing_audiences"]
    return (_per_tuple(a, lambda x: "；".join(_audience_action(i)[0] for i in x)),
            _per_tuple(a, lambda x: "; ".join(_audience_action(i)[1] for i in x)))


def _msg_literates(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    n_lit = _col(v, "n_legal_literates")
    n_txt, t_txt = _int_text(n_lit), _int_text(_col(v, "literates_target"))
    none = n_lit.fillna(0) == 0
    zh = ("法律明白人仅" + n_txt + "名（目标" + t_txt + "名）").where(
        ~none, "尚无法律明白人（目标" + t_txt + "名）")
    en = ("Trained legally literate persons: only " + n_txt + " (target " + t_txt
          + ")").where(~none, "No trained legally literate person (target " + t_txt + ")")
    return zh, en


def _literates_short(v: pd.DataFrame, ctx: Context) -> pd.Series:
    return (_col(v, "literates_target") - _col(v, "n_legal_literates")).clip(lower=0)


def _act_literates(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    short = _int_text(_literates_short(v, ctx))
    return ("组织法律明白人培训（至少再培养" + short + "名）",
            "Train at least " + short + " more legally literate person(s)")


def _msg_adviser(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    days = _col(v, "days_since_adviser")
    last = pd.to_datetime(v["last_adviser_visit"], errors="coerce")
    days_txt = _int_text(days)
    known = days.notna()
    zh = "法律顾问已" + days_txt + "天未到村（最近一次" + _ymd_zh(last) + "）"
    en = ("Legal adviser has not come for " + days_txt + " days (last "
          + last.dt.strftime("%Y-%m-%d") + ")")
    quiet = known & ~(days > ctx.max_days_without_adviser)  # came recently, not in the period
    zh = zh.where(known, "无法律顾问到村服务记录").where(~quiet, "统计期内法律顾问未到村服务")
    en = en.where(known, "No record of the legal adviser coming").where(
        ~quiet, "The legal adviser did not come in the period")
    return zh, en


def _msg_stale_site(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    months = _num(ctx.site_stale_months)
    if "stale_site_names" in v.columns:
        names = v["stale_site_names"].astype("str")
        site_zh = ("（" + names + "）").fillna("")
        site_en = (" (" + names.str.replace("、", ", ", regex=False) + ")").fillna("")
    else:
        site_zh = site_en = pd.Series("", index=v.index, dtype="str")
    n_stale = _col(v, "stale_sites")
    many = n_stale > 1
    count = _int_text(n_stale)
    zh = (pd.Series(np.where(many, count + "处普法阵地", "普法阵地"), index=v.index)
          + "内容超过" + months + "个月未更新" + site_zh)
    en = (pd.Series(np.where(many, count + " publicity sites", "Publicity site"), index=v.index)
          + " not updated for over " + months + " months" + site_en)
    return zh, en


def _msg_unknown_awareness(v: pd.DataFrame, ctx: Context) -> tuple[pd.Series, pd.Series]:
    n = _col(v, "awareness_n")
    n_txt = _n_text(n, ctx.suppress_below)
    small = n < ctx.suppress_below
    min_n = str(ctx.min_respondents)
    n_zh = n_txt.where(small, n_txt + "<" + min_n)
    n_en = n_txt.where(small, n_txt + " < " + min_n)
    zh = "问卷样本不足（" + n_zh + "），" + ctx.word_zh + "未知"
    en = "Too few survey answers (" + n_en + "); " + ctx.word_en + " unknown"
    none = n.fillna(0) == 0
    zh = zh.where(~none, "无问卷数据，" + ctx.word_zh + "未知")
    en = en.where(~none, "No survey answers; " + ctx.word_en + " unknown")
    return zh, en


def _act_unknown_awareness(v: pd.DataFrame, ctx: Context) -> tuple[str, str]:
    n = ctx.min_respondents
    return f"补充问卷调查（至少{n}份）", f"Survey at least {n} residents"


def _months_over(v: pd.DataFrame, ctx: Context) -> pd.Series:
    days = _col(v, "days_since_last")
    return ((days - ctx.max_days_without_event) / _DAYS_PER_MONTH).clip(lower=0)


def _low_items_beyond_one(v: pd.DataFrame, ctx: Context) -> pd.Series:
    return v["awareness_low_items"].str.len() - 1


# ------------------------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------------------------

#: One rule per reason, in the order reasons are listed.
RULES: tuple[Rule, ...] = (
    Rule(
        "no_events", "无普法活动", "No event",
        "统计期内本村无普法活动", "no event in the village in the period",
        needs=("events",), flag=_no_events, message=_msg_no_events,
        action_zh="尽快开展首场普法活动（安排律师下村讲座）",
        action_en="Hold a first event soon (a lawyer's lecture in the village)",
        points=5.0,
    ),
    Rule(
        "stale", "长期无活动", "No recent event",
        "距最近一次活动超过 {max_days_without_event} 天",
        "days since the last event > {max_days_without_event}",
        needs=("events",), flag=_stale, message=_msg_stale,
        action_zh="安排律师下村讲座", action_en="Send a lawyer to give a lecture in the village",
        # never more than 4.5: a stale village does not outweigh one with no event at all
        points=3.0, per=0.125, cap=1.5, extra=_months_over,
        unit_zh="每超1个月", unit_en="per month beyond the limit",
    ),
    Rule(
        "long_gap", "活动间隔过长", "Long gap",
        "{gap_window_zh}两次活动（或{gap_bounds_zh}）之间最长间隔超过 {max_gap_days} 天",
        "longest gap between events (or {gap_bounds_en}){gap_window_en} > {max_gap_days} days",
        needs=("events",), flag=_long_gap, message=_msg_long_gap,
        action_zh="制定全年活动计划，每季度至少开展一次",
        action_en="Plan events through the year, at least one a quarter",
        points=1.5,
    ),
    Rule(
        "low_attendance", "参与人次偏低", "Low attendance",
        "每百名常住人口参与人次低于 {attendance_per_100}",
        "attendances per 100 residents < {attendance_per_100}",
        needs=("events", "events.attendees"), flag=_low_attendance, message=_msg_low_attendance,
        action_zh="结合赶集日、春节返乡等人流高峰开展活动",
        action_en="Hold events on market days and at Spring Festival, when people are at home",
        points=1.5,
        not_assessed=("有活动未记录参加人数，参与人次未评估",
                      "Attendee counts not recorded for some events: attendance not assessed"),
        not_assessed_town=("{n}个村有活动未记录参加人数，其参与人次未评估",
                           "{n} village(s) have events with no attendee count recorded: "
                           "attendance not assessed there"),
    ),
    Rule(
        "missing_topics", "重点主题未覆盖", "Required topics missing",
        "必讲主题（{required_topics}）期内从未讲过",
        "a required topic ({required_topics}) never covered in the period",
        needs=("events", "events.topic", "topics.required"),
        flag=_has_tuple("missing_topics"), message=_msg_topics,
        action_zh="结合宣传节点开展该主题专题宣传（如12·4宪法日、5月民法典宣传月）",
        action_en="A session on the topic at its campaign date (e.g. Constitution Day, 4 Dec)",
        points=1.0, count=_n_in_tuple("missing_topics"), unit_zh="每个主题",
        unit_en="per topic", actions=_act_topics,
        not_assessed=("有活动未记录宣传内容，{}是否讲过未评估",
                      "Topics not recorded for some events: {} not assessed"),
        not_assessed_town=("{n}个村有活动未记录宣传内容，其必讲主题覆盖未评估",
                           "{n} village(s) have events whose ledger records no topic: required "
                           "topics not assessed there"),
    ),
    Rule(
        "missing_audiences", "重点人群未覆盖", "Audience groups missing",
        "重点人群（{required_audiences}）期内从未作为活动对象",
        "a required audience ({required_audiences}) never targeted in the period",
        needs=("events", "events.audience", "audiences.required"),
        flag=_has_tuple("missing_audiences"), message=_msg_audiences,
        action_zh="面向该人群开展专题宣传（如老年人入户走访、送法进校园）",
        action_en="A session for the group (e.g. home visits to the elderly, law in school)",
        points=0.5, count=_n_in_tuple("missing_audiences"), unit_zh="每类人群",
        unit_en="per group", actions=_act_audiences,
        not_assessed=("有活动未记录参加对象，{}是否作为宣传对象未评估",
                      "Audience not recorded for some events: {} not assessed"),
        not_assessed_town=("{n}个村有活动未记录参加对象（台账无此列或整列为空），"
                           "其重点人群覆盖未评估",
                           "{n} village(s) have events whose ledger records no audience: "
                           "audience groups not assessed there"),
    ),
    Rule(
        "no_site", "无村级阵地", "No village site",
        "没有村级普法阵地", "no village-level publicity site",
        needs=("sites",), flag=_no_site,
        message=_const("无村级普法阵地", "No village-level publicity site"),
        action_zh="建设村级普法阵地（宣传栏/法治长廊）",
        action_en="Set up a village publicity site (notice board / rule-of-law corridor)",
        points=2.0,
    ),
    Rule(
        "few_legal_literates", "法律明白人不足", "Too few legally literate persons",
        "已培训的法律明白人少于 {legal_literates_per_village} 名（行政村）",
        "fewer than {legal_literates_per_village} trained legally literate persons "
        "(法律明白人; administrative villages)",
        needs=("legal_literates",), flag=_few_literates, message=_msg_literates,
        action_zh="组织法律明白人培训", action_en="Train more legally literate persons",
        # with a target of 3: one short = 1, two = 1.5, none trained = 2 (as much as no site)
        points=1.0, per=0.5, cap=1.0,
        extra=lambda v, ctx: _literates_short(v, ctx) - 1,
        unit_zh="每多缺1名", unit_en="per further person short", actions=_act_literates,
    ),
    Rule(
        "adviser_absent", "法律顾问未到村", "Legal adviser absent",
        "村法律顾问超过 {max_days_without_adviser} 天未到村，或统计期内没有到村服务记录",
        "the village legal adviser has not come for more than {max_days_without_adviser} "
        "days, or never in the period",
        needs=("adviser_visits",), flag=_adviser_absent, message=_msg_adviser,
        action_zh="督促村法律顾问按月驻村服务",
        action_en="Ask the village legal adviser to serve on site every month",
        points=2.0,  # a standing service not delivered, like a missing site
    ),
    Rule(
        "stale_site", "阵地内容陈旧", "Site content out of date",
        "村级普法阵地内容超过 {site_stale_months} 个月未更新（或无更新记录）",
        "a village-level publicity site not updated for more than {site_stale_months} months "
        "(or no update recorded)",
        needs=("sites.last_updated",), flag=_stale_site, message=_msg_stale_site,
        action_zh="更新宣传栏内容，并登记更新时间",
        action_en="Renew the site's content and record the date",
        points=1.0,  # content out of date: cheap to put right
    ),
    Rule(
        "low_awareness", "知晓率低于目标", "Awareness below target",
        "至少一题在样本≥{min_respondents}份时，95%置信区间上限低于目标 {target}，"
        "或 LQAS 判定未达标",
        "for at least one item with ≥ {min_respondents} answers, the 95% CI upper bound "
        "is below the target {target}, or LQAS says below",
        needs=("rates",), flag=_flag_column("_low"), message=_columns("_low_zh", "_low_en"),
        action_zh="围绕低分题目开展以案释法宣传，并复测",
        action_en="Case-based sessions on the low items, then re-survey",
        points=4.0, per=1.0, cap=2.0, extra=_low_items_beyond_one,
        unit_zh="每多一题", unit_en="per further item below target",
        actions=_columns("_low_act_zh", "_low_act_en"),
        not_assessed=("问卷题目{}含未归入肯定或否定的答案（需核定答案分类），其知晓率未评估",
                      "survey item(s) {} have answers classified neither positive nor negative "
                      "(a codebook decision is needed): not assessed"),
        not_assessed_town=("{n}个村的问卷题目含未归类答案（需核定答案分类，见 pufa validate），"
                           "这些题目的知晓率未评估",
                           "{n} village(s) answered survey items with unclassified answers (a "
                           "codebook decision is needed, see pufa validate): those items not "
                           "assessed"),
    ),
    Rule(
        "unknown_awareness", "知晓率未知", "Awareness unknown",
        "问卷有效样本少于 {min_respondents} 份（或无问卷），不作好坏判断",
        "fewer than {min_respondents} answers (or none): neither good nor bad",
        needs=("rates",), flag=_flag_column("_unknown"), message=_msg_unknown_awareness,
        action_zh="补充问卷调查", action_en="Survey more residents",
        points=1.0, actions=_act_unknown_awareness,
    ),
    Rule(
        "cold_spot", "空间冷点", "Spatial cold spot",
        "低于平均水平，且本身是 Gi* 冷点（或 LISA 低-低）核心村或与这样的核心村相邻；"
        "置换检验并控制错误发现率",
        "below average, and a Gi* cold (or LISA low-low) core or touching a below-average "
        "one; permutation test with false-discovery-rate control",
        needs=("geometry",), flag=_flag_column("cold_spot"),
        message=_columns("_cold_zh", "_cold_en"),
        action_zh="与相邻村联合开展巡回普法（流动宣传车、律师巡回）",
        action_en="Joint roadshow with neighbouring villages (mobile van, circuit lawyer)",
        points=2.0,
    ),
)


def rule(code: str) -> Rule:
    """The rule of a reason code.

    Examples
    --------
    >>> rule("long_gap").points
    1.5
    """
    for r in RULES:  # a dozen rules
        if r.code == code:
            return r
    raise ValueError(f"'code' should be one of {[r.code for r in RULES]}, got {code!r}")


def _settings_inputs(st: Settings) -> set[str]:
    out = {"topics.required"} if st.required_topics else set()
    return out | ({"audiences.required"} if st.required_audiences else set())


def assessed_reasons(inputs: Iterable[str], *, settings: Settings | None = None) -> list[str]:
    """The reasons a set of inputs lets one assess, in :data:`RULES` order.

    Parameters
    ----------
    inputs : iterable of str
        Names from :data:`INPUTS` that are present, e.g. ``["events", "events.attendees",
        "sites"]``. ``topics.required`` / ``audiences.required`` are added from ``settings``
        when it names required topics / audiences.
    settings : Settings, optional
        Default ``pufa.toml``.

    Returns
    -------
    list of str
        Reason codes whose :attr:`Rule.needs` are all present.

    Examples
    --------
    >>> from pufa_metrics.config import Settings
    >>> assessed_reasons(["events", "events.topic", "rates"], settings=Settings())
    ['no_events', 'stale', 'long_gap', 'missing_topics', 'low_awareness', 'unknown_awareness']
    """
    if isinstance(inputs, str) or not isinstance(inputs, Iterable):
        raise TypeError(f"'inputs' should be a list of input names, got {inputs!r}")
    have = {str(i) for i in inputs}
    unknown = sorted(have - set(INPUTS))
    if unknown:
        raise ValueError(f"'inputs' has unknown names {unknown}; known: {list(INPUTS)}")
    have |= _settings_inputs(resolve_settings(settings))
    return [r.code for r in RULES if set(r.needs) <= have]


def _threshold_texts(st: Settings, thresholds: Mapping[str, Any] | None,
                     domain: str) -> dict[str, str]:
    """The values filled into the rule texts (``thresholds`` — a list's attrs — win)."""
    tg = st.targets
    used: dict[str, Any] = {
        "max_days_without_event": tg["max_days_without_event"],
        "max_gap_days": tg["max_gap_days"],
        "gap_window_months": tg.get("gap_window_months", 0),
        "attendance_per_100": tg["attendance_per_100"],
        "min_respondents": tg["min_respondents"],
        "legal_literates_per_village": tg["legal_literates_per_village"],
        "max_days_without_adviser": st.services["max_days_without_adviser"],
        "site_stale_months": st.services["site_stale_months"],
        "target": tg.get(domain, tg["awareness"]),
        "required_topics": list(st.required_topics),
        "required_audiences": list(st.required_audiences),
    }
    used.update({k: v for k, v in dict(thresholds or {}).items() if k in used})
    values = {k: _num(used[k]) for k in ("max_days_without_event", "max_gap_days",
                                         "attendance_per_100", "min_respondents",
                                         "legal_literates_per_village",
                                         "max_days_without_adviser", "site_stale_months")}
    values["target"] = f"{float(used['target']):.0%}"
    values["required_topics"] = "、".join(used["required_topics"])
    values["required_audiences"] = "、".join(used["required_audiences"])
    m = int(used["gap_window_months"] or 0)
    values["gap_window_zh"] = f"近{m}个月内，" if m else ""
    values["gap_window_en"] = f" in the last {m} months" if m else ""
    values["gap_bounds_zh"] = "窗口起点、期末" if m else "期初、期末"
    values["gap_bounds_en"] = "the window's ends" if m else "period ends"
    return values


def describe(settings: Settings | None = None, *, thresholds: Mapping[str, Any] | None = None,
             domain: str = "awareness") -> pd.DataFrame:
    """The rules table in words, thresholds filled in: one row per reason.

    The follow-up workbook's 说明 sheet and the documentation are written from it, so they
    cannot drift from the rules applied.

    Parameters
    ----------
    settings : Settings, optional
        Thresholds; default ``pufa.toml``.
    thresholds : mapping, optional
        Thresholds actually used (a follow-up list's ``attrs["thresholds"]``); they win over
        ``settings``.
    domain : str, default "awareness"
        The survey domain whose target fills ``{target}``.

    Returns
    -------
    pandas.DataFrame
        Columns code, 原因, reason, 规则, rule, 分值, points, 建议措施, action.

    Examples
    --------
    >>> from pufa_metrics.config import Settings
    >>> d = describe(Settings()).set_index("code")
    >>> d.loc["long_gap", "规则"]
    '近24个月内，两次活动（或窗口起点、期末）之间最长间隔超过 365 天'
    >>> d.loc["stale", "分值"], d.loc["no_site", "points"]
    ('3 + 每超1个月0.125（最多+1.5）', '2')
    >>> whole = describe(Settings(), thresholds={"max_gap_days": 200, "gap_window_months": 0})
    >>> whole.loc[2, "rule"]
    'longest gap between events (or period ends) > 200 days'
    """
    values = _threshold_texts(resolve_settings(settings), thresholds, domain)
    return pd.DataFrame(
        {
            "code": [r.code for r in RULES],
            "原因": [r.zh for r in RULES],
            "reason": [r.en for r in RULES],
            "规则": [r.rule_zh.format(**values) for r in RULES],
            "rule": [r.rule_en.format(**values) for r in RULES],
            "分值": [r.points_text(lang="zh") for r in RULES],
            "points": [r.points_text(lang="en") for r in RULES],
            "建议措施": [r.action_zh for r in RULES],
            "action": [r.action_en for r in RULES],
        }
    )
