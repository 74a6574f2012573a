"""Paths and settings.

Paths follow the project layout (``data/raw``, ``data/processed``, ``reports``). Settings come from
``pufa.toml``: targets and thresholds an analyst edits without touching code. Every key is optional
and falls back to the defaults below, which follow ``DOMAIN.md``'s sourced targets.
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
        "min_respondents": 10,
        "legal_literates_per_village": 3,
        "collective_study_per_year": 2,
        "lqas_lower_gap": 0.30,
    },
    "topics": {"required": ["宪法", "民法典", "反电信网络诈骗", "禁毒"], "aliases": {}},
    "audiences": {"required": ["老年人", "青少年", "妇女", "外出务工人员"]},
    "survey": {
        "positive_awareness": ["知道", "听说过", "了解", "比较了解", "是"],
        "positive_support": ["支持", "比较支持", "非常支持"],
        "positive_satisfaction": ["满意", "比较满意", "非常满意"],
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


def _check_topic_aliases(value: Any, source: str) -> dict[str, str]:
    """``[topics] aliases``: alias → canonical topic, every target one of ``schema.TOPICS``."""
    from .schema import TOPICS

    where = f"{source}: [topics] aliases"
    if not isinstance(value, dict):
        raise ValueError(f"{where} should be a table of \"alias\" = \"topic\", got {value!r}")
    for alias, topic in value.items():
        if not isinstance(topic, str) or topic not in TOPICS:
            raise ValueError(
                f"{where}: {alias!r} = {topic!r} is not a canonical topic; expected one of "
                f"{'、'.join(TOPICS)}（别名须对应一个标准宣传内容）"
            )
        if not alias.strip():
            raise ValueError(f"{where}: an empty alias for {topic!r}（别名不能为空）")
        if alias in TOPICS and alias != topic:
            raise ValueError(
                f"{where}: {alias!r} is itself a canonical topic and cannot mean {topic!r}"
                "（标准宣传内容不能改作别名）"
            )
    return dict(value)


@dataclass(frozen=True)
class Settings:
    """Targets and thresholds from ``pufa.toml``.

    Attributes mirror the file's sections: ``period``, ``targets``, ``topics``, ``audiences``,
    ``survey``, ``training``, ``services``, ``privacy``, ``files``, ``columns`` (dicts), and
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
    def suppress_below(self) -> int:
        """Groups smaller than this are suppressed in published outputs."""
        return int(self.privacy["suppress_below"])

    def positive_answers(self, domain: str) -> tuple[str, ...]:
        """Answers counted as positive for a survey domain (awareness, support, satisfaction)."""
        return tuple(self.survey.get(f"positive_{domain}", ()))

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
                if section == "files":
                    if isinstance(value, str):
                        value = [value]
                    if not isinstance(value, list):
                        raise ValueError(
                            f"{source}: [files] {key} should be a glob or a list of globs"
                        )
                    merged["files"][key] = value
                    continue
                if section == "survey" and key.startswith("positive_"):
                    default: Any = []
                elif key not in DEFAULTS[section]:
                    raise ValueError(
                        f"{source}: unknown key [{section}] {key}; known keys are "
                        f"{', '.join(DEFAULTS[section])}（未知的配置项）"
                    )
                else:
                    default = DEFAULTS[section][key]
                merged[section][key] = _check_value(section, key, value, default, source)
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
