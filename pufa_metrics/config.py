"""Paths and settings.

Paths follow the project layout (``data/raw``, ``data/processed``, ``reports``). Settings come from
``pufa.toml``: targets and thresholds an analyst edits without touching code. Every key is optional
and falls back to the defaults below, which follow ``docs/domain.md``'s sourced targets.

**settings=None means pufa.toml, everywhere.** Every function of the package that takes
``settings`` reads the project's ``pufa.toml`` (:data:`SETTINGS_FILE`) when it is None, through
:func:`resolve_settings`; none falls back to the built-in defaults on its own, so a target an
analyst edits shows in every table, chart and text. Pass ``Settings()`` for the built-in
defaults, or ``Settings.load(path)`` for another file.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
RAW_DIR = DATA_DIR / "raw"
PROCESSED_DIR = DATA_DIR / "processed"
REPORTS_DIR = PROJECT_ROOT / "reports"
FIGURES_DIR = REPORTS_DIR / "figures"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
SETTINGS_FILE = PROJECT_ROOT / "pufa.toml"


@dataclass(frozen=True)
class Limits:
    """Sizes past which an input file is refused before it is parsed (``pufa.toml`` ``[limits]``).

    A hostile or broken file (a ZIP bomb named .xlsx, a CSV of one multi-GB line, a sheet whose
    one far cell makes a grid of billions of empty cells) would otherwise take minutes and
    gigabytes, or crash the process. :func:`pufa_metrics.io.workbook.read_raw` checks these
    before parsing and raises :class:`~pufa_metrics.io.LedgerError` naming the file, the limit
    and this section. The defaults are several times the largest legitimate inputs known
    (``benchmarks/bench_large_input.py``: a 200,040-row .xlsx inflating to 128 MB, a
    1,000,000-row CSV of 116 MB and 11 million cells; a 3,000-column test ledger).

    Attributes
    ----------
    max_file_mb : float
        Size of any input file on disk, in MB (10**6 bytes).
    max_uncompressed_mb : float
        What the parts of an .xlsx workbook inflate to, all together, in MB, as their ZIP
        directory declares (a declaration is checked against the data when it matters).
    max_compression_ratio : float
        Declared size / compressed size of one part of 1 MB or more; XML compresses about 10:1,
        a ZIP bomb about 1000:1.
    max_parts : int
        Parts (ZIP members) of an .xlsx workbook.
    max_sheets : int
        Sheets of a workbook (.xlsx or .xls).
    max_columns : int
        Columns of one sheet or CSV file (16,384 = Excel's own last column, XFD).
    max_cells : int
        Rows × columns of one sheet's grid, empty cells included (about 80 bytes of memory
        each while reading: 50 million ≈ 4 GB).
    max_line_mb : float
        Longest line of a CSV/text file, in MB.

    Examples
    --------
    >>> Limits().max_sheets
    256
    >>> Settings.from_dict({"limits": {"max_sheets": 10}}).limits.max_sheets
    10
    """

    max_file_mb: float = 500.0
    max_uncompressed_mb: float = 500.0
    max_compression_ratio: float = 200.0
    max_parts: int = 10_000
    max_sheets: int = 256
    max_columns: int = 16_384
    max_cells: int = 50_000_000
    max_line_mb: float = 10.0

#: Defaults for every section and key of ``pufa.toml``.
DEFAULTS: dict[str, dict[str, Any]] = {
    "period": {"start": None, "end": None, "as_of": None},
    "targets": {
        "awareness": 0.90,
        "support": 0.90,
        "satisfaction": 0.90,
        "knowledge": 0.90,
        "attendance_per_100": 10.0,
        "max_days_without_event": 365,
        "max_gap_days": 365,
        "gap_window_months": 24,
        "min_respondents": 10,
        "legal_literates_per_village": 3,
        "collective_study_per_year": 2,
        "lqas_lower_gap": 0.30,
    },
    "topics": {"required": ["宪法", "民法典", "反电信网络诈骗", "禁毒"], "aliases": {}},
    "audiences": {"required": ["老年人", "青少年", "妇女", "外出务工人员"], "aliases": {}},
    "survey": {
        # positive_<domain>: the levels that can count as positive, HIGHEST FIRST; an item
        # counts the `top_levels` highest of those it offers (docs/domain.md, see
        # pufa_metrics.io.survey.classify_levels). negative_<domain>: answered, not positive.
        # An answer in neither (nor in `missing`) is unclassified: the item is not assessed.
        "top_levels": 2,
        "positive_awareness": [
            "非常了解", "很了解", "十分了解", "完全了解", "非常清楚", "非常熟悉",
            "比较了解", "较了解", "比较清楚", "比较熟悉",
            "了解", "知道", "清楚", "熟悉", "是", "有",
            "基本了解", "有所了解", "了解一些", "知道一些", "听说过", "听说过但不了解",
        ],
        "negative_awareness": [
            "一般", "一般了解", "不太了解", "不大了解", "不是很了解", "了解很少", "了解不多",
            "不了解", "完全不了解", "非常不了解", "很不了解", "根本不了解", "不太清楚",
            "不知道", "完全不知道", "没听说过", "没有听说过", "未听说过", "从未听说",
            "从没听说过", "否", "不是", "没有", "无",
        ],
        "positive_support": [
            "非常支持", "很支持", "十分支持", "完全支持", "非常赞成", "非常同意",
            "支持", "赞成", "同意", "比较支持", "较支持", "比较赞成", "比较同意",
            "基本支持", "基本赞成", "基本同意", "愿意", "是",
        ],
        "negative_support": [
            "一般", "无所谓", "说不上", "中立", "不太支持", "不支持", "非常不支持", "很不支持",
            "反对", "比较反对", "非常反对", "不太赞成", "不赞成", "不太同意", "不同意",
            "非常不同意", "不愿意", "否",
        ],
        "positive_satisfaction": [
            "非常满意", "很满意", "十分满意", "满意", "比较满意", "较满意", "基本满意", "是",
        ],
        "negative_satisfaction": [
            "一般", "说不上", "不太满意", "不满意", "非常不满意", "很不满意", "比较不满意",
            "较不满意", "不是很满意", "极不满意", "否",
        ],
        "missing": ["不清楚", "说不清", "未作答", "拒答", "(跳过)", "-3"],
    },
    "training": {"pass_mark": 80, "required_hours": 40},
    "services": {
        "adviser_lectures_per_quarter": 1,
        "adviser_days_per_month": 2,
        "max_days_without_adviser": 90,
        "site_stale_months": 12,
    },
    "privacy": {"suppress_below": 5, "salt": ""},
    "limits": asdict(Limits()),
    "town": {"name": ""},
    "events": {"all_villages": "town"},
    # exposure_effect: events in this many months before a survey answer count (issue #18)
    "effect": {"window_months": 12},
    "files": {},
    "columns": {},
}

_NUMBER = (int, float)


def _check_value(section: str, key: str, value: Any, default: Any, source: str) -> Any:
    where = f"{source}: [{section}] {key}"
    if section == "period":
        if value in (None, ""):
            return None
        try:
            return pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"{where} = {value!r} is not a date; write it as \"YYYY-MM-DD\". "
                f"（日期格式应为 YYYY-MM-DD）"
            ) from exc
    if section == "limits":
        if isinstance(value, bool) or not isinstance(value, _NUMBER) or not value > 0:
            raise ValueError(
                f"{where} should be a number greater than 0, got {value!r}（应为大于 0 的数字）"
            )
        if isinstance(default, int) and value != int(value):
            raise ValueError(f"{where} should be a whole number, got {value!r}（应为整数）")
        return int(value) if isinstance(default, int) else float(value)
    if section == "events" and key == "all_villages" and value not in ("town", "every"):
        raise ValueError(
            f"{where} should be \"town\" (a cell naming all villages, 各村/全镇各村, is one "
            f"town-wide event) or \"every\" (it counts for every village), got {value!r}"
            "（应为 \"town\" 或 \"every\"）"
        )
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ValueError(f"{where} should be true or false, got {value!r}")
        return value
    if isinstance(default, _NUMBER):
        if isinstance(value, bool) or not isinstance(value, _NUMBER):
            raise ValueError(f"{where} should be a number, got {value!r}（应为数字）")
        if value < 0:
            raise ValueError(f"{where} should not be negative, got {value!r}（不能为负数）")
        return value
    if isinstance(default, str):
        if not isinstance(value, str):
            raise ValueError(f"{where} should be text, got {value!r}")
        return value
    if isinstance(default, list):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"{where} should be a list of text values, got {value!r}")
        return list(value)
    return value


#: Tables whose headers ``[columns]`` may name (read by :mod:`pufa_metrics.io.ledger`).
COLUMN_TABLES = ("villages", "events", "sites", "cadres", "legal_literates", "adviser_visits")


def _check_columns(values: dict[str, Any], source: str) -> dict[str, dict[str, list[str]]]:
    """``[columns]``: ``column = [headers]`` for events, ``[columns.<table>]`` for the others.

    Returns ``{table: {column: [headers]}}``; raises ValueError naming the key and what it
    expected (a canonical column of the table, a header or a list of headers).
    """
    from .schema import TABLES, normalize_header

    out: dict[str, dict[str, list[str]]] = {}
    seen: dict[tuple[str, str], str] = {}  # (table, normalised header) -> column
    for key, value in values.items():
        if key in TABLES:
            if key not in COLUMN_TABLES:
                raise ValueError(
                    f"{source}: [columns.{key}] is not a ledger table; expected one of "
                    f"{', '.join(COLUMN_TABLES)}（[columns] 中的表名无效）"
                )
            if not isinstance(value, dict):
                raise ValueError(
                    f"{source}: [columns.{key}] should be a table of column = [headers], "
                    f"got {value!r}"
                )
            table, mapping = key, value
        else:
            table, mapping = "events", {key: value}
        columns = [c for c in TABLES[table].columns
                   if c not in ("source_file", "source_row") and not c.endswith("_approx")]
        where = "[columns]" if table == "events" else f"[columns.{table}]"
        for col, headers in mapping.items():
            if col not in columns:
                raise ValueError(
                    f"{source}: {where} {col} is not a column of table '{table}'; expected one "
                    f"of {', '.join(columns)}（[columns] 中的列名无效）"
                )
            headers = [headers] if isinstance(headers, str) else headers
            if (not isinstance(headers, list) or not headers
                    or not all(isinstance(h, str) and h.strip() for h in headers)):
                raise ValueError(
                    f"{source}: {where} {col} should be a header or a list of headers as written "
                    f"in the ledger, got {headers!r}（应为表头文字或其列表）"
                )
            for h in headers:
                other = seen.setdefault((table, normalize_header(h)), col)
                if other != col:
                    raise ValueError(
                        f"{source}: {where} header {h!r} is given for both {other} and {col}"
                        "（同一表头不能对应两列）"
                    )
            out.setdefault(table, {})[col] = list(headers)
    return out


def _check_aliases(value: Any, source: str, *, section: str, canon: dict[str, str], what: str,
                   what_zh: str) -> dict[str, str]:
    """``[<section>] aliases``: alias → a canonical name of ``canon`` (topics, audiences)."""
    where = f"{source}: [{section}] aliases"
    if not isinstance(value, dict):
        raise ValueError(f"{where} should be a table of \"alias\" = \"{what}\", got {value!r}")
    for alias, name in value.items():
        if not isinstance(name, str) or name not in canon:
            raise ValueError(
                f"{where}: {alias!r} = {name!r} is not a canonical {what}; expected one of "
                f"{'、'.join(canon)}（别名须对应一个标准{what_zh}）"
            )
        if not alias.strip():
            raise ValueError(f"{where}: an empty alias for {name!r}（别名不能为空）")
        if alias in canon and alias != name:
            raise ValueError(
                f"{where}: {alias!r} is itself a canonical {what} and cannot mean {name!r}"
                f"（标准{what_zh}不能改作别名）"
            )
    return dict(value)


def _check_topic_aliases(value: Any, source: str) -> dict[str, str]:
    """``[topics] aliases``: alias → canonical topic, every target one of ``schema.TOPICS``."""
    from .schema import TOPICS

    return _check_aliases(value, source, section="topics", canon=TOPICS, what="topic",
                          what_zh="宣传内容")


def _check_audience_aliases(value: Any, source: str) -> dict[str, str]:
    """``[audiences] aliases``: alias → canonical group, each one of ``schema.AUDIENCES``."""
    from .schema import AUDIENCES

    return _check_aliases(value, source, section="audiences", canon=AUDIENCES,
                          what="audience", what_zh="宣传对象")


def _check_survey(survey: dict[str, Any], source: str) -> None:
    """``[survey]``: ``top_levels`` a whole number ≥ 1, and no answer in two lists of a domain.

    An answer both positive and negative (or no answer, ``missing``) for one domain would be
    counted two ways; the message names the key, the answers and what to do.
    """
    top = survey.get("top_levels", 2)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(
            f"{source}: [survey] top_levels should be a whole number of at least 1 (2 = the "
            f"top-2 rule), got {top!r}（top_levels 应为不小于 1 的整数）"
        )
    missing = set(survey.get("missing", ()))
    for key in [k for k in survey if k.startswith("positive_")]:  # a handful of domains
        domain = key.removeprefix("positive_")
        positive = set(survey[key])
        negative = set(survey.get(f"negative_{domain}", ()))
        for other, both in ((f"negative_{domain}", positive & negative),
                            ("missing", positive & missing)):
            if both:
                raise ValueError(
                    f"{source}: [survey] {key} and {other} both list {sorted(both)}; an answer "
                    f"counts one way only（同一答案不能同时列入 {key} 与 {other}）"
                )
    for key in [k for k in survey if k.startswith("negative_")]:
        both = set(survey[key]) & missing
        if both:
            raise ValueError(
                f"{source}: [survey] {key} and missing both list {sorted(both)}; an answer "
                f"counts one way only（同一答案不能同时列入 {key} 与 missing）"
            )


@dataclass(frozen=True)
class Settings:
    """Targets and thresholds from ``pufa.toml``.

    Attributes mirror the file's sections: ``period``, ``targets``, ``topics``, ``audiences``,
    ``survey``, ``training``, ``services``, ``privacy``, ``town``, ``events``, ``effect``,
    ``files``, ``columns`` (dicts), and
    ``limits`` (a :class:`Limits`). Use :meth:`load` to read a file; ``Settings()`` gives the
    defaults.

    Examples
    --------
    >>> s = Settings()
    >>> s.targets["awareness"], s.required_topics
    (0.9, ('宪法', '民法典', '反电信网络诈骗', '禁毒'))
    >>> Settings.from_dict({"targets": {"awareness": 0.8}}).targets["awareness"]
    0.8
    """

    period: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["period"]))
    targets: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["targets"]))
    topics: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["topics"]))
    audiences: dict[str, Any] = field(
        default_factory=lambda: copy.deepcopy(DEFAULTS["audiences"])
    )
    survey: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["survey"]))
    training: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["training"]))
    services: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["services"]))
    privacy: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["privacy"]))
    town: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["town"]))
    events: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["events"]))
    effect: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULTS["effect"]))
    files: dict[str, Any] = field(default_factory=dict)
    columns: dict[str, Any] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)

    # -- convenience -----------------------------------------------------------------------
    @property
    def start(self) -> pd.Timestamp | None:
        """Start of the reporting period, or None."""
        return self.period.get("start")

    @property
    def end(self) -> pd.Timestamp | None:
        """End of the reporting period, or None."""
        return self.period.get("end")

    @property
    def as_of(self) -> pd.Timestamp | None:
        """Reference date for recency ("today"); defaults to ``end``."""
        return self.period.get("as_of") or self.period.get("end")

    @property
    def topic_aliases(self) -> dict[str, str]:
        """An analyst's topic words (``[topics] aliases``): alias → canonical topic."""
        return dict(self.topics.get("aliases", {}))

    def header_aliases(self, table: str) -> tuple[tuple[str, str], ...]:
        """``[columns]`` headers of ``table`` as (normalised header, canonical column) pairs.

        Examples
        --------
        >>> s = Settings.from_dict({"columns": {"topic": ["宣讲篇目"],
        ...                                     "villages": {"population": "常住人口数"}}})
        >>> s.header_aliases("events"), s.header_aliases("villages")
        ((('宣讲篇目', 'topic'),), (('常住人口数', 'population'),))
        """
        from .schema import normalize_header

        pairs = {normalize_header(h): col
                 for col, headers in self.columns.get(table, {}).items() for h in headers}
        return tuple(sorted(pairs.items()))

    @property
    def required_topics(self) -> tuple[str, ...]:
        """Topics every village should hear about."""
        return tuple(self.topics["required"])

    @property
    def required_audiences(self) -> tuple[str, ...]:
        """Audience groups every village should target."""
        return tuple(self.audiences["required"])

    @property
    def audience_aliases(self) -> dict[str, str]:
        """An analyst's audience words (``[audiences] aliases``): alias → canonical group.

        Examples
        --------
        >>> Settings.from_dict({"audiences": {"aliases": {"五老": "老年人"}}}).audience_aliases
        {'五老': '老年人'}
        """
        return dict(self.audiences.get("aliases", {}))

    @property
    def suppress_below(self) -> int:
        """Groups smaller than this are suppressed in published outputs."""
        return int(self.privacy["suppress_below"])

    def positive_answers(self, domain: str) -> tuple[str, ...]:
        """Levels that can count as positive for a survey domain, highest first.

        An item counts the :attr:`top_levels` highest of them that it offers (the top-2 rule,
        :func:`pufa_metrics.io.survey.classify_levels`).

        Examples
        --------
        >>> Settings().positive_answers("awareness")[:3]
        ('非常了解', '很了解', '十分了解')
        """
        return tuple(self.survey.get(f"positive_{domain}", ()))

    def negative_answers(self, domain: str) -> tuple[str, ...]:
        """Answers counted as answered and not positive (不了解, 不满意, 否 …) for a domain.

        Examples
        --------
        >>> "不了解" in Settings().negative_answers("awareness")
        True
        """
        return tuple(self.survey.get(f"negative_{domain}", ()))

    @property
    def top_levels(self) -> int:
        """How many of an item's highest positive levels count as positive (default 2)."""
        return int(self.survey.get("top_levels", 2))

    @property
    def missing_answers(self) -> tuple[str, ...]:
        """Answers that count as no answer."""
        return tuple(self.survey["missing"])

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "settings") -> Settings:
        """Build settings from a nested dict (as read from TOML), checking every key."""
        if not isinstance(data, dict):
            raise TypeError(f"{source}: expected a table of sections, got {type(data).__name__}")
        merged: dict[str, dict[str, Any]] = copy.deepcopy(DEFAULTS)
        for section, values in data.items():
            if section not in DEFAULTS:
                raise ValueError(
                    f"{source}: unknown section [{section}]; known sections are "
                    f"{', '.join(DEFAULTS)}（未知的配置节）"
                )
            if not isinstance(values, dict):
                raise ValueError(f"{source}: [{section}] should be a table, got {values!r}")
            if section == "columns":
                merged["columns"] = _check_columns(values, source)
                continue
            for key, value in values.items():
                if section == "topics" and key == "aliases":
                    merged["topics"]["aliases"] = _check_topic_aliases(value, source)
                    continue
                if section == "audiences" and key == "aliases":
                    merged["audiences"]["aliases"] = _check_audience_aliases(value, source)
                    continue
                if section == "files":
                    if isinstance(value, str):
                        value = [value]
                    if not isinstance(value, list):
                        raise ValueError(
                            f"{source}: [files] {key} should be a glob or a list of globs"
                        )
                    merged["files"][key] = value
                    continue
                if section == "survey" and key.startswith(("positive_", "negative_")):
                    default: Any = []
                elif key not in DEFAULTS[section]:
                    raise ValueError(
                        f"{source}: unknown key [{section}] {key}; known keys are "
                        f"{', '.join(DEFAULTS[section])}（未知的配置项）"
                    )
                else:
                    default = DEFAULTS[section][key]
                merged[section][key] = _check_value(section, key, value, default, source)
        _check_survey(merged["survey"], source)
        for key in ("start", "end", "as_of"):
            merged["period"][key] = _check_value(
                "period", key, merged["period"][key], None, source
            )
        p = merged["period"]
        if p["start"] is not None and p["end"] is not None and p["start"] > p["end"]:
            raise ValueError(
                f"{source}: [period] start {p['start'].date()} is after end {p['end'].date()}"
                "（开始日期晚于结束日期）"
            )
        limits = Limits(**merged.pop("limits"))
        return cls(**merged, limits=limits)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Settings:
        """Read ``pufa.toml`` (default: the project's); a missing file gives the defaults.

        Raises
        ------
        ValueError
            When the file is not valid TOML or a key has the wrong type; the message names the
            file, the section and the key.
        """
        path = SETTINGS_FILE if path is None else Path(path)
        if not path.exists():
            return cls()
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a valid TOML file ({exc})（配置文件格式错误）") from exc
        return cls.from_dict(data, source=str(path))


def resolve_settings(settings: Any) -> Settings:
    """``settings`` checked, or the project's ``pufa.toml`` when it is None.

    Examples
    --------
    >>> resolve_settings(Settings()).targets["awareness"]
    0.9
    """
    if settings is None:
        return Settings.load()
    if not isinstance(settings, Settings):
        raise TypeError(
            f"'settings' should be a pufa_metrics.Settings (or None), got "
            f"{type(settings).__name__}（settings 应为 Settings 对象）"
        )
    return settings
