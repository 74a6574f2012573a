"""Blank ledger templates (``pufa template``): the next folder of ledgers reads cleanly.

One Excel workbook per table the reader knows (:data:`TEMPLATE_FILES`): the events ledger
(普法活动台账), the village register (村居基本信息), publicity sites (普法阵地), the 法律明白人
roster, the village legal adviser's log, cadre law study (学法用法) and the survey codebook
(问卷编码表). Each workbook has

- a data sheet whose header row uses the reader's preferred wording: for each column the first
  header of ``schema.TABLES[table].aliases`` that the reader maps back to that column
  (:func:`template_header`); required columns are shown in red;
- a 填表说明 sheet (instructions: what each column means, required or not, allowed values, date
  format, in Chinese and English); the reader skips it;
- data validation that Excel and WPS both honour, with no macros: drop-down lists (villages from
  the register, topics, forms, audiences, 法律明白人 priority groups, levels, yes/no …) written
  inline when short and as a range of the hidden sheet 下拉选项 when longer than the 255
  characters Excel and WPS allow inline; whole numbers (≥ 0) in count columns; dates in date
  columns, which are also formatted ``yyyy-mm-dd``; code columns formatted as text, so 12-digit
  区划代码 keep every digit;
- a frozen header row and column widths that fit the Chinese headers and the list values.

Lists of several values per cell (宣传内容 禁毒、反诈; 参加对象 老年人、妇女) warn rather than
stop on a value outside the list; the reader reads such cells as it reads any ledger. Files
are written atomically (``_common.atomic_path``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from .. import schema
from .._common import atomic_path, check_frame, resolve_settings, text_width
from ..config import Settings
from .headers import canonical_column
from .ledger import read_ledger

#: Table → file name. Each name is one ``load_dataset`` assigns to that table by its keywords.
TEMPLATE_FILES: dict[str, str] = {
    "events": "普法活动台账.xlsx",
    "villages": "村居基本信息.xlsx",
    "sites": "普法阵地.xlsx",
    "legal_literates": "法律明白人名册.xlsx",
    "adviser_visits": "村法律顾问服务台账.xlsx",
    "cadres": "学法用法台账.xlsx",
    "codebook": "问卷编码表.xlsx",
}

#: Table → name of the data sheet (the codebook reader takes the sheet named 编码表).
DATA_SHEETS: dict[str, str] = {
    "events": "普法活动台账",
    "villages": "村居基本信息",
    "sites": "普法阵地",
    "legal_literates": "法律明白人",
    "adviser_visits": "法律顾问服务台账",
    "cadres": "学法用法",
    "codebook": "编码表",
}

#: Name of the instructions sheet and of the hidden sheet holding the long drop-down lists.
INSTRUCTIONS_SHEET = "填表说明"
LISTS_SHEET = "下拉选项"

#: Site types of docs/domain.md (宣传栏, 法治长廊, 法治广场, 一条街, 讲堂, 农家书屋, 公园).
SITE_TYPES: tuple[str, ...] = ("宣传栏", "法治长廊", "法治广场", "法治一条街", "法治讲堂",
                               "农家书屋", "法治公园", "其他")

#: Services of the village legal adviser's log (docs/data-contract.md adviser_visits).
ADVISER_SERVICES: tuple[str, ...] = ("讲座", "咨询", "调解", "法律意见")

#: Codebook domains and question kinds as the codebook reader reads them in Chinese.
CODEBOOK_DOMAINS: tuple[str, ...] = ("知晓", "知识", "支持", "满意", "其他")
CODEBOOK_KINDS: tuple[str, ...] = ("单选", "多选", "矩阵", "填空")

#: Excel's limit on an inline list (``"a,b,c"``), in characters; WPS has the same.
INLINE_LIST_LIMIT = 255

#: Whole-number and date bounds of the validations (dates as Excel serial numbers).
FIRST_DATE = pd.Timestamp("2000-01-01")
LAST_DATE = pd.Timestamp("2099-12-31")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
DATE_FORMAT = "yyyy-mm-dd"

_LAST_ROW = 1_048_576  # validations and formats cover the whole column below the header
_LISTED_IN_NOTES = 40  # a longer list is named by its first values in 填表说明


@dataclass(frozen=True)
class TemplateColumn:
    """One column of a template: what it holds and how the sheet checks it.

    ``kind`` is one of ``text``, ``code`` (text-formatted), ``date``, ``count`` (whole number
    ≥ 0), ``year``, ``hours`` (decimal ≥ 0), ``score`` (0–100), ``lon``, ``lat``, ``list``.
    ``choices`` names the list of a ``list`` column (see :func:`template_lists`); ``strict``
    lists stop a value outside them, the others warn (several values may share one cell).
    """

    column: str
    kind: str
    required: bool
    zh: str
    en: str
    choices: str | None = None
    strict: bool = False


def _c(column: str, kind: str, required: bool, zh: str, en: str, choices: str | None = None,
       strict: bool = False) -> TemplateColumn:
    return TemplateColumn(column, kind, required, zh, en, choices, strict)


_SEVERAL = "可填多个，用“、”分隔"
_SEVERAL_EN = "several allowed, separated by 、"

#: Table → the template's columns, in order.
TEMPLATE_COLUMNS: dict[str, tuple[TemplateColumn, ...]] = {
    "events": (
        _c("date", "date", True, "活动开展日期", "date of the event"),
        _c("village_name", "list", False,
           "开展活动的村（社区），从下拉列表选择；全镇性活动选“全镇”",
           "village or community; 全镇 for a town-wide event", "event_villages"),
        _c("title", "text", False, "活动名称，如“民法典进乡村宣讲”", "title of the event"),
        _c("topic", "list", True, f"宣传内容（涉及的法律法规），{_SEVERAL}",
           f"topics (laws) covered; {_SEVERAL_EN}", "topics"),
        _c("form", "list", False, "活动形式", "form of the event", "forms"),
        _c("organizer", "text", False, "主办或牵头单位", "organising unit"),
        _c("audience", "list", False, f"参加对象，{_SEVERAL}", f"audience; {_SEVERAL_EN}",
           "audiences"),
        _c("attendees", "count", False, "参加人数（人次），填整数", "attendees (person-times)"),
        _c("materials", "count", False, "发放资料（份）", "materials handed out (copies)"),
        _c("banners", "count", False, "悬挂横幅（条）", "banners hung"),
        _c("boards", "count", False, "展板、版面（块）", "display boards"),
        _c("consultations", "count", False, "解答咨询（人次）",
           "questions answered (person-times)"),
        _c("notes", "text", False, "备注", "notes"),
    ),
    "villages": (
        _c("village_id", "code", True, "村（社区）编码：12位统计用区划代码或本镇自定编号，每村唯一",
           "village code (12-digit statistical code or the town's own), unique"),
        _c("village_name", "text", True, "村（社区）名称，如“大岭村”“公园社区”",
           "name of the village or community"),
        _c("town", "text", False, "所属镇（街道）", "town"),
        _c("county", "text", False, "所属县（市、区）", "county"),
        _c("kind", "list", False, "类型：村或社区", "kind: village (村) or community (社区)",
           "kinds", True),
        _c("population", "count", True, "常住人口（人）", "resident population"),
        _c("registered_population", "count", False, "户籍人口（人）", "registered population"),
        _c("households", "count", False, "户数", "households"),
        _c("villager_groups", "count", False, "村民小组数", "villager groups"),
        _c("lon", "lon", False, "经度（十进制度，如 113.25）", "longitude (decimal degrees)"),
        _c("lat", "lat", False, "纬度（十进制度，如 23.13）", "latitude (decimal degrees)"),
    ),
    "sites": (
        _c("site_id", "code", False, "阵地编号（可空，空白时自动生成）",
           "site code (blank: made from the row)"),
        _c("site_name", "text", True, "阵地名称", "name of the site"),
        _c("village_name", "list", False, "所属村（社区）；镇级阵地留空",
           "village of the site; blank for a town-level site", "villages"),
        _c("level", "list", True, "级别：镇级或村级", "level: town (镇级) or village (村级)",
           "levels", True),
        _c("site_type", "list", False, "阵地类型", "type of site", "site_types"),
        _c("lon", "lon", False, "经度（十进制度）", "longitude (decimal degrees)"),
        _c("lat", "lat", False, "纬度（十进制度）", "latitude (decimal degrees)"),
        _c("opened", "date", False, "建成日期", "date opened"),
        _c("last_updated", "date", False, "最近一次更新内容的日期",
           "date the content was last updated"),
    ),
    "legal_literates": (
        _c("person_id", "code", True, "人员编号（不填姓名、身份证号）",
           "person code (no names or ID numbers)"),
        _c("village_name", "list", True, "所属村（社区）", "village or community", "villages"),
        _c("villager_group", "text", False, "所属村民小组", "villager group"),
        _c("gender", "list", False, "性别", "gender", "genders", True),
        _c("group", "list", False, "身份类别（10类重点对象之一）",
           "priority group (one of the 10 groups)", "groups"),
        _c("trained_hours", "hours", False, "本年度培训学时", "training hours in the year"),
        _c("year", "year", False, "年度，如 2025", "year, e.g. 2025"),
    ),
    "adviser_visits": (
        _c("date", "date", True, "服务日期", "date of the visit"),
        _c("village_name", "list", True, "服务的村（社区）", "village or community served",
           "villages"),
        _c("adviser", "text", False, "法律顾问（律师事务所或顾问称谓）", "adviser (firm or title)"),
        _c("service", "list", False, f"服务事项，{_SEVERAL}", f"services; {_SEVERAL_EN}",
           "services"),
        _c("consultations", "count", False, "解答咨询（人次）", "consultations (person-times)"),
        _c("lectures", "count", False, "讲座场次", "lectures given"),
        _c("mediations", "count", False, "参与调解（件）", "disputes mediated"),
        _c("opinions", "count", False, "出具法律意见书（件）", "legal opinions written"),
    ),
    "cadres": (
        _c("person_id", "code", True, "人员编号（不填姓名、身份证号）",
           "person code (no names or ID numbers)"),
        _c("department", "text", True, "所在单位或部门", "unit or department"),
        _c("year", "year", True, "年度，如 2025", "year, e.g. 2025"),
        _c("position", "text", False, "职务", "position"),
        _c("is_leader", "list", False, "是否领导干部", "leading cadre?", "yes_no", True),
        _c("required_hours", "hours", False, "必修（应学）学时", "required study hours"),
        _c("online_hours", "hours", False, "实际学习时长（学时）", "hours studied"),
        _c("exam_taken", "list", False, "是否参加年度学法考试", "took the exam?", "yes_no", True),
        _c("exam_score", "score", False, "考试成绩（0–100分）；缺考留空", "exam score (0–100)"),
        _c("exam_passed", "list", False, "考试是否合格", "passed?", "yes_no", True),
        _c("enforcement_cert", "code", False, "行政执法证号；无证留空",
           "law-enforcement certificate number; blank if none"),
    ),
    "codebook": (
        _c("item", "code", True, "题号，如 q4；矩阵题每行 q8_1、q8_2；多选题每个选项 q7_选项",
           "item name, e.g. q4"),
        _c("text", "text", True, "题目原文", "question text"),
        _c("domain", "list", True, "类别：知晓 / 知识 / 支持 / 满意 / 其他（其他不计算比率）",
           "domain: awareness / knowledge / support / satisfaction / other", "domains", True),
        _c("positive", "text", False,
           "计为肯定（知晓、支持、满意）的答案，用“、”分隔；留空按 pufa.toml [survey] 前两级规则",
           "answers counted as positive, separated by 、"),
        _c("negative", "text", False, "计为否定的答案，用“、”分隔；未列入任何一类的答案不计为否定",
           "answers counted as negative"),
        _c("missing", "text", False, "视为未作答的答案，不计入分母", "answers that are no answer"),
        _c("correct", "text", False, "知识题的正确答案", "correct answer of a knowledge item"),
        _c("options", "text", False, "答案选项，用“、”分隔，按问卷中的顺序",
           "answer options in questionnaire order"),
        _c("kind", "list", False, "题型：单选 / 多选 / 矩阵 / 填空", "question kind", "kinds_q",
           True),
    ),
}

_KIND_RULE = {
    "date": ("日期，格式 2025-03-05（也可写 2025年3月5日）", "date, written 2025-03-05"),
    "count": ("整数，≥0", "whole number ≥ 0"),
    "year": ("四位年份，2000–2099", "four-digit year"),
    "hours": ("数字，≥0，可有小数", "number ≥ 0"),
    "score": ("数字，0–100", "number 0–100"),
    "lon": ("数字，-180 至 180", "number -180 to 180"),
    "lat": ("数字，-90 至 90", "number -90 to 90"),
    "code": ("文本（按文本保存，编码前面的 0 和长编码不会丢失）", "text (codes keep every digit)"),
    "text": ("文本", "text"),
}

_GENERAL_ZH = (
    "填写须知：一行填一条记录；第一行表头请勿修改、删除或合并；不要合并单元格，不要在表格下方"
    "写合计、小计；红色表头为必填项。带下拉箭头的列可从列表选择；隐藏工作表“下拉选项”存放较长的"
    "列表，请勿删除。日期写成 2025-03-05。人员只填编号，不填姓名、身份证号、电话等个人信息"
    "（如另加“姓名”列，读取时会被删除，不进入任何结果）。"
)
_GENERAL_EN = (
    "One record per row; keep the header row as it is; no merged cells and no total rows; red "
    "headers are required. Columns with a drop-down arrow take a value from the list; the hidden "
    "sheet 下拉选项 holds the longer lists. Dates as 2025-03-05. People by code only, no names, "
    "ID numbers or phone numbers."
)

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_REQUIRED_FONT = Font(bold=True, color="C00000")
_HEADER_FONT = Font(bold=True)


def template_header(table: str, column: str, *, settings: Settings | None = None) -> str:
    """The header a template writes for ``column``: the reader's preferred Chinese wording.

    The first header of ``schema.TABLES[table].aliases[column]`` that the reader
    (:func:`pufa_metrics.io.headers.canonical_column`, with pufa.toml ``[columns]``) maps back
    to ``column``.

    Parameters
    ----------
    table : str
        A key of :data:`TEMPLATE_FILES`.
    column : str
        A canonical column of that table.
    settings : Settings, optional
        Default ``pufa.toml``; its ``[columns]`` headers are known to the reader too.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        When no alias of the column is read back as that column.

    Examples
    --------
    >>> template_header("events", "date"), template_header("events", "attendees")
    ('日期', '人数')
    >>> template_header("villages", "village_name"), template_header("codebook", "positive")
    ('村（社区）', '肯定答案')
    """
    if table not in TEMPLATE_FILES:
        raise ValueError(f"'table' should be one of {list(TEMPLATE_FILES)}, got {table!r}"
                         "（table 不是可生成模板的表）")
    spec = schema.TABLES[table]
    if column not in spec.columns:
        raise ValueError(f"'column' should be a column of {table}, got {column!r}; columns are "
                         f"{list(spec.columns)}（{table} 没有列 {column}）")
    settings = resolve_settings(settings)
    extra = settings.header_aliases(table) if table != "codebook" else ()
    for header in spec.aliases.get(column, ()):
        back = (schema.match_header(header, table) if table == "codebook"
                else canonical_column(header, table, extra))
        if back == column:
            return header
    raise ValueError(
        f"no header of {table}.{column} is read back as {column!r} (aliases "
        f"{list(spec.aliases.get(column, ()))})（{table} 的 {column} 列没有可读回的表头）"
    )


def _check_tables(tables: object) -> tuple[str, ...]:
    if tables is None:
        return tuple(TEMPLATE_FILES)
    if isinstance(tables, str) or not isinstance(tables, Iterable):
        raise TypeError(f"'tables' should be a list of table names, got {tables!r}"
                        "（tables 应为表名列表）")
    out = tuple(tables)
    bad = [t for t in out if t not in TEMPLATE_FILES]
    if bad or not out:
        raise ValueError(f"'tables' should name tables of {list(TEMPLATE_FILES)}, got {list(out)}"
                         f"（tables 只能取 {'、'.join(TEMPLATE_FILES)}）")
    return tuple(dict.fromkeys(out))


def _register_names(register: object, settings: Settings) -> tuple[str, ...]:
    """Village names of the register (a frame or a register file), in register order."""
    if register is None:
        return ()
    if isinstance(register, (str, os.PathLike)):
        path = Path(register)
        if not path.is_file():
            raise FileNotFoundError(f"'register': no such file {str(path)!r}"
                                    "（找不到村居基本信息文件）")
        frame, _ = read_ledger(path, table="villages", settings=settings)
    else:
        frame = check_frame(register, "register", ["village_name"])
    names = frame["village_name"].dropna().astype("str").str.strip()
    names = names[names.ne("")].drop_duplicates()
    if names.empty:
        raise ValueError("'register' lists no village name（村居基本信息中没有村（社区）名称）")
    return tuple(names.tolist())


def template_lists(*, register: pd.DataFrame | str | os.PathLike | None = None,
                   settings: Settings | None = None) -> dict[str, tuple[str, ...]]:
    """The values of every drop-down list of the templates.

    Topics and audiences start with pufa.toml's required ones, then the rest of
    ``schema.TOPICS`` / ``schema.AUDIENCES``; forms are ``schema.FORMS``, priority groups
    ``schema.LEGAL_LITERATE_GROUPS``. ``villages`` (and ``event_villages``, which adds 全镇 for
    town-wide events) are the register's names, empty without a register.

    Parameters
    ----------
    register : DataFrame or path, optional
        The village register: a frame with ``village_name`` or a register file
        (村居基本信息.xlsx), read with :func:`pufa_metrics.io.read_ledger`.
    settings : Settings, optional
        Default ``pufa.toml``.

    Returns
    -------
    dict
        List name → values.

    Examples
    --------
    >>> register = pd.DataFrame({"village_name": ["大岭村", "公园社区"]})
    >>> lists = template_lists(register=register, settings=Settings())  # the built-in defaults
    >>> lists["event_villages"], lists["levels"], lists["topics"][:4]
    (('全镇', '大岭村', '公园社区'), ('镇级', '村级'), ('宪法', '民法典', '反电信网络诈骗', '禁毒'))
    """
    settings = resolve_settings(settings)
    villages = _register_names(register, settings)
    topics = tuple(dict.fromkeys([*settings.required_topics, *schema.TOPICS]))
    audiences = tuple(dict.fromkeys([*settings.required_audiences, *schema.AUDIENCES]))
    return {
        "villages": villages,
        "event_villages": ("全镇", *villages) if villages else (),
        "topics": tuple(t for t in topics if t in schema.TOPICS),
        "forms": tuple(schema.FORMS),
        "audiences": tuple(a for a in audiences if a in schema.AUDIENCES),
        "groups": tuple(schema.LEGAL_LITERATE_GROUPS),
        "levels": ("镇级", "村级"),
        "kinds": ("村", "社区"),
        "site_types": SITE_TYPES,
        "services": ADVISER_SERVICES,
        "genders": ("男", "女"),
        "yes_no": ("是", "否"),
        "domains": CODEBOOK_DOMAINS,
        "kinds_q": CODEBOOK_KINDS,
    }


def _serial(day: pd.Timestamp) -> str:
    return str((day - _EXCEL_EPOCH).days)


def _validation(col: TemplateColumn, formula: str | None) -> DataValidation | None:
    """The data validation of one column (None for free text)."""
    common = {"allow_blank": True, "showErrorMessage": True, "showInputMessage": True}
    if col.kind == "list":
        if formula is None:
            return None
        style = "stop" if col.strict else "warning"
        dv = DataValidation(type="list", formula1=formula, errorStyle=style,
                            errorTitle="不在列表中", promptTitle="请选择",
                            error="请从下拉列表选择。Please choose from the list." if col.strict
                            else "不在列表中，仍可保留，读取时按原文处理。Not in the list; kept as "
                            "written.", prompt=col.zh[:200], **common)
        return dv
    bounds = {
        "count": ("whole", "greaterThanOrEqual", "0", None,
                  "请填写不小于0的整数。Whole number ≥ 0."),
        "year": ("whole", "between", "2000", "2099", "请填写四位年份。A year 2000–2099."),
        "hours": ("decimal", "greaterThanOrEqual", "0", None, "请填写不小于0的数字。Number ≥ 0."),
        "score": ("decimal", "between", "0", "100", "请填写0–100的成绩。Score 0–100."),
        "lon": ("decimal", "between", "-180", "180", "经度应在-180至180之间。Longitude."),
        "lat": ("decimal", "between", "-90", "90", "纬度应在-90至90之间。Latitude."),
        "date": ("date", "between", _serial(FIRST_DATE), _serial(LAST_DATE),
                 "请填写日期，如 2025-03-05。A date such as 2025-03-05."),
    }
    if col.kind not in bounds:
        return None
    kind, operator, low, high, error = bounds[col.kind]
    return DataValidation(type=kind, operator=operator, formula1=low, formula2=high,
                          errorStyle="stop", errorTitle="格式不对", error=error,
                          promptTitle="填写要求", prompt=col.zh[:200], **common)


def _inline(values: Sequence[str]) -> str | None:
    """``"a,b,c"`` when the list fits Excel's inline limit and no value holds a comma or quote."""
    text = ",".join(values)
    if len(text) > INLINE_LIST_LIMIT or any(("," in v) or ('"' in v) for v in values):
        return None
    return f'"{text}"'


