"""The brief a leader opens: ``brief.pdf`` (A4, multi-page) and ``brief.html`` (one file).

:func:`brief` writes both from the metric frames: page 1 the headline figures against their
targets (:func:`headline_figures`), page 2 the map, then the top of the follow-up list as a
table (Chinese text wrapped), then the charts of :mod:`pufa_metrics.plots`. The HTML carries the
same content with the chart images embedded as base64 data URIs, so it is one self-contained
file. A missing input (no survey, no village boundaries, ...) makes its page or section say so
instead of failing. Both files are written atomically (temporary file, then ``os.replace``).
"""

from __future__ import annotations

import base64
import html
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from . import plots
from ._common import atomic_path as _atomic
from ._common import check_frame as _check_frame
from ._common import check_lang as _check_lang
from ._common import fmt_date as _fmt_date
from ._common import fmt_number as _fmt_number
from ._common import pct as _pct
from ._common import resolve_settings as _settings
from ._common import wrap_text as _wrap
from .assessed import reasons_of, table_reason
from .compare import headline_changes, mark_worse
from .config import Settings
from .plots import GREEN, GREY, INK, ORANGE, VERMILLION, house_style
from .plots import chart_text as _t
from .rules import TIERS, tier_of
from .schema import DOMAIN_LABELS
from .survey import pooled_from_rates

__all__ = ["brief", "headline_figures", "headline_text"]

A4 = (8.27, 11.69)  # inches, portrait
_MARGIN = 0.6
_PNG_DPI = 200

_EN: dict[str, str] = {
    "{town}普法工作简报": "{town} legal-education brief",
    "普法工作简报": "Legal-education brief",
    "第 {page} 页": "page {page}",
    "主要指标": "Headline figures",
    "指标": "Indicator",
    "数值": "Value",
    "目标": "Target",
    "判定": "Status",
    "达标": "Met",
    "未达标": "Not met",
    "无法判定": "Undetermined",
    "无数据": "No data",
    "有普法活动的村（社区）": "Villages with at least one event",
    "近{n}天有活动的村（社区）": "Villages with an event in the last {n} days",
    "近12个月有活动的村（社区）": "Villages with an event in the last 12 months",
    "每千人活动场次（中位数）": "Events per 1,000 residents (median)",
    "{what}（汇总各村答卷）": "{what} (all villages' answers pooled)",
    "重点关注村（社区）数": "Villages on the follow-up list",
    "全部": "All",
    "{value}（95%置信区间 {low}–{high}）": "{value} (95% CI {low}–{high})",
    "{n} 个": "{n}",
    "{value} 场/千人": "{value} per 1,000",
    "未提供：{items}。": "Not provided: {items}.",
    "知晓率的95%置信区间按各村整群抽样计算（设计效应{deff}）：同村受访者回答相近，"
    "不能当作相互独立的答卷。": (
        "The 95% interval of awareness counts villages as clusters (design effect {deff}): "
        "people of one village answer alike, so their answers are not independent."
    ),
    "村界地理数据（未绘制地图）": "village boundaries (no map)",
    "问卷数据（未评估知晓率）": "survey data (no awareness figures)",
    "每月活动统计（未绘制月历图）": "monthly event counts (no calendar chart)",
    "活动台账（未绘制趋势图）": "event ledger (no trend chart)",
    "学法用法统计（未绘制部门图）": "cadre law-study figures (no department chart)",
    "法律服务台账（未绘制法律服务图）": (
        "legal-service records: roster, adviser log (no services chart)"
    ),
    "重点关注村（社区）名单（前{n}位）": "Follow-up list (top {n})",
    "优先级": "Priority",
    "等级": "Tier",
    "村（社区）": "Village",
    "原因": "Reasons",
    "建议措施": "Suggested actions",
    "暂无需要重点关注的村（社区）。": "No village needs follow-up.",
    "各村普法活动分布图": "Map of events by village",
    "无村界地理数据，未绘制地图。": "No village boundaries were provided: the map is not drawn.",
    "无问卷数据，未评估知晓率。": "No survey data were provided: awareness is not assessed.",
    "无每月活动统计，未绘制月历图。": "No monthly event counts were provided: no calendar chart.",
    "无活动台账，未绘制趋势图。": "No event ledger was provided: no trend chart.",
    "无学法用法统计，未绘制部门图。": "No cadre law-study figures were provided: no chart.",
    "无法律明白人名册、法律顾问台账，未绘制法律服务图。": (
        "No roster of legally literate persons or adviser log was provided: no services chart."
    ),
    "法律服务情况": "Standing legal services",
    "各村（社区）参与人次": "Attendance by village",
    "每月活动月历": "Events per village and month",
    "知晓率": "Awareness",
    "主题覆盖": "Required topics",
    "活动趋势": "Events per month",
    "干部学法用法": "Cadre law study",
    "普法实效（观察性分析）": "Does the publicity work? (observational)",
    "示例数据（合成）：本简报由合成的示例数据生成，不反映任何真实村镇。": (
        "Sample data (synthetic): this brief is made from synthetic data and describes no real "
        "place."
    ),
    "统计期间：{start}至{end}": "Period: {start} to {end}",
    "统计期间：未注明": "Period: not stated",
    "{town}司法所普法台账": "{town} justice office event ledger",
    "问卷题目{items}含未归入肯定或否定的答案（需核定答案分类），其知晓率未计算；"
    "请用 pufa validate 查看并在编码表中核定。":
        "Survey items {items} have answers classified neither positive nor negative (they need a "
        "codebook decision): their rates are not computed; `pufa validate` lists them.",
    "未能确定乡镇名称：村居名册无所属镇列，台账标题与文件名也未写明；"
    "可在 pufa.toml [town] name 中填写。":
        "The town's name was not found (no town column in the register, none in the ledgers' "
        "titles or file names); set [town] name in pufa.toml.",
    "普法活动台账": "legal-education event ledger",
    "{town}问卷调查": "{town} survey",
    "问卷调查": "survey",
    "学法用法台账": "cadre law-study ledger",
    "由 pufa_metrics 生成。": "Made with pufa_metrics.",
    "比上年": "vs last year",
    "全镇": "town",
    "，变化明确": ", clear",
    "，尚不明确": ", not clear",
    "（计数）": " (count)",
    "比上年变差：": "worse than last year: ",
}


def _b(text: str, lang: str) -> str:
    """Brief text in ``lang`` (falls back to the chart dictionary)."""
    if lang == "zh":
        return text
    return _EN[text] if text in _EN else _t(text, lang)


# --------------------------------------------------------------------------------------------
# Headline figures
# --------------------------------------------------------------------------------------------

