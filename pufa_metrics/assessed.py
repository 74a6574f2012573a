"""What could not be assessed, and why: one sentence per optional table, in Chinese and English.

Only the village register and the event ledgers are required. Every other table is optional
(``Dataset.geometry``, ``cadres``, ``responses``, ``codebook``, ``sites``, ``legal_literates``,
``adviser_visits``): a 司法所 often has no 村界.geojson or 学法用法 ledger at hand. When one is
missing, nothing fails; the report says what it could not assess and why, in the words of
:data:`OPTIONAL_TABLES`.

The one rule the library keeps (``pufa_metrics.training``, ``spatial``, ``services``, ``plots``):

* An **analysis function** given a missing optional input (``None``, or no rows for the selection
  asked for) returns its usual result — same columns and dtypes; one row per village with NA
  metrics where the result is per village, no rows where it is per group — and
  ``result.attrs["not_assessed"]`` holds the reasons as a tuple of ``(zh, en)`` sentences.
  A result that was fully assessed has no ``"not_assessed"`` key.
* A **chart** given a missing input still returns a ``Figure``: it shows the reason where the
  chart would be (or in its caption when only part of it is missing);
  :func:`pufa_metrics.plots.not_assessed_text` reads it back and :func:`pufa_metrics.plots.save`
  writes it into the files' metadata.
* A wrong type is still an error: a DataFrame where a GeoDataFrame is needed is a ``TypeError``.

In a notebook, :func:`not_assessed` states it in one cell::

    pm.not_assessed(ds, "geometry", "sites", lang=lang)

Examples
--------
The phrase table:

>>> for table, (zh, en) in OPTIONAL_TABLES.items():
...     print(f"{table}: {zh} / {en}")
geometry: 未提供村界，未做空间冷点分析、未绘制地图 / No village boundaries: no spatial cold-spot
    analysis, no map
responses: 未提供问卷数据，未评估知晓率、支持度和满意率 / No survey data: awareness, support and
    satisfaction not assessed
codebook: 未提供问卷编码表，无法判定哪些回答为肯定，未评估知晓率 / No survey codebook: which
    answers count as positive is unknown, awareness not assessed
cadres: 未提供学法用法台账，未评估干部学法用法、未绘制部门图 / No cadre law-study records: cadre law
    study and exams not assessed, no department chart
sites: 未提供普法阵地台账，未评估村级普法阵地及其更新 / No register of publicity sites (普法阵地):
    village sites and their upkeep not assessed
legal_literates: 未提供法律明白人名册，未评估各村法律明白人配备 / No roster of legally literate
    persons (法律明白人): their number per village not assessed
adviser_visits: 未提供村法律顾问服务台账，未评估法律顾问到村服务 / No village legal adviser log: the
    adviser's visits and lectures not assessed
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, TypeVar

import pandas as pd

__all__ = [
    "OPTIONAL_TABLES",
    "NotAssessed",
    "join_reasons",
    "mark_not_assessed",
    "missing_tables",
    "not_assessed",
    "reasons_of",
    "table_reason",
]

#: What the report cannot assess without each optional table of a Dataset: (zh, en).
OPTIONAL_TABLES: Mapping[str, tuple[str, str]] = MappingProxyType({
    "geometry": ("未提供村界，未做空间冷点分析、未绘制地图",
                 "No village boundaries: no spatial cold-spot analysis, no map"),
    "responses": ("未提供问卷数据，未评估知晓率、支持度和满意率",
                  "No survey data: awareness, support and satisfaction not assessed"),
    "codebook": ("未提供问卷编码表，无法判定哪些回答为肯定，未评估知晓率",
                 "No survey codebook: which answers count as positive is unknown, awareness not "
                 "assessed"),
    "cadres": ("未提供学法用法台账，未评估干部学法用法、未绘制部门图",
               "No cadre law-study records: cadre law study and exams not assessed, no "
               "department chart"),
    "sites": ("未提供普法阵地台账，未评估村级普法阵地及其更新",
              "No register of publicity sites (普法阵地): village sites and their upkeep not "
              "assessed"),
    "legal_literates": ("未提供法律明白人名册，未评估各村法律明白人配备",
                        "No roster of legally literate persons (法律明白人): their number per "
                        "village not assessed"),
    "adviser_visits": ("未提供村法律顾问服务台账，未评估法律顾问到村服务",
                       "No village legal adviser log: the adviser's visits and lectures not "
                       "assessed"),
})

#: A table whose sentence is implied by another's: no codebook matters only with answers.
_IMPLIED_BY = {"codebook": "responses"}

_LANGS = ("zh", "en")
_HEADING = {"zh": "未评估的内容", "en": "Not assessed"}

Reason = tuple[str, str]
_P = TypeVar("_P", pd.DataFrame, pd.Series)


def _check_lang(lang: object) -> None:
    if lang not in _LANGS:
        raise ValueError(f"lang should be 'zh' or 'en', got {lang!r}（lang 应为 'zh' 或 'en'）")


def _check_table(table: object) -> str:
    if not isinstance(table, str) or table not in OPTIONAL_TABLES:
        raise ValueError(
            f"table should be one of the optional tables {list(OPTIONAL_TABLES)}, got "
            f"{table!r}（不是可选数据表）"
        )
    return table


def _check_reason(reason: object) -> Reason:
    if (not isinstance(reason, tuple) or len(reason) != 2
            or not all(isinstance(s, str) and s for s in reason)):
        raise TypeError(
            f"a reason should be a (zh, en) pair of sentences, got {reason!r}"
            "（原因应为中文、英文两句）"
        )
    return reason


def table_reason(table: str) -> Reason:
    """The (zh, en) sentence for a missing optional ``table`` (a ``Dataset`` attribute name).

    Examples
    --------
    >>> table_reason("geometry")[1]
    'No village boundaries: no spatial cold-spot analysis, no map'
    >>> table_reason("events")
    Traceback (most recent call last):
    ...
    ValueError: table should be one of the optional tables ['geometry', 'responses', 'codebook',
    'cadres', 'sites', 'legal_literates', 'adviser_visits'], got 'events'（不是可选数据表）
    """
    return OPTIONAL_TABLES[_check_table(table)]


def _is_missing(value: object) -> bool:
    """None, or a table with no rows."""
    if value is None:
        return True
    try:
        return len(value) == 0  # type: ignore[arg-type]
    except TypeError:
        return False


def missing_tables(ds: Any, *tables: str) -> tuple[str, ...]:
    """The optional tables of ``ds`` that are absent: None, or no rows.

    Parameters
    ----------
    ds : pufa_metrics.io.Dataset
        Or any object with the tables as attributes.
    *tables : str
        Names among :data:`OPTIONAL_TABLES`; none given means all of them.

    Returns
    -------
    tuple of str
        In the order asked for.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ds = SimpleNamespace(geometry=None, cadres=pd.DataFrame({"person_id": ["p1"]}))
    >>> missing_tables(ds, "geometry", "cadres")
    ('geometry',)
    """
    names = tuple(_check_table(t) for t in tables) if tables else tuple(OPTIONAL_TABLES)
    lacking = [n for n in names if not hasattr(ds, n)]
    if lacking:
        raise TypeError(
            f"ds should be a pufa_metrics Dataset (with the tables {lacking}), got "
            f"{type(ds).__name__}（应为数据集 Dataset）"
        )
    return tuple(n for n in names if _is_missing(getattr(ds, n)))


def reasons_of(result: object) -> tuple[Reason, ...]:
    """The reasons recorded in ``result.attrs["not_assessed"]`` (empty when fully assessed).

    Examples
    --------
    >>> out = mark_not_assessed(pd.DataFrame({"n": [0]}), table_reason("cadres"))
    >>> [zh for zh, en in reasons_of(out)]
    ['未提供学法用法台账，未评估干部学法用法、未绘制部门图']
    >>> reasons_of(pd.DataFrame()), reasons_of(None)
    ((), ())
    """
    attrs = getattr(result, "attrs", None)
    if not isinstance(attrs, Mapping):
        return ()
    return tuple(_check_reason(r) for r in attrs.get("not_assessed", ()))


def mark_not_assessed(result: _P, *reasons: Reason) -> _P:
    """Record ``reasons`` in ``result.attrs["not_assessed"]`` (kept once each, in order).

    For the functions of this package: the result they are about to return, never an input.
    Returns ``result`` itself, so it reads ``return mark_not_assessed(out, reason)``. With no
    reason, ``result`` is returned unchanged.

    Examples
    --------
    >>> out = mark_not_assessed(pd.DataFrame(), ("无记录", "no record"), ("无记录", "no record"))
    >>> out.attrs
    {'not_assessed': (('无记录', 'no record'),)}
    """
    if not isinstance(result, (pd.DataFrame, pd.Series)):
        raise TypeError(f"result should be a pandas DataFrame or Series, got "
                        f"{type(result).__name__}")
    if not reasons:
        return result
    known = reasons_of(result)
    new = tuple(_check_reason(r) for r in reasons)
    result.attrs["not_assessed"] = tuple(dict.fromkeys((*known, *new)))
    return result


@dataclass(frozen=True)
class NotAssessed:
    """What could not be assessed: shown in a notebook as a short note, or as nothing.

    Made by :func:`not_assessed`. It is true when something is missing; its text (``str``,
    ``repr``), Markdown and HTML give one sentence per reason in ``lang``, under the heading
    "未评估的内容" / "Not assessed". When nothing is missing, every rendering is empty and a
    notebook cell shows no output.

    Attributes
    ----------
    reasons : tuple of (str, str)
        (zh, en) sentences.
    lang : {"zh", "en"}
    tables : tuple of str
        The optional tables found missing (empty when the reasons come from a result).
    """

    reasons: tuple[Reason, ...] = ()
    lang: str = "zh"
    tables: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_lang(self.lang)
        for r in self.reasons:
            _check_reason(r)

    def __bool__(self) -> bool:
        return bool(self.reasons)

    @property
    def sentences(self) -> tuple[str, ...]:
        """The reasons in ``lang``, each ending with a full stop."""
        i = _LANGS.index(self.lang)
        stop = "。" if self.lang == "zh" else "."
        return tuple(r[i].rstrip("。.") + stop for r in self.reasons)

    @property
    def text(self) -> str:
        """Heading and sentences as plain text; empty when nothing is missing."""
        if not self:
            return ""
        colon = "：" if self.lang == "zh" else ": "
        return _HEADING[self.lang] + colon + "\n" + "\n".join(self.sentences)

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str | None:
        if not self:
            return None
        items = "\n".join(f"- {s}" for s in self.sentences)
        return f"**{_HEADING[self.lang]}**\n\n{items}\n"

    def _repr_html_(self) -> str | None:
        if not self:
            return None
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self.sentences)
        return (f'<div class="pufa-not-assessed"><strong>{html.escape(_HEADING[self.lang])}'
                f"</strong><ul>{items}</ul></div>")

    def _ipython_display_(self) -> None:
        """IPython/Jupyter: the note as Markdown (and text), or no output at all."""
        if not self:
            return
        from IPython.display import display

        display({"text/markdown": self._repr_markdown_(), "text/html": self._repr_html_(),
                 "text/plain": self.text}, raw=True)


def not_assessed(source: Any, *tables: str | pd.DataFrame | pd.Series,
                 lang: str = "zh") -> NotAssessed:
    """Say what could not be assessed: optional tables missing from a Dataset, and why.

    Parameters
    ----------
    source : pufa_metrics.io.Dataset, pandas.DataFrame or pandas.Series
        A Dataset: each optional table named in ``tables`` that is None or has no rows is
        reported with its sentence from :data:`OPTIONAL_TABLES` (without answers, the
        codebook's is left out). A result of this package: the reasons in its
        ``attrs["not_assessed"]``.
    *tables : str, pandas.DataFrame or pandas.Series
        Names of the optional tables the notebook uses (``"geometry"``, ``"responses"``,
        ``"codebook"``, ``"cadres"``, ``"sites"``, ``"legal_literates"``,
        ``"adviser_visits"``; with a Dataset and no name, all of them), and results whose
        ``attrs["not_assessed"]`` to add (e.g. ``training_compliance`` for a year with no
        record). A reason given twice is stated once.
    lang : {"zh", "en"}
        Language of the note.

    Returns
    -------
    NotAssessed
        Renders in a notebook as a short Markdown note, or as nothing when nothing is missing;
        true when something is.

    Examples
    --------
    >>> from pufa_metrics.io import Dataset
    >>> ds = Dataset(villages=pd.DataFrame({"village_id": ["V01"], "village_name": ["大岭村"],
    ...                                     "population": [1200]}))
    >>> print(not_assessed(ds, "geometry", "cadres"))
    未评估的内容：
    未提供村界，未做空间冷点分析、未绘制地图。
    未提供学法用法台账，未评估干部学法用法、未绘制部门图。
    >>> print(not_assessed(ds, "responses", "codebook", lang="en"))
    Not assessed:
    No survey data: awareness, support and satisfaction not assessed.
    >>> note = not_assessed(Dataset(geometry=pd.DataFrame({"village_id": ["V01"]})), "geometry")
    >>> bool(note), str(note), note._repr_markdown_()
    (False, '', None)

    A result adds its own reasons:

    >>> result = mark_not_assessed(pd.DataFrame(), ("无2025年记录", "no record for 2025"))
    >>> not_assessed(ds, "geometry", result, lang="en").sentences
    ('No village boundaries: no spatial cold-spot analysis, no map.', 'no record for 2025.')
    """
    _check_lang(lang)
    names = [t for t in tables if isinstance(t, str)]
    results = [t for t in tables if isinstance(t, (pd.DataFrame, pd.Series))]
    if len(names) + len(results) < len(tables):
        bad = next(t for t in tables if not isinstance(t, (str, pd.DataFrame, pd.Series)))
        raise TypeError(
            f"tables should be names of optional tables or results (DataFrame/Series), got "
            f"{type(bad).__name__}（应为数据表名称或结果表）"
        )
    reasons: list[Reason] = []
    missing: tuple[str, ...] = ()
    if isinstance(source, (pd.DataFrame, pd.Series)):
        if names:
            raise ValueError(
                f"name tables only with a Dataset as source, got tables {names} with a "
                f"{type(source).__name__}（仅在传入数据集时可指定数据表）"
            )
        results.insert(0, source)
    else:
        missing = missing_tables(source, *names)
        reasons += [OPTIONAL_TABLES[t] for t in missing if _IMPLIED_BY.get(t) not in missing]
    for result in results:
        reasons += reasons_of(result)
    return NotAssessed(tuple(dict.fromkeys(reasons)), lang=lang, tables=missing)


def join_reasons(reasons: Iterable[Reason], *, lang: str = "zh") -> str:
    """The reasons as one line of text in ``lang`` (for chart messages and captions).

    Examples
    --------
    >>> join_reasons([table_reason("sites"), ("无2025年记录", "no record for 2025")], lang="en")
    'No register of publicity sites (普法阵地): village sites and their upkeep not assessed; no
    record for 2025'
    """
    _check_lang(lang)
    i = _LANGS.index(lang)
    sep = "；" if lang == "zh" else "; "
    return sep.join(r[i].rstrip("。.") for r in reasons)
