"""The validation report of a folder of ledgers (``pufa validate``), as tables.

:func:`validation_report` gathers what an office needs to check before trusting the figures, in the
order it reads them: each file (读入 / 未导入 / 非数据行), the town's name and where it came from,
the period against the ledgers' dates, the rejected rows and the warnings grouped by file, sheet
and reason (with their Excel rows), the town-wide events by place, the texts nothing recognised,
the columns not used, and the personal data removed. ``pufa validate`` prints it (the first rows of
each table, saying how many it did not print) and ``--out 校验结果.xlsx`` saves every row.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from . import schema
from .config import Settings, resolve_settings
from .excel import write_workbook
from .workflow import find_town_name, resolve_period

#: Rows of each table ``pufa validate`` prints; ``--out`` saves them all.
PRINT_ROWS = 30

#: Chinese headers of the problem and file tables in the Excel outputs.
DATA_QUALITY_HEADERS = {
    "table": "表",
    "source_file": "文件",
    "sheet": "工作表",
    "title": "标题",
    "source_row": "Excel行号",
    "column": "列",
    "value": "值",
    "reason": "原因",
    "preamble_rows": "表头以上行数",
    "data_rows": "数据行",
    "loaded": "读入",
    "rejected": "未导入",
    "non_data": "非数据行",
    "status": "状态",
    "message": "说明",
}

#: The columns of the per-file table, in the order printed (headers from DATA_QUALITY_HEADERS).
_FILE_COLUMNS = ("source_file", "sheet", "table", "data_rows", "loaded", "rejected", "non_data",
                 "status", "message")
_STATUS_ZH = {"ok": "已读入", "error": "无法读取", "unrecognised": "未识别"}
#: Tables that are not in schema.TABLES, by their Chinese name.
_OTHER_TABLES_ZH = {"geometry": "村界", "unknown": "未识别"}


def row_list(rows: pd.Series, *, most: int = 8) -> str:
    """Excel row numbers as text: "8、12、15" (sorted, at most ``most``, then "等N行").

    Examples
    --------
    >>> row_list(pd.Series([15, 8, 12, None]))
    '8、12、15'
    >>> row_list(pd.Series(range(1, 12)), most=3)
    '1、2、3等11行'
    >>> row_list(pd.Series([None]))
    ''
    """
    values = pd.Series(rows).dropna().astype("int64").drop_duplicates().sort_values()
    shown = "、".join(str(v) for v in values.head(most))
    return f"{shown}等{len(values)}行" if len(values) > most else shown


def grouped_problems(problems: pd.DataFrame) -> pd.DataFrame:
    """Problems (rejected rows or warnings) grouped by file, sheet and reason, with their rows.

    Reasons that differ only in their figures ("约数, read as attendees = 50" and "… = 300",
    "same as row 2" and "same as row 3") are one group; 原因 then shows the first, marked
    "例 e.g.:".
    Returns ``[文件, 工作表, 原因, 条数, Excel行号]``, the largest groups first within a file.

    Examples
    --------
    >>> p = pd.DataFrame({"source_file": ["a.xlsx"] * 3, "sheet": ["一季度", "一季度", "二季度"],
    ...                   "source_row": [10, 8, 10],
    ...                   "reason": ["约数, read as 50", "约数, read as 300", "无法识别的日期"]})
    >>> grouped_problems(p)[["工作表", "原因", "条数", "Excel行号"]].values.tolist()
    [['一季度', '例 e.g.: 约数, read as 50', 2, '8、10'], ['二季度', '无法识别的日期', 1, '10']]
    """
    cols = ["文件", "工作表", "原因", "条数", "Excel行号"]
    if problems.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "条数" else "str") for c in cols})
    frame = pd.DataFrame({
        "文件": problems["source_file"].fillna("").astype("str"),
        "工作表": (problems["sheet"] if "sheet" in problems else pd.Series(pd.NA,
                   index=problems.index)).fillna("").astype("str"),
        "原因": problems["reason"].fillna("").astype("str"),
        "row": problems["source_row"],
    })
    frame["kind"] = frame["原因"].str.replace(r"\d+(?:\.\d+)?", "#", regex=True)
    out = (frame.groupby(["文件", "工作表", "kind"], sort=False)
           .agg(原因=("原因", "first"), kinds=("原因", "nunique"), 条数=("原因", "size"),
                Excel行号=("row", row_list))
           .reset_index())
    out["原因"] = out["原因"].mask(out["kinds"] > 1, "例 e.g.: " + out["原因"])
    order = out["文件"].drop_duplicates().reset_index(drop=True)
    out["_f"] = out["文件"].map(pd.Series(order.index, index=order.to_numpy()))
    out = out.sort_values(["_f", "条数"], ascending=[True, False], kind="stable")
    return out.drop(columns="_f").reset_index(drop=True)[cols]


def town_wide_places(events: pd.DataFrame) -> pd.DataFrame:
    """Events without a village, by the place written: the town-wide events (documented rule).

    A town venue (镇政府, 镇文化站, 学校, 广场 …) or a blank place is one town-wide event, never
    counted for a village; a cell naming all villages (各村, 全镇各村) is too, unless pufa.toml
    ``[events] all_villages = "every"`` (then it is one event per village and is not listed here).

    Returns ``[地点（原文）, 类别, 场数, 文件]``, most events first.

    Examples
    --------
    >>> ev = pd.DataFrame({"village_id": [None, None, None, "V1"],
    ...                    "village_name": ["镇文化站", None, "镇文化站", "大布村"],
    ...                    "source_file": ["a.xlsx", "a.xlsx", "b.csv", "a.xlsx"]})
    >>> town_wide_places(ev).values.tolist()
    [['镇文化站', '镇级场所', 2, 'a.xlsx、b.csv'], ['（空白）', '未写地点', 1, 'a.xlsx']]
    """
    from .io.villages import names_all_villages

    cols = ["地点（原文）", "类别", "场数", "文件"]
    town = events[events["village_id"].isna()] if "village_id" in events else events.iloc[0:0]
    if town.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "场数" else "str") for c in cols})
    place = town["village_name"].astype("str").str.strip() if "village_name" in town \
        else pd.Series(pd.NA, index=town.index, dtype="str")
    blank = place.isna() | place.eq("")
    kind = pd.Series("镇级场所", index=town.index, dtype="str")
    kind = kind.mask(names_all_villages(place), "全部村（社区）").mask(blank, "未写地点")
    frame = pd.DataFrame({"地点（原文）": place.mask(blank, "（空白）"), "类别": kind,
                          "file": town.get("source_file", pd.Series("", index=town.index))})
    out = (frame.groupby(["地点（原文）", "类别"], sort=False)
           .agg(场数=("file", "size"),
                文件=("file", lambda f: "、".join(dict.fromkeys(f.dropna().astype("str")))))
           .reset_index())
    return out.sort_values("场数", ascending=False, kind="stable").reset_index(drop=True)[cols]


def unrecognised_topics(ds: Any) -> pd.DataFrame:
    """Topic texts no topic word or alias recognises: ``[文字, 场数]``, most events first."""
    pairs = ds.event_topics if len(ds.event_topics) else ds.events[["event_id", "topic"]]
    unknown = pairs[pairs["topic"].notna() & ~pairs["topic"].isin(list(schema.TOPICS))]
    counts = unknown.drop_duplicates(["event_id", "topic"])["topic"].value_counts()
    return counts.rename_axis("文字").rename("场数").reset_index()


def unrecorded_ledgers(ds: Any) -> pd.DataFrame:
    """Ledgers that do not record an event's audience, topic or attendees: what is not assessed.

    ``[文件, 缺少, 活动场数, 涉及村数, 说明]`` from :func:`pufa_metrics.coverage.unrecorded_fields`:
    for the villages of these events, the reason is "not assessed", never "never targeted".
    """
    from .coverage import unrecorded_fields

    cols = {"source_file": "文件", "header": "缺少", "n_events": "活动场数",
            "n_villages": "涉及村数", "message": "说明"}
    if ds.events.empty:
        return pd.DataFrame({c: pd.Series(dtype="str") for c in cols.values()})
    gaps = unrecorded_fields(ds.events, ledger_columns=getattr(ds, "columns", None))
    return gaps[list(cols)].rename(columns=cols).reset_index(drop=True)


def unrecognised_audience_texts(ds: Any, *, settings: Settings | None = None) -> pd.DataFrame:
    """Audience texts no group word or alias recognises: ``[文字, 场数]``, most events first."""
    from .coverage import unrecognised_audiences

    if ds.events.empty:
        return pd.DataFrame({"文字": pd.Series(dtype="str"), "场数": pd.Series(dtype="int64")})
    settings = resolve_settings(settings)
    odd = unrecognised_audiences(ds.events, aliases=settings.audience_aliases)
    return odd.rename(columns={"audience": "文字", "n_events": "场数"}).reset_index(drop=True)


def undecided_answers(ds: Any, *, settings: Settings | None = None) -> pd.DataFrame:
    """Survey answers neither positive, negative nor missing: ``[题目, 题干, 答案, 份数]``.

    Each such item "needs a codebook decision" (需核定答案分类): its rates are not computed
    until the answer is put in 肯定答案, 否定答案 or 无效答案 (see
    :func:`pufa_metrics.survey.unclassified_answers`).
    """
    from .survey import unclassified_answers

    cols = {"item": "题目", "text": "题干", "answer": "答案", "n": "份数"}
    if ds.responses.empty or ds.codebook.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c == "份数" else "str")
                             for c in cols.values()})
    odd = unclassified_answers(ds.responses, ds.codebook, settings=settings)
    return odd[list(cols)].rename(columns=cols).reset_index(drop=True)


def period_check(ds: Any, *, settings: Settings | None = None, period: Any = None) -> pd.DataFrame:
    """The period asked for against the ledgers' first and last records, and what was done.

    Returns ``[项目, 内容]`` rows: the period configured, the records' span, the period used, and
    one row per note of :func:`pufa_metrics.workflow.resolve_period` (zh / en). ``period`` (a
    :class:`~pufa_metrics.workflow.Period`, e.g. from ``pufa report --start``) is the period
    the report uses; default: resolved from ``settings``.

    Examples
    --------
    >>> from pufa_metrics.io import Dataset
    >>> from pufa_metrics.workflow import Period
    >>> given = Period(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-12-31"),
    ...                pd.Timestamp("2024-12-31"))
    >>> period_check(Dataset(), settings=Settings(), period=given)["内容"].tolist()
    ['2024-01-01至2024-12-31（参数给定 / given）', '无带日期的活动记录 / no dated event']
    """
    settings = resolve_settings(settings)
    rows: list[tuple[str, str]] = []
    dates = pd.to_datetime(ds.events["date"]).dropna() if "date" in ds.events else pd.Series()
    if period is not None:
        rows.append(("设定的统计期 / period asked",
                     f"{period.start.date()}至{period.end.date()}（参数给定 / given）"))
    else:
        asked = (f"{settings.start.date() if settings.start is not None else '（未设，按台账）'}至"
                 f"{settings.end.date() if settings.end is not None else '（未设，按台账）'}")
        rows.append(("设定的统计期 / period in pufa.toml", asked))
    if dates.empty:
        rows.append(("台账记录 / ledger records", "无带日期的活动记录 / no dated event"))
        return pd.DataFrame(rows, columns=["项目", "内容"])
    rows.append(("台账记录 / ledger records",
                 f"{dates.min().date()}至{dates.max().date()}（{len(dates)}场）"))
    if period is None:
        period = resolve_period(settings, events=ds.events)
    rows.append(("采用的统计期 / period used", period.label()))
    rows += [("注意 / note", f"{zh} / {en}") for zh, en in period.notes]
    return pd.DataFrame(rows, columns=["项目", "内容"])


def town_check(ds: Any, *, settings: Settings | None = None) -> str:
    """One line: the town's name and where it was found, or how to give it."""
    name, zh, en = find_town_name(ds, settings=settings)
    if name is None:
        return ("镇名 / town: 未能确定（村居名册无所属镇列，台账标题行与文件名均未写镇名）；"
                "请在 pufa.toml [town] name 中填写，否则报告标题不含镇名 / not found in the "
                "register, titles or file names: set [town] name in pufa.toml")
    return f"镇名 / town: {name}（来自{zh} / from {en}）"