def _width(texts: Iterable[str]) -> float:
    """Excel column width that shows the widest text (a CJK character is two units)."""
    return max((2 * text_width(t) for t in texts), default=8.0)


def _instructions(ws, table: str, columns: Sequence[TemplateColumn], headers: Sequence[str],
                  lists: dict[str, tuple[str, ...]]) -> None:
    ws.append([f"{schema.TABLES[table].label_zh} 填表说明 / how to fill in this template"])
    ws.append([_GENERAL_ZH])
    ws.append([_GENERAL_EN])
    ws.append([])
    ws.append(["列名", "是否必填", "含义", "填写要求 / 可选值", "Column", "Meaning / rule"])
    for col, header in zip(columns, headers, strict=True):  # a dozen columns
        if col.kind == "list":
            values = lists[col.choices]
            if len(values) > _LISTED_IN_NOTES or (values and _inline(values) is None):
                rule_zh = (f"从下拉列表选择（共{len(values)}项，"
                           f"全部列在隐藏工作表“{LISTS_SHEET}”）："
                           + "、".join(values[:_LISTED_IN_NOTES])
                           + ("……" if len(values) > _LISTED_IN_NOTES else ""))
            elif values:
                rule_zh = "从下拉列表选择：" + "、".join(values)
            else:
                rule_zh = "填写村（社区）全称，与村居基本信息一致"
            rule_en = "one of the list" if values else "full name as in the register"
            if not col.strict and values:
                rule_zh += "（列表外的值会提示，但仍可保留）"
        else:
            rule_zh, rule_en = _KIND_RULE[col.kind]
        ws.append([header, "必填" if col.required else "选填", col.zh, rule_zh, col.column,
                   f"{col.en} ({'required' if col.required else 'optional'}); {rule_en}"])
    for row in (1, 5):
        ws.cell(row=row, column=1).font = _HEADER_FONT
    for cell in ws[5]:
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=6):  # one row per column of the template
        for cell in row:
            cell.alignment = wrap
    for letter, width in zip("ABCDEF", (18, 9, 40, 50, 18, 50), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A6"


def _write_workbook(path: Path, table: str, lists: dict[str, tuple[str, ...]],
                    settings: Settings) -> int:
    """Write one template; return how many data validations it holds."""
    columns = TEMPLATE_COLUMNS[table]
    headers = [template_header(table, c.column, settings=settings) for c in columns]
    book = Workbook()
    ws = book.active
    ws.title = DATA_SHEETS[table]
    ws.append(headers)
    notes = book.create_sheet(INSTRUCTIONS_SHEET)
    _instructions(notes, table, columns, headers, lists)
    hidden = None
    n_validations = n_lists = 0
    for j, (col, header) in enumerate(zip(columns, headers, strict=True), start=1):  # columns
        letter = get_column_letter(j)
        cell = ws.cell(row=1, column=j)
        cell.font = _REQUIRED_FONT if col.required else _HEADER_FONT
        cell.fill = _HEADER_FILL
        values = lists[col.choices] if col.kind == "list" else ()
        formula = None
        if values:
            formula = _inline(values)
            if formula is None:  # long list: a range of the hidden sheet
                if hidden is None:
                    hidden = book.create_sheet(LISTS_SHEET)
                    hidden.sheet_state = "hidden"
                k = n_lists = n_lists + 1
                hidden.cell(row=1, column=k, value=f"选项：{header}")
                for i, value in enumerate(values, start=2):  # the list's values
                    hidden.cell(row=i, column=k, value=value)
                hl = get_column_letter(k)
                formula = (f"{quote_sheetname(LISTS_SHEET)}!${hl}$2:${hl}${len(values) + 1}")
        dv = _validation(col, formula)
        if dv is not None:
            dv.add(f"{letter}2:{letter}{_LAST_ROW}")
            ws.add_data_validation(dv)
            n_validations += 1
        dim = ws.column_dimensions[letter]
        if col.kind == "date":
            dim.number_format = DATE_FORMAT
        elif col.kind == "code":
            dim.number_format = "@"
        floor = 12.0 if col.kind == "date" else 8.0
        dim.width = round(min(max(_width([header]) + 4, _width(values[:40]) + 4, floor), 40), 1)
    ws.freeze_panes = "A2"
    with atomic_path(path) as tmp:
        book.save(tmp)
    return n_validations


def write_templates(
    out: str | os.PathLike,
    *,
    register: pd.DataFrame | str | os.PathLike | None = None,
    tables: Sequence[str] | None = None,
    overwrite: bool = False,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Write blank Excel ledger templates, one per table, into a folder.

    Each template has the reader's headers, a 填表说明 sheet, drop-down lists, number and date
    checks, a frozen header and fitted widths (see the module docstring). Filled in and put in
    a ledger folder, they are read by :func:`pufa_metrics.load_dataset` as they are.

    Parameters
    ----------
    out : str or Path
        The folder; created when missing.
    register : DataFrame or path, optional
        The village register (a frame with ``village_name`` or a file such as
        ``data/raw/村居基本信息.xlsx``): village columns get a drop-down of its names. Without
        it they are free text.
    tables : list of str, optional
        Which templates (keys of :data:`TEMPLATE_FILES`); default all seven.
    overwrite : bool, default False
        Replace files already in ``out``; by default an existing file (perhaps a filled
        ledger) stops the call before anything is written.
    settings : Settings, optional
        Default ``pufa.toml`` (required topics and audiences first in their lists; ``[columns]``
        headers known to the reader).

    Returns
    -------
    pandas.DataFrame
        One row per file: ``table, label_zh, file, path, n_columns, n_validations``.

    Raises
    ------
    FileExistsError
        When a template's file exists and ``overwrite`` is False.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> written = write_templates(folder, register=pd.DataFrame({"village_name": ["大岭村"]}))
    >>> written[["table", "file", "n_columns"]].values.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [['events', '普法活动台账.xlsx', 13], ['villages', '村居基本信息.xlsx', 11],
     ['sites', '普法阵地.xlsx', 9], ['legal_literates', '法律明白人名册.xlsx', 7],
     ['adviser_visits', '村法律顾问服务台账.xlsx', 8], ['cadres', '学法用法台账.xlsx', 11],
     ['codebook', '问卷编码表.xlsx', 9]]
    >>> from openpyxl import load_workbook
    >>> ws = load_workbook(folder / "普法活动台账.xlsx")["普法活动台账"]
    >>> [c.value for c in ws[1]][:4], ws.freeze_panes
    (['日期', '村（社区）', '活动名称', '宣传内容'], 'A2')
    """
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"'out' should be a folder path, got {type(out).__name__}"
                        "（out 应为文件夹路径）")
    if not isinstance(overwrite, bool):
        raise TypeError(f"'overwrite' should be True or False, got {overwrite!r}")
    settings = resolve_settings(settings)
    chosen = _check_tables(tables)
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"'out' should be a folder, got {str(folder)!r}, which is a file"
                         "（out 应为文件夹）")
    targets = {t: folder / TEMPLATE_FILES[t] for t in chosen}
    existing = [p.name for p in targets.values() if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{'、'.join(existing)} already in {str(folder)!r}; choose another folder or pass "
            f"overwrite=True (--overwrite)（文件已存在，为免覆盖已填写的台账，请换一个文件夹或加 "
            "--overwrite）"
        )
    lists = template_lists(register=register, settings=settings)
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for table, path in targets.items():  # seven files
        n = _write_workbook(path, table, lists, settings)
        rows.append({"table": table, "label_zh": schema.TABLES[table].label_zh,
                     "file": path.name, "path": str(path),
                     "n_columns": len(TEMPLATE_COLUMNS[table]), "n_validations": n})
    return pd.DataFrame(rows).astype({"table": "str", "label_zh": "str", "file": "str",
                                      "path": "str", "n_columns": "int64",
                                      "n_validations": "int64"})
