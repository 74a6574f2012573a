"""Charts in the house style, with a bundled CJK font, and print-quality export.

Leaders read exported charts, not notebooks, so every chart here:

* renders Chinese with the Noto Sans CJK SC face shipped by the ``noto-cjk-sans-otc`` pip
  package: no CJK system font is needed. The font is registered with matplotlib on first use
  and the settings live in :func:`house_style`, a ``rc_context``: importing ``pufa_metrics``
  changes no global matplotlib setting;
* uses the Okabe–Ito colour-blind-safe palette, with shapes as well as colours where a status is
  coded, sizes legible printed on A4 and on a phone screen, labelled target lines, a caption with
  the data source and period, and a visible "示例数据（合成）" mark on synthetic data;
* takes data first and keyword-only options ``ax=None``, ``lang="zh"|"en"``, ``title=None``,
  ``caption=None``, ``synthetic=False``, and returns the matplotlib ``Figure`` without showing it.

The chart set: :func:`coverage_map`, :func:`coverage_bar`, :func:`calendar_heatmap`,
:func:`awareness_dotplot`, :func:`topic_matrix`, :func:`trend`, :func:`training_chart`.
:func:`save` writes PNG (200 dpi), PDF (Type 3 fonts, so the Chinese shows in every viewer) and
SVG (glyphs as paths) atomically.

Survey charts say which kind of survey a figure comes from (government-run surveys report far
higher satisfaction than independent ones, docs/domain.md): pass ``survey_kind=``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from cycler import cycler
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.colors import BoundaryNorm, ListedColormap, to_hex
from matplotlib.figure import Figure, FigureBase
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ._common import atomic_path as _atomic
from ._common import check_frame as _check_frame
from ._common import check_lang as _check_lang
from ._common import fmt_date as _fmt_date
from ._common import fmt_number as _fmt_number
from ._common import fmt_one as _fmt_one
from ._common import pct as _pct
from ._common import resolve_settings as _settings
from ._common import wrap_text as _wrap
from .assessed import join_reasons, reasons_of, table_reason
from .config import Settings
from .frequency import event_counts
from .rules import URGENT_SCORE
from .schema import DOMAIN_LABELS, METRIC_LABELS, label
from .survey import VERDICTS, awareness_verdict

__all__ = [
    "FONT_FAMILY",
    "PALETTE",
    "awareness_dotplot",
    "calendar_heatmap",
    "chart_axes",
    "coverage_bar",
    "coverage_map",
    "finish_chart",
    "house_style",
    "no_data_message",
    "not_assessed_text",
    "save",
    "service_chart",
    "source_caption",
    "target_line",
    "topic_matrix",
    "training_chart",
    "trend",
]

# --------------------------------------------------------------------------------------------
# House style
# --------------------------------------------------------------------------------------------

#: Font families, an explicit list so matplotlib falls back glyph by glyph.
FONT_FAMILY = ["Noto Sans CJK SC", "DejaVu Sans"]

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common form of
# colour-vision deficiency.
BLUE = "#0072B2"
ORANGE = "#E69F00"
GREEN = "#009E73"
VERMILLION = "#D55E00"
SKY_BLUE = "#56B4E9"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
BLACK = "#000000"
#: The categorical palette (Okabe–Ito), in the order charts use it.
PALETTE = (BLUE, ORANGE, GREEN, VERMILLION, SKY_BLUE, PURPLE, YELLOW, BLACK)
GREY = "#8C8C8C"
LIGHT_GREY = "#EDEDED"
INK = "#222222"
#: Sequential colour map for counts and rates (ColorBrewer YlGnBu: colour-blind safe, prints
#: in grey scale from light to dark).
SEQUENTIAL = "YlGnBu"

TITLE_SIZE = 13.0
CAPTION_SIZE = 8.0
FIG_WIDTH = 7.0  # inches: A4 text width is about 6.3-6.7 in; PNG at 200 dpi is 1400 px wide

_HOUSE_RC: dict[str, Any] = {
    "font.family": FONT_FAMILY,
    "font.size": 10.5,
    "axes.titlesize": TITLE_SIZE,
    "axes.titlelocation": "left",
    "axes.titlepad": 8.0,
    "axes.labelsize": 10.0,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#555555",
    "axes.linewidth": 0.8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=list(PALETTE)),
    "axes.unicode_minus": True,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.6,
    "legend.fontsize": 9.0,
    "legend.title_fontsize": 9.5,
    "legend.frameon": False,
    "hatch.linewidth": 0.8,
    "figure.figsize": (FIG_WIDTH, 4.5),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.dpi": 200,
    "savefig.facecolor": "white",
    "image.cmap": SEQUENTIAL,
    # Noto CJK has CFF outlines: Type 42 embedding shows no text in Ghostscript.
    "pdf.fonttype": 3,
    "ps.fonttype": 3,
    "svg.fonttype": "path",
    "svg.hashsalt": "pufa_metrics",
}


def _font_path() -> str:
    import noto_cjk_sans_otc

    return os.fsdecode(noto_cjk_sans_otc.FONT_PATH)


def _register_font() -> None:
    """Add the bundled Noto Sans CJK collection to matplotlib's font list, once."""
    path = _font_path()
    if not any(entry.fname == path for entry in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)


@contextlib.contextmanager
def house_style() -> Iterator[None]:
    """Context in which matplotlib draws in the house style with the bundled CJK font.

    Registers the Noto Sans CJK collection from the ``noto-cjk-sans-otc`` package (first use
    only) and sets, for the duration of the ``with`` block only: ``font.family`` as an explicit
    list (Noto Sans CJK SC, then DejaVu Sans), sizes legible on A4 and on a phone, the Okabe–Ito
    palette, ``pdf.fonttype = 3`` and ``svg.fonttype = "path"``. Every chart in this module draws
    inside it; use it for your own figures too.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> before = list(mpl.rcParams["font.family"])
    >>> with house_style():
    ...     mpl.rcParams["font.family"], mpl.rcParams["pdf.fonttype"]
    (['Noto Sans CJK SC', 'DejaVu Sans'], 3)
    >>> mpl.rcParams["font.family"] == before
    True
    """
    _register_font()
    with mpl.rc_context(_HOUSE_RC):
        yield


# --------------------------------------------------------------------------------------------
# Chart text (zh → en)
# --------------------------------------------------------------------------------------------

_EN: dict[str, str] = {
    "示例数据（合成）": "Sample data (synthetic)",
    "数据来源：{source}": "Source: {source}",
    "统计期间：{start}至{end}": "Period: {start} to {end}",
    "普法活动台账": "legal-education event ledger",
    "问卷调查": "survey",
    "学法用法台账": "cadre law-study ledger",
    "村界地理数据": "village boundaries",
    "无数据": "No data",
    "目标 {value}": "Target {value}",
    "达到目标": "Target met",
    "低于目标": "Below target",
    # metrics
    "每千人活动场次": "Events per 1,000 residents",
    "每百人参与人次": "Attendance per 100 residents (person-times)",
    "活动场次": "Events",
    "参与人次": "Attendance (person-times)",
    "涉及主题数": "Topics covered",
    "距最近一次活动天数": "Days since the last event",
    "最长间隔天数": "Longest gap between events (days)",
    "各村（社区）{metric}": "{metric} by village",
    "未记录": "Not recorded",
    "“未记录”：该村活动均未填写参与人次，不按0计，也不判为低于目标。": (
        "'Not recorded': no event of the village has an attendee figure; it is not counted "
        "as 0 nor judged below target."
    ),
    "注：参与人次为各场活动人次之和，反映普法强度，不等于覆盖人数。": (
        "Note: attendance sums person-times over events; it measures intensity, not reach."
    ),
    # map
    "{metric}分布": "{metric}: map",
    "无数据（台账无此村记录）": "No data",
    "重点关注村（盲区）": "Blind spot (follow-up)",
    "得分≥{score}的重点关注村": "Urgent: score ≥ {score}",
    "跟进名单上的村（盲区）": "On the follow-up list",
    "全部为 {value}": "All {value}",
    "分级方法：{scheme}，{k} 类": "Classes: {scheme}, {k}",
    "无村界数据，未画出：{names}": "Not on the map (no boundary): {names}",
    "无村界地理数据，未绘制地图": "No village boundaries: map not drawn",
    # calendar
    "各村（社区）每月普法活动场次": "Legal-education events per village and month",
    "{n} 场": "{n}",
    "0 场（空白月）": "0 (no event)",
    "含宣传节点的月份": "Month with a campaign day",
    "场次": "Events",
    "无活动记录": "No events recorded",
    # dotplot
    "知晓率": "Awareness",
    "支持度": "Support",
    "满意率": "Satisfaction",
    "知识正确率": "Knowledge (correct answers)",
    "各村（社区）{what}": "{what} by village",
    "题目：{item}": "Item: {item}",
    "无法判定": "Undetermined",
    "LQAS判定达标": "Target met by LQAS",
    "达标": "Target met",
    "未评估（需核定答案分类）": "Not assessed (codebook decision needed)",
    "“达标”：置信区间下限不低于目标。“LQAS判定达标”：置信区间下限低于目标，但答卷数达到LQAS"
    "抽样方案（默认每村19份）且肯定回答数不少于决策值d{d_range}。": (
        "'Target met': the interval's lower limit reaches the target. 'Target met by LQAS': "
        "the lower limit is below the target, but the village has the answers of the LQAS plan "
        "(19 by default) and at least d positive answers{d_range}."
    ),
    "（本图d={low}–{high}）": " (here d = {low}–{high})",
    "（本图d={low}）": " (here d = {low})",
    "多题平均时，各题均达标（或LQAS判定达标）才算达标，任一题低于目标即为低于目标。": (
        "For the mean of several items, the target counts as met only when every item meets "
        "it (or meets it by LQAS), and as missed when any item is below it."
    ),
    "样本不足（n<{n}）": "Too few answers (n<{n})",
    "样本少于{n}人，不公布": "Fewer than {n} answers: not published",
    "无问卷数据": "No survey data",
    "调查类型：{kind}": "Survey type: {kind}",
    "调查类型：未注明": "Survey type: not stated",
    "政府组织的问卷调查": "government-run survey",
    "独立学术调查": "independent (academic) survey",
    "误差线为95%置信区间；“低于目标”指（任一题）置信区间上限低于目标或LQAS未达标，"
    "与跟进名单同一规则。": (
        "Bars: 95% confidence intervals. 'Below target': (any item's) upper limit is below the "
        "target or the LQAS decision rule fails, the follow-up list's rule."
    ),
    "误差线为各题置信区间界限的平均（偏保守）；点为{n_items}题的平均率。": (
        "Point: mean rate of {n_items} items; bars: mean of the items' interval limits "
        "(conservative)."
    ),
    "点为经验贝叶斯收缩后的率。": "Points are empirical-Bayes shrunken rates.",
    # topic matrix
    "各村（社区）重点法律主题覆盖情况": "Required topics covered by village",
    "已覆盖": "Covered",
    "未覆盖": "Not covered",
    "未评估（台账未记录宣传内容）": "Not assessed (topic not recorded)",
    # trend
    "每月普法活动场次（按主题）": "Legal-education events per month, by topic",
    "其他": "Other",
    "宣传节点": "Campaign day",
    "宣传周/月": "Campaign week/month",
    "一场活动涉及多个主题时，按主题分别计数。": (
        "An event with several topics counts once for each topic."
    ),
    # training
    "各部门学法用法完成情况": "Cadre law-study compliance by department",
    "学时达标率": "Study hours met",
    "参考率": "Took the exam",
    "考试合格率": "Passed the exam",
    "持执法证比例": "Hold an enforcement certificate",
    "占本部门人员比例": "Share of the department's staff",
    "（n={n}）": " (n={n})",
    "人数少于{n}人、不公布比例的部门：{names}": (
        "Departments with fewer than {n} staff, rates not published: {names}"
    ),
    # services
    "各村（社区）法律服务情况": "Standing legal services by village",
    "法律明白人": "Legally literate persons",
    "法律顾问到村天数": "Adviser days on site",
    "法律顾问讲座": "Adviser lectures",
    "距法律顾问上次到村": "Days since the adviser came",
    "普法阵地更新": "Site content updated",
    "法律明白人名册、村法律顾问服务台账、普法阵地台账": (
        "roster of legally literate persons, legal adviser log, publicity sites"
    ),
    "达到标准": "Meets the norm",
    "未达到标准": "Short of the norm",
    "不适用或无记录": "Not applicable / not recorded",
    "{n}天": "{n} d",
    "未到村": "never",
    "{n}处过期": "{n} stale",
    "已更新": "current",
    "法律顾问服务统计期间：{start}至{end}": "Adviser service period: {start} to {end}",
    "标准：每村法律明白人不少于{lit}名；法律顾问每月驻村{days}天、每季度讲座{lec}次、"
    "间隔不超过{gap}天；阵地内容{months}个月内更新。": (
        "Norms: at least {lit} legally literate persons per village; the adviser on site {days} "
        "days a month, {lec} lecture(s) a quarter, never more than {gap} days away; site "
        "content updated within {months} months."
    ),
    "法律明白人、到村间隔、阵地更新未达标准的村列入跟进名单；驻村天数和讲座次数只作提示，不单独列入"
    "（名单看法律顾问是否超过{gap}天未到村）。": (
        "Villages short on legally literate persons, the adviser's absence or site upkeep go on "
        "the follow-up list; on-site days and lectures are shown for information only (the list "
        "asks whether the adviser has been away more than {gap} days)."
    ),
}