def validation_report(ds: Any, *, settings: Settings | None = None,
                      period: Any = None) -> dict[str, pd.DataFrame]:
    """Every table of the validation report, by its Chinese sheet name, in reading order.

    ``period``: the report's period (see :func:`period_check`); default from ``settings``.

    Sheets: 各文件读入情况, 统计期, 未导入的行（按原因）, 提示（按原因）, 全镇活动地点,
    未识别的宣传内容, 未使用的列, 已移除的个人信息, then every row: 未导入的行, 全部提示.

    Examples
    --------
    >>> from pufa_metrics.io import Dataset
    >>> list(validation_report(Dataset(), settings=Settings()))[:4]
    ['各文件读入情况', '统计期', '未导入的行（按原因）', '提示（按原因）']
    """
    settings = resolve_settings(settings)
    files = ds.files.copy()
    names = {**{t: spec.label_zh for t, spec in schema.TABLES.items()}, **_OTHER_TABLES_ZH}
    files["table"] = files["table"].map(lambda t: names.get(t, t))
    files["status"] = files["status"].map(lambda s: _STATUS_ZH.get(s, s))
    files = files[[c for c in _FILE_COLUMNS if c in files]].rename(columns=DATA_QUALITY_HEADERS)
    cols = getattr(ds, "columns", None)
    unused = (cols[cols["used_as"].eq("")][["source_file", "sheet", "column", "header", "reason"]]
              .rename(columns={"source_file": "文件", "sheet": "工作表", "column": "列",
                               "header": "表头", "reason": "原因"}).reset_index(drop=True)
              if cols is not None and len(cols) else pd.DataFrame(columns=["文件", "工作表", "列",
                                                                            "表头", "原因"]))
    removed = ds.removed_personal_data()
    removed = (removed[["source_file", "column", "kind_zh", "action_zh", "cells"]]
               .rename(columns={"source_file": "文件", "column": "列", "kind_zh": "类别",
                                "action_zh": "处理", "cells": "单元格数"})
               if len(removed)
               else pd.DataFrame(columns=["文件", "列", "类别", "处理", "单元格数"]))
    full = ["source_file", "sheet", "source_row", "column", "value", "reason"]
    return {
        "各文件读入情况": files.reset_index(drop=True),
        "统计期": period_check(ds, settings=settings, period=period),
        "未导入的行（按原因）": grouped_problems(ds.rejected),
        "提示（按原因）": grouped_problems(ds.warnings),
        "全镇活动地点": town_wide_places(ds.events),
        "未记录的字段": unrecorded_ledgers(ds),
        "未识别的宣传内容": unrecognised_topics(ds),
        "未识别的参加对象": unrecognised_audience_texts(ds, settings=settings),
        "需核定的问卷答案": undecided_answers(ds, settings=settings),
        "未使用的列": unused,
        "已移除的个人信息": removed.reset_index(drop=True),
        "未导入的行": ds.rejected[full].rename(columns=DATA_QUALITY_HEADERS).reset_index(drop=True),
        "全部提示": ds.warnings[full].rename(columns=DATA_QUALITY_HEADERS).reset_index(drop=True),
    }


