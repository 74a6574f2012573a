"""Excel output that is safe to open: atomic writes, text never run as a formula.

:func:`export_follow_up` writes the follow-up list of
:func:`~pufa_metrics.blindspots.find_blind_spots` as the workbook a town uses as it is.

A cell value starting with ``=``, ``+``, ``-`` or ``@`` is stored as text, so a ledger value such as
``=HYPERLINK(...)`` copied into an output can never run in Excel (CSV/formula injection).
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._common import atomic_path
from ._common import check_frame as _check_frame
from .blindspots import COLD_SPOT_METRIC_WORDS, SPATIAL_METHOD_NAMES
from .config import Settings, resolve_settings
from .rules import TIERS, describe, tier_of
from .schema import DOMAIN_LABELS as _DOMAIN_WORDS

_FORMULA_START = ("=", "+", "-", "@")


def display_width(text: str) -> int:
    """Columns a text takes in Excel: wide (CJK, full-width) characters count twice.

    Examples
    --------
    >>> display_width("大岭村"), display_width("SZ01")
    (6, 4)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cell_value(value: Any) -> Any:
    """A Python value for an Excel writer: blanks for missing, 、-joined tuples, 是/否 for booleans.

    Examples
    --------
    >>> [cell_value(v) for v in (("宪法", "禁毒"), True, np.int64(3), float("nan"))]
    ['宪法、禁毒', '是', 3, None]
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, tuple | list):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def write_cell(ws: Any, row: int, col: int, value: Any) -> Any:
    """Write one cell; text starting with = + - @ is stored as text, never run as a formula."""
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"
    return cell


def _column_width(column: pd.Series) -> int:
    """The widest value of a column as Excel shows it (distinct values measured once)."""
    if column.empty:
        return 0
    if column.dtype.kind in "biufcmM":
        lengths = column.dropna().astype("str").str.len()
        return int(lengths.max()) if len(lengths) else 0
    shown = pd.Series(pd.unique(column.map(cell_value, na_action="ignore").dropna()))
    if shown.empty:
        return 0
    return int(shown.astype("str").map(display_width).max())


def write_workbook(
    sheets: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    headers: Mapping[str, str] | None = None,
    index: bool = False,
) -> Path:
    """Write frames to an .xlsx, one sheet each: frozen header, fitted widths, formula-safe text.

    Parameters
    ----------
    sheets : mapping of str to DataFrame
        Sheet name → frame.
    path : path-like
        The .xlsx to write; written to a temporary file first, then renamed into place.
    headers : mapping, optional
        Column name → header shown (e.g. Chinese headers).
    index : bool
        Write the index as the first column(s).

    Examples
    --------
    >>> import tempfile, openpyxl
    >>> d = tempfile.mkdtemp()
    >>> p = write_workbook({"表": pd.DataFrame({"值": ["=1+1", "ok"]})}, f"{d}/a.xlsx")
    >>> ws = openpyxl.load_workbook(p)["表"]
    >>> ws["A2"].value, ws["A2"].data_type, ws.freeze_panes
    ('=1+1', 's', 'A2')
    """
    import xlsxwriter

    headers = dict(headers or {})
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        # xlsxwriter streams rows (constant memory): a sheet of a million cells costs seconds,
        # where openpyxl took a minute. Text is always text (never a formula, number or link).
        wb = xlsxwriter.Workbook(tmp, {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "default_date_format": "yyyy-mm-dd",
            "nan_inf_to_errors": True,
        })
        bold = wb.add_format({"bold": True})
        for name, frame in sheets.items():
            ws = wb.add_worksheet(str(name)[:31])
            data = frame.reset_index() if index else frame
            columns = [headers.get(str(c), str(c)) for c in data.columns]
            widths = [max(display_width(text), _column_width(data.iloc[:, j]))
                      for j, text in enumerate(columns)]
            for j, width in enumerate(widths):  # a few dozen columns
                ws.set_column(j, j, min(max(width + 2, 8), 60))
            ws.freeze_panes(1, 0)
            ws.write_row(0, 0, columns, bold)
            values = [[cell_value(v) for v in data.iloc[:, j].tolist()]
                      for j in range(data.shape[1])]  # column by column
            for i, row in enumerate(zip(*values, strict=True), start=1):  # row by row
                ws.write_row(i, 0, row)
        wb.close()
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


# ------------------------------------------------------------------------------------------------
# The follow-up workbook (blindspots.find_blind_spots output)
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
    "worse_zh": "比上年变差",
    "has_site": "有村级阵地",
    "n_legal_literates": "法律明白人（名）",
    "literates_target": "法律明白人目标",
    "adviser_visits": "法律顾问服务次数",
    "last_adviser_visit": "法律顾问最近到村",
    "days_since_adviser": "距法律顾问上次到村天数",
    "stale_sites": "未更新阵地数",
    "stale_site_names": "未更新阵地",
    # the awareness figures are the decisive item's: the lowest (by its 95% upper bound)
    "awareness_item": "最低题（判定题目）",
    "awareness_n": "问卷样本数（最低题）",
    "awareness_rate": "知晓率（最低题）",
    "awareness_ci_high": "知晓率95%CI上限（最低题）",
    "awareness_rate_shrunk": "知晓率（最低题，收缩估计）",
    "lqas": "LQAS判定",
    "cold_spot": "空间冷点",
    "cold_spot_method": "冷点方法",
    "cold_spot_p": "冷点p值",
    "reasons": "问题代码",
    "reasons_en": "Reasons (EN)",
    "actions_en": "Actions (EN)",
    "worse_en": "Worse than a year before (EN)",
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
    if "awareness_label" in fu.columns:  # "q7 《反电信网络诈骗法》": the code and what it asks
        item = fu["awareness_item"].astype("str")
        fu["awareness_item"] = (item + " " + fu["awareness_label"].astype("str")).fillna(item)
    if "cold_spot_method" in fu.columns:
        m = fu["cold_spot_method"].astype("str")
        for code, name in SPATIAL_METHOD_NAMES.items():
            m = m.str.replace(f"{code}:", f"{name}·", regex=False)
        for metric, (word, _) in COLD_SPOT_METRIC_WORDS.items():
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
        :func:`~pufa_metrics.blindspots.find_blind_spots` output.
    path : str or path-like
        Target ``.xlsx`` file; its folder is created when missing.
    settings : Settings, optional
        For the 说明 sheet and the suppression threshold; default ``Settings.load()``.
    groups : pandas.DataFrame, optional
        :func:`~pufa_metrics.blindspots.group_gaps` output, written to a sheet 人群短板.

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
    _check_frame(follow_up, "follow_up", ("village_name", "score", "priority", "reasons_zh"))
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
        _check_frame(groups, "groups", ("reason_zh",))
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
    with atomic_path(path) as tmp:
        wb.save(tmp)
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
    table = describe(st, thresholds=used, domain=domain)  # the rules table, thresholds filled
    method = SPATIAL_METHOD_NAMES.get(str(used["spatial_method"]), str(used["spatial_method"]))
    weights = "二值邻接权重，含本村" if used["spatial_method"] == "gi_star" else "行标准化邻接权重"
    as_of = follow_up.attrs.get("as_of")
    as_of_text = f"；统计截至 as of {as_of}" if as_of else ""
    rows: list[list[Any]] = [
        ["普法盲区跟进清单 — 说明 / Notes"],
        [f"生成时间 Generated: {datetime.now():%Y-%m-%d %H:%M}" + as_of_text],
        [],
        ["问题代码 Code", "问题 Reason (zh)", "Reason (en)", "判定规则", "Rule", "基础分 Points"],
    ]
    rows += table[["code", "原因", "reason", "规则", "rule", "分值"]].to_numpy().tolist()
    rows += [
        [],
        ["得分 Score", "各项基础分之和 × 人口系数；人口系数 = max(1, 1 + log10(常住人口/1000))，"
         "1000人及以下为1，1万人为2。得分相同按村编码排序。"],
        ["", "Sum of points × population factor max(1, 1 + log10(population / 1000)); ties by "
         "village id."],
        ["等级 Tier", "；".join([f"{zh}：得分 ≥ {low:g}" for low, zh, _e, _c in TIERS[:-1]]
                              + [f"{TIERS[-1][1]}：其余有问题的村。"])],
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
    rows.append(["topics.required", "、".join(used["required_topics"])])
    rows.append(["audiences.required", "、".join(used["required_audiences"])])
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