def chart_text(text: str, lang: str) -> str:
    """A fixed chart text in ``lang``; Chinese is the source language.

    Examples
    --------
    >>> chart_text("场次", "en"), chart_text("场次", "zh")
    ('Events', '场次')
    """
    return text if lang == "zh" else _EN[text]


_t = chart_text


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def _check_unique_index(frame: pd.DataFrame, name: str) -> None:
    if not frame.index.is_unique:
        dup = frame.index[frame.index.duplicated()].unique()[:5].tolist()
        raise ValueError(f"{name} should have one row per village; repeated index values: {dup}")


def _check_numeric(frame: pd.DataFrame, name: str, column: str) -> None:
    dtype = frame[column].dtype
    if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
        raise TypeError(f"{name}[{column!r}] should be numeric, got dtype {dtype}")


def _check_number(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} should be a number or None, got {value!r}")
    if not np.isfinite(value):
        raise ValueError(f"{name} should be a finite number, got {value!r}")
    return float(value)


class _ChartFigure(Figure):
    """A chart's figure that shows itself in a notebook (JupyterLab, papermill's HTML).

    A ``Figure`` made without pyplot has no picture of its own in IPython; a cell ending in
    ``fig`` shows this one as a PNG, drawn in the house style as :func:`save` draws it.
    """

    def _repr_png_(self) -> bytes:
        from io import BytesIO

        buffer = BytesIO()
        with house_style():
            self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is None:
        fig = _ChartFigure(figsize=figsize, layout="constrained")
        return fig.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax should be a matplotlib Axes or None, got {type(ax).__name__}")
    return ax


def _village_labels(ids: pd.Index, names: object) -> np.ndarray:
    """Display names for village ids: ``names`` (frame with village_name, Series, mapping)."""
    if names is None:
        mapping = None
    elif isinstance(names, pd.DataFrame):  # the register, a coverage frame, ...
        _check_frame(names, "names", ("village_name",))
        keyed = names.set_index("village_id") if "village_id" in names.columns else names
        mapping = keyed["village_name"]
    elif isinstance(names, pd.Series):
        mapping = names
    elif isinstance(names, Mapping):
        mapping = pd.Series(dict(names), dtype="str")
    else:
        raise TypeError(
            "names should be a DataFrame with a village_name column, a Series or a mapping "
            f"from village_id to name, got {type(names).__name__}"
        )
    ids_s = pd.Series(pd.Index(ids).astype("str"), index=ids)
    if mapping is None:
        return ids_s.to_numpy(dtype=object)
    mapping = mapping[~mapping.index.duplicated()]
    shown = pd.Series(pd.Index(ids).map(mapping), index=ids).astype("str")
    return shown.fillna(ids_s).to_numpy(dtype=object)


# --------------------------------------------------------------------------------------------
# Text helpers: widths, wrapping, captions
# --------------------------------------------------------------------------------------------

def source_caption(
    source: str,
    *,
    start: object = None,
    end: object = None,
    lang: str = "zh",
) -> str:
    """Caption text naming the data source and the period, in the house format.

    Parameters
    ----------
    source : str
        The data source, e.g. ``"水寨镇司法所普法台账"``.
    start, end : date-like, optional
        The reporting period; left out when either is missing.
    lang : {"zh", "en"}
        Language of the fixed words (the source is shown as written).

    Examples
    --------
    >>> source_caption("水寨镇司法所普法台账", start="2020-01-01", end="2025-12-31")
    '数据来源：水寨镇司法所普法台账；统计期间：2020-01-01至2025-12-31'
    >>> source_caption("event ledger", start="2020-01-01", end="2025-12-31", lang="en")
    'Source: event ledger. Period: 2020-01-01 to 2025-12-31'
    """
    _check_lang(lang)
    if not isinstance(source, str):
        raise TypeError(f"source should be text, got {type(source).__name__}")
    parts = [_t("数据来源：{source}", lang).format(source=source)]
    if start is not None and end is not None and not (pd.isna(start) or pd.isna(end)):
        parts.append(
            _t("统计期间：{start}至{end}", lang).format(start=_fmt_date(start), end=_fmt_date(end))
        )
    return ("；" if lang == "zh" else ". ").join(parts)


def _default_source(kind: str, lang: str) -> str:
    return source_caption(_t(kind, lang), lang=lang)


def _finish(
    ax: Axes,
    *,
    title: str,
    caption: Sequence[str],
    synthetic: bool,
    lang: str,
    extra_axes: Sequence[Axes] = (),
) -> Figure:
    """Title, synthetic mark and caption; return the root figure.

    The title goes on the axes (left); the synthetic mark is the (sub)figure's suptitle, on its
    own line at the top right, so it can never overlap the title; the caption lines go under the
    (sub)figure as its ``supxlabel``, which constrained layout makes room for.
    """
    layout_fig: FigureBase = ax.get_figure(root=False)
    root: Figure = ax.get_figure(root=True)
    width_in = layout_fig.bbox.width / root.dpi
    ax.set_title(_wrap(title, max((width_in - 1.6) * 72 / TITLE_SIZE, 10)), loc="left", color=INK)
    if synthetic:
        layout_fig.suptitle(
            _t("示例数据（合成）", lang), x=0.99, ha="right", color=VERMILLION, fontsize=10.5
        )
    lines = [_wrap(line, width_in * 72 / CAPTION_SIZE * 0.95) for line in caption if line]
    if lines:
        text = "\n".join(lines)
        existing = layout_fig.get_supxlabel()
        if existing and text not in existing:
            text = f"{existing}\n{text}"
        elif existing:
            text = existing
        layout_fig.supxlabel(
            text, x=0.01, ha="left", fontsize=CAPTION_SIZE, color="#444444", linespacing=1.45
        )
    # Tick labels are created lazily; make them now, inside the house style, so a figure drawn
    # or saved later still uses the CJK font (later ticks copy the first tick's properties).
    for a in (ax, *extra_axes):
        a.xaxis.get_major_ticks()
        a.yaxis.get_major_ticks()
    return root


def _floats(values: pd.Series | pd.Index) -> np.ndarray:
    """float64 numpy array (missing values of nullable dtypes become NaN)."""
    return np.asarray(values.astype("float64"))


def _message(ax: Axes, text: str) -> None:
    ax.text(
        0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=12, color=GREY
    )
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


#: The attribute of a Figure holding what it could not show (see :func:`not_assessed_text`).
_NOT_ASSESSED_ATTR = "pufa_not_assessed"


def _record_not_assessed(ax: Axes, reasons: Sequence[tuple[str, str]], lang: str) -> str:
    """Remember on the root figure why part of it is missing; return that text in ``lang``."""
    text = join_reasons(reasons, lang=lang)
    root = ax.get_figure(root=True)
    known = getattr(root, _NOT_ASSESSED_ATTR, ())
    if text and text not in known:
        setattr(root, _NOT_ASSESSED_ATTR, (*known, text))
    return text


def _not_assessed_message(ax: Axes, reasons: Sequence[tuple[str, str]], lang: str) -> None:
    """Show why the chart is not drawn, in its place (and record it on the figure)."""
    text = _record_not_assessed(ax, reasons, lang)
    layout_fig: FigureBase = ax.get_figure(root=False)
    root: Figure = ax.get_figure(root=True)
    width_in = layout_fig.bbox.width / root.dpi
    lines = "\n".join(_wrap(r[0 if lang == "zh" else 1], width_in * 72 / 12 * 0.85)
                      for r in reasons)
    _message(ax, lines or text)


def not_assessed_text(fig: Figure) -> str:
    """Why a chart (or part of it) is not drawn: the reasons it shows, or ``""``.

    A chart function given a missing optional table (None, or a result with no rows whose
    ``attrs["not_assessed"]`` gives the reason, see :mod:`pufa_metrics.assessed`) returns a
    Figure that shows the reason where the chart would be; one drawn from a result missing only
    part of its inputs names them in the caption. This returns those sentences, one a line, in
    the chart's language; :func:`save` writes them into the files' metadata (PNG and SVG
    ``Description``, PDF ``Subject``).

    Examples
    --------
    >>> fig = coverage_map(pd.DataFrame({"village_name": ["河尾村"], "events_per_1000": [1.0]},
    ...                                 index=pd.Index(["V1"], name="village_id")), None)
    >>> not_assessed_text(fig)
    '未提供村界，未做空间冷点分析、未绘制地图'
    """
    if not isinstance(fig, FigureBase):
        raise TypeError(f"fig should be a matplotlib Figure, got {type(fig).__name__}")
    return "\n".join(getattr(fig.get_figure(root=True), _NOT_ASSESSED_ATTR, ()))


def _target_label(ax: Axes, target: float, text: str) -> Axes:
    """Draw a labelled target line; the label sits on a top axis so nothing overlaps it."""
    ax.axvline(target, color=INK, linestyle="--", linewidth=1.2, zorder=4)
    top = ax.secondary_xaxis("top")
    top.set_xticks([target], labels=[text])
    top.tick_params(length=3, colors=INK, labelsize=9.5)
    top.spines["top"].set_visible(False)
    return top


def rows_height(n_rows: int, *, per_row: float = 0.27, base: float = 1.9) -> float:
    """Figure height in inches for a chart with one row per village (capped for A4).

    Examples
    --------
    >>> rows_height(10), rows_height(0), rows_height(100)  # 1.9 + 0.27 × 10; floor; A4 cap
    (4.6, 2.6, 10.5)
    """
    return float(min(max(base + per_row * n_rows, 2.6), 10.5))


_rows_height = rows_height


#: Metric → its Chinese label (the one vocabulary: :data:`pufa_metrics.schema.METRIC_LABELS`).
_METRICS: dict[str, str] = {metric: zh for metric, (zh, _) in METRIC_LABELS.items()}
#: Metrics where a higher value is worse: colours are reversed so that "bad" looks the same.
_HIGHER_IS_WORSE = {"days_since_last", "longest_gap_days"}
#: Metric → key of ``Settings.targets`` giving its default target.
_TARGET_KEYS = {"attendance_per_100": "attendance_per_100"}
_ATTENDANCE = {"attendance", "attendance_per_100"}


def _metric_label(column: str, lang: str) -> str:
    return _t(_METRICS[column], lang) if column in _METRICS else column


# --------------------------------------------------------------------------------------------
# coverage_bar
# --------------------------------------------------------------------------------------------