def write_validation_report(tables: dict[str, pd.DataFrame], path: str | Path) -> Path:
    """Save every table of :func:`validation_report` to one .xlsx (atomically)."""
    return write_workbook({name[:31]: frame for name, frame in tables.items()}, path)


def write_data_quality(ds: Any, path: str | Path, *, settings: Settings | None = None,
                       period: Any = None) -> Path:
    """Write the data-quality workbook: the reconciliation, every problem, the validation report.

    Sheets: 核对 (one row per file: loaded + rejected + non-data = data rows), 未导入的行 (file,
    sheet, Excel row, column, value, reason), 提示 (every warning), then the grouped tables of
    :func:`validation_report` (统计期, 提示（按原因）, 全镇活动地点, 未识别的宣传内容 …). Text
    that looks like a formula is stored as text; the file is written atomically.
    """
    report = validation_report(ds, settings=settings, period=period)
    sheets = {
        "核对": ds.reconciliation().rename(columns=DATA_QUALITY_HEADERS),
        "未导入的行": ds.rejected.rename(columns=DATA_QUALITY_HEADERS),
        "提示": ds.warnings.rename(columns=DATA_QUALITY_HEADERS),
        **{name: frame for name, frame in report.items()
           if name not in ("各文件读入情况", "未导入的行", "全部提示")},
    }
    return write_workbook({name[:31]: frame for name, frame in sheets.items()}, path)