_DOMAIN_ZH = {domain: zh for domain, (zh, _) in DOMAIN_LABELS.items()}  # schema's vocabulary


def _pooled_rate(rates: pd.DataFrame | None, pooled: pd.DataFrame | None,
                 domain: str) -> tuple[float, float, float, float, float]:
    """Rate, CI, effective n and design effect of the area, villages as clusters.

    From ``pooled`` (:func:`~pufa_metrics.survey.pooled_rates` of the whole area) when given,
    else :func:`~pufa_metrics.survey.pooled_from_rates` on the village rates: the same Taylor
    interval, never a Wilson interval on every answer as if they were independent.
    """
    if pooled is None:
        if rates is None:
            return (np.nan,) * 5
        pooled = pooled_from_rates(rates[rates["village_id"].notna()], domain=domain)
    if len(pooled) != 1:
        raise ValueError(
            f"'pooled' should have one row (pooled_rates(..., by=None)), got {len(pooled)}"
        )
    row = pooled.iloc[0]
    if "status" in pooled.columns and row["status"] != "ok":
        return (np.nan,) * 5  # an item with unclassified answers: no area figure
    return tuple(float(row[c]) if c in pooled.columns else np.nan
                 for c in ("rate", "ci_low", "ci_high", "n_eff", "deff"))