def coverage_bar(
    coverage: pd.DataFrame,
    *,
    column: str = "attendance_per_100",
    target: float | None = None,
    settings: Settings | None = None,
    ax: Axes | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Villages ranked by a coverage metric, with the target line.

    Parameters
    ----------
    coverage : pandas.DataFrame
        ``village_coverage`` output: index ``village_id``, with ``village_name`` and ``column``.
    column : str
        The metric to rank by (default ``attendance_per_100``, 人次 per 100 residents).
    target : float, optional
        Target value, drawn as a labelled dashed line; bars below it are vermillion. Defaults to
        ``settings.targets["attendance_per_100"]`` for that metric, else no line.
    settings : Settings, optional
        Targets; defaults to ``pufa.toml``.
    ax : matplotlib Axes, optional
        Draw into this axes; a new figure is made otherwise.
    lang : {"zh", "en"}
        Language of the chart text (village names stay as written).
    title, caption : str, optional
        Replace the default title; the caption (data source and period) goes under the chart.
    synthetic : bool
        Mark the chart "示例数据（合成）" / "Sample data (synthetic)".

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> cov = pd.DataFrame({"village_name": ["河尾村", "罗湖村", "协和村"],
    ...                     "attendance_per_100": [12.0, 4.0, 0.0]},
    ...                    index=pd.Index(["V1", "V2", "V3"], name="village_id"))
    >>> fig = coverage_bar(cov, target=10)
    >>> ax = fig.axes[0]
    >>> [float(p.get_width()) for p in ax.patches]  # bottom to top: smallest first
    [0.0, 4.0, 12.0]
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['协和村', '罗湖村', '河尾村']
    """
    _check_lang(lang)
    _check_frame(coverage, "coverage", ("village_name", column))
    _check_numeric(coverage, "coverage", column)
    _check_unique_index(coverage, "coverage")
    if target is None and column in _TARGET_KEYS:
        target = _settings(settings).targets[_TARGET_KEYS[column]]
    target = _check_number(target, "target")

    values = coverage[column].astype("float64")
    unrecorded = pd.Series(False, index=coverage.index)
    if column in _ATTENDANCE and {"attendance_unknown", "n_events"} <= set(coverage.columns):
        # every event of the village without an attendee figure: unknown (未记录), not 0
        n_ev = pd.to_numeric(coverage["n_events"], errors="coerce").fillna(0)
        unknown = pd.to_numeric(coverage["attendance_unknown"], errors="coerce").fillna(0)
        unrecorded = (n_ev > 0) & (unknown >= n_ev)
        values = values.mask(unrecorded)
    order = values.sort_values(ascending=True, na_position="first").index
    values = values.loc[order]
    unrecorded = unrecorded.loc[order].to_numpy(dtype=bool)
    names = _village_labels(order, coverage.loc[order, ["village_name"]])
    n = len(values)
    metric = _metric_label(column, lang)

    with house_style():
        ax = _axes(ax, (FIG_WIDTH, _rows_height(n)))
        if n == 0:
            _message(ax, _t("无数据", lang))
            return _finish(ax, title=title or metric, caption=[caption or ""], synthetic=synthetic,
                           lang=lang)
        y = np.arange(n)
        v = values.to_numpy()
        below = (v < target) if target is not None else np.zeros(n, dtype=bool)
        bars = ax.barh(y, np.nan_to_num(v), height=0.68, color=np.where(below, VERMILLION, BLUE))
        value_text = np.where(unrecorded, _t("未记录", lang),
                              np.where(np.isnan(v), _t("无数据", lang), _fmt_number(v)))
        ax.bar_label(bars, labels=list(value_text), padding=3, fontsize=8.5, color=INK)
        ax.set_yticks(y, labels=list(names))
        ax.set_ylim(-0.6, n - 0.4)
        top = np.nanmax(np.append(v, [target if target is not None else 0.0, 0.0]))
        ax.set_xlim(0, top * 1.15 if top > 0 else 1.0)
        ax.set_xlabel(metric)
        ax.xaxis.grid(True)
        ax.set_axisbelow(True)
        extra = []
        if target is not None:
            extra.append(
                _target_label(ax, target, _t("目标 {value}", lang).format(value=_fmt_one(target)))
            )
            handles = [Patch(color=BLUE, label=_t("达到目标", lang)),
                       Patch(color=VERMILLION, label=_t("低于目标", lang))]
            ax.legend(handles=handles, loc="lower right")
        lines = [caption or _default_source("普法活动台账", lang)]
        if column in _ATTENDANCE:
            lines.append(_t("注：参与人次为各场活动人次之和，反映普法强度，不等于覆盖人数。", lang))
        if unrecorded.any():
            lines.append(_t("“未记录”：该村活动均未填写参与人次，不按0计，也不判为低于目标。",
                            lang))
        default_title = _t("各村（社区）{metric}", lang).format(metric=metric)
        return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                       lang=lang, extra_axes=extra)


# --------------------------------------------------------------------------------------------
# coverage_map
# --------------------------------------------------------------------------------------------


def _classify(y: np.ndarray, scheme: str, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Class of each value and the classes' upper bounds, from mapclassify.

    Never raises on constant or few distinct values: fewer classes are used, down to one.
    """
    import warnings

    import mapclassify

    n_unique = len(np.unique(y))
    if n_unique < 2:
        return np.zeros(len(y), dtype=int), np.array([y.max()]) if len(y) else np.array([])
    with warnings.catch_warnings():
        # mapclassify warns and lowers k when values repeat; the legend shows the classes kept.
        warnings.simplefilter("ignore")
        classifier = mapclassify.classify(y, scheme, k=min(k, n_unique))
    return np.asarray(classifier.yb, dtype=int), np.asarray(classifier.bins, dtype=float)


#: mapclassify scheme → (zh, en) name for the caption.
_SCHEME_NAMES: dict[str, tuple[str, str]] = {
    "boxplot": ("箱线图分级", "box plot"),
    "equalinterval": ("等间距", "equal interval"),
    "fisherjenks": ("Fisher-Jenks 自然断点", "Fisher-Jenks"),
    "fisherjenkssampled": ("Fisher-Jenks 自然断点（抽样）", "Fisher-Jenks (sampled)"),
    "headtailbreaks": ("头尾断点", "head/tail breaks"),
    "jenkscaspall": ("Jenks-Caspall 断点", "Jenks-Caspall"),
    "jenkscaspallforced": ("Jenks-Caspall 断点（强制）", "Jenks-Caspall (forced)"),
    "jenkscaspallsampled": ("Jenks-Caspall 断点（抽样）", "Jenks-Caspall (sampled)"),
    "maximumbreaks": ("最大间隔断点", "maximum breaks"),
    "naturalbreaks": ("自然断点", "natural breaks"),
    "percentiles": ("百分位数", "percentiles"),
    "prettybreaks": ("整齐间隔", "pretty breaks"),
    "quantiles": ("分位数（各类村数相近）", "quantiles (equal counts)"),
    "stdmean": ("均值±标准差", "mean ± standard deviation"),
}


def _outlined(blind_spots: object, min_score: float | None, lang: str) -> tuple[pd.Index, str]:
    """Villages to outline on a map, and the legend text that states the rule.

    A follow-up list with ``score`` gives its urgent tier (score ≥ ``min_score``, by default
    :data:`~pufa_metrics.rules.URGENT_SCORE`); without scores, every village with a reason.
    """
    if isinstance(blind_spots, pd.DataFrame) and "score" in blind_spots.columns:
        cut = URGENT_SCORE if min_score is None else float(min_score)
        score = pd.to_numeric(blind_spots["score"], errors="coerce")
        text = _t("得分≥{score}的重点关注村", lang).format(score=_fmt_one(cut, 1))
        return blind_spots.index[(score >= cut).to_numpy()], text
    if isinstance(blind_spots, pd.DataFrame) and "reasons" in blind_spots.columns:
        has = blind_spots["reasons"].map(lambda r: len(r) > 0 if isinstance(r, tuple) else False)
        return blind_spots.index[has.to_numpy(dtype=bool)], _t("跟进名单上的村（盲区）", lang)
    return _ids_of(blind_spots), _t("重点关注村（盲区）", lang)


def _ids_of(blind_spots: object) -> pd.Index:
    if blind_spots is None:
        return pd.Index([], dtype="str")
    if isinstance(blind_spots, pd.DataFrame):
        return blind_spots.index
    if isinstance(blind_spots, (str, bytes)) or not isinstance(blind_spots, Iterable):
        raise TypeError(
            "blind_spots should be the follow-up list (a DataFrame indexed by village_id) or a "
            f"list of village ids, got {type(blind_spots).__name__}"
        )
    return pd.Index(list(blind_spots))


def map_height(geo: Any) -> float:
    """Figure height (inches) fitting the map's shape next to a legend on a FIG_WIDTH page.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> map_height(gpd.GeoSeries([box(0, 0, 2, 1)]))  # (7.0 - 2.4) × 1/2 = 2.3 → 2.5, + 1.7
    4.2
    >>> map_height(gpd.GeoSeries([]))
    3.0
    """
    if len(geo) == 0:
        return 3.0
    x0, y0, x1, y1 = geo.total_bounds
    dx, dy = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
    if geo.crs is not None and geo.crs.is_geographic:
        dx *= np.cos(np.deg2rad((y0 + y1) / 2))
    return float(np.clip((FIG_WIDTH - 2.4) * dy / dx, 2.5, 8.0) + 1.7)


_map_height = map_height


_SCHEMES = {
    "boxplot", "equalinterval", "fisherjenks", "fisherjenkssampled", "headtailbreaks",
    "jenkscaspall", "jenkscaspallforced", "jenkscaspallsampled", "maximumbreaks",
    "naturalbreaks", "percentiles", "prettybreaks", "quantiles", "stdmean",
}


def coverage_map(
    coverage: pd.DataFrame,
    geometry: Any,
    *,
    column: str = "events_per_1000",
    scheme: str = "quantiles",
    k: int = 5,
    blind_spots: object = None,
    min_score: float | None = None,
    labels: bool = True,
    ax: Axes | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Choropleth of a coverage metric on the village polygons.

    Classes come from mapclassify (``scheme``, ``k``); when all values are equal or there are
    fewer distinct values than ``k``, fewer classes are used (down to one), never an error.
    Villages on the map without a value are hatched and have a legend entry; villages of
    ``coverage`` that have no polygon are named in the caption. The urgent tier of the
    follow-up list is outlined thick, under a legend that states the rule ("得分≥8的重点关注村",
    the cut of :data:`~pufa_metrics.rules.URGENT_SCORE`).

    Parameters
    ----------
    coverage : pandas.DataFrame
        ``village_coverage`` output: index ``village_id``, with ``village_name`` and ``column``.
    geometry : geopandas.GeoDataFrame or None
        Village polygons with ``village_id`` as index or column (EPSG:4326 expected). None (no
        村界 provided) is not an error: the figure says so in place of the map (see
        :func:`not_assessed_text`).
    column : str
        The metric to map (default ``events_per_1000``). For ``days_since_last`` and
        ``longest_gap_days`` (higher is worse) the colours are reversed.
    scheme : str
        A mapclassify scheme: ``quantiles``, ``natural_breaks``, ``fisher_jenks``,
        ``equal_interval``, ...
    k : int
        Number of classes wanted.
    blind_spots : DataFrame or list of ids, optional
        The follow-up list: villages with ``score ≥ min_score`` are outlined (every village
        with a reason when it has no ``score``); or village ids to outline (legend
        重点关注村（盲区）).
    min_score : float, optional
        The score cut of the outline; default ``rules.URGENT_SCORE`` (the urgent tier).
    labels : bool
        Write village names on the map.
    ax, lang, title, caption, synthetic
        As in :func:`coverage_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> geo = gpd.GeoDataFrame({"village_id": ["V1", "V2", "V3"]},
    ...                        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
    ...                        crs="EPSG:4326")
    >>> cov = pd.DataFrame({"village_name": ["河尾村", "罗湖村"], "events_per_1000": [1.0, 3.0]},
    ...                    index=pd.Index(["V1", "V2"], name="village_id"))
    >>> fig = coverage_map(cov, geo, k=2, blind_spots=["V1"])
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    ['1 – 2 (1)', '2 – 3 (1)', '无数据（台账无此村记录）', '重点关注村（盲区）']

    With the follow-up list, its urgent tier (score ≥ 8) is outlined and the legend says so:

    >>> fu = pd.DataFrame({"score": [9.0, 5.0]}, index=pd.Index(["V1", "V2"], name="village_id"))
    >>> fig = coverage_map(cov, geo, k=2, blind_spots=fu)
    >>> fig.axes[0].get_legend().get_texts()[-1].get_text()
    '得分≥8的重点关注村'

    Without boundaries the figure says why there is no map:

    >>> not_assessed_text(coverage_map(cov, None, lang="en"))
    'No village boundaries: no spatial cold-spot analysis, no map'
    """
    import geopandas as gpd

    _check_lang(lang)
    _check_frame(coverage, "coverage", ("village_name", column))
    _check_numeric(coverage, "coverage", column)
    _check_unique_index(coverage, "coverage")
    if geometry is not None and not isinstance(geometry, gpd.GeoDataFrame):
        raise TypeError(
            f"geometry should be a geopandas GeoDataFrame or None, got {type(geometry).__name__}"
        )
    if not isinstance(scheme, str) or scheme.lower().replace("_", "") not in _SCHEMES:
        raise ValueError(f"scheme should be one of {sorted(_SCHEMES)}, got {scheme!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k should be a positive integer, got {k!r}")
    metric = _metric_label(column, lang)
    if geometry is None:
        with house_style():
            ax = _axes(ax, (FIG_WIDTH, 3.0))
            _not_assessed_message(ax, [table_reason("geometry")], lang)
            return _finish(ax, title=title or _t("{metric}分布", lang).format(metric=metric),
                           caption=[caption or _default_source("普法活动台账", lang)],
                           synthetic=synthetic, lang=lang)
    if "village_id" in geometry.columns:
        geo = geometry.set_index("village_id")
    elif geometry.index.name == "village_id":
        geo = geometry
    else:
        raise ValueError(
            "geometry should have village_id as its index or a column; its columns are "
            f"{list(geometry.columns)} and its index is {geometry.index.name!r}"
        )
    geo = geo[~geo.index.duplicated()]
    has_shape = geo.geometry.notna() & ~geo.geometry.is_empty
    geo = geo[has_shape]
    outline_ids, outline_label = _outlined(blind_spots, min_score, lang)

    values = coverage[column].astype("float64").reindex(geo.index)
    known = values.notna().to_numpy()
    no_shape = coverage.index.difference(geo.index, sort=False)

    with house_style():
        ax = _axes(ax, (FIG_WIDTH, _map_height(geo)))
        lines = [caption or _default_source("普法活动台账", lang)]
        if len(no_shape):
            missing_names = "、".join(_village_labels(no_shape, coverage))
            lines.append(_t("无村界数据，未画出：{names}", lang).format(names=missing_names))
        default_title = _t("{metric}分布", lang).format(metric=metric)
        if len(geo) == 0:
            _message(ax, _t("无村界地理数据，未绘制地图", lang))
            return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                           lang=lang)

        y = values.to_numpy()[known]
        classes, bins = _classify(y, scheme, int(k)) if len(y) else (np.array([], int), [])
        n_cls = len(bins)
        cmap = mpl.colormaps[SEQUENTIAL]
        if column in _HIGHER_IS_WORSE:
            cmap = cmap.reversed()
        palette = cmap(np.linspace(0.12, 0.92, n_cls)) if n_cls > 1 else cmap([0.55])
        handles: list[Any] = []
        if len(y):
            geo[known].plot(ax=ax, color=palette[classes], edgecolor="white", linewidth=0.7)
            counts = np.bincount(classes, minlength=n_cls)
            lows = np.concatenate([[y.min()], bins[:-1]])
            for i in range(n_cls):  # one legend entry per class (a handful)
                if n_cls == 1:
                    text = _t("全部为 {value}", lang).format(value=_fmt_one(bins[0], 2))
                elif np.isclose(lows[i], bins[i]):
                    text = _fmt_one(bins[i], 2)
                else:
                    text = f"{_fmt_one(lows[i], 2)} – {_fmt_one(bins[i], 2)}"
                handles.append(Patch(facecolor=to_hex(palette[i]), label=f"{text} ({counts[i]})"))
        if (~known).any():
            geo[~known].plot(ax=ax, facecolor="white", edgecolor=GREY, hatch="////", linewidth=0.7)
            handles.append(Patch(facecolor="white", edgecolor=GREY, hatch="////",
                                 label=_t("无数据（台账无此村记录）", lang)))
        outlined = geo[geo.index.isin(outline_ids)]
        if len(outlined):
            outlined.boundary.plot(ax=ax, color=VERMILLION, linewidth=2.6, zorder=3)
            handles.append(Patch(facecolor="none", edgecolor=VERMILLION, linewidth=2.6,
                                 label=outline_label))
        if labels:
            points = geo.geometry.representative_point()
            shown = _village_labels(geo.index, coverage)
            from matplotlib import patheffects

            halo = [patheffects.withStroke(linewidth=2.2, foreground="white")]
            # matplotlib has no vectorised text: one label artist per village (drawing only).
            for x0, y0, name in zip(points.x.to_numpy(), points.y.to_numpy(), shown):
                ax.text(x0, y0, name, ha="center", va="center", fontsize=7, color=INK,
                        path_effects=halo, zorder=5)
        ax.set_axis_off()
        ax.legend(handles=handles, title=metric, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        key = scheme.lower().replace("_", "")
        scheme_name = _SCHEME_NAMES[key][0 if lang == "zh" else 1]
        if n_cls:
            lines.append(_t("分级方法：{scheme}，{k} 类", lang).format(scheme=scheme_name, k=n_cls))
        return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                       lang=lang)


# --------------------------------------------------------------------------------------------
# calendar_heatmap
# --------------------------------------------------------------------------------------------


def _wide_counts(counts: pd.DataFrame) -> pd.DataFrame:
    """Village × period matrix from either form of ``event_counts``; missing months are zero."""
    _check_frame(counts, "counts")
    if {"village_id", "period", "n_events"} <= set(counts.columns):
        wide = (
            counts.assign(period=pd.to_datetime(counts["period"]))
            .groupby(["village_id", "period"], sort=True)["n_events"]
            .sum()
            .unstack("period", fill_value=0)
        )
    else:
        wide = counts.copy()
        try:
            columns = wide.columns
            if isinstance(columns, pd.PeriodIndex):
                columns = columns.to_timestamp()
            wide.columns = pd.to_datetime(columns)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                "counts should be the village × period matrix (columns are period start dates) "
                "or the long form with columns [village_id, period, n_events]; got columns "
                f"{list(counts.columns)[:6]}"
            ) from exc
        wide = wide.sort_index(axis=1)
    columns = pd.DatetimeIndex(wide.columns)
    if len(columns) and (columns == columns.to_period("M").start_time).all():
        full = pd.date_range(columns.min(), columns.max(), freq="MS")
        wide = wide.reindex(columns=full, fill_value=0)
    return wide.fillna(0)


def _cell_grid(ax: Axes, n_rows: int, n_cols: int, *, linewidth: float) -> None:
    """White lines between the cells of an image (two line collections, no tick objects)."""
    ax.vlines(np.arange(0.5, n_cols - 1), -0.5, n_rows - 0.5, colors="white", linewidth=linewidth)
    ax.hlines(np.arange(0.5, n_rows - 1), -0.5, n_cols - 0.5, colors="white", linewidth=linewidth)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _campaign_mask(periods: pd.DatetimeIndex, calendar: pd.DataFrame | None) -> np.ndarray:
    """True for each period (a month starting at the timestamp) overlapping a campaign window."""
    if calendar is None or len(calendar) == 0 or len(periods) == 0:
        return np.zeros(len(periods), dtype=bool)
    _check_frame(calendar, "calendar", ("start", "end"))
    starts = pd.to_datetime(calendar["start"]).to_numpy()
    ends = pd.to_datetime(calendar["end"]).fillna(pd.to_datetime(calendar["start"])).to_numpy()
    p0 = periods.to_numpy()
    p1 = (periods + pd.offsets.MonthBegin(1)).to_numpy()
    overlap = (starts[None, :] < p1[:, None]) & (ends[None, :] >= p0[:, None])
    return overlap.any(axis=1)


def calendar_heatmap(
    counts: pd.DataFrame,
    *,
    calendar: pd.DataFrame | None = None,
    names: object = None,
    ax: Axes | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Village × month event counts, zero months visible, campaign months marked.

    Parameters
    ----------
    counts : pandas.DataFrame
        ``event_counts(..., wide=True)``: index ``village_id``, columns period-start timestamps;
        or the long form with columns ``[village_id, period, n_events]``. Monthly periods that
        are missing in between are shown as zero.
    calendar : pandas.DataFrame, optional
        ``campaign_calendar`` output with ``start`` and ``end``: months overlapping a campaign
        window get a ▼ above their column.
    names : DataFrame, Series or mapping, optional
        Village names for the rows (e.g. the coverage frame); ids are shown otherwise.
    ax, lang, title, caption, synthetic
        As in :func:`coverage_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> counts = pd.DataFrame({"village_id": ["V1", "V1", "V2"],
    ...                        "period": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-03-01"]),
    ...                        "n_events": [2, 1, 0]})
    >>> fig = calendar_heatmap(counts, names={"V1": "河尾村", "V2": "罗湖村"})
    >>> fig.axes[0].images[0].get_array().tolist()  # February is filled in as zero
    [[2.0, 0.0, 1.0], [0.0, 0.0, 0.0]]
    """
    _check_lang(lang)
    wide = _wide_counts(counts)
    periods = pd.DatetimeIndex(wide.columns)
    matrix = wide.astype("float64").to_numpy()
    n_rows, n_cols = matrix.shape
    marked = _campaign_mask(periods, calendar)

    with house_style():
        ax = _axes(ax, (FIG_WIDTH + 0.5, _rows_height(n_rows, per_row=0.24, base=2.3)))
        default_title = _t("各村（社区）每月普法活动场次", lang)
        lines = [caption]
        if caption is None:
            end = periods.max() + pd.offsets.MonthEnd(0) if n_cols else None
            lines = [source_caption(_t("普法活动台账", lang), start=periods.min() if n_cols
                                    else None, end=end, lang=lang)]
        if n_rows == 0 or n_cols == 0:
            _message(ax, _t("无数据", lang))
            return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                           lang=lang)
        top = int(np.nanmax(matrix)) if np.isfinite(matrix).any() else 0
        edges = [b for b in (1, 2, 3, 5, 9) if b <= max(top, 1)]
        bounds = np.array([0, *edges, max(top, edges[-1]) + 1], dtype=float)
        n_cls = len(bounds) - 1
        colors = [LIGHT_GREY, *mpl.colormaps[SEQUENTIAL](np.linspace(0.35, 0.95, n_cls - 1))]
        cmap = ListedColormap(colors)
        ax.imshow(matrix, cmap=cmap, norm=BoundaryNorm(bounds, n_cls), aspect="auto",
                  interpolation="nearest")
        _cell_grid(ax, n_rows, n_cols, linewidth=0.8)
        ax.set_yticks(np.arange(n_rows), labels=list(_village_labels(wide.index, names)))
        if n_cols > 24:
            ticks = np.flatnonzero(periods.month == 1)
            if len(ticks) == 0 or ticks[0] != 0:
                ticks = np.concatenate([[0], ticks])
            tick_labels = periods[ticks].strftime("%Y")
        else:
            ticks = np.arange(0, n_cols, 1 if n_cols <= 12 else 3)
            tick_labels = periods[ticks].strftime("%Y-%m")
        ax.set_xticks(ticks, labels=list(tick_labels))
        ax.tick_params(axis="x", length=3)
        if marked.any():
            ax.scatter(np.flatnonzero(marked), np.full(marked.sum(), -0.95), marker="v", s=16,
                       color=VERMILLION, clip_on=False, zorder=3)
        ax.set_ylim(n_rows - 0.5, -1.4 if marked.any() else -0.5)
        handles = []
        for i in range(n_cls):  # legend classes: a handful
            lo, hi = int(bounds[i]), int(bounds[i + 1]) - 1
            if i == 0:
                text = _t("0 场（空白月）", lang)
            else:
                text = _t("{n} 场", lang).format(
                    n=str(lo) if lo == hi else (f"{lo}–{hi}" if i < n_cls - 1 else f"≥{lo}")
                )
            handles.append(Patch(facecolor=to_hex(colors[i]), label=text))
        if marked.any():
            handles.append(Line2D([], [], linestyle="none", marker="v", color=VERMILLION,
                                  label=_t("含宣传节点的月份", lang)))
        ax.legend(handles=handles, title=_t("场次", lang), loc="upper left",
                  bbox_to_anchor=(1.01, 1.0))
        if matrix.sum() == 0:
            ax.text(0.5, 0.5, _t("无活动记录", lang), transform=ax.transAxes, ha="center",
                    va="center", fontsize=12, color=GREY)
        return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                       lang=lang)


# --------------------------------------------------------------------------------------------
# awareness_dotplot
# --------------------------------------------------------------------------------------------

_DOMAINS = {domain: zh for domain, (zh, _) in DOMAIN_LABELS.items()}  # schema's vocabulary
_SURVEY_KINDS = {
    "government": "政府组织的问卷调查",
    "政府组织的问卷调查": "政府组织的问卷调查",
    "independent": "独立学术调查",
    "独立学术调查": "独立学术调查",
}
# status → (zh legend text, colour, marker, filled); Okabe–Ito colours, each with its own
# marker so that the states stay apart in grey print and for colour-blind readers.
# The verdicts are survey.awareness_verdict's (VERDICTS), decided there once.
_STATUS_STYLE = {
    "reached": (VERDICTS["reached"][0], GREEN, "o", True),
    "reached_lqas": (VERDICTS["reached_lqas"][0], BLUE, "^", True),
    "uncertain": (VERDICTS["uncertain"][0], ORANGE, "s", True),
    "low": (VERDICTS["low"][0], VERMILLION, "D", True),
    "insufficient": (VERDICTS["insufficient"][0] + "（n<{n}）", GREY, "o", False),
    "not_assessed": (VERDICTS["not_assessed"][0], GREY, "X", True),
}


def survey_kind_text(kind: str | None, lang: str) -> str:
    """The caption line naming the kind of survey (docs/domain.md).

    Examples
    --------
    >>> survey_kind_text(None, "zh")
    '调查类型：未注明'
    """
    if kind is None:
        return _t("调查类型：未注明", lang)
    if not isinstance(kind, str):
        raise TypeError(f"survey_kind should be text or None, got {type(kind).__name__}")
    shown = _SURVEY_KINDS.get(kind, kind)
    if lang == "en" and shown in _EN:
        shown = _EN[shown]
    return _t("调查类型：{kind}", lang).format(kind=shown)


_survey_kind_text = survey_kind_text


def _select_rates(
    rates: pd.DataFrame, *, item: str | None, domain: str | None, value: str,
    settings: Settings, target: float | None,
) -> tuple[pd.DataFrame, str, int, str | None, float]:
    """Rates to plot, one row per village with its verdict; the domain, #items, item, target.

    The verdict is :func:`~pufa_metrics.survey.awareness_verdict` (``pool_items=True``): the
    chart draws it, it does not decide it. The frame has ``value`` (the mean of the items'
    ``value``), ``ci_low``, ``ci_high``, ``n``, ``verdict`` and ``lqas_d_min``/``lqas_d_max``;
    the item is None for a domain mean.
    """
    rows = rates[rates["village_id"].notna()]
    if item is None and domain is None:
        items = rows["item"].dropna().unique()
        if len(items) == 1:
            item = items[0]
        elif "domain" in rows.columns and (rows["domain"] == "awareness").any():
            domain = "awareness"
        else:
            raise ValueError(
                f"rates hold {len(items)} items; pass item= (one of {sorted(map(str, items))}) "
                "or domain= to plot their per-village mean"
            )
    if item is not None:
        chosen = rows[rows["item"] == item]
        if chosen.empty:
            raise ValueError(
                f"item={item!r} is not in rates; its items are "
                f"{sorted(map(str, rows['item'].dropna().unique()))}"
            )
        found = chosen["domain"].dropna() if "domain" in chosen.columns else pd.Series([])
        domain_key = str(found.iloc[0]) if len(found) else "awareness"
    else:
        if "domain" not in rows.columns:
            raise ValueError(f"domain={domain!r} given but rates have no 'domain' column")
        chosen = rows[rows["domain"] == domain]
        if chosen.empty:
            raise ValueError(
                f"domain={domain!r} is not in rates; its domains are "
                f"{sorted(map(str, rows['domain'].dropna().unique()))}"
            )
        domain_key = str(domain)
    if target is None:
        target = float(settings.targets.get(domain_key, settings.targets["awareness"]))
    verdict = awareness_verdict(chosen.drop(columns="domain", errors="ignore"),
                                settings=settings, target=target, pool_items=True)
    out = verdict.set_index("village_id")
    values = pd.to_numeric(chosen[value], errors="coerce").where(
        pd.to_numeric(chosen["n"], errors="coerce").fillna(0) > 0)
    out["value"] = values.groupby(chosen["village_id"], sort=False).mean().reindex(out.index)
    return out, domain_key, int(chosen["item"].nunique()), item, float(target)


def awareness_dotplot(
    rates: pd.DataFrame,
    *,
    item: str | None = None,
    domain: str | None = None,
    value: str = "rate",
    target: float | None = None,
    settings: Settings | None = None,
    names: object = None,
    survey_kind: str | None = None,
    ax: Axes | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Rate per village with confidence-interval bars, the target line and n.

    Each village is drawn with its verdict from :func:`~pufa_metrics.survey.awareness_verdict`
    (colour and marker shape), the rule the follow-up list applies: **低于目标** when the
    interval's upper limit is below the target or the LQAS decision rule fails (``lqas``
    column); **达标** when the interval's lower limit reaches the target; **LQAS判定达标**
    (reaches the target by LQAS, its own state) when the interval straddles the target but the
    LQAS rule passes (``lqas`` is ``reaches``: the village has the plan's answers, 19 by default,
    and at least ``d`` positives); **无法判定** otherwise. LQAS is how a village of about 20
    answers can be judged at all: at n = 25 a 95% rate has a Wilson lower limit near 0.75,
    below a 90% target. For a domain mean the items' verdicts are combined: below when any item
    is below, met when every item is met (by its interval or LQAS). Villages with
    ``n < min_respondents`` are greyed as 样本不足, items whose answers the codebook does not
    class as 未评估. Villages with
    ``n < suppress_below`` (privacy) show no rate at all, only "n<5", and are listed last so that
    their position does not reveal the rate either.

    Without survey data (``rates`` None, or with no rows and reasons in
    ``rates.attrs["not_assessed"]``) the figure says why in place of the dots (see
    :func:`not_assessed_text`).

    Parameters
    ----------
    rates : pandas.DataFrame or None
        ``awareness_rates`` output (long): ``village_id, item, n, rate, ci_low, ci_high`` and
        optionally ``domain``, ``rate_shrunk``, ``lqas`` and ``lqas_d`` (from
        :func:`~pufa_metrics.survey.lqas_classify`; :func:`~pufa_metrics.village_rates` adds
        them).
    item : str, optional
        The item to show. Without it, the per-village mean of ``domain``'s items is shown
        (bars then average the items' interval limits: conservative, never narrower than the
        mean's own interval). With neither, a single item is used if there is only one, else
        the ``awareness`` domain.
    domain : str, optional
        See ``item``.
    value : str
        Column plotted as the point: ``rate`` (default) or ``rate_shrunk``.
    target : float, optional
        Defaults to ``settings.targets[domain]`` (0.90 for awareness).
    settings : Settings, optional
        Targets, ``min_respondents`` and ``privacy.suppress_below``; defaults to ``pufa.toml``.
    names : DataFrame, Series or mapping, optional
        Village names (e.g. the coverage frame); ids are shown otherwise.
    survey_kind : str, optional
        Which kind of survey the rates come from, written in the caption, e.g. "government"
        (政府组织的问卷调查), "independent" (独立学术调查) or your own words. Without it the
        caption says the type was not stated, unless ``caption`` is given.
    ax, lang, title, caption, synthetic
        As in :func:`coverage_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> rates = pd.DataFrame({"village_id": ["V1", "V2", "V3"], "item": "q1",
    ...                       "domain": "awareness", "n": [40, 30, 3],
    ...                       "rate": [0.95, 0.60, 1.0], "ci_low": [0.83, 0.42, 0.44],
    ...                       "ci_high": [0.99, 0.75, 1.0]})
    >>> fig = awareness_dotplot(rates, survey_kind="government")
    >>> ax = fig.axes[0]
    >>> {c.get_label(): c.get_offsets()[:, 0].tolist()   # V3 (n=3 < 5) is not plotted
    ...  for c in ax.collections if not c.get_label().startswith("_")}
    {'无法判定': [0.95], '低于目标': [0.6]}

    With LQAS verdicts, V1 (lower limit 0.83 < 0.9) is judged by LQAS instead:

    >>> fig = awareness_dotplot(rates.assign(lqas=["reaches", "below", "too_few"]))
    >>> {c.get_label(): c.get_offsets()[:, 0].tolist()
    ...  for c in fig.axes[0].collections if not c.get_label().startswith("_")}
    {'LQAS判定达标': [0.95], '低于目标': [0.6]}
    >>> not_assessed_text(awareness_dotplot(None, lang="en"))
    'No survey data: awareness, support and satisfaction not assessed'
    """
    _check_lang(lang)
    reasons = reasons_of(rates)
    if rates is None:
        reasons = (table_reason("responses"),)
        rates = pd.DataFrame({c: pd.Series(dtype="float64") for c in (
            "village_id", "item", "n", "ci_low", "ci_high", value)})
    _check_frame(rates, "rates", ("village_id", "item", "n", "ci_low", "ci_high", value))
    settings = _settings(settings)
    target = _check_number(target, "target")
    kind_line = _survey_kind_text(survey_kind, lang) if caption is None or survey_kind else ""

    with house_style():
        reportable = rates[rates["village_id"].notna()]
        if reportable.empty or reportable[value].notna().sum() == 0:
            ax = _axes(ax, (FIG_WIDTH, 3.0))
            if reasons:
                _not_assessed_message(ax, reasons, lang)
            else:
                _message(ax, _t("无问卷数据", lang))
            default = _t("各村（社区）{what}", lang).format(what=_t("知晓率", lang))
            return _finish(ax, title=title or default, caption=[caption or ""],
                           synthetic=synthetic, lang=lang)
        sel, domain_key, n_items, item, target = _select_rates(
            reportable, item=item, domain=domain, value=value, settings=settings, target=target)
        min_resp = int(settings.targets["min_respondents"])
        suppress_below = settings.suppress_below

        n = _floats(sel["n"])
        v = _floats(sel["value"])
        lo = _floats(sel["ci_low"])
        hi = _floats(sel["ci_high"])
        suppressed = ~(n >= suppress_below)  # privacy: unknown n is suppressed too
        verdict = sel["verdict"].to_numpy(dtype=object)
        drawn = np.isin(verdict, ["low", "reached", "reached_lqas", "uncertain"])
        status = np.where(suppressed | (drawn & ~np.isfinite(v)), "suppressed",
                          verdict).astype(str)
        labels = _village_labels(sel.index, names)
        table = pd.DataFrame(
            {"status": status, "value": np.where(suppressed, np.nan, v), "lo": lo, "hi": hi,
             "n": n, "name": labels, "hidden": status == "suppressed"},
            index=sel.index,
        ).sort_values(["hidden", "value", "name"], ascending=[True, False, True],
                      na_position="last")
        n_rows = len(table)
        y = np.arange(n_rows)[::-1].astype(float)
        ax = _axes(ax, (FIG_WIDTH, _rows_height(n_rows)))

        for key, (text, color, marker, filled) in _STATUS_STYLE.items():  # 6 verdicts
            m = (table["status"] == key).to_numpy()
            if not m.any():
                continue
            ax.hlines(y[m], table["lo"].to_numpy()[m], table["hi"].to_numpy()[m], color=color,
                      linewidth=2.0, alpha=0.85, zorder=2)
            ax.scatter(table["value"].to_numpy()[m], y[m], marker=marker, s=38, zorder=3,
                       facecolors=color if filled else "white", edgecolors=color,
                       linewidths=1.4, label=_t(text, lang).format(n=min_resp))
        hidden = table["hidden"].to_numpy()
        if hidden.any():
            ax.axhspan(y[hidden].min() - 0.5, y[hidden].max() + 0.5, color=LIGHT_GREY, zorder=0)
            ax.text(0.02, float(y[hidden].mean()),
                    _t("样本少于{n}人，不公布", lang).format(n=suppress_below),
                    transform=ax.get_yaxis_transform(), va="center", fontsize=8.5, color=GREY)
        ax.set_yticks(y, labels=list(table["name"]))
        ax.set_ylim(-0.6, n_rows - 0.4)
        ax.set_xlim(-0.02, 1.02)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.xaxis.grid(True)
        ax.set_axisbelow(True)
        what = _t(_DOMAINS.get(domain_key, "知晓率"), lang)
        ax.set_xlabel(what)
        n_text = np.where(
            table["hidden"].to_numpy(),
            f"n<{suppress_below}",
            np.char.add("n=", _fmt_number(table["n"].to_numpy()).astype(str)),
        )
        right = ax.secondary_yaxis("right")
        right.set_yticks(y, labels=list(n_text))
        right.tick_params(length=0, labelsize=8.5, colors="#444444")
        right.spines["right"].set_visible(False)
        top = _target_label(ax, target, _t("目标 {value}", lang).format(value=_pct(target)))
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", bbox_to_anchor=(1.09, 1.0))
        lines = [caption or _default_source("问卷调查", lang), kind_line]
        if reasons:
            lines.append(_record_not_assessed(ax, reasons, lang))
        if item is not None:
            lines.append(_t("题目：{item}", lang).format(item=item))
        if item is None and n_items > 1:
            lines.append(_t("误差线为各题置信区间界限的平均（偏保守）；点为{n_items}题的平均率。",
                            lang).format(n_items=n_items))
        lines.append(_t("误差线为95%置信区间；“低于目标”指（任一题）置信区间上限低于目标或LQAS"
                        "未达标，与跟进名单同一规则。", lang))
        if (status == "reached_lqas").any():
            d_of = sel.loc[status == "reached_lqas"]
            d_lo, d_hi = d_of["lqas_d_min"].min(), d_of["lqas_d_max"].max()
            d_range = (
                "" if not np.isfinite(d_lo)
                else _t("（本图d={low}）", lang).format(low=int(d_lo)) if d_lo == d_hi
                else _t("（本图d={low}–{high}）", lang).format(low=int(d_lo), high=int(d_hi))
            )
            lines.append(_t(
                "“达标”：置信区间下限不低于目标。“LQAS判定达标”：置信区间下限低于目标，"
                "但答卷数达到LQAS抽样方案（默认每村19份）且肯定回答数不少于决策值d{d_range}。",
                lang).format(d_range=d_range))
            if item is None and n_items > 1:
                lines.append(_t("多题平均时，各题均达标（或LQAS判定达标）才算达标，任一题低于目标"
                                "即为低于目标。", lang))
        if value == "rate_shrunk":
            lines.append(_t("点为经验贝叶斯收缩后的率。", lang))
        default = _t("各村（社区）{what}", lang).format(what=what)
        return _finish(ax, title=title or default, caption=lines, synthetic=synthetic, lang=lang,
                       extra_axes=[right, top])


# --------------------------------------------------------------------------------------------
# topic_matrix
# --------------------------------------------------------------------------------------------


def _covered_matrix(
    matrix: pd.DataFrame, topics: Sequence[str] | None, settings: Settings | None
) -> pd.DataFrame:
    """Village × topic frame from a count matrix or a coverage frame: 1 covered, 0 not.

    NaN where it was not assessed: a coverage row whose ``missing_topics`` is None (its ledgers
    do not record topics, :func:`pufa_metrics.coverage.unrecorded_events`).
    """
    if "missing_topics" in matrix.columns:
        wanted = list(topics) if topics is not None else list(_settings(settings).required_topics)
        missing = matrix["missing_topics"].explode().dropna()
        covered = pd.DataFrame(
            {t: (~matrix.index.isin(missing.index[missing == t])).astype("float64")
             for t in wanted},  # few topics
            index=matrix.index,
        )
        return covered.mask(matrix["missing_topics"].isna(), np.nan)
    if topics is None:
        required = list(_settings(settings).required_topics)
        wanted = required if matrix.columns.isin(required).any() else list(matrix.columns)
    else:
        wanted = list(topics)
    numeric = matrix.reindex(columns=wanted, fill_value=0)
    bad = [c for c in wanted if not pd.api.types.is_numeric_dtype(numeric[c].dtype)]
    if bad:
        raise TypeError(f"matrix columns {bad} should hold event counts or booleans")
    return (numeric.fillna(0).astype("float64") > 0).astype("float64")


def topic_matrix(
    matrix: pd.DataFrame,
    *,
    topics: Sequence[str] | None = None,
    settings: Settings | None = None,
    names: object = None,
    ax: Axes | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Village × required topic: covered (●) or not (×), villages with the most gaps on top.

    Parameters
    ----------
    matrix : pandas.DataFrame
        ``coverage.topic_matrix`` output (index ``village_id``, one column of event counts per
        topic), or a ``village_coverage`` frame, whose ``missing_topics`` is used.
    topics : sequence of str, optional
        Topics to show, in this order; a topic absent from ``matrix`` counts as not covered.
        Defaults to ``settings.required_topics`` (all columns of a count matrix holding none of
        them).
    settings : Settings, optional
        Defaults to ``pufa.toml``.
    names : DataFrame, Series or mapping, optional
        Village names; taken from ``matrix`` when it has ``village_name``.
    ax, lang, title, caption, synthetic
        As in :func:`coverage_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> m = pd.DataFrame({"宪法": [2, 0], "禁毒": [1, 1]},
    ...                  index=pd.Index(["V1", "V2"], name="village_id"))
    >>> fig = topic_matrix(m, topics=["宪法", "禁毒"], names={"V1": "河尾村", "V2": "罗湖村"})
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()]  # fewest topics covered first
    ['罗湖村', '河尾村']
    >>> ax.images[0].get_array().tolist()
    [[0, 1], [1, 1]]

    A village whose ledgers record no topic (``missing_topics`` None) is grey, not covered:

    >>> cov = pd.DataFrame({"village_name": ["河尾村", "罗湖村"],
    ...                     "missing_topics": [("宪法",), None]},
    ...                    index=pd.Index(["V1", "V2"], name="village_id"))
    >>> fig = topic_matrix(cov, topics=["宪法", "禁毒"])
    >>> fig.axes[0].images[0].get_array().tolist()
    [[-1, -1], [0, 1]]
    """
    _check_lang(lang)
    _check_frame(matrix, "matrix")
    if topics is not None and (isinstance(topics, str) or not isinstance(topics, Sequence)):
        raise TypeError(f"topics should be a list of topic names, got {topics!r}")
    covered = _covered_matrix(matrix, topics, settings)
    if names is None and "village_name" in matrix.columns:
        names = matrix
    n_covered = covered.sum(axis=1)
    labels = pd.Series(_village_labels(covered.index, names), index=covered.index)
    order = (
        pd.DataFrame({"k": n_covered, "name": labels})
        .sort_values(["k", "name"], kind="stable")
        .index
    )
    covered = covered.loc[order]
    grid = covered.fillna(-1).to_numpy(dtype=int)  # -1: not assessed (topics not recorded)
    n_rows, n_cols = grid.shape

    with house_style():
        ax = _axes(ax, (max(4.8, 3.4 + 0.9 * n_cols), _rows_height(n_rows, base=2.4)))
        default_title = _t("各村（社区）重点法律主题覆盖情况", lang)
        lines = [caption or _default_source("普法活动台账", lang)]
        if n_rows == 0 or n_cols == 0:
            _message(ax, _t("无数据", lang))
            return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                           lang=lang)
        ax.imshow(grid, cmap=ListedColormap(["#E5E5E5", "#FBE3D6", "#D6EAF8"]), vmin=-1,
                  vmax=1, aspect="auto", interpolation="nearest")
        yy, xx = np.nonzero(grid == 0)
        ax.scatter(xx, yy, marker="x", s=42, linewidths=1.8, color=VERMILLION, zorder=3)
        yy, xx = np.nonzero(grid == 1)
        ax.scatter(xx, yy, marker="o", s=34, color=BLUE, zorder=3)
        _cell_grid(ax, n_rows, n_cols, linewidth=1.5)
        ax.tick_params(which="both", length=0)
        ax.xaxis.tick_top()
        ax.set_xticks(np.arange(n_cols),
                      labels=[_wrap(label(t, lang=lang), 7 if lang == "zh" else 12)
                              for t in covered.columns])
        ax.set_yticks(np.arange(n_rows), labels=list(labels.loc[order]))
        right = ax.secondary_yaxis("right")
        right.set_yticks(np.arange(n_rows),
                         labels=list(np.char.add(_fmt_number(n_covered.loc[order].to_numpy())
                                                 .astype(str), f"/{n_cols}")))
        right.tick_params(length=0, labelsize=8.5, colors="#444444")
        right.spines["right"].set_visible(False)
        handles = [
            Line2D([], [], linestyle="none", marker="o", color=BLUE, label=_t("已覆盖", lang)),
            Line2D([], [], linestyle="none", marker="x", color=VERMILLION, markeredgewidth=1.8,
                   label=_t("未覆盖", lang)),
        ]
        if (grid == -1).any():  # grey cells: the village's ledgers record no topic
            handles.append(Line2D([], [], linestyle="none", marker="s", markersize=9,
                                  color="#E5E5E5", label=_t("未评估（台账未记录宣传内容）", lang)))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.12, 1.0))
        return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                       lang=lang, extra_axes=[right])


# --------------------------------------------------------------------------------------------
# service_chart
# --------------------------------------------------------------------------------------------

_SERVICE_HEADS = ("法律明白人", "法律顾问到村天数", "法律顾问讲座", "距法律顾问上次到村",
                  "普法阵地更新")
_SERVICE_FILLS = ("#E5E5E5", "#FBE3D6", "#D6EAF8")  # not assessed, short, met


def _service_status(services: pd.DataFrame, max_days: float) -> tuple[np.ndarray, dict]:
    """Status per village and indicator (1 met, 0 short, -1 not applicable / not recorded)."""
    n = len(services)

    def num(col: str) -> np.ndarray:
        if col not in services.columns:
            return np.full(n, np.nan)
        return pd.to_numeric(services[col], errors="coerce").astype("float64").to_numpy()

    def met(col: str) -> np.ndarray:
        if col not in services.columns:
            return np.full(n, -1)
        m = services[col].astype("boolean")
        return np.where(m.isna(), -1, m.fillna(False).astype(int)).astype(int)

    v = {c: num(c) for c in ("n_legal_literates", "literates_target", "adviser_days",
                             "expected_days", "lectures", "expected_lectures",
                             "days_since_adviser", "adviser_visits", "stale_sites", "n_sites")}
    came = (v["days_since_adviser"] <= max_days) & (v["adviser_visits"] > 0)
    status = np.column_stack([
        met("literates_met"),
        met("days_met"),
        met("lectures_met"),
        np.where(np.isnan(v["adviser_visits"]), -1, came.astype(int)),
        np.where(np.isnan(v["stale_sites"]) | (v["n_sites"] == 0), -1,
                 (v["stale_sites"] == 0).astype(int)),
    ])
    return status, v


def service_chart(
    services: pd.DataFrame,
    *,
    settings: Settings | None = None,
    names: object = None,
    ax: Axes | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Standing legal services per village: five indicators against their norms.

    One row per village, one column per indicator: trained 法律明白人 against the target, the
    legal adviser's on-site days and lectures against the norm for the period, the days since
    the adviser last came, and whether every village-level site is up to date. A cell is blue
    when the norm is met, vermillion when not, grey when it does not apply or nothing was
    recorded, and shows the figure ("2/3", "14/24", "187天", "1处过期"). Villages short on a
    blind-spot indicator (法律明白人, the adviser's absence, site upkeep) come first, then those
    short of the adviser's days or lectures, then the register order.

    Tables not given are named in the caption (``services.attrs["not_assessed"]``); with
    ``services`` None (no roster, adviser log or site register at all) the figure says so in
    place of the chart (see :func:`not_assessed_text`).

    Parameters
    ----------
    services : pandas.DataFrame or None
        ``service_coverage`` output (index ``village_id``); its ``attrs`` period goes in the
        caption.
    settings : Settings, optional
        ``[services] max_days_without_adviser`` and the norms named in the caption; defaults to
        ``pufa.toml``.
    names : DataFrame, Series or mapping, optional
        Village names; taken from ``services`` when it has ``village_name``.
    ax, lang, title, caption, synthetic
        As in :func:`coverage_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> svc = pd.DataFrame({"village_name": ["乙村", "甲村"],
    ...     "n_legal_literates": [4, 2], "literates_target": [3, 3],
    ...     "literates_met": pd.array([True, False], dtype="boolean"),
    ...     "adviser_visits": [30, 5], "adviser_days": [26, 5], "expected_days": [24.0, 24.0],
    ...     "lectures": [4, 1], "expected_lectures": [4.0, 4.0],
    ...     "lectures_met": pd.array([True, False], dtype="boolean"),
    ...     "days_met": pd.array([True, False], dtype="boolean"),
    ...     "days_since_adviser": [3.0, 187.0], "n_sites": [1, 1], "stale_sites": [0, 1]},
    ...     index=pd.Index(["B", "A"], name="village_id"))
    >>> ax = service_chart(svc, settings=Settings()).axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()]  # shortfalls first
    ['甲村', '乙村']
    >>> ax.images[0].get_array().tolist()
    [[0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]
    >>> [t.get_text() for t in ax.texts[:5]]
    ['2/3', '5/24', '1/4', '187天', '1处过期']
    >>> print(not_assessed_text(service_chart(None, settings=Settings())))
    未提供法律明白人名册，未评估各村法律明白人配备；未提供村法律顾问服务台账，未评估法律顾问到村服务；未提供普法阵地台账，未评估村级普法阵地及其更新
    """
    _check_lang(lang)
    reasons = reasons_of(services)
    if services is None:
        reasons = tuple(table_reason(t) for t in ("legal_literates", "adviser_visits", "sites"))
        services = pd.DataFrame({"n_legal_literates": pd.Series(dtype="Int64"),
                                 "days_since_adviser": pd.Series(dtype="float64")},
                                index=pd.Index([], name="village_id", dtype="str"))
    _check_frame(services, "services", ("n_legal_literates", "days_since_adviser"))
    _check_unique_index(services, "services")
    st = _settings(settings)
    sv = st.services
    max_days = float(sv["max_days_without_adviser"])
    status, v = _service_status(services, max_days)
    if names is None and "village_name" in services.columns:
        names = services
    labels = _village_labels(services.index, names)
    severe = (status[:, [0, 3, 4]] == 0).sum(axis=1)
    mild = (status[:, [1, 2]] == 0).sum(axis=1)
    order = np.lexsort((np.arange(len(services)), -mild, -severe))
    status, labels = status[order], labels[order]
    v = {k: a[order] for k, a in v.items()}

    def text(a: np.ndarray) -> np.ndarray:
        return _fmt_number(a).astype(str)

    def ratio(a: str, b: str) -> np.ndarray:
        return np.where(np.isnan(v[b]), text(v[a]),
                        np.char.add(np.char.add(text(v[a]), "/"), text(v[b])))

    def fill(template: str, a: np.ndarray) -> np.ndarray:
        if len(a) == 0:  # np.char.replace fails on an empty array
            return np.array([], dtype=str)
        return np.char.replace(np.full(len(a), _t(template, lang)), "{n}", text(a))

    cells = np.column_stack([
        ratio("n_legal_literates", "literates_target"),
        ratio("adviser_days", "expected_days"),
        ratio("lectures", "expected_lectures"),
        np.where(np.isnan(v["days_since_adviser"]), _t("未到村", lang),
                 fill("{n}天", v["days_since_adviser"])),
        np.where(v["stale_sites"] > 0, fill("{n}处过期", v["stale_sites"]), _t("已更新", lang)),
    ])
    unknown = np.column_stack([np.isnan(v["n_legal_literates"]), np.isnan(v["adviser_days"]),
                               np.isnan(v["lectures"]), np.isnan(v["adviser_visits"]),
                               np.isnan(v["stale_sites"]) | (v["n_sites"] == 0)])
    cells = np.where(unknown, "", cells)  # nothing recorded: an empty grey cell
    n_rows, n_cols = status.shape

    with house_style():
        ax = _axes(ax, (7.6, _rows_height(n_rows, base=2.8)))
        default_title = _t("各村（社区）法律服务情况", lang)
        lines = [caption or _default_source("法律明白人名册、村法律顾问服务台账、普法阵地台账",
                                            lang)]
        period = services.attrs
        if period.get("start") and period.get("end"):
            lines.append(_t("法律顾问服务统计期间：{start}至{end}", lang).format(
                start=period["start"], end=period["end"]))
        lines.append(_t("标准：每村法律明白人不少于{lit}名；法律顾问每月驻村{days}天、每季度"
                        "讲座{lec}次、间隔不超过{gap}天；阵地内容{months}个月内更新。",
                        lang).format(
            lit=_fmt_one(st.targets["legal_literates_per_village"]),
            days=_fmt_one(sv["adviser_days_per_month"]),
            lec=_fmt_one(sv["adviser_lectures_per_quarter"]),
            gap=_fmt_one(max_days), months=_fmt_one(sv["site_stale_months"])))
        # every shortfall coloured here is a follow-up reason, except the two monthly norms
        lines.append(_t("法律明白人、到村间隔、阵地更新未达标准的村列入跟进名单；驻村天数和讲座次数"
                        "只作提示，不单独列入（名单看法律顾问是否超过{gap}天未到村）。",
                        lang).format(gap=_fmt_one(max_days)))
        if n_rows == 0 and reasons:
            _not_assessed_message(ax, reasons, lang)
            return _finish(ax, title=title or default_title, caption=lines,
                           synthetic=synthetic, lang=lang)
        if reasons:
            lines.append(_record_not_assessed(ax, reasons, lang))
        if n_rows == 0:
            _message(ax, _t("无数据", lang))
            return _finish(ax, title=title or default_title, caption=lines,
                           synthetic=synthetic, lang=lang)
        ax.imshow(status, cmap=ListedColormap(list(_SERVICE_FILLS)), vmin=-1, vmax=1,
                  aspect="auto", interpolation="nearest")
        for (i, j), cell in np.ndenumerate(cells):  # the chart's cells (villages × 5)
            if cell:
                ax.text(j, i, cell, ha="center", va="center", fontsize=8.5, color=INK)
        _cell_grid(ax, n_rows, n_cols, linewidth=1.5)
        ax.tick_params(which="both", length=0)
        ax.xaxis.tick_top()
        ax.set_xticks(np.arange(n_cols), labels=[_wrap(_t(h, lang), 6 if lang == "zh" else 8)
                                                 for h in _SERVICE_HEADS])
        ax.set_yticks(np.arange(n_rows), labels=list(labels))
        handles = [Patch(color=_SERVICE_FILLS[2], label=_t("达到标准", lang)),
                   Patch(color=_SERVICE_FILLS[1], label=_t("未达到标准", lang)),
                   Patch(color=_SERVICE_FILLS[0], label=_t("不适用或无记录", lang))]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0))
        return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                       lang=lang)


# --------------------------------------------------------------------------------------------
# trend
# --------------------------------------------------------------------------------------------


def trend(
    events: pd.DataFrame,
    *,
    event_topics: pd.DataFrame | None = None,
    calendar: pd.DataFrame | None = None,
    top: int = 6,
    start: object = None,
    end: object = None,
    ax: Axes | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Events per month, stacked by topic, with campaign days marked.

    Parameters
    ----------
    events : pandas.DataFrame
        The event ledger: ``date`` and ``topic`` (``event_id`` too when ``event_topics`` given).
    event_topics : pandas.DataFrame, optional
        ``[event_id, topic]``: every topic of every event; an event with several topics then
        counts once per topic (said in the caption).
    calendar : pandas.DataFrame, optional
        ``campaign_calendar`` output: a ▼ marks each campaign's first day, and windows longer
        than a day are shaded.
    top : int
        Topics shown separately (the most frequent, ties by name); the rest are grouped as 其他.
    start, end : date-like, optional
        The period; defaults to the first and last event. Months without events show as gaps.
    ax, lang, title, caption, synthetic
        As in :func:`coverage_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> ev = pd.DataFrame({"event_id": ["e1", "e2", "e3"],
    ...                    "date": pd.to_datetime(["2024-01-05", "2024-01-20", "2024-03-02"]),
    ...                    "topic": ["禁毒", "宪法", "禁毒"]})
    >>> fig = trend(ev)
    >>> ax = fig.axes[0]
    >>> [(c.get_label(), [float(p.get_height()) for p in c]) for c in ax.containers]
    [('禁毒', [1.0, 0.0, 1.0]), ('宪法', [1.0, 0.0, 0.0])]
    """
    import matplotlib.dates as mdates

    _check_lang(lang)
    _check_frame(events, "events", ("date", "topic"))
    if not pd.api.types.is_datetime64_any_dtype(events["date"].dtype):
        raise TypeError(f"events['date'] should be datetime64, got dtype {events['date'].dtype}")
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top should be a positive integer, got {top!r}")
    if event_topics is not None:
        _check_frame(event_topics, "event_topics", ("event_id", "topic"))
        _check_frame(events, "events", ("event_id",))
        rows = events[["event_id", "date"]].merge(event_topics[["event_id", "topic"]],
                                                  on="event_id", how="inner")
    else:
        rows = events[["date", "topic"]]
    rows = rows[rows["date"].notna()]
    first = pd.Timestamp(start) if start is not None else rows["date"].min()
    last = pd.Timestamp(end) if end is not None else rows["date"].max()
    default_title = _t("每月普法活动场次（按主题）", lang)

    with house_style():
        ax = _axes(ax, (FIG_WIDTH + 0.8, 4.6))
        lines = [caption or source_caption(_t("普法活动台账", lang), start=first, end=last,
                                           lang=lang)]
        if event_topics is not None:
            lines.append(_t("一场活动涉及多个主题时，按主题分别计数。", lang))
        if pd.isna(first) or pd.isna(last):
            _message(ax, _t("无活动记录", lang))
            return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                           lang=lang)
        months = pd.date_range(first.to_period("M").start_time, last, freq="MS")
        # the counts are frequency.event_counts' (a topic-less event counts under 其他)
        if event_topics is not None:
            counted = event_counts(events, by="topic", start=first, end=last, wide=True,
                                   event_topics=event_topics.assign(
                                       topic=event_topics["topic"].fillna("其他")))
        else:
            counted = event_counts(events.assign(topic=events["topic"].fillna("其他")),
                                   by="topic", start=first, end=last, wide=True)
        table = counted.T.reindex(months, fill_value=0)
        table.columns = table.columns.astype("str")
        totals = table.sum().sort_index().sort_values(ascending=False, kind="stable")
        keep = [t for t in totals.index if t != "其他"][:top]
        rest = table.drop(columns=keep).sum(axis=1)
        shown = table[keep].assign(**({"其他": rest} if rest.sum() > 0 else {}))
        heights = shown.to_numpy(dtype=float)
        bottoms = np.cumsum(heights, axis=1) - heights
        colors = [*PALETTE[: len(keep)], GREY]  # the last column, if any, is 其他
        names = [label(t, lang=lang) for t in keep] + [_t("其他", lang)]
        x = mdates.date2num(months.to_numpy())
        for j in range(heights.shape[1]):  # a handful of topics
            ax.bar(x, heights[:, j], bottom=bottoms[:, j], width=26, align="edge",
                   color=colors[j], label=names[j])
        ax.xaxis_date()
        span_days = (last - first).days
        if span_days > 730:
            ax.xaxis.set_major_locator(mdates.YearLocator())
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
            ax.xaxis.set_minor_locator(mdates.MonthLocator())
        else:
            ax.xaxis.set_major_locator(mdates.MonthLocator(interval=1 if span_days < 370 else 3))
            ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
        ax.set_xlim(x[0] - 5, mdates.date2num(np.datetime64(last)) + 5)
        ymax = float(heights.sum(axis=1).max()) if heights.size else 0.0
        ax.set_ylim(0, max(ymax * 1.1, 1.0))
        ax.set_ylabel(_t("活动场次", lang))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.grid(True)
        ax.set_axisbelow(True)
        handles, _ = ax.get_legend_handles_labels()
        if calendar is not None and len(calendar):
            _check_frame(calendar, "calendar", ("start", "end"))
            c0 = pd.to_datetime(calendar["start"])
            c1 = pd.to_datetime(calendar["end"]).fillna(c0)
            inside = ((c0 <= last) & (c1 >= first)).to_numpy()
            if inside.any():
                s = mdates.date2num(c0[inside].to_numpy())
                e = mdates.date2num((c1[inside] + pd.Timedelta(days=1)).to_numpy())
                long_window = (e - s) > 1.5
                if long_window.any():
                    verts = np.stack([np.column_stack([s, np.zeros_like(s)]),
                                      np.column_stack([s, np.ones_like(s)]),
                                      np.column_stack([e, np.ones_like(s)]),
                                      np.column_stack([e, np.zeros_like(s)])], axis=1)
                    ax.add_collection(PolyCollection(verts[long_window], facecolors=YELLOW,
                                                     alpha=0.35, edgecolors="none",
                                                     transform=ax.get_xaxis_transform(),
                                                     zorder=0), autolim=False)
                    handles.append(Patch(facecolor=YELLOW, alpha=0.35, label=_t("宣传周/月", lang)))
                ax.scatter(s, np.full(len(s), 1.0), marker="v", s=18, color=VERMILLION,
                           transform=ax.get_xaxis_transform(), clip_on=False, zorder=4)
                handles.append(Line2D([], [], linestyle="none", marker="v", color=VERMILLION,
                                      label=_t("宣传节点", lang)))
        if len(rows) == 0:
            ax.text(0.5, 0.5, _t("无活动记录", lang), transform=ax.transAxes, ha="center",
                    va="center", fontsize=12, color=GREY)
        if handles:
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                       lang=lang)


# --------------------------------------------------------------------------------------------
# training_chart
# --------------------------------------------------------------------------------------------

_TRAINING = {
    "hours_met_rate": "学时达标率",
    "exam_taken_rate": "参考率",
    "pass_rate": "考试合格率",
    "cert_rate": "持执法证比例",
}


def training_chart(
    training: pd.DataFrame,
    *,
    columns: Sequence[str] = ("hours_met_rate", "exam_taken_rate", "pass_rate"),
    target: float | None = 1.0,
    settings: Settings | None = None,
    ax: Axes | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Cadre law-study compliance by department: grouped bars of rates, target line.

    Departments are ranked by the mean of ``columns``, highest on top. Departments with fewer
    than ``privacy.suppress_below`` staff get no bars (privacy): they are named in the caption.

    With no cadre records (``training`` None, or with no rows) the figure says why in place of
    the bars: the reasons in ``training.attrs["not_assessed"]`` (e.g. no record for the year),
    else that no 学法用法 ledger was provided (see :func:`not_assessed_text`).

    Parameters
    ----------
    training : pandas.DataFrame or None
        ``training_compliance`` output: index ``department``, ``n_staff`` and the rate columns.
    columns : sequence of str
        Rates to show (0–1), default hours met, exam taken and exam passed.
    target : float, optional
        Target line (default 1.0: every cadre); None for none.
    settings : Settings, optional
        ``privacy.suppress_below``; defaults to ``pufa.toml``.
    ax, lang, title, caption, synthetic
        As in :func:`coverage_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> tr = pd.DataFrame({"n_staff": [12, 3, 8], "hours_met_rate": [0.75, 1.0, 1.0],
    ...                    "exam_taken_rate": [1.0, 1.0, 1.0], "pass_rate": [0.5, 1.0, 0.875]},
    ...                   index=pd.Index(["司法所", "林业站", "派出所"], name="department"))
    >>> fig = training_chart(tr)
    >>> ax = fig.axes[0]
    >>> [t.get_text() for t in ax.get_yticklabels()]  # bottom to top; 林业站 (n=3) not shown
    ['司法所（n=12）', '派出所（n=8）']
    >>> [[float(p.get_width()) for p in c] for c in ax.containers]
    [[0.75, 1.0], [1.0, 1.0], [0.5, 0.875]]
    >>> not_assessed_text(training_chart(None))
    '未提供学法用法台账，未评估干部学法用法、未绘制部门图'
    """
    _check_lang(lang)
    columns = list(columns)
    reasons = reasons_of(training)
    if training is None:
        reasons = (table_reason("cadres"),)
        training = pd.DataFrame({c: pd.Series(dtype="float64") for c in ("n_staff", *columns)})
    _check_frame(training, "training", ("n_staff", *columns))
    for c in columns:
        _check_numeric(training, "training", c)
    target = _check_number(target, "target")
    suppress_below = _settings(settings).suppress_below
    hidden = ~(_floats(training["n_staff"]) >= suppress_below)  # unknown size is hidden too
    shown = training[~hidden]
    order = (
        pd.DataFrame({"score": shown[columns].astype("float64").mean(axis=1),
                      "name": shown.index.astype("str")}, index=shown.index)
        .sort_values(["score", "name"], ascending=[True, False], na_position="first")
        .index
    )
    data = shown.loc[order]  # bottom to top: lowest first
    n_rows, k = len(data), len(columns)

    with house_style():
        ax = _axes(ax, (FIG_WIDTH, _rows_height(n_rows, per_row=0.22 * k + 0.15, base=2.0)))
        default_title = _t("各部门学法用法完成情况", lang)
        lines = [caption or _default_source("学法用法台账", lang)]
        if hidden.any():
            names = "、".join(training.index[hidden].astype("str"))
            lines.append(_t("人数少于{n}人、不公布比例的部门：{names}", lang).format(
                n=suppress_below, names=names))
        if n_rows == 0 and reasons:
            _not_assessed_message(ax, reasons, lang)
            return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                           lang=lang)
        if reasons:
            lines.append(_record_not_assessed(ax, reasons, lang))
        if n_rows == 0:
            _message(ax, _t("无数据", lang))
            return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                           lang=lang)
        y = np.arange(n_rows, dtype=float)
        height = 0.8 / k
        offsets = (np.arange(k)[::-1] - (k - 1) / 2) * height
        for j, col in enumerate(columns):  # a handful of rate columns
            v = _floats(data[col])
            bars = ax.barh(y + offsets[j], np.nan_to_num(v), height=height * 0.92,
                           color=PALETTE[j % len(PALETTE)],
                           label=_t(_TRAINING[col], lang) if col in _TRAINING else col)
            text = np.where(np.isnan(v), _t("无数据", lang), np.char.add(
                _fmt_number(np.round(np.nan_to_num(v) * 100), 0).astype(str), "%"))
            ax.bar_label(bars, labels=list(text), padding=2, fontsize=7.5, color=INK)
        n_txt = _fmt_number(_floats(data["n_staff"])).astype(str)
        dept = data.index.astype("str").to_numpy().astype(str)
        prefix, suffix = _t("（n={n}）", lang).split("{n}")
        ax.set_yticks(y, labels=list(np.char.add(np.char.add(np.char.add(dept, prefix), n_txt),
                                                 suffix)))
        ax.set_ylim(-0.6, n_rows - 0.4)
        ax.set_xlim(0, 1.13)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlabel(_t("占本部门人员比例", lang))
        ax.xaxis.grid(True)
        ax.set_axisbelow(True)
        extra = []
        if target is not None:
            extra.append(_target_label(ax, target, _t("目标 {value}", lang).format(
                value=_pct(target))))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
        return _finish(ax, title=title or default_title, caption=lines, synthetic=synthetic,
                       lang=lang, extra_axes=extra)


# --------------------------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------------------------

_FORMATS = ("png", "pdf", "svg")
_METADATA = {
    "png": {"Software": "pufa_metrics"},
    "pdf": {"Creator": "pufa_metrics", "CreationDate": None},
    "svg": {"Creator": "pufa_metrics", "Date": None},
}


def save(
    fig: Figure,
    stem: str | os.PathLike[str],
    *,
    formats: Sequence[str] = _FORMATS,
    dpi: float = 200,
) -> list[Path]:
    """Write a chart as PNG, PDF and SVG next to each other, atomically.

    Each file is written to a temporary file in the target folder and moved into place, so a
    reader never sees half a file; missing folders are created. PDF fonts are Type 3 (the Noto
    CJK glyphs show in every viewer, including Ghostscript) and SVG text is drawn as paths.
    A chart that could not be drawn (in full) for want of data is saved like any other, with
    the reason (:func:`not_assessed_text`) in the metadata: PNG and SVG ``Description``, PDF
    ``Subject``.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart.
    stem : str or path-like
        Path without extension, e.g. ``reports/figures/coverage_bar``; the format is appended.
    formats : sequence of {"png", "pdf", "svg"}
        Formats to write, in this order.
    dpi : float
        Resolution of the PNG (and of raster parts of PDF/SVG), default 200.

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.

    Examples
    --------
    >>> import tempfile
    >>> from matplotlib.figure import Figure
    >>> with house_style():   # draw your own figure in the house style
    ...     fig = Figure(figsize=(2, 1))
    ...     _ = fig.add_subplot().set_title("水寨镇")
    >>> folder = Path(tempfile.mkdtemp())
    >>> [p.name for p in save(fig, folder / "charts" / "demo")]
    ['demo.png', 'demo.pdf', 'demo.svg']

    A chart drawn without its data carries the reason in the files:

    >>> from PIL import Image
    >>> png, = save(training_chart(None, lang="en"), folder / "training", formats=["png"])
    >>> Image.open(png).info["Description"]
    'No cadre law-study records: cadre law study and exams not assessed, no department chart'
    """
    if not isinstance(fig, Figure):
        raise TypeError(f"fig should be a matplotlib Figure, got {type(fig).__name__}")
    if not isinstance(stem, (str, os.PathLike)):
        raise TypeError(f"stem should be a path, got {type(stem).__name__}")
    if isinstance(formats, str):
        formats = (formats,)
    bad = [f for f in formats if f not in _FORMATS]
    if bad or not formats:
        raise ValueError(f"formats should be some of {list(_FORMATS)}, got {list(formats)}")
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"dpi should be a positive number, got {dpi!r}")
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    missing = not_assessed_text(fig)
    with house_style():
        for fmt in formats:
            target = stem.parent / f"{stem.name}.{fmt}"
            metadata = dict(_METADATA[fmt])
            if missing:
                metadata["Subject" if fmt == "pdf" else "Description"] = missing
            with _atomic(target) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
            written.append(target)
    return written




# --------------------------------------------------------------------------------------------
# Building blocks for charts drawn elsewhere in the house style (the county report's bars), so
# that no module reaches into this one's private names
# --------------------------------------------------------------------------------------------


def chart_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` checked, or new axes on a constrained-layout figure of ``figsize`` inches.

    Examples
    --------
    >>> chart_axes(None, (FIG_WIDTH, 3.0)).figure.get_size_inches().tolist()
    [7.0, 3.0]
    """
    return _axes(ax, figsize)


def finish_chart(ax: Axes, *, title: str, caption: Sequence[str], synthetic: bool, lang: str,
                 extra_axes: Sequence[Axes] = ()) -> Figure:
    """Title, synthetic-data mark and caption in the house style; returns the root figure.

    Examples
    --------
    >>> ax = chart_axes(None, (FIG_WIDTH, 3.0))
    >>> fig = finish_chart(ax, title="标题", caption=["来源：示例"], synthetic=True, lang="zh")
    >>> ax.get_title(loc="left")
    '标题'
    """
    return _finish(ax, title=title, caption=caption, synthetic=synthetic, lang=lang,
                   extra_axes=extra_axes)


def no_data_message(ax: Axes, text: str) -> None:
    """Write ``text`` (e.g. "无数据") in the middle of empty axes, without ticks or spines.

    Examples
    --------
    >>> ax = chart_axes(None, (FIG_WIDTH, 3.0))
    >>> no_data_message(ax, "无数据")
    >>> [t.get_text() for t in ax.texts]
    ['无数据']
    """
    _message(ax, text)


def target_line(ax: Axes, target: float, text: str) -> Axes:
    """A dashed target line at ``target``, labelled on a top axis (returned) so nothing overlaps.

    Examples
    --------
    >>> ax = chart_axes(None, (FIG_WIDTH, 3.0))
    >>> top = target_line(ax, 0.9, "目标 90%")
    >>> [t.get_text() for t in top.get_xticklabels()]
    ['目标 90%']
    """
    return _target_label(ax, target, text)


# --------------------------------------------------------------------------------------------
# effect_chart (issue #18: exposure → awareness)
# --------------------------------------------------------------------------------------------

#: The chart's own texts (zh, en); chart_text covers the house phrases only.
_EFFECT_TEXT: dict[str, tuple[str, str]] = {
    "title": ("某法律宣传活动越多，群众越知晓该法律吗？",
              "More events on a law, more awareness of it?"),
    "all": ("全部法律", "All laws"),
    "events": ("几率比：每多一场该法律的宣传活动（对数刻度）",
               "Odds ratio per extra event on the law (log scale)"),
    "log1p_events": ("几率比：log(1+活动场次)每增加1（对数刻度）",
                     "Odds ratio per unit of log(1 + events) (log scale)"),
    "topic_matched": ("同村跨主题比较（村、题固定效应）", "Within villages, across laws"),
    "between": ("村间比较（易受村情混杂）", "Between villages (confounded)"),
    "null": ("1 = 无关联", "1 = no association"),
    "source": ("普法活动台账、问卷调查", "event ledgers and the survey"),
    "ci": ("横线为95%置信区间（按村聚类的稳健标准误）；n为回答数。",
           "Lines are 95% confidence intervals (cluster-robust by village); n = answers."),
    "none": ("无法估计", "cannot be estimated"),
}


def effect_chart(
    result: pd.DataFrame,
    *,
    term: str = "events",
    ax: Axes | None = None,
    lang: str = "zh",
    title: str | None = None,
    caption: str | None = None,
    synthetic: bool = False,
) -> Figure:
    """Odds ratio of knowing a law per extra event on it, per law and for all laws, with CIs.

    Draws :func:`~pufa_metrics.effect.exposure_effect`'s rows of one ``term``: the
    within-village (topic-matched) estimate as filled dots, the between-village one as hollow
    squares (labelled as confounded), a line at 1 (no association) and the caveat in the
    caption. An estimate that could not be made is left out of the plot and named "无法估计".
    Without a result (no rows, reasons in ``result.attrs["not_assessed"]``) the figure says why.

    Parameters
    ----------
    result : pandas.DataFrame
        :func:`~pufa_metrics.effect.exposure_effect` output.
    term : {"events", "log1p_events"}
        Which exposure term to show.
    ax, lang, title, caption, synthetic
        As in :func:`coverage_bar`.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> result = pd.DataFrame({
    ...     "design": ["topic_matched"] * 3, "term": ["events"] * 3,
    ...     "topic": [None, "民法典", "禁毒"], "odds_ratio": [1.1, 1.2, 1.0],
    ...     "ci_low": [1.0, 0.9, 0.8], "ci_high": [1.2, 1.6, 1.25], "n_answers": [60, 30, 30]})
    >>> fig = effect_chart(result, lang="en")
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()]
    ['Drug control', 'Civil Code', 'All laws']
    """
    _check_lang(lang)
    if term not in ("events", "log1p_events"):
        raise ValueError(f"'term' should be 'events' or 'log1p_events', got {term!r}")
    reasons = reasons_of(result)
    _check_frame(result, "result", ("design", "term", "topic", "odds_ratio", "ci_low",
                                    "ci_high", "n_answers"))

    def say(key: str) -> str:
        return _EFFECT_TEXT[key][0 if lang == "zh" else 1]

    rows = result[(result["term"] == term).to_numpy()]
    topics = list(dict.fromkeys(rows["topic"].dropna().astype("str")))[::-1]  # first on top
    labels = [t if lang == "zh" else label(t, lang="en") for t in topics] + [say("all")]
    y_of = {t: float(i) for i, t in enumerate(topics)}
    n_rows = len(labels)
    with house_style():
        ax = _axes(ax, (FIG_WIDTH, _rows_height(n_rows, per_row=0.45, base=2.4)))
        lines = [caption or source_caption(say("source"), lang=lang)]
        caveat = result.attrs.get("caveat")
        if rows.empty:
            _not_assessed_message(ax, reasons or (("无结果", "no result"),), lang)
            return _finish(ax, title=title or say("title"), caption=lines, synthetic=synthetic,
                           lang=lang)
        if reasons:
            lines.append(_record_not_assessed(ax, reasons, lang))
        # all laws together (topic NA) on the top row
        y = _floats(rows["topic"].map(y_of).fillna(float(n_rows - 1)))
        est, lo, hi = (_floats(rows[c]) for c in ("odds_ratio", "ci_low", "ci_high"))
        ok = np.isfinite(est) & np.isfinite(lo) & np.isfinite(hi) & (lo > 0)
        shown = np.r_[lo[ok], hi[ok], est[ok], 1.0]
        left, right = max(shown.min() / 1.15, 0.05), min(shown.max() * 1.15, 20.0)
        styles = {"topic_matched": (BLUE, "o", True, 0.12),
                  "between": (ORANGE, "s", False, -0.12)}
        design = rows["design"].astype("str").to_numpy()
        for code, (color, marker, filled, dy) in styles.items():  # two designs
            m = ok & (design == code)
            if not m.any():
                continue
            ax.hlines(y[m] + dy, np.clip(lo[m], left, right), np.clip(hi[m], left, right),
                      color=color, linewidth=2.0, alpha=0.85)
            ax.scatter(est[m], y[m] + dy, marker=marker, s=40, zorder=3, edgecolors=color,
                       facecolors=color if filled else "white", linewidths=1.4,
                       label=say(code))
        for yy in y[~ok]:
            ax.text(1.0, yy, "  " + say("none"), va="center", fontsize=8.5, color=GREY)
        ax.axvline(1.0, color=GREY, linestyle="--", linewidth=1.0, label=say("null"))
        ax.set_xscale("log")
        ax.set_xlim(left, right)
        ticks = np.array([0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7, 10, 20]
                         if right / left > 4 else [0.25, 0.5, 0.67, 0.8, 1, 1.25, 1.5, 2, 4])
        ticks = ticks[(ticks >= left) & (ticks <= right)]
        ax.set_xticks(ticks, labels=[f"{t:g}" for t in ticks])
        ax.set_xticks([], minor=True)
        ax.set_yticks(np.arange(n_rows, dtype=float), labels=labels)
        ax.set_ylim(-0.6, n_rows - 0.4)
        # n answers of each row (the first design's: both designs use the same answers)
        first = rows[(design == design[0])]
        n_y = _floats(first["topic"].map(y_of).fillna(float(n_rows - 1)))
        right_axis = ax.secondary_yaxis("right")
        right_axis.set_yticks(n_y, labels=list(np.char.add(
            "n=", _fmt_number(_floats(first["n_answers"]), 0).astype(str))))
        right_axis.tick_params(length=0, labelsize=8.5, colors="#444444")
        right_axis.spines["right"].set_visible(False)
        ax.set_xlabel(say(term))
        ax.xaxis.grid(True, which="both", alpha=0.4)
        ax.set_axisbelow(True)
        # inside the plot, where it covers least: beside it, a page-wide chart (the brief)
        # had no room left for the laws' names
        ax.legend(loc="best", fontsize=8.5, framealpha=0.9)
        lines.append(say("ci"))
        if caveat:
            lines.append(caveat[0 if lang == "zh" else 1])
        return _finish(ax, title=title or say("title"), caption=lines, synthetic=synthetic,
                       lang=lang, extra_axes=[right_axis])