def headline_figures(
    coverage: pd.DataFrame,
    *,
    follow_up: pd.DataFrame | None = None,
    rates: pd.DataFrame | None = None,
    settings: Settings | None = None,
    domain: str = "awareness",
    pooled: pd.DataFrame | None = None,
    comparison: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The brief's headline figures against their targets.

    Rows (index ``indicator``):

    * ``covered``: villages with at least one event / all villages (target: all);
    * ``recent``: villages whose last event is at most ``max_days_without_event`` days
      (default 365: the last 12 months) before ``as_of`` / all villages (target: all);
    * ``events_per_1000``: the median of ``events_per_1000`` over villages (no target);
    * ``awareness``: the ``domain`` rate pooling every village's answers, with the
      design-based interval of :func:`~pufa_metrics.survey.pooled_rates` (villages as
      clusters; from ``pooled`` or, without it, :func:`~pufa_metrics.survey.pooled_from_rates`
      on ``rates``); met when the lower limit reaches the target, not met when the upper limit
      is below it, undetermined otherwise. ``deff`` holds the design effect;
    * ``blind_spots``: villages of the urgent tier (score ≥
      :data:`~pufa_metrics.rules.URGENT_SCORE`, :data:`~pufa_metrics.rules.TIERS`; target 0),
      named in ``villages``; every village with a reason when the list has no ``score``;
    * ``tier_<en>`` (e.g. ``tier_high``, ``tier_normal``): one row per further tier, its count
      and names (no target), when the list has ``score``.

    Parameters
    ----------
    coverage : pandas.DataFrame
        ``village_coverage`` output (``covered`` or ``n_events``, ``days_since_last``,
        ``events_per_1000``), one row per village of the register.
    follow_up : pandas.DataFrame, optional
        ``find_blind_spots`` output.
    rates : pandas.DataFrame, optional
        ``awareness_rates`` output (village rows: ``village_id, item, rate, n`` or ``n_eff``).
    settings : Settings, optional
        Targets; defaults to ``pufa.toml``.
    domain : str
        Survey domain of the rate row (``awareness``, ``support``, ...).
    pooled : pandas.DataFrame, optional
        ``pooled_rates(responses, codebook, by=None, domain=domain)``: the area's rate from the
        answers themselves (exact with survey weights).
    comparison : pandas.DataFrame, optional
        :func:`~pufa_metrics.compare.compare_periods` output (the last 12 months against the
        12 before): fills the 比上年 columns of ``recent``, ``events_per_1000`` and
        ``awareness`` (:func:`~pufa_metrics.compare.headline_changes`).

    Returns
    -------
    pandas.DataFrame
        Index ``indicator``; columns ``label_zh, label_en, value, numerator, denominator,
        ci_low, ci_high, target, met, deff, villages`` (``met`` is boolean, missing when there
        is no target, no data or the interval straddles the target; ``deff`` the design effect
        of the awareness row), then the 比上年 columns ``value_prev, value_now, change,
        change_ci_low, change_ci_high, change_verdict, change_zh, change_en`` (the earlier and
        the later period's value, the interval of the difference — of the ratio for events —
        its verdict and one sentence; empty without ``comparison`` or for a row it does not
        cover).

    Examples
    --------
    >>> cov = pd.DataFrame({"covered": [True, True, False, True],
    ...                     "days_since_last": [30.0, 400.0, np.nan, 100.0],
    ...                     "events_per_1000": [2.0, 1.0, 0.0, 4.0]},
    ...                    index=pd.Index(["V1", "V2", "V3", "V4"], name="village_id"))
    >>> h = headline_figures(cov)
    >>> h.loc["covered", ["numerator", "denominator"]].tolist()
    [3.0, 4.0]
    >>> h.loc["recent", "numerator"], h.loc["events_per_1000", "value"]
    (np.float64(2.0), np.float64(1.5))
    """
    _check_frame(coverage, "coverage", ("events_per_1000",))
    settings = _settings(settings)
    if "covered" in coverage.columns:
        covered = coverage["covered"].astype("boolean").fillna(False)
    elif "n_events" in coverage.columns:
        covered = coverage["n_events"].astype("float64").fillna(0) >= 1
    else:
        raise ValueError("coverage needs a 'covered' or an 'n_events' column")
    n_villages = float(len(coverage))
    max_days = int(settings.targets["max_days_without_event"])
    if "days_since_last" in coverage.columns:
        recent = float((coverage["days_since_last"].astype("float64") <= max_days).sum())
    else:
        recent = np.nan
    recent_label = "近12个月有活动的村（社区）" if max_days == 365 else "近{n}天有活动的村（社区）"

    target_rate = float(settings.targets.get(domain, settings.targets["awareness"]))
    if rates is not None:
        _check_frame(rates, "rates", ("village_id", "item", "rate"))
    if pooled is not None:
        _check_frame(pooled, "pooled", ("rate", "ci_low", "ci_high"))
    rate, low, high, n_eff, deff = _pooled_rate(rates, pooled, domain)
    aware_met = pd.NA if np.isnan(rate) else (
        True if low >= target_rate else (False if high < target_rate else pd.NA)
    )

    tier_rows: dict[str, tuple] = {}
    tier_labels: dict[str, tuple[str, str]] = {}
    tier_names: dict[str, str] = {}
    blind_label = "重点关注村（社区）数"
    if follow_up is not None:
        _check_frame(follow_up, "follow_up")
        has_reason = (
            follow_up["reasons"].map(lambda r: len(r) > 0 if isinstance(r, tuple) else False)
            if "reasons" in follow_up.columns
            else pd.Series(True, index=follow_up.index)
        ).astype(bool)
        n_blind = float(has_reason.sum())
        if "score" in follow_up.columns:  # the tiers of rules.TIERS, the urgent one first
            listed = follow_up[has_reason]
            tier = tier_of(listed["score"])
            names = (listed["village_name"].astype("str") if "village_name" in listed.columns
                     else listed.index.astype("str").to_series(index=listed.index))
            for i, (cut, zh, en, _colour) in enumerate(TIERS):
                in_tier = (tier == zh).to_numpy()
                key = "blind_spots" if i == 0 else f"tier_{en}"
                count = float(in_tier.sum())
                tier_names[key] = "、".join(names[in_tier])
                if i == 0:
                    n_blind = count
                    tier_labels[key] = (f"重点关注村：{zh}（得分≥{cut:g}）",
                                        f"Villages to visit: {en} (score ≥ {cut:g})")
                    continue
                upper = TIERS[i - 1][0]
                tier_labels[key] = (
                    f"{zh}（得分{cut:g}–{upper:g}）" if cut > 0
                    else f"{zh}（得分低于{upper:g}）",
                    f"{en} (score {cut:g}–{upper:g})" if cut > 0
                    else f"{en} (score below {upper:g})")
                tier_rows[key] = (blind_label, count, count, n_villages, *[np.nan] * 3)
    else:
        n_blind = np.nan

    def share(k: float) -> float:
        return k / n_villages if n_villages else np.nan

    what = _DOMAIN_ZH.get(domain, domain)
    rows = {
        "covered": ("有普法活动的村（社区）", share(float(covered.sum())), float(covered.sum()),
                    n_villages, np.nan, np.nan, 1.0),
        "recent": (recent_label, share(recent), recent, n_villages, np.nan, np.nan, 1.0),
        "events_per_1000": ("每千人活动场次（中位数）",
                            float(coverage["events_per_1000"].astype("float64").median()),
                            np.nan, np.nan, np.nan, np.nan, np.nan),
        "awareness": ("{what}（汇总各村答卷）", rate, np.nan, n_eff, low, high, target_rate),
        "blind_spots": (blind_label, n_blind, n_blind, n_villages, np.nan, np.nan, 0.0),
        **tier_rows,
    }
    out = pd.DataFrame.from_dict(
        rows, orient="index",
        columns=["label_zh", "value", "numerator", "denominator", "ci_low", "ci_high", "target"],
    )
    out.index.name = "indicator"
    what_en = _t(what, "en") if what in _DOMAIN_ZH.values() else what
    out["label_en"] = out["label_zh"].map(lambda s: _b(s, "en").format(n=max_days, what=what_en))
    out["label_zh"] = out["label_zh"].map(lambda s: s.format(n=max_days, what=what))
    for key, (zh, en) in tier_labels.items():
        out.loc[key, ["label_zh", "label_en"]] = [zh, en]
    value = out["value"]
    met = pd.Series(pd.NA, index=out.index, dtype="boolean")
    met["covered"] = value["covered"] >= 1.0 if not np.isnan(value["covered"]) else pd.NA
    met["recent"] = value["recent"] >= 1.0 if not np.isnan(value["recent"]) else pd.NA
    met["awareness"] = aware_met
    met["blind_spots"] = value["blind_spots"] == 0 if not np.isnan(n_blind) else pd.NA
    out["met"] = met
    out["deff"] = np.nan
    out.loc["awareness", "deff"] = deff
    out["villages"] = pd.Series(tier_names, dtype="str").reindex(out.index).fillna("")
    out = out[["label_zh", "label_en", "value", "numerator", "denominator", "ci_low",
               "ci_high", "target", "met", "deff", "villages"]]
    return _with_changes(out, comparison, domain)


#: headline_changes column → headline_figures column (the 比上年 part of the table).
_CHANGE_COLUMNS = {"value_a": "value_prev", "value_b": "value_now", "change": "change",
                   "ci_low": "change_ci_low", "ci_high": "change_ci_high",
                   "verdict": "change_verdict", "sentence_zh": "change_zh",
                   "sentence_en": "change_en"}


def _with_changes(out: pd.DataFrame, comparison: pd.DataFrame | None,
                  domain: str) -> pd.DataFrame:
    """The headline rows with the 比上年 columns (empty without a comparison)."""
    changes = pd.DataFrame(columns=list(_CHANGE_COLUMNS))
    if comparison is not None:
        _check_frame(comparison, "comparison")
        changes = headline_changes(comparison, domain=domain)
    changes = changes.rename(columns=_CHANGE_COLUMNS).reindex(out.index)
    for col in ("value_prev", "value_now", "change", "change_ci_low", "change_ci_high"):
        out[col] = changes[col].astype("float64")
    for col in ("change_verdict", "change_zh", "change_en"):
        out[col] = changes[col].astype("str").fillna("")
    return out


def _headline_text(h: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Display strings (value, target, status, colour) for the headline rows."""
    pct = _pct
    value, target = h["value"], h["target"]
    num, den = h["numerator"], h["denominator"]
    no_data = _b("无数据", lang)

    def frac(key: str) -> str:
        if np.isnan(value[key]):
            return no_data
        return f"{num[key]:.0f}/{den[key]:.0f}（{pct(value[key])}）" if lang == "zh" \
            else f"{num[key]:.0f}/{den[key]:.0f} ({pct(value[key])})"

    shown = {
        "covered": frac("covered"),
        "recent": frac("recent"),
        "events_per_1000": no_data if np.isnan(value["events_per_1000"]) else
        _b("{value} 场/千人", lang).format(value=f"{value['events_per_1000']:.2f}"),
        "awareness": no_data if np.isnan(value["awareness"]) else
        _b("{value}（95%置信区间 {low}–{high}）", lang).format(
            value=pct(value["awareness"]), low=pct(h.loc["awareness", "ci_low"]),
            high=pct(h.loc["awareness", "ci_high"])),
        **{key: no_data if np.isnan(value[key]) else
           _b("{n} 个", lang).format(n=f"{value[key]:.0f}")
           + (("：" if lang == "zh" else ": ") + h.loc[key, "villages"]
              if key == "blind_spots" and h.loc[key, "villages"] else "")
           for key in h.index if key == "blind_spots" or key.startswith("tier_")},
    }
    targets = {
        "covered": _b("全部", lang),
        "recent": _b("全部", lang),
        "events_per_1000": "—",
        "awareness": f"≥{pct(target['awareness'])}",
        "blind_spots": "0",
        **{key: "—" for key in h.index if key.startswith("tier_")},
    }
    met = h["met"]
    status = np.select(
        [met.isna().to_numpy() & h["value"].isna().to_numpy(),
         met.isna().to_numpy() & h["target"].isna().to_numpy(),
         met.isna().to_numpy(), met.fillna(False).to_numpy(dtype=bool)],
        [no_data, "—", _b("无法判定", lang), _b("达标", lang)],
        _b("未达标", lang),
    )
    colour = np.select(
        [status == _b("达标", lang), status == _b("未达标", lang),
         status == _b("无法判定", lang)],
        [GREEN, VERMILLION, ORANGE], GREY,
    )
    label = h["label_zh"] if lang == "zh" else h["label_en"]
    return pd.DataFrame({"label": label, "value": pd.Series(shown), "target": pd.Series(targets),
                         "status": status, "colour": colour, "change": _change_text(h, lang)},
                        index=h.index)


def _change_text(h: pd.DataFrame, lang: str) -> pd.Series:
    """The 比上年 cell: earlier → later value, and whether the change is clear ('' if none)."""
    if "value_prev" not in h.columns:
        return pd.Series("", index=h.index, dtype="str")
    prev, now = h["value_prev"].astype("float64"), h["value_now"].astype("float64")
    fmt = {"recent": lambda x: f"{x:.0f}", "events_per_1000": lambda x: f"{x:.2f}",
           "awareness": _pct}
    verdict = h["change_verdict"].astype("str")
    clear = verdict.isin(["improved", "worse"])
    tested = clear | verdict.eq("no clear change")
    note = np.where(clear, _b("，变化明确", lang), np.where(tested, _b("，尚不明确", lang),
                                                      _b("（计数）", lang)))
    town = {"events_per_1000": _b("全镇", lang) + " "}  # the town's rate, not the median
    text = {key: f"{town.get(key, '')}{fmt[key](prev[key])}→{fmt[key](now[key])}{note[i]}"
            for i, key in enumerate(h.index)
            if key in fmt and np.isfinite(prev[key]) and np.isfinite(now[key])}
    return pd.Series(text, dtype="str").reindex(h.index).fillna("")


def headline_text(h: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """The brief's key-indicator table as text: what its first page shows, row for row.

    The Word report (:mod:`pufa_metrics.word`) prints the same table from this.

    Parameters
    ----------
    h : pandas.DataFrame
        :func:`headline_figures` output.
    lang : {"zh", "en"}

    Returns
    -------
    pandas.DataFrame
        Index ``indicator``; columns ``label, value, target, status, colour``.

    Examples
    --------
    >>> cov = pd.DataFrame({"covered": [True, False], "events_per_1000": [2.0, 0.0]},
    ...                    index=pd.Index(["V1", "V2"], name="village_id"))
    >>> headline_text(headline_figures(cov)).loc["covered", ["value", "target", "status"]].tolist()
    ['1/2（50%）', '全部', '未达标']
    """
    _check_lang(lang)
    _check_frame(h, "h", ("label_zh", "label_en", "value", "numerator", "denominator",
                          "target", "met"))
    return _headline_text(h, lang)


# --------------------------------------------------------------------------------------------
# Pages
# --------------------------------------------------------------------------------------------


@dataclass
class _Section:
    key: str
    heading: str
    figure: Figure | None = None
    note: str = ""
    png: str = ""  # base64 PNG for the HTML


def _page_axes(fig: Figure) -> Axes:
    """An invisible axes covering the page, in inches from the top-left corner."""
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, A4[0])
    ax.set_ylim(A4[1], 0)
    ax.set_axis_off()
    return ax


def _header(ax: Axes, text: str, page: int, lang: str) -> None:
    ax.text(_MARGIN, 0.35, text, fontsize=8.5, color=GREY, va="top")
    ax.text(A4[0] - _MARGIN, 0.35, _b("第 {page} 页", lang).format(page=page), fontsize=8.5,
            color=GREY, va="top", ha="right")


def _headline_page(h: pd.DataFrame, *, heading: str, period_text: str, notes: list[str],
                   synthetic: bool, lang: str, page_header: str) -> Figure:
    fig = Figure(figsize=A4)
    ax = _page_axes(fig)
    _header(ax, page_header, 1, lang)
    ax.text(_MARGIN, 0.9, heading, fontsize=22, color=INK, va="top")
    ax.text(_MARGIN, 1.6, period_text, fontsize=11, color="#444444", va="top")
    if synthetic:
        ax.text(A4[0] - _MARGIN, 0.9, _t("示例数据（合成）", lang), fontsize=12,
                color=VERMILLION, va="top", ha="right")
    ax.text(_MARGIN, 2.3, _b("主要指标", lang), fontsize=15, color=INK, va="top")
    shown = _headline_text(h, lang)
    has_change = bool(shown["change"].ne("").any())  # two periods: the 比上年 column
    cols = [(_MARGIN, "指标", 3.0), (_MARGIN + 3.1, "数值", 2.1), (_MARGIN + 5.3, "目标", 0.9),
            (_MARGIN + 6.3, "判定", 0.8)]
    if has_change:
        cols = [(_MARGIN, "指标", 2.3), (_MARGIN + 2.4, "数值", 1.75),
                (_MARGIN + 5.6, "目标", 0.5), (_MARGIN + 6.15, "判定", 0.9),
                (_MARGIN + 4.25, "比上年", 1.3)]
    y = 2.85
    ax.add_patch(Rectangle((_MARGIN - 0.1, y - 0.08), A4[0] - 2 * _MARGIN + 0.2, 0.42,
                           color="#E8E8E8", zorder=0))
    for x, name, _ in cols:  # four or five column headings
        ax.text(x, y, _b(name, lang), fontsize=10.5, color=INK, va="top")
    y += 0.5
    for key in shown.index:  # five headline rows
        row = shown.loc[key]
        label = _wrap(row["label"], cols[0][2] * 72 / 11 * 0.95)
        value = _wrap(row["value"], cols[1][2] * 72 / 11 * 0.95)
        change = _wrap(row["change"] or "—", 1.3 * 72 / 11 * 0.95) if has_change else ""
        n_lines = max(label.count("\n"), value.count("\n"), change.count("\n")) + 1
        if has_change:
            ax.text(cols[4][0], y, change, fontsize=11, color=INK, va="top", linespacing=1.4)
        ax.text(cols[0][0], y, label, fontsize=11, color=INK, va="top", linespacing=1.4)
        ax.text(cols[1][0], y, value, fontsize=11, color=INK, va="top", linespacing=1.4)
        ax.text(cols[2][0], y, row["target"], fontsize=11, color=INK, va="top")
        ax.text(cols[3][0], y, row["status"], fontsize=11, color=row["colour"], va="top")
        y += 0.25 * n_lines + 0.3
        ax.plot([_MARGIN - 0.1, A4[0] - _MARGIN + 0.1], [y - 0.15, y - 0.15], color="#DDDDDD",
                linewidth=0.8)
    y += 0.2
    for note in notes:  # a few notes
        text = _wrap(note, (A4[0] - 2 * _MARGIN) * 72 / 9.5 * 0.95)
        ax.text(_MARGIN, y, text, fontsize=9.5, color="#444444", va="top", linespacing=1.5)
        y += 0.22 * (text.count("\n") + 1) + 0.12
    return fig


def _joined(series: pd.Series) -> pd.Series:
    """Text of a column holding strings or tuples of strings (joined with ；)."""
    exploded = series.explode()
    text = exploded.where(exploded.notna(), "").astype("str")
    return text.groupby(level=0, sort=False).agg("；".join).reindex(series.index)


def _follow_up_rows(follow_up: pd.DataFrame, top_n: int, lang: str) -> pd.DataFrame:
    suffix = "zh" if lang == "zh" else "en"
    needed = ("priority", "village_name", f"reasons_{suffix}", f"actions_{suffix}")
    _check_frame(follow_up, "follow_up", needed)
    rows = follow_up
    if "reasons" in rows.columns:
        rows = rows[rows["reasons"].str.len().fillna(0) > 0]
    rows = rows.sort_values("priority", kind="stable").head(top_n)
    index = rows.index.astype("str")
    tier = (tier_of(rows["score"], lang=lang).to_numpy() if "score" in rows.columns
            else np.full(len(rows), ""))
    reasons = _joined(rows[f"reasons_{suffix}"].set_axis(index))
    if f"worse_{suffix}" in rows.columns:  # compare.mark_worse: clearly worse than last year
        worse = rows[f"worse_{suffix}"].fillna("").astype("str").set_axis(index)
        reasons = reasons.where(worse.eq(""),
                                reasons + ("；" if lang == "zh" else "; ")
                                + _b("比上年变差：", lang) + worse)
    return pd.DataFrame({
        "priority": _fmt_number(rows["priority"].astype("float64").to_numpy()),
        "tier": tier,
        "village": rows["village_name"].astype("str").to_numpy(),
        "reasons": reasons.to_numpy(),
        "actions": _joined(rows[f"actions_{suffix}"].set_axis(index)).to_numpy(),
    })


_TABLE_COLS = (
    ("priority", "优先级", 0.55),
    ("tier", "等级", 0.55),
    ("village", "村（社区）", 1.25),
    ("reasons", "原因", 2.4),
    ("actions", "建议措施", 2.32),
)
_TABLE_SIZE = 9.5


def _table_pages(table: pd.DataFrame, *, heading: str, page_header: str, first_page: int,
                 lang: str) -> list[Figure]:
    """The follow-up table on as many A4 pages as it needs; long text is wrapped."""
    line_h = _TABLE_SIZE / 72 * 1.45
    # 0.92: a line may take one closing punctuation mark past the width (never starts a line)
    wrapped = {key: table[key].map(
        lambda s, w=width: _wrap(s, (w - 0.15) * 72 / _TABLE_SIZE * 0.92))
        for key, _, width in _TABLE_COLS}
    n_lines = pd.DataFrame({k: v.str.count("\n") + 1 for k, v in wrapped.items()}).max(axis=1) \
        if len(table) else pd.Series(dtype="int64")
    pages: list[Figure] = []
    fig = ax = None
    y = 0.0
    bottom = A4[1] - _MARGIN

    def new_page() -> tuple[Figure, Axes, float]:
        f = Figure(figsize=A4)
        a = _page_axes(f)
        _header(a, page_header, first_page + len(pages), lang)
        a.text(_MARGIN, 0.8, heading, fontsize=15, color=INK, va="top")
        top = 1.4
        a.add_patch(Rectangle((_MARGIN - 0.05, top - 0.08), A4[0] - 2 * _MARGIN + 0.1, 0.4,
                              color="#E8E8E8", zorder=0))
        x = _MARGIN
        for _, name, width in _TABLE_COLS:  # five column headings
            a.text(x, top, _b(name, lang), fontsize=10, color=INK, va="top")
            x += width
        pages.append(f)
        return f, a, top + 0.45

    fig, ax, y = new_page()
    if len(table) == 0:
        ax.text(_MARGIN, y + 0.1, _b("暂无需要重点关注的村（社区）。", lang), fontsize=11,
                color=INK, va="top")
        return pages
    for i in range(len(table)):  # at most top_n rows
        height = n_lines.iloc[i] * line_h + 0.2
        if y + height > bottom:
            fig, ax, y = new_page()
        if i % 2:
            ax.add_patch(Rectangle((_MARGIN - 0.05, y - 0.08), A4[0] - 2 * _MARGIN + 0.1,
                                   height, color="#F5F5F5", zorder=0))
        x = _MARGIN
        for key, _, width in _TABLE_COLS:  # five cells
            ax.text(x, y, wrapped[key].iloc[i], fontsize=_TABLE_SIZE, color=INK, va="top",
                    linespacing=1.45)
            x += width
        y += height
    return pages


def _note_page(heading: str, note: str, *, page_header: str, page: int, lang: str) -> Figure:
    fig = Figure(figsize=A4)
    ax = _page_axes(fig)
    _header(ax, page_header, page, lang)
    ax.text(_MARGIN, 0.8, heading, fontsize=15, color=INK, va="top")
    ax.text(_MARGIN, 1.5, note, fontsize=11, color=GREY, va="top")
    return fig


def _chart_page(draw: Callable[[Axes], Any], height: float, *, page_header: str, page: int,
                lang: str) -> tuple[Figure, str]:
    """Draw one chart on an A4 page; return the page and a tightly cropped base64 PNG of it."""
    fig = Figure(figsize=A4, layout="constrained")
    number = _b("第 {page} 页", lang).format(page=page)
    # the header of every page (_header): title and period on the left, page on the right
    y = 1 - 0.35 / A4[1]
    header = fig.text(_MARGIN / A4[0], y, page_header, ha="left", va="top", fontsize=8.5,
                      color=GREY)
    page_no = fig.text(1 - _MARGIN / A4[0], y, number, ha="right", va="top", fontsize=8.5,
                       color=GREY)
    band = 0.6  # the header's band above the chart, as on the other pages
    height = float(min(height, A4[1] - band - 0.5))
    _, top, rest = fig.subfigures(3, 1, height_ratios=[band, height, A4[1] - band - height])
    draw(top.add_subplot())
    buffer = io.BytesIO()
    hidden = (header, page_no, rest)  # page furniture is not part of the HTML image
    for artist in hidden:
        artist.set_visible(False)
    fig.savefig(buffer, format="png", dpi=_PNG_DPI, bbox_inches="tight", pad_inches=0.15,
                metadata={"Software": "pufa_metrics"})
    for artist in hidden:
        artist.set_visible(True)
    return fig, base64.b64encode(buffer.getvalue()).decode("ascii")


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


#: The brief's stylesheet; the county brief (:mod:`pufa_metrics.national`) uses it too.
BRIEF_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
sans-serif;max-width:60rem;margin:0 auto;padding:1rem;color:#222;line-height:1.6}
h1{font-size:1.7rem;margin-bottom:.2rem}h2{font-size:1.25rem;border-bottom:1px solid #ddd;
padding-bottom:.2rem;margin-top:2rem}table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{border-bottom:1px solid #ddd;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}img{max-width:100%;height:auto}.synthetic{color:#D55E00}
.note{color:#666}.met{color:#009E73}.notmet{color:#D55E00}.undetermined{color:#E69F00}
"""


def _html(*, heading: str, period_text: str, synthetic: bool, lang: str,
          shown: pd.DataFrame, notes: list[str], sections: list[_Section],
          table: pd.DataFrame, table_heading: str) -> str:
    e = html.escape
    css_class = {GREEN: "met", VERMILLION: "notmet", ORANGE: "undetermined"}
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">',
        '<head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(heading)}</title><style>{BRIEF_CSS}</style></head><body>",
        f"<header><h1>{e(heading)}</h1><p>{e(period_text)}</p>",
    ]
    if synthetic:
        parts.append(f'<p class="synthetic">{e(_t("示例数据（合成）", lang))}</p>')
    parts.append("</header>")
    parts.append(f'<section id="headline"><h2>{e(_b("主要指标", lang))}</h2><table><thead><tr>')
    has_change = bool(shown["change"].ne("").any())  # two periods: the 比上年 column
    heads = ("指标", "数值", *(("比上年",) if has_change else ()), "目标", "判定")
    parts += [f"<th>{e(_b(c, lang))}</th>" for c in heads]
    parts.append("</tr></thead><tbody>")
    parts += [
        f"<tr><td>{e(r.label)}</td><td>{e(r.value)}</td>"
        + (f"<td>{e(r.change or '—')}</td>" if has_change else "") + f"<td>{e(r.target)}</td>"
        f'<td class="{css_class.get(r.colour, "note")}">{e(r.status)}</td></tr>'
        for r in shown.itertuples()  # five headline rows
    ]
    parts.append("</tbody></table>")
    parts += [f'<p class="note">{e(n)}</p>' for n in notes]
    parts.append("</section>")

    def section(s: _Section) -> str:
        body = (f'<img src="data:image/png;base64,{s.png}" alt="{e(s.heading)}">' if s.png
                else f'<p class="note">{e(s.note)}</p>')
        return f'<section id="{s.key}"><h2>{e(s.heading)}</h2>{body}</section>'

    parts.append(section(sections[0]))  # the map comes before the follow-up list
    parts.append(f'<section id="follow-up"><h2>{e(table_heading)}</h2>')
    if len(table):
        parts.append("<table><thead><tr>")
        parts += [f"<th>{e(_b(name, lang))}</th>" for _, name, _ in _TABLE_COLS]
        parts.append("</tr></thead><tbody>")
        parts += [
            "<tr>" + "".join(f"<td>{e(str(v))}</td>" for v in row) + "</tr>"
            for row in table.itertuples(index=False)  # at most top_n rows
        ]
        parts.append("</tbody></table>")
    else:
        parts.append(f'<p class="note">{e(_b("暂无需要重点关注的村（社区）。", lang))}</p>')
    parts.append("</section>")
    parts += [section(s) for s in sections[1:]]
    parts.append(f'<footer class="note"><p>{e(_b("由 pufa_metrics 生成。", lang))}</p></footer>')
    parts.append("</body></html>")
    return "\n".join(parts)


def _period(period: object, settings: Settings) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    if period is None:
        return settings.start, settings.end
    if hasattr(period, "start") and hasattr(period, "end"):  # a workflow.Period
        return pd.Timestamp(period.start), pd.Timestamp(period.end)
    if isinstance(period, (str, bytes)) or not hasattr(period, "__len__") or len(period) != 2:
        raise TypeError(f"period should be a (start, end) pair of dates, got {period!r}")
    try:
        start, end = (pd.Timestamp(p) if p is not None else None for p in period)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"period should be a (start, end) pair of dates, got {period!r}") from exc
    return start, end


def brief(
    path_dir: str | os.PathLike[str],
    *,
    coverage: pd.DataFrame,
    follow_up: pd.DataFrame,
    rates: pd.DataFrame | None = None,
    counts: pd.DataFrame | None = None,
    training: pd.DataFrame | None = None,
    services: pd.DataFrame | None = None,
    geometry: Any = None,
    calendar: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    event_topics: pd.DataFrame | None = None,
    settings: Settings | None = None,
    period: Any = None,
    town: str | None = None,
    survey_kind: str | None = None,
    synthetic: bool = False,
    lang: str = "zh",
    top_n: int = 10,
    pooled: pd.DataFrame | None = None,
    comparison: pd.DataFrame | None = None,
    effect: pd.DataFrame | None = None,
) -> dict[str, Path]:
    """Write ``brief.pdf`` and ``brief.html`` into ``path_dir``: what a leader opens.

    The PDF is A4 portrait with Type 3 fonts: page 1 the headline figures against targets
    (:func:`headline_figures`), page 2 the map, then the top ``top_n`` of the follow-up list as
    a table (priority, village, reasons, actions, long text wrapped), then the charts: attendance
    by village, the monthly calendar, awareness by village, required topics, standing legal
    services (法律明白人, the village legal adviser, site upkeep), events per month, cadre law
    study. The HTML is one self-contained file with the same content: the charts are
    PNGs embedded as base64 data URIs and every text is escaped. A missing input (no survey, no
    village boundaries, no counts, no events, no training figures) is said on its page or
    section instead of failing.

    Parameters
    ----------
    path_dir : str or path-like
        Folder to write into (created when missing), usually ``reports/``.
    coverage : pandas.DataFrame
        ``village_coverage`` output.
    follow_up : pandas.DataFrame
        ``find_blind_spots`` output: ``priority, village_name, reasons_zh, actions_zh`` (and
        ``reasons_en, actions_en`` for ``lang="en"``).
    rates, counts, training, services, geometry, calendar, events, event_topics : optional
        Inputs of the charts in :mod:`pufa_metrics.plots` (``counts`` is ``event_counts``
        output, ``services`` is ``service_coverage`` output, ``geometry`` a GeoDataFrame of
        village polygons).
    settings : Settings, optional
        Targets and thresholds; defaults to ``pufa.toml``.
    period : (start, end) or Period, optional
        The reporting period for captions; defaults to ``settings``' period. A
        :class:`~pufa_metrics.workflow.Period` also brings its notes (a period cut to the
        ledgers' records, :func:`~pufa_metrics.workflow.resolve_period`) into the brief.
    town : str, optional
        Town name for the title and captions; defaults to ``coverage["town"]`` when it holds
        one value.
    survey_kind : str, optional
        Which kind of survey the rates come from (see :func:`plots.awareness_dotplot`).
    synthetic : bool
        Mark every page and chart as sample data (合成).
    lang : {"zh", "en"}
        Language of the brief.
    top_n : int
        Rows of the follow-up list shown.
    pooled : pandas.DataFrame, optional
        ``pooled_rates(responses, codebook, by=None)`` for the headline awareness rate; without
        it the same village-clustered interval comes from ``rates``
        (:func:`~pufa_metrics.survey.pooled_from_rates`).
    comparison : pandas.DataFrame, optional
        :func:`~pufa_metrics.compare.compare_periods` output (``Analysis.comparison``): adds
        the "比上年" column to the key-indicator table and one sentence per headline under
        it ("知晓率由X%升至Y%（差值95%CI …），变化明确/尚不明确"); the follow-up table names
        what got clearly worse (``worse_zh`` of :func:`~pufa_metrics.compare.mark_worse`).
    effect : pandas.DataFrame, optional
        :func:`~pufa_metrics.effect.exposure_effect` output: a last page "普法实效（观察性分析）"
        with :func:`~pufa_metrics.plots.effect_chart`, whose caption states that the data are
        observational (an association, not proof).

    Returns
    -------
    dict
        ``{"pdf": Path, "html": Path}``.

    Examples
    --------
    >>> import tempfile
    >>> cov = pd.DataFrame({"village_name": ["河尾村", "罗湖村"], "town": "水寨镇",
    ...                     "n_events": [3, 0], "covered": [True, False],
    ...                     "attendance_per_100": [12.0, 0.0], "events_per_1000": [1.5, 0.0],
    ...                     "days_since_last": [40.0, np.nan],
    ...                     "missing_topics": [(), ("宪法", "民法典", "反电信网络诈骗", "禁毒")]},
    ...                    index=pd.Index(["V1", "V2"], name="village_id"))
    >>> fu = pd.DataFrame({"village_name": ["罗湖村"], "priority": [1],
    ...                    "reasons": [("no_events",)], "reasons_zh": ["统计期间无普法活动"],
    ...                    "actions_zh": ["安排律师下村开展讲座"]},
    ...                   index=pd.Index(["V2"], name="village_id"))
    >>> out = brief(tempfile.mkdtemp(), coverage=cov, follow_up=fu, synthetic=True)
    >>> sorted(out), out["pdf"].name, out["html"].read_text(encoding="utf-8").count("<img")
    (['html', 'pdf'], 'brief.pdf', 2)
    """
    _check_lang(lang)
    _check_frame(coverage, "coverage", ("village_name",))
    _check_frame(follow_up, "follow_up")
    if isinstance(top_n, bool) or not isinstance(top_n, (int, np.integer)) or top_n < 1:
        raise ValueError(f"top_n should be a positive integer, got {top_n!r}")
    if not isinstance(path_dir, (str, os.PathLike)):
        raise TypeError(f"path_dir should be a folder path, got {type(path_dir).__name__}")
    if geometry is not None and not hasattr(geometry, "total_bounds"):
        raise TypeError(
            f"geometry should be a geopandas GeoDataFrame or None, got {type(geometry).__name__}"
        )
    if town is not None and not isinstance(town, str):
        raise TypeError(f"town should be text or None, got {type(town).__name__}")
    settings = _settings(settings)
    start, end = _period(period, settings)
    if town is None and "town" in coverage.columns:
        towns = coverage["town"].dropna().unique()
        town = str(towns[0]) if len(towns) == 1 else None
    town = town or ""
    out_dir = Path(path_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    heading = _b("{town}普法工作简报", lang).format(town=town) if town else _b("普法工作简报", lang)
    period_text = (
        _b("统计期间：{start}至{end}", lang).format(start=_fmt_date(start),
                                                  end=_fmt_date(end))
        if start is not None and end is not None else _b("统计期间：未注明", lang)
    )
    page_header = f"{heading} · {period_text}"
    ledger = _b("{town}司法所普法台账", lang).format(town=town) if town \
        else _b("普法活动台账", lang)
    survey = _b("{town}问卷调查", lang).format(town=town) if town else _b("问卷调查", lang)
    cap_events = plots.source_caption(ledger, start=start, end=end, lang=lang)
    cap_survey = plots.source_caption(survey, start=start, end=end, lang=lang)
    cap_training = plots.source_caption(_b("学法用法台账", lang), lang=lang)
    cap_services = plots.source_caption(
        _t("法律明白人名册、村法律顾问服务台账、普法阵地台账", lang), lang=lang)
    has_rates = rates is not None and len(rates) > 0
    n_villages = len(coverage)

    h = headline_figures(coverage, follow_up=follow_up, rates=rates if has_rates else None,
                         settings=settings, pooled=pooled, comparison=comparison)
    # an absent optional table is "not assessed", in the words of assessed.OPTIONAL_TABLES
    absent = [table_reason(t) for given, tables in (
        (geometry is not None, ("geometry",)),
        (has_rates, ("responses",)),
        (training is not None, ("cadres",)),
        (services is not None, ("legal_literates", "adviser_visits", "sites")),
    ) if not given for t in tables]
    missing = [text for given, text in (
        (counts is not None, "每月活动统计（未绘制月历图）"),
        (events is not None, "活动台账（未绘制趋势图）"),
    ) if not given]
    notes = [text for text in h["change_zh" if lang == "zh" else "change_en"] if text]
    if has_rates:
        notes.append(plots.survey_kind_text(survey_kind, lang))
    if np.isfinite(h.loc["awareness", "deff"]):
        notes.append(_b("知晓率的95%置信区间按各村整群抽样计算（设计效应{deff}）：同村受访者回答相近，"
                        "不能当作相互独立的答卷。", lang).format(
            deff=f"{h.loc['awareness', 'deff']:.1f}"))
    if has_rates and "status" in rates.columns:
        undecided = rates.loc[rates["status"].eq("needs_codebook"), "item"].dropna().unique()
        if len(undecided):
            notes.append(_b("问卷题目{items}含未归入肯定或否定的答案（需核定答案分类），其知晓率未计算；"
                            "请用 pufa validate 查看并在编码表中核定。", lang).format(
                items="、".join(map(str, undecided))))
    if missing:
        notes.append(_b("未提供：{items}。", lang).format(
            items=("、" if lang == "zh" else "; ").join(_b(m, lang) for m in missing)))
    notes += [zh if lang == "zh" else en for zh, en in getattr(period, "notes", ())]
    # reasons the follow-up list could not assess (a ledger without 参与对象 …), said once each
    notes += [zh if lang == "zh" else en for zh, en in dict.fromkeys(
        (*absent, *reasons_of(services), *reasons_of(follow_up)))]
    if not town:
        notes.append(_b("未能确定乡镇名称：村居名册无所属镇列，台账标题与文件名也未写明；"
                        "可在 pufa.toml [town] name 中填写。", lang))
    if synthetic:
        notes.append(_b("示例数据（合成）：本简报由合成的示例数据生成，不反映任何真实村镇。", lang))
    common = {"lang": lang, "synthetic": synthetic}
    rows_h = plots.rows_height(n_villages)

    # (key, heading, input present, draw function, chart height, note when missing)
    charts: list[tuple[str, str, bool, Callable[[Axes], Any], float, str]] = [
        ("map", "各村普法活动分布图", geometry is not None,
         lambda ax: plots.coverage_map(coverage, geometry, blind_spots=follow_up, ax=ax,
                                       caption=cap_events, **common),
         plots.map_height(geometry) + 0.8 if geometry is not None else 0.0,
         table_reason("geometry")[lang == "en"] + "。" * (lang == "zh")),
        ("coverage-bar", "各村（社区）参与人次", True,
         lambda ax: plots.coverage_bar(coverage, settings=settings, ax=ax, caption=cap_events,
                                       **common) if "attendance_per_100" in coverage.columns
         else plots.coverage_bar(coverage, column="events_per_1000", settings=settings, ax=ax,
                                 caption=cap_events, **common),
         rows_h + 0.6, ""),
        ("calendar", "每月活动月历", counts is not None,
         lambda ax: plots.calendar_heatmap(counts, calendar=calendar, names=coverage, ax=ax,
                                           caption=cap_events, **common),
         plots.rows_height(n_villages, per_row=0.24, base=2.3) + 0.6,
         "无每月活动统计，未绘制月历图。"),
        ("awareness", "知晓率", has_rates,
         lambda ax: plots.awareness_dotplot(rates, settings=settings, names=coverage,
                                            survey_kind=survey_kind, ax=ax,
                                            caption=cap_survey, **_rate_choice(rates), **common),
         rows_h + 0.9, table_reason("responses")[lang == "en"] + "。" * (lang == "zh")),
        ("topics", "主题覆盖", "missing_topics" in coverage.columns,
         lambda ax: plots.topic_matrix(coverage, settings=settings, ax=ax, caption=cap_events,
                                       **common),
         plots.rows_height(n_villages, base=2.4) + 0.4, ""),
        ("services", "法律服务情况", services is not None,
         lambda ax: plots.service_chart(services, settings=settings, names=coverage, ax=ax,
                                        caption=cap_services, **common),
         plots.rows_height(len(services) if services is not None else 0, base=2.8) + 0.9,
         ("；" if lang == "zh" else "; ").join(
             table_reason(t)[lang == "en"] for t in ("legal_literates", "adviser_visits",
                                                     "sites"))),
        ("trend", "活动趋势", events is not None,
         lambda ax: plots.trend(events, event_topics=event_topics, calendar=calendar,
                                start=start, end=end, ax=ax, caption=cap_events, **common),
         5.2, "无活动台账，未绘制趋势图。"),
        ("training", "干部学法用法", training is not None,
         lambda ax: plots.training_chart(training, settings=settings, ax=ax,
                                         caption=cap_training, **common),
         plots.rows_height(len(training) if training is not None else 0,
                            per_row=0.81, base=2.0) + 0.5,
         table_reason("cadres")[lang == "en"] + "。" * (lang == "zh")),
        ("effect", "普法实效（观察性分析）", effect is not None and len(effect) > 0,
         lambda ax: plots.effect_chart(effect, ax=ax, **common),
         plots.rows_height(effect["topic"].nunique() + 1 if effect is not None else 1,
                           per_row=0.45, base=2.4) + 1.2, ""),
    ]

    if comparison is not None and "got_worse" not in follow_up.columns:
        follow_up = mark_worse(follow_up, comparison, settings=settings)
    table = _follow_up_rows(follow_up, int(top_n), lang)
    table_heading = _b("重点关注村（社区）名单（前{n}位）", lang).format(n=max(len(table), 1))
    sections: list[_Section] = []
    pages: list[Figure] = []
    with house_style():
        pages.append(_headline_page(h, heading=heading, period_text=period_text, notes=notes,
                                    synthetic=synthetic, lang=lang, page_header=page_header))
        for i, (key, name, present, draw, height, note) in enumerate(charts):  # nine charts
            if i == 1:  # the follow-up list comes right after the map
                pages += _table_pages(table, heading=table_heading, page_header=page_header,
                                      first_page=len(pages) + 1, lang=lang)
            section = _Section(key, _b(name, lang), note=_EN.get(note, note) if lang == "en"
                               else note)
            if present:
                section.figure, section.png = _chart_page(
                    draw, height, page_header=page_header, page=len(pages) + 1, lang=lang)
                pages.append(section.figure)
            elif key == "map":
                pages.append(_note_page(section.heading, section.note, page_header=page_header,
                                        page=len(pages) + 1, lang=lang))
            if present or section.note:
                sections.append(section)

        pdf_path = out_dir / "brief.pdf"
        with _atomic(pdf_path) as tmp:
            metadata = {"Title": heading, "Creator": "pufa_metrics", "CreationDate": None}
            with PdfPages(tmp, metadata=metadata) as pdf:
                for page in pages:  # a dozen pages at most
                    pdf.savefig(page)
    html_path = out_dir / "brief.html"
    text = _html(heading=heading, period_text=period_text, synthetic=synthetic, lang=lang,
                 shown=_headline_text(h, lang), notes=notes, sections=sections, table=table,
                 table_heading=table_heading)
    with _atomic(html_path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return {"pdf": pdf_path, "html": html_path}


def _rate_choice(rates: pd.DataFrame | None) -> dict[str, str]:
    """Which rates the brief's dot plot shows: the awareness domain, else the first item."""
    if rates is None:
        return {}
    rows = rates
    if "domain" in rates.columns and (rates["domain"] == "awareness").any():
        rows = rates[rates["domain"] == "awareness"]
        if rows["item"].nunique() > 1:
            return {"domain": "awareness"}
    return {"item": str(rows["item"].dropna().iloc[0])}
