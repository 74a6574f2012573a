"""The analyst's workflow in a few calls: open data, fix the period, compute, rank.

The notebooks and ``pufa report`` use these so that each notebook cell is one library call and
every notebook computes the same figures the same way.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from collections.abc import Collection
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ._common import atomic_path as _atomic_path
from ._common import optional_date as _date
from ._common import resolve_settings as _resolve_settings
from .config import Settings

#: A marker file written by ``pufa sample``: data in that folder is synthetic.
SYNTHETIC_MARKER = ".synthetic"


@dataclass(frozen=True)
class Period:
    """The reporting period (inclusive) and the reference date for recency.

    Examples
    --------
    >>> p = Period(pd.Timestamp("2020-01-01"), pd.Timestamp("2021-09-09"))
    >>> p.as_of, p.label()
    (Timestamp('2021-09-09 00:00:00'), '2020-01-01至2021-09-09')
    >>> p.label(lang="en")
    '2020-01-01 to 2021-09-09'
    """

    start: pd.Timestamp
    end: pd.Timestamp
    as_of: pd.Timestamp | None = None
    #: Why the period differs from the one asked for (zh, en), e.g. set to the ledgers' span.
    notes: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.as_of is None:
            object.__setattr__(self, "as_of", self.end)
        if self.start > self.end:
            raise ValueError(
                f"period start {self.start.date()} is after end {self.end.date()}"
                "（开始日期晚于结束日期）"
            )

    def _repr_markdown_(self) -> str:
        """In a notebook: the period and, when it was cut to the ledgers, why."""
        lines = [f"**统计期 / period:** {self.label()}（as of {self.as_of.date()}）"]
        lines += [f"- 注意：{zh} / {en}" for zh, en in self.notes]
        return "\n".join(lines)

    def label(self, *, lang: str = "zh") -> str:
        """The period as text for captions."""
        a, b = self.start.strftime("%Y-%m-%d"), self.end.strftime("%Y-%m-%d")
        return f"{a}至{b}" if lang == "zh" else f"{a} to {b}"


#: A period may start (end) this many days before (after) the ledgers' first (last) record
#: before it is moved to the records: a shorter stretch cannot make a blind spot.
RECORD_MARGIN_DAYS = 90


def resolve_period(
    settings: Settings | None = None,
    *,
    events: pd.DataFrame | None = None,
    start: Any = None,
    end: Any = None,
    as_of: Any = None,
    margin_days: int = RECORD_MARGIN_DAYS,
) -> Period:
    """Decide the period: explicit arguments, else ``pufa.toml``, else the span of the events.

    The period never reaches far beyond the ledgers: when it starts more than ``margin_days``
    before the first dated event (or ends more than ``margin_days`` after the last), that end is
    moved to the record and ``notes`` says so with both dates
    ("统计期起点2020-01-01早于最早台账记录2024-01-05…"). Otherwise every village would show a gap
    of years, or no event for a year, that only means the ledgers were not kept then.
    ``as_of`` (the reference date for days-since-last-event) moves with the end.

    Examples
    --------
    >>> ev = pd.DataFrame({"date": pd.to_datetime(["2021-03-01", "2021-07-15"])})
    >>> resolve_period(Settings(), events=ev)
    Period(start=Timestamp('2021-03-01 00:00:00'), end=Timestamp('2021-07-15 00:00:00'), \
as_of=Timestamp('2021-07-15 00:00:00'), notes=())
    >>> resolve_period(Settings(), events=ev, start="2021-01-01").start
    Timestamp('2021-01-01 00:00:00')

    A period of six years for ledgers of five months is cut to the ledgers, and says so:

    >>> p = resolve_period(Settings(), events=ev, start="2016-01-01", end="2021-12-31")
    >>> p.start.date(), p.end.date(), p.as_of.date()
    (datetime.date(2021, 3, 1), datetime.date(2021, 7, 15), datetime.date(2021, 7, 15))
    >>> print(p.notes[0][0])
    统计期起点2016-01-01早于最早台账记录2021-03-01，按最早记录日起算（此前台账缺失，不能视为无活动）
    """
    settings = _resolve_settings(settings)  # None: pufa.toml
    s = _date(start, "start") or settings.start
    e = _date(end, "end") or settings.end
    a = _date(as_of, "as_of")
    if a is None and _date(end, "end") is None:
        a = settings.period.get("as_of")
    dates = None
    if events is not None and len(events) and "date" in events:
        dates = pd.to_datetime(events["date"]).dropna()
    if s is None:
        if dates is None or dates.empty:
            raise ValueError("no period start given and no dated events（未指定统计起始日期）")
        s = dates.min().normalize()
    if e is None:
        if dates is None or dates.empty:
            raise ValueError("no period end given and no dated events（未指定统计截止日期）")
        e = dates.max().normalize()
    s, e = pd.Timestamp(s), pd.Timestamp(e)
    a = None if a is None else pd.Timestamp(a)
    notes: list[tuple[str, str]] = []
    if dates is not None and not dates.empty:
        first, last = dates.min().normalize(), dates.max().normalize()
        margin = pd.Timedelta(days=margin_days)
        if first - s > margin and first <= e:
            notes.append((
                f"统计期起点{s.date()}早于最早台账记录{first.date()}，按最早记录日起算"
                "（此前台账缺失，不能视为无活动）",
                f"the period starts {s.date()}, before the earliest ledger record {first.date()}: "
                "measured from that record (no ledger before it is not the same as no event)",
            ))
            s = first
        if e - last > margin and last >= s:
            notes.append((
                f"统计期终点{e.date()}晚于最新台账记录{last.date()}，按最新记录日截止"
                "（此后台账未录入，不能视为无活动）",
                f"the period ends {e.date()}, after the latest ledger record {last.date()}: "
                "measured up to that record (no ledger after it is not the same as no event)",
            ))
            e = last
            if a is not None and a > e:
                a = e
    return Period(s, e, a, notes=tuple(notes))


def open_dataset(path: str | Path, *, settings: Settings | None = None):
    """Open ``data/processed`` (written by ``pufa build``) or read a folder of raw ledgers.

    Returns
    -------
    pufa_metrics.io.Dataset
    """
    from .io import Dataset, load_dataset

    folder = Path(path)
    if not folder.is_dir():
        raise FileNotFoundError(
            f"找不到数据文件夹 {folder} / no such data folder: {folder}（请先运行 `pufa build`）"
        )
    if any(folder.glob("*.parquet")):
        return Dataset.from_parquet(folder)
    return load_dataset(folder, settings=settings)


def is_synthetic(ds: Any) -> bool:
    """True when the data is the synthetic sample town (charts then say "示例数据（合成）")."""
    meta = getattr(ds, "meta", None) or {}
    return bool(meta.get("synthetic", False))


def village_rates(
    responses: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    settings: Settings | None = None,
    domain: str | None = None,
    lqas_n: int = 19,
    weight: str | bool | None = None,
    shrink: bool = True,
) -> pd.DataFrame:
    """Per village and item: rates with CIs, shrunk rates and the LQAS class against the target.

    Chains :func:`~pufa_metrics.survey.awareness_rates` (Wilson CI on Kish n_eff),
    :func:`~pufa_metrics.survey.shrink_rates` (beta-binomial, per item) and
    :func:`~pufa_metrics.survey.lqas_classify`, with each domain's target from ``pufa.toml``
    (``[targets] awareness``, ``support``, ``satisfaction``, ``knowledge``) and the LQAS lower
    threshold ``target − lqas_lower_gap``. Adds a ``target`` column.

    ``weight`` is passed to ``awareness_rates`` (None: the ``weight`` column when present).
    ``shrink=False`` skips the shrinkage (no ``rate_shrunk`` column): the follow-up list uses
    shrunk rates only for spatial cold spots, and the county report, which has no village
    geometry, would otherwise fit a prior for every county and item (most of its time).
    """
    from .survey import awareness_rates, lqas_classify, shrink_rates

    settings = _resolve_settings(settings)  # None: pufa.toml
    if domain is None:  # the rate domains present; "other" (free text, channels) is no target
        domain = [d for d in ("awareness", "knowledge", "support", "satisfaction")
                  if d in set(codebook["domain"].dropna())]
    rates = awareness_rates(responses, codebook, by="village_id", domain=domain, weight=weight,
                            settings=settings)
    if rates.empty:
        return rates
    if shrink:
        rates = shrink_rates(rates)
    gap = float(settings.targets["lqas_lower_gap"])
    parts = []
    for dom, part in rates.groupby("domain", sort=False):
        target = float(settings.targets.get(dom, settings.targets["awareness"]))
        classified = lqas_classify(part, target=target, n=lqas_n, lower=max(target - gap, 0.0))
        parts.append(classified.assign(target=target))
    return pd.concat(parts).loc[rates.index]


@dataclass
class Analysis:
    """Every figure the report needs, computed once from one dataset and one period.

    ``topics``, ``counts``, ``calendar``, ``campaign``, ``organizers``, ``groups`` and
    ``training`` are None when :func:`analyse` was asked not to compute them (``parts``).
    """

    settings: Settings
    period: Period
    coverage: pd.DataFrame
    topics: pd.DataFrame | None
    counts: pd.DataFrame | None
    calendar: pd.DataFrame | None
    campaign: pd.DataFrame | None
    organizers: pd.DataFrame | None
    rates: pd.DataFrame | None
    groups: pd.DataFrame | None
    training: pd.DataFrame | None
    follow_up: pd.DataFrame
    #: :func:`~pufa_metrics.services.service_coverage` over the last 12 months of the period
    #: (:func:`~pufa_metrics.services.service_window`); None without roster, log or sites.
    services: pd.DataFrame | None = None
    synthetic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    #: :func:`~pufa_metrics.compare.compare_periods`: the last 12 months of the period against
    #: the 12 before (survey waves by answer date); None when the period is shorter than 24
    #: months or the data is one area of a county (``tables`` given).
    comparison: pd.DataFrame | None = None


#: The parts of an :class:`Analysis` that :func:`analyse` computes only when asked (``parts``);
#: coverage, rates, services and the follow-up list are always computed (the list needs them).
PARTS: tuple[str, ...] = ("topics", "counts", "calendar", "campaign", "organizers", "groups",
                          "training")
#: Tables whose empty frame may mean "none on record" rather than "not kept" (``tables``).
OPTIONAL_TABLES: tuple[str, ...] = ("sites", "responses", "legal_literates", "adviser_visits")
#: Survey rates of a surveyed area with no usable answer: every village's awareness unknown.
_NO_RATES = pd.DataFrame({
    "village_id": pd.Series(dtype="str"), "item": pd.Series(dtype="str"),
    "n": pd.Series(dtype="int64"), "rate": pd.Series(dtype="float64"),
    "ci_high": pd.Series(dtype="float64"),
})


def _held_tables(ds: Any, tables: Collection[str] | None) -> frozenset[str]:
    """The optional tables ``ds`` holds: those named, else those with rows (or not None)."""
    if tables is not None:
        unknown = set(tables) - set(OPTIONAL_TABLES)
        if unknown:
            raise ValueError(
                f"`tables` should name tables among {list(OPTIONAL_TABLES)}, got "
                f"{sorted(unknown)}（tables 只能包含 {'、'.join(OPTIONAL_TABLES)}）"
            )
        return frozenset(tables)
    held = {t for t in ("sites", "responses")
            if getattr(ds, t, None) is not None and len(getattr(ds, t))}
    held |= {t for t in ("legal_literates", "adviser_visits") if getattr(ds, t, None) is not None}
    codebook = _frame_or_none(ds, "codebook")
    if "responses" in held and (codebook is None or not len(codebook)):
        held.discard("responses")  # answers without a codebook cannot be scored
    return frozenset(held)


def _frame_or_none(ds: Any, name: str) -> pd.DataFrame | None:
    frame = getattr(ds, name, None)
    return frame if isinstance(frame, pd.DataFrame) else None


def _survey_rates(ds: Any, settings: Settings, *, shrink: bool, weight: Any,
                  surveyed: bool, explicit: bool) -> pd.DataFrame | None:
    """Village rates for the follow-up list; None when the data is not surveyed.

    With several survey waves, the latest (:func:`~pufa_metrics.compare.latest_wave`).
    """
    from .compare import latest_wave

    if not surveyed:
        return None
    responses, codebook = latest_wave(ds.responses), ds.codebook
    if not explicit:  # a town: its answers, whatever their domains
        return village_rates(responses, codebook, settings=settings, weight=weight,
                             shrink=shrink)
    # an area of a surveyed dataset (a county): no answers, or none on an awareness item,
    # leaves every village's awareness unknown rather than not assessed
    if codebook is None or not len(responses):
        return _NO_RATES
    found = village_rates(responses, codebook, settings=settings, weight=weight, shrink=shrink)
    if len(found) and "domain" in found.columns and (found["domain"] == "awareness").any():
        return found
    return _NO_RATES


def analyse(
    ds: Any,
    *,
    settings: Settings | None = None,
    period: Period | None = None,
    parts: Collection[str] | None = None,
    tables: Collection[str] | None = None,
    include_all: bool = False,
    shrink: bool = True,
    weight: str | bool | None = None,
    site_updates_recorded: bool | None = None,
) -> Analysis:
    """Compute coverage, frequency, survey rates, training, services and the follow-up list.

    The one town pipeline: ``pufa report``, the notebooks and the county report
    (:func:`pufa_metrics.national.summarise_partitioned`, on each partition's rows) all call
    it. Standing services (法律明白人, the village legal adviser, site upkeep) are judged on the
    last 12 months of the period (:func:`~pufa_metrics.services.service_window`): their norms
    are yearly, and an adviser log rarely reaches back as far as the event ledgers.

    Survey waves: when the answers hold several waves (a yearly survey, one export per year;
    :func:`~pufa_metrics.compare.survey_waves`), the rates and the follow-up list use the
    latest wave only; the waves are compared in ``comparison``
    (:func:`~pufa_metrics.compare.compare_periods`: the last 12 months of the period against
    the 12 before, answers by their date), computed for a town whose period covers both.
    :func:`~pufa_metrics.compare.mark_worse` marks on the follow-up list the villages whose
    awareness or number of events got clearly worse (``got_worse``, ``worse_zh``/``worse_en``;
    the score and the order stay what :func:`~pufa_metrics.blindspots.find_blind_spots` gives).

    Parameters
    ----------
    ds : pufa_metrics.io.Dataset or dataset-like
        The tables as attributes (``villages``, ``events``, ``event_topics``, ``sites``,
        ``responses``, ``codebook``, ``cadres``, ``legal_literates``, ``adviser_visits``,
        ``geometry``, ``meta``); one county's rows of a partitioned dataset work as well as a
        town. An absent table may be None. Events without an ``audience`` column leave
        ``missing_audiences`` not assessed.
    settings : Settings, optional
        Targets and thresholds (default: ``pufa.toml``).
    period : Period, optional
        Default: :func:`resolve_period` from settings and the events.
    parts : collection of str, optional
        The optional parts to compute, among :data:`PARTS` (default: all). Those left out are
        None in the result; the county report needs none of them.
    tables : collection of str, optional
        The optional tables the data holds, among :data:`OPTIONAL_TABLES`. A table named here
        with no rows means "none on record": the villages of a county with no site row, in a
        dataset with sites, have no site (``no_site``), and those of a county without answers,
        in a surveyed dataset, have unknown awareness. Default: ``sites`` and ``responses``
        when they have rows (and a codebook), the roster and the adviser log when not None —
        an empty site register or survey is then "not kept" (not assessed).
    include_all : bool, default False
        Keep every village in the follow-up list (score 0 for those without a reason), as
        :func:`~pufa_metrics.blindspots.find_blind_spots` does.
    shrink : bool, default True
        Shrink village rates (:func:`village_rates`). The list uses shrunk rates only for
        spatial cold spots: without village geometry they are not needed.
    weight : None, False or str
        Survey weights, as in :func:`~pufa_metrics.survey.awareness_rates`.
    site_updates_recorded : bool, optional
        Whether the site register records update dates at all, as in
        :func:`~pufa_metrics.services.service_coverage` (default: decided from ``ds.sites``).
        The county report decides it once for the whole dataset.

    Returns
    -------
    Analysis

    Examples
    --------
    >>> from pufa_metrics.io import Dataset
    >>> villages = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["甲村", "乙村"],
    ...                          "population": [800, 500]})
    >>> events = pd.DataFrame({"event_id": ["e1"], "date": pd.to_datetime(["2025-05-01"]),
    ...                        "village_id": ["V1"], "topic": ["宪法"]})
    >>> st = Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"}})
    >>> a = analyse(Dataset(villages=villages, events=events), settings=st, parts=(),
    ...             include_all=True)
    >>> a.coverage["n_events"].tolist(), a.topics is None, a.rates is None
    ([1, 0], True, True)
    >>> a.follow_up.index.tolist()  # V2 first (no event); V1 kept by include_all
    ['V2', 'V1']
    >>> "no_events" in a.follow_up.loc["V2", "reasons"]
    True
    """
    from .blindspots import find_blind_spots, group_gaps
    from .compare import latest_wave, mark_worse
    from .coverage import organizer_summary, topic_matrix, village_coverage
    from .frequency import campaign_calendar, campaign_share, event_counts
    from .services import service_coverage, service_window
    from .training import training_compliance

    wanted = frozenset(PARTS if parts is None else parts)
    if wanted - set(PARTS):
        raise ValueError(
            f"`parts` should be among {list(PARTS)}, got {sorted(wanted - set(PARTS))}"
            f"（parts 只能包含 {'、'.join(PARTS)}）"
        )
    held = _held_tables(ds, tables)
    settings = Settings.load() if settings is None else settings
    period = resolve_period(settings, events=ds.events) if period is None else period
    window = {"start": period.start, "end": period.end}
    events, event_topics = ds.events, getattr(ds, "event_topics", None)
    sites = ds.sites if "sites" in held else None
    coverage = village_coverage(
        events, ds.villages, **window, as_of=period.as_of, event_topics=event_topics,
        required_topics=settings.required_topics, sites=sites,
    )
    out: dict[str, Any] = dict.fromkeys(PARTS)
    if "topics" in wanted:
        out["topics"] = topic_matrix(events, ds.villages, event_topics=event_topics,
                                     topics=list(settings.required_topics), **window)
    if "counts" in wanted:
        out["counts"] = event_counts(events, freq="MS", villages=ds.villages, wide=True,
                                     **window)
    if wanted & {"calendar", "campaign"}:
        out["calendar"] = campaign_calendar(range(period.start.year, period.end.year + 1))
    if "campaign" in wanted:
        in_period = events[(events["date"] >= period.start) & (events["date"] <= period.end)]
        out["campaign"] = campaign_share(in_period, out["calendar"])
    if "calendar" not in wanted:
        out["calendar"] = None
    if "organizers" in wanted:
        out["organizers"] = organizer_summary(events, event_topics=event_topics, **window)
    surveyed = "responses" in held
    rates = _survey_rates(ds, settings, shrink=shrink, weight=weight, surveyed=surveyed,
                          explicit=tables is not None)
    if "groups" in wanted and surveyed and len(ds.responses):
        out["groups"] = group_gaps(latest_wave(ds.responses), ds.codebook, settings=settings)
    cadres = _frame_or_none(ds, "cadres")
    if "training" in wanted and cadres is not None and len(cadres):
        out["training"] = training_compliance(cadres, year=period.end.year, settings=settings)
    literates = getattr(ds, "legal_literates", None) if "legal_literates" in held else None
    visits = getattr(ds, "adviser_visits", None) if "adviser_visits" in held else None
    services = None
    if literates is not None or visits is not None or sites is not None:
        w_start, w_end = service_window(period.end, start=period.start)
        services = service_coverage(
            ds.villages, legal_literates=literates, adviser_visits=visits, sites=sites,
            start=w_start, end=w_end, as_of=period.as_of, settings=settings,
            site_updates_recorded=site_updates_recorded if sites is not None else None,
        )
    codebook = _frame_or_none(ds, "codebook")
    follow_up = find_blind_spots(
        coverage, rates=rates, events=events if "audience" in events.columns else None,
        event_topics=event_topics, services=services, settings=settings,
        geometry=getattr(ds, "geometry", None), as_of=period.as_of, period=period,
        codebook=codebook, include_all=include_all,
    )
    comparison = None
    if tables is None:  # a town, not one county's rows of a partitioned dataset
        comparison = _comparison(ds, period, settings, surveyed=surveyed, weight=weight,
                                 literates=literates, visits=visits)
        follow_up = mark_worse(follow_up, comparison, settings=settings)
    return Analysis(settings=settings, period=period, coverage=coverage, rates=rates,
                    follow_up=follow_up, services=services, synthetic=is_synthetic(ds),
                    comparison=comparison, **out)


def _comparison(ds: Any, period: Period, settings: Settings, *, surveyed: bool, weight: Any,
                literates: pd.DataFrame | None, visits: pd.DataFrame | None
                ) -> pd.DataFrame | None:
    """:func:`~pufa_metrics.compare.compare_periods` over the last 24 months of the period.

    None when the period is shorter (the ledgers do not reach back to the earlier 12 months:
    no record there is not the same as no event).
    """
    from .compare import compare_periods, default_periods

    (a_start, _), _ = default_periods(period.end)
    if period.start > a_start:
        return None
    codebook = _frame_or_none(ds, "codebook")
    return compare_periods(
        ds.events, ds.villages, responses=ds.responses if surveyed else None,
        codebook=codebook if surveyed else None,
        event_topics=getattr(ds, "event_topics", None), legal_literates=literates,
        adviser_visits=visits, end=period.end, weight=weight, settings=settings,
    )


#: A town's name inside a title or file name: 2–4 characters before 镇, 乡 or 街道 (so 全镇 and
#: 乡镇 are not names), after any county/city prefix and year.
_TOWN_IN_TEXT = re.compile(r"(?:^|[县市区\s　_\-（(])([\u4e00-\u9fff]{2,4}?(?:镇|乡|街道))")
_NOT_TOWN = re.compile(r"^(?:\d+年度?|.*?[县市区](?=[\u4e00-\u9fff]{2,}?(?:镇|乡|街道)))")
_NOT_TOWN_NAMES = frozenset({"各乡镇", "全乡镇", "城乡镇", "所属镇", "所在镇", "所属乡"})


def town_in_text(text: object) -> str | None:
    """The town named at the start of a title or file name (河口镇2024年普法活动台账 → 河口镇).

    Examples
    --------
    >>> town_in_text("河口镇村（社区）基本情况统计表"), town_in_text("2024年河口镇普法台账")
    ('河口镇', '河口镇')
    >>> town_in_text("某某县河口镇司法所普法台账"), town_in_text("城关街道普法活动台账_2025")
    ('河口镇', '城关街道')
    >>> town_in_text("全镇普法活动台账"), town_in_text("普法活动台账_司法所"), town_in_text(None)
    (None, None, None)
    """
    if not isinstance(text, str):
        return None
    found = _TOWN_IN_TEXT.search(_NOT_TOWN.sub("", text.strip()))
    if found is None or found.group(1) in _NOT_TOWN_NAMES:
        return None
    return found.group(1)


def find_town_name(ds: Any, *, settings: Settings | None = None) -> tuple[str | None, str, str]:
    """The town's name and where it was found (zh, en): pufa.toml, register, titles, file names.

    In this order: ``[town] name`` in pufa.toml when set; the register's ``town`` column (its most
    common value); the title rows of the files read (``Dataset.files.title``); the file names.
    A name found in titles or file names is the most common one there (ties: first file).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> ds = SimpleNamespace(villages=pd.DataFrame({"village_id": ["a"]}),
    ...                      files=pd.DataFrame({"source_file": ["普法台账.xlsx"],
    ...                                          "title": ["河口镇2024年普法活动台账"]}))
    >>> find_town_name(ds, settings=Settings())
    ('河口镇', '表格标题行', 'the title rows of the files')
    >>> find_town_name(ds, settings=Settings.from_dict({"town": {"name": "石门镇"}}))[:2]
    ('石门镇', 'pufa.toml [town] name')
    """
    from .config import resolve_settings

    settings = resolve_settings(settings)
    configured = str(settings.town.get("name") or "").strip()
    if configured:
        return configured, "pufa.toml [town] name", "pufa.toml [town] name"
    villages = ds.villages
    towns = villages["town"].dropna() if "town" in villages else pd.Series(dtype="str")
    towns = towns[towns.astype("str").str.strip().ne("")]
    if not towns.empty:
        return str(towns.mode().iloc[0]), "村居名册所属镇列", "the register's town column"
    files = getattr(ds, "files", None)
    if files is None or not len(files):
        return None, "", ""
    for column, zh, en in (("title", "表格标题行", "the title rows of the files"),
                           ("source_file", "文件名", "the file names")):
        if column not in files:
            continue
        texts = files[column].dropna().astype("str")
        if column == "source_file":
            texts = texts.map(lambda t: Path(t).stem)
        names = texts.map(town_in_text).dropna()
        if not names.empty:  # the most common; ties keep the first file's
            counts = names.value_counts(sort=False)
            return str(counts.idxmax()), zh, en
    return None, "", ""


def town_name(ds: Any, *, settings: Settings | None = None) -> str | None:
    """The town's name (see :func:`find_town_name`), or None when nothing names it."""
    return find_town_name(ds, settings=settings)[0]


def town_report_figures(
    ds: Any,
    *,
    start: Any,
    end: Any,
    topics: tuple[str, ...] = ("禁毒", "反电信网络诈骗"),
    settings: Settings | None = None,
) -> pd.Series:
    """The figures a town's annual 普法 report states, computed from the ledgers.

    The 2021-09-09 水寨镇 report (docs/domain.md) gives since 2020: events on anti-drug / anti-fraud
    topics, other events, town- and village-level sites, cadres examined and enforcement
    certificate holders. Events count once each (an event with several topics counts in
    ``topic_events`` when any of its topics is in ``topics``); cadres are distinct people
    (:func:`~pufa_metrics.training.training_compliance` over the years of the period), and
    certificates are those held in the period's last year.

    Examples
    --------
    >>> from pufa_metrics.io import Dataset
    >>> ev = pd.DataFrame({"event_id": ["1", "2", "3"], "topic": ["禁毒", "民法典", "宪法"],
    ...                    "date": pd.to_datetime(["2020-03-01", "2020-05-01", "2022-01-01"])})
    >>> et = pd.DataFrame({"event_id": ["1", "2", "2", "3"],
    ...                    "topic": ["禁毒", "民法典", "反电信网络诈骗", "宪法"]})
    >>> town_report_figures(Dataset(events=ev, event_topics=et), start="2020-01-01",
    ...                     end="2021-09-09")[["topic_events", "other_events"]].tolist()
    [2, 0]
    """
    from .training import training_compliance

    s, e = _date(start, "start"), _date(end, "end")
    if s is None or e is None:
        raise ValueError("'start' and 'end' are required, e.g. start='2020-01-01'")
    events = ds.events
    days = pd.to_datetime(events["date"]).dt.normalize()
    in_period = events.loc[(days >= s) & (days <= e), "event_id"]
    pairs = ds.event_topics if len(ds.event_topics) else events[["event_id", "topic"]]
    hit = set(pairs.loc[pairs["topic"].isin(topics), "event_id"])
    n_topic = int(in_period.isin(hit).sum())
    sites = ds.sites["level"].value_counts() if len(ds.sites) else pd.Series(dtype="int64")
    examined = certs = pd.NA
    if len(ds.cadres):
        years = list(range(s.year, e.year + 1))
        all_years = training_compliance(ds.cadres, year=years, by=None, settings=settings)
        last = training_compliance(ds.cadres, year=e.year, by=None, settings=settings)
        examined = int(all_years["n_examined"].iloc[0])
        certs = int(last["cert_holders"].iloc[0])
    return pd.Series(
        {
            "topic_events": n_topic,
            "other_events": int(len(in_period) - n_topic),
            "town_sites": int(sites.get("town", 0)),
            "village_sites": int(sites.get("village", 0)),
            "examined_cadres": examined,
            "cert_holders": certs,
        },
        dtype="object",
    )


# ------------------------------------------------------------------------------------------------
# Notebooks: one set-up call, readable tables, a closing summary computed here
# ------------------------------------------------------------------------------------------------

#: Data sources named in chart captions (zh, en).
CAPTION_SOURCES: dict[str, tuple[str, str]] = {
    "events": ("普法活动台账", "event ledgers"),
    "cadres": ("学法用法台账", "cadre law-study records"),
    "survey": ("镇司法所组织的问卷调查", "survey run by the town justice office"),
}


def _pick(lang: str, zh: str, en: str) -> str:
    return zh if lang == "zh" else en


def _check_lang_nb(lang: object) -> str:
    if lang not in ("zh", "en"):
        raise ValueError(f"'lang' should be 'zh' or 'en', got {lang!r}（语言应为 zh 或 en）")
    return str(lang)


@dataclass(eq=False)
class NotebookContext:
    """Everything a notebook sets up: data, settings, period, town, language and output folder.

    Built by :func:`notebook_context`. ``analysis`` is computed on first use (and once): the
    notebooks that only chart one table never pay for the whole follow-up list. Under
    ``pufa report`` the notebooks of one run share it: the first computes it, the others load
    it (:data:`ANALYSIS_CACHE_ENV`; same data, settings and period, so the same figures).

    Attributes
    ----------
    dataset : pufa_metrics.io.Dataset
        The data (``ds`` is the same object).
    settings : Settings
    period : Period
    lang : {"zh", "en"}
    out_dir : pathlib.Path
        Where figures and workbooks go (``figures/`` inside it).
    town : str or None
        The town's name (:func:`town_name`).
    synthetic : bool
        The data is the synthetic sample town (charts say so).
    all_responses : pandas.DataFrame or None
        Every survey answer when the data holds several waves (then ``dataset.responses`` is
        the latest wave only, :func:`~pufa_metrics.compare.latest_wave`, and ``analysis``
        compares the waves); None with one wave.
    """

    dataset: Any
    settings: Settings
    period: Period
    lang: str = "zh"
    out_dir: Path = Path("reports")
    town: str | None = None
    synthetic: bool = False
    all_responses: pd.DataFrame | None = field(default=None, repr=False)
    _analysis: Analysis | None = field(default=None, repr=False)
    _effect: pd.DataFrame | None = field(default=None, repr=False)
    _source: str | None = field(default=None, repr=False)  # the data folder it was read from

    @property
    def ds(self) -> Any:
        """The dataset (short name for notebook cells)."""
        return self.dataset

    @property
    def analysis(self) -> Analysis:
        """:func:`analyse` of the dataset over the period, computed once on first use."""
        if self._analysis is None:
            self._analysis = _shared_analysis(self)
        return self._analysis

    @property
    def effect(self) -> pd.DataFrame:
        """:func:`~pufa_metrics.effect.exposure_effect` of the survey, computed once on first use.

        Notebook 7 shows it, the brief (notebook 6) draws its last page from it and
        ``summary(ctx, "effect")`` reads its sentences: one fit, not one per use.
        """
        if self._effect is None:
            from .effect import exposure_effect

            ds = self.dataset
            self._effect = exposure_effect(ds.responses, ds.codebook, ds.events,
                                           event_topics=ds.event_topics, villages=ds.villages,
                                           settings=self.settings)
        return self._effect

    def table(self, name: str) -> pd.DataFrame | None:
        """An optional table of the dataset, or None when it holds none (not assessed).

        The rule :func:`analyse` applies: an empty site register, survey, roster or adviser log
        means the table was not kept, so whatever depends on it is "not assessed", never "none".
        """
        if name in OPTIONAL_TABLES:
            return getattr(self.dataset, name) if name in _held_tables(self.dataset, None) \
                else None
        frame = getattr(self.dataset, name, None)
        return frame if frame is not None and len(frame) else None

    def text(self, zh: str, en: str) -> str:
        """``zh`` or ``en`` by the notebook's language."""
        return _pick(self.lang, zh, en)

    @property
    def survey_kind(self) -> str:
        """Who ran the survey, as the survey charts name it."""
        return self.text(*CAPTION_SOURCES["survey"])

    def caption(self, source: str = "events") -> str:
        """The chart caption: the source (a key of :data:`CAPTION_SOURCES`) and the period."""
        from .plots import source_caption

        if source not in CAPTION_SOURCES:
            raise ValueError(
                f"'source' should be one of {sorted(CAPTION_SOURCES)}, got {source!r}"
            )
        return source_caption(self.text(*CAPTION_SOURCES[source]), start=self.period.start,
                              end=self.period.end, lang=self.lang)

    def figure(self, name: str) -> str:
        """The path stem of a figure in ``out_dir/figures`` (for ``plots.save``)."""
        return str(self.out_dir / "figures" / name)

    def output(self, name: str) -> str:
        """The path of a file written into ``out_dir``."""
        return str(self.out_dir / name)

    def _repr_markdown_(self) -> str:
        town = self.town or self.text("（未识别镇名）", "(town not named)")
        lines = [f"**{self.text('乡镇', 'Town')}:** {town}", self.period._repr_markdown_()]
        if self.synthetic:
            lines.append(self.text("**示例数据（合成）**：图表均注明。",
                                   "**Synthetic sample data**: every chart says so."))
        lines.append(f"**{self.text('输出文件夹', 'Output folder')}:** `{self.out_dir}`")
        return "\n\n".join(lines)


#: The environment variable :func:`~pufa_metrics.report.run_report` sets for its notebooks: a
#: folder where the first notebook that needs :attr:`NotebookContext.analysis` leaves it for the
#: others of the same report (each notebook then loads it instead of computing it again).
ANALYSIS_CACHE_ENV = "PUFA_ANALYSIS_CACHE"


def _analysis_key(ctx: NotebookContext) -> str | None:
    """What the analysis depends on, hashed: data folder, settings, period and every table.

    The tables' contents are hashed (a notebook that changed ``ctx.ds`` gets its own analysis);
    None when a table cannot be hashed, and the analysis is then computed, not shared.
    """
    digest = hashlib.sha256(repr((ctx._source, ctx.settings, ctx.period)).encode())
    for f in fields(ctx.dataset):
        value = getattr(ctx.dataset, f.name)
        if isinstance(value, pd.DataFrame):
            try:
                hashed = pd.util.hash_pandas_object(value, index=True).to_numpy()
            except (TypeError, ValueError):
                return None
            shape = (f.name, list(value.columns), list(map(str, value.dtypes)))
            digest.update(repr(shape).encode())
            digest.update(hashed.tobytes())
        else:
            digest.update(repr((f.name, value)).encode())
    if ctx.all_responses is not None:  # every wave: the analysis compares them
        try:
            digest.update(pd.util.hash_pandas_object(ctx.all_responses).to_numpy().tobytes())
        except (TypeError, ValueError):
            return None
    return digest.hexdigest()


def _shared_analysis(ctx: NotebookContext) -> Analysis:
    """:func:`analyse` of the context, shared by the notebooks of one report (pickled)."""
    folder = os.environ.get(ANALYSIS_CACHE_ENV)
    key = _analysis_key(ctx) if folder and ctx._source is not None else None
    path = Path(folder) / f"analysis-{key}.pickle" if key else None
    if path is not None and path.is_file():
        with path.open("rb") as fh:
            return pickle.load(fh)  # written by an earlier notebook of this report
    data = ctx.dataset
    if ctx.all_responses is not None:  # the rates use the latest wave, the comparison all
        data = replace(data, responses=ctx.all_responses)
    result = analyse(data, settings=ctx.settings, period=ctx.period)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _atomic_path(path) as tmp:
            tmp.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return result


def notebook_context(
    data_dir: str | Path,
    *,
    start: Any = None,
    end: Any = None,
    as_of: Any = None,
    out_dir: str | Path = "reports",
    lang: str = "zh",
    config_path: str | Path | None = None,
    settings: Settings | None = None,
) -> NotebookContext:
    """A notebook's whole set-up in one call: settings, dataset, period, town and captions.

    When the survey answers hold several waves (one export per year), ``ctx.ds.responses`` is
    the latest wave, the one every notebook reports, and ``ctx.all_responses`` holds them all;
    ``ctx.analysis`` compares the waves (``comparison``).

    Parameters
    ----------
    data_dir : path
        ``data/processed`` or a folder of raw ledgers (:func:`open_dataset`).
    start, end, as_of : date-like, optional
        The period (:func:`resolve_period`; default: ``pufa.toml``, else the ledgers' span).
    out_dir : path
        Where the notebook writes figures and workbooks.
    lang : {"zh", "en"}
    config_path : path, optional
        The ``pufa.toml`` to read; ignored when ``settings`` is given.
    settings : Settings, optional
        Settings already loaded (default: ``config_path``, else the project's ``pufa.toml``).

    Returns
    -------
    NotebookContext

    Examples
    --------
    >>> from pufa_metrics import config
    >>> ctx = notebook_context(config.PROJECT_ROOT / "tests" / "data" / "mini_town", lang="en",
    ...                        settings=Settings(), end="2021-12-31")
    >>> ctx.lang, len(ctx.ds.villages), str(ctx.period.end.date())
    ('en', 10, '2021-12-31')
    >>> ctx.caption()[:21]
    'Source: event ledgers'
    """
    lang = _check_lang_nb(lang)
    if settings is None:
        settings = Settings.load(config_path)
    from .compare import latest_wave

    ds = open_dataset(data_dir, settings=settings)
    period = resolve_period(settings, events=ds.events, start=start, end=end, as_of=as_of)
    latest = latest_wave(ds.responses)
    all_responses = None
    if latest is not ds.responses:  # several survey waves: the notebooks show the latest
        all_responses = ds.responses
        ds = replace(ds, responses=latest)
    return NotebookContext(
        dataset=ds, settings=settings, period=period, lang=lang, out_dir=Path(out_dir),
        town=town_name(ds, settings=settings), synthetic=is_synthetic(ds),
        all_responses=all_responses, _source=str(Path(data_dir).resolve()),
    )


#: The columns a reader needs, per table shown in a notebook: (column, zh, en, format).
#: Formats: "int", "pct" (a share), "num" (one decimal unless whole), "p" (a p-value), "ratio"
#: (two decimals), "list"
#: (tuple joined with 、), "bool", "code" (translated in zh) and "text".
_READABLE: dict[str, tuple[tuple[str, str, str, str], ...]] = {
    "coverage": (
        ("village_name", "村（社区）", "Village", "text"),
        ("population", "常住人口", "Population", "int"),
        ("n_events", "活动场次", "Events", "int"),
        ("attendance_per_100", "每百人参与人次", "Attendances per 100", "num"),
        ("events_per_1000", "每千人场次", "Events per 1,000", "num"),
        ("days_since_last", "距最近活动天数", "Days since last event", "int"),
        ("longest_gap_days", "最长间隔天数", "Longest gap (days)", "int"),
        ("missing_topics", "未覆盖的必讲主题", "Required topics missing", "list"),
        ("has_site", "有村级阵地", "Village site", "bool"),
    ),
    "follow_up": (
        ("priority", "序号", "Rank", "int"),
        ("village_name", "村（社区）", "Village", "text"),
        ("tier", "等级", "Tier", "text"),
        ("score", "得分", "Score", "num"),
        ("reasons_{lang}", "原因", "Reasons", "text"),
        ("actions_{lang}", "建议措施", "Suggested actions", "text"),
    ),
    "services": (
        ("village_name", "村（社区）", "Village", "text"),
        ("n_legal_literates", "法律明白人", "Legal literates", "int"),
        ("literates_target", "法律明白人目标", "Target", "int"),
        ("adviser_days", "法律顾问服务天数", "Adviser days", "int"),
        ("expected_days", "应服务天数", "Expected days", "int"),
        ("lectures", "讲座", "Lectures", "int"),
        ("days_since_adviser", "距顾问上次到村天数", "Days since adviser", "int"),
        ("stale_site_names", "超期未更新的阵地", "Sites not updated", "text"),
    ),
    "rates": (
        ("village_name", "村（社区）", "Village", "text"),
        ("item", "题目", "Item", "text"),
        ("domain", "类别", "Domain", "text"),
        ("n", "答卷数", "Answers", "int"),
        ("rate", "比率", "Rate", "pct"),
        ("ci_low", "95%CI下限", "95% CI low", "pct"),
        ("ci_high", "95%CI上限", "95% CI high", "pct"),
        ("lqas", "LQAS判定", "LQAS", "code"),
    ),
    "training": (
        ("department", "单位", "Department", "text"),
        ("n_staff", "干部人数", "Staff", "int"),
        ("hours_met_rate", "学时达标率", "Hours met", "pct"),
        ("exam_taken_rate", "参考率", "Examined", "pct"),
        ("pass_rate", "合格率", "Passed", "pct"),
        ("cert_holders", "持执法证人数", "Certificate holders", "int"),
    ),
    "cold_spots": (
        ("village_name", "村（社区）", "Village", "text"),
        ("value", "检验指标", "Metric tested", "num"),
        ("n_neighbors", "相邻村数", "Neighbours", "int"),
        ("statistic", "Gi* z值", "Gi* z", "num"),
        ("p_sim", "置换p值", "Permutation p", "p"),
        ("cluster", "类型", "Cluster", "code"),
        ("cold_area", "冷点区域", "Cold spot", "bool"),
    ),
    # effect.exposure_effect: one row per design × exposure term (× law)
    "effect": (
        ("design_text", "比较方式", "Design", "text"),
        ("term_text", "活动量", "Exposure", "text"),
        ("topic_text", "法律", "Law", "text"),
        ("odds_ratio", "几率比", "Odds ratio", "ratio"),
        ("ci_low", "95%CI下限", "95% CI low", "ratio"),
        ("ci_high", "95%CI上限", "95% CI high", "ratio"),
        ("p_value", "p值", "p", "p"),
        ("n_answers", "回答数", "Answers", "int"),
        ("n_villages", "村数", "Villages", "int"),
    ),
    # compare.compare_periods: the villages with a clear change (texts from _comparison_text)
    "comparison": (
        ("village_name", "村（社区）", "Village", "text"),
        ("measure_text", "指标", "Measure", "text"),
        ("a_text", "上一期", "Earlier", "text"),
        ("b_text", "本期", "Latest", "text"),
        ("change_text", "变化（95%CI）", "Change (95% CI)", "text"),
        ("verdict", "判定", "Verdict", "code"),
    ),
}


#: Codes shown in a Chinese table (an English table shows the code).
_CODES_ZH: dict[str, str] = {
    "cold": "冷点", "hot": "热点", "not significant": "不显著", "island": "孤岛（无相邻村）",
    "no geometry": "无边界数据", "no value": "无数值", "low-low": "低-低", "high-high": "高-高",
    "low-high": "低-高", "high-low": "高-低", "reaches": "达标", "below": "未达标",
    "too_few": "样本不足",
    "improved": "改善", "worse": "变差", "no clear change": "无明显变化",
}


#: exposure_effect's designs and terms, short enough for a table column.
_EFFECT_WORDS: dict[str, tuple[str, str]] = {
    "topic_matched": ("同村跨主题比较", "within villages"),
    "between": ("村间比较（易混杂）", "between villages (confounded)"),
    "events": ("每多一场", "per extra event"),
    "log1p_events": ("log(1+场次)每增加1", "per unit of log(1 + events)"),
}


def _effect_text(data: pd.DataFrame, lang: str) -> pd.DataFrame:
    """exposure_effect's rows with their design, term and law in words (no law: all laws)."""
    i = 0 if lang == "zh" else 1
    words = {k: v[i] for k, v in _EFFECT_WORDS.items()}
    from .schema import label

    topic = data["topic"] if lang == "zh" else data["topic"].map(
        lambda t: label(t, lang="en") if isinstance(t, str) else t)
    return data.assign(design_text=data["design"].map(words).fillna(data["design"]),
                       term_text=data["term"].map(words).fillna(data["term"]),
                       topic_text=topic.fillna(_pick(lang, "全部法律", "all laws")))


def _comparison_text(data: pd.DataFrame, lang: str) -> pd.DataFrame:
    """compare_periods' village rows with a clear change, worse first, with readable figures.

    A survey rate reads as a percentage and its change in percentage points with the interval
    of the difference; a count or rate of events as a number, with the interval of the ratio.
    """
    from .schema import DOMAIN_LABELS, METRIC_LABELS

    keep = ((data["level"] == "village") & data["item"].isna()
            & data["verdict"].isin(["improved", "worse"]))
    rows = data[keep.to_numpy()].sort_values("verdict", ascending=False, kind="stable")
    if rows.empty:  # no village changed clearly: the table has its headers and no row
        return rows.assign(measure_text="", a_text="", b_text="", change_text="")
    share = rows["ci_of"].eq("difference")
    labels = {**METRIC_LABELS, **DOMAIN_LABELS, "n_topics": ("主题数", "topics"),
              "days_since_last": ("距最近活动天数", "days since the last event")}
    i = 0 if lang == "zh" else 1
    a, b = rows["value_a"].astype("float64"), rows["value_b"].astype("float64")
    lo, hi = rows["ci_low"].astype("float64"), rows["ci_high"].astype("float64")
    pts = _pick(lang, "个百分点", " points")
    as_share = (
        (rows["change"].astype("float64") * 100).map("{:+.1f}".format) + pts + "（"
        + (lo * 100).map("{:+.1f}".format) + "～" + (hi * 100).map("{:+.1f}".format) + "）")
    as_ratio = (_pick(lang, "比值", "ratio ") + (b / a).map("{:.2f}".format) + "（"
                + lo.map("{:.2f}".format) + "～" + hi.map("{:.2f}".format) + "）")
    from_zero = _pick(lang, "上一期为0（比值95%CI下限", "none before (ratio's 95% CI from ")
    as_ratio = as_ratio.where(a.gt(0), from_zero + lo.map("{:.2f}".format) + "）")
    # a survey rate of fewer than [privacy] suppress_below answers in either wave is not shown
    # (nor its change: with the other wave's rate it would give it away)
    k = _resolve_settings(None).suppress_below
    counts = [rows[c].astype("float64") if c in rows else pd.Series(float("nan"), rows.index)
              for c in ("n_a", "n_b")]
    small = share & ~(counts[0].ge(k) & counts[1].ge(k))
    hidden = f"<{k}"
    return rows.assign(
        measure_text=rows["measure"].map(lambda m: labels.get(m, (m, m))[i]),
        a_text=(a * 100).map("{:.1f}%".format).where(share, _cell_text(a, "num", lang))
        .mask(small, hidden),
        b_text=(b * 100).map("{:.1f}%".format).where(share, _cell_text(b, "num", lang))
        .mask(small, hidden),
        change_text=as_share.where(share, as_ratio).mask(
            small, _pick(lang, "样本过小，不公布", "too few answers: not shown")),
    )


def _cell_text(values: pd.Series, kind: str, lang: str) -> pd.Series:
    """Column values as the text a reader sees ("" for unknown: never a 0 or 'nan')."""
    missing = values.isna() if values.dtype != object else values.map(
        lambda v: v is None or (isinstance(v, float) and v != v))
    if kind == "list":
        text = values.map(lambda v: "、".join(map(str, v)) if isinstance(v, tuple | list) else "")
    elif kind == "bool":
        yes, no = _pick(lang, "是", "yes"), _pick(lang, "否", "no")
        text = values.astype("boolean").map({True: yes, False: no}, na_action="ignore")
    elif kind in ("int", "num", "pct", "p", "ratio"):
        num = pd.to_numeric(values, errors="coerce").astype("float64")
        pattern = {"int": "{:,.0f}", "num": "{:,.1f}", "pct": "{:.1%}", "p": "{:.3f}",
                   "ratio": "{:.2f}"}[kind]
        text = num.map(pattern.format, na_action="ignore")
        if kind == "num":  # whole numbers without a decimal
            text = text.mask(num.eq(num.round()), num.map("{:,.0f}".format, na_action="ignore"))
        if kind == "p":
            text = text.mask(num.lt(0.001), "<0.001")
        missing = num.isna()
    elif kind == "code" and lang == "zh":
        text = values.astype("str").map(lambda v: _CODES_ZH.get(v, v))
    else:
        text = values.astype("str")
    unknown = _pick(lang, "未记录", "not recorded") if kind in ("int", "num") else ""
    return text.astype("object").where(~missing, unknown).astype("str")


def readable_table(frame: pd.DataFrame | None, kind: str, *, lang: str = "zh",
                   names: pd.DataFrame | None = None, top: int | None = None):
    """The columns a reader needs, labelled in ``lang`` and formatted, as a styled table.

    Parameters
    ----------
    frame : pandas.DataFrame or None
        None (a result not assessed, e.g. services without roster, log or sites) gives a table
        with the headers and no row. Otherwise a result of this package: ``coverage``
        (:func:`~pufa_metrics.coverage.village_coverage`), ``follow_up``
        (:func:`~pufa_metrics.blindspots.find_blind_spots`), ``services``,
        ``rates`` (:func:`village_rates`, after :func:`~pufa_metrics.privacy.suppress_small`),
        ``training``, ``cold_spots`` (:func:`~pufa_metrics.spatial.spatial_clusters`; only
        the villages in a cold area are shown), ``effect``
        (:func:`~pufa_metrics.effect.exposure_effect`) or ``comparison``
        (:func:`~pufa_metrics.compare.compare_periods`; only the villages whose figure changed
        clearly, the worse first).
    kind : str
        Which of those it is (a key of the table above).
    lang : {"zh", "en"}
    names : pandas.DataFrame, optional
        The register (``village_id`` → ``village_name``) for frames without village names.
    top : int, optional
        Show only the first ``top`` rows.

    Returns
    -------
    pandas.io.formats.style.Styler
        Index hidden; unknown numbers read 未记录 (never 0). Its ``data`` is the text table.

    Examples
    --------
    >>> cov = pd.DataFrame({"village_name": ["甲村", "乙村"], "population": [1200, 800],
    ...                     "n_events": [3, 0], "days_since_last": [40.0, None]},
    ...                    index=pd.Index(["V1", "V2"], name="village_id"))
    >>> readable_table(cov, "coverage").data.to_dict("records")
    [{'村（社区）': '甲村', '常住人口': '1,200', '活动场次': '3', '距最近活动天数': '40'}, \
{'村（社区）': '乙村', '常住人口': '800', '活动场次': '0', '距最近活动天数': '未记录'}]
    """
    from .rules import tier_of

    lang = _check_lang_nb(lang)
    if kind not in _READABLE:
        raise ValueError(f"'kind' should be one of {sorted(_READABLE)}, got {kind!r}")
    if frame is None:
        frame = pd.DataFrame(columns=[c.format(lang=lang) for c, *_ in _READABLE[kind]])
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"'frame' should be a DataFrame or None, got {type(frame).__name__}")
    data = frame
    if kind == "cold_spots" and "cold_area" in data:  # the villages flagged, not all tested
        data = data[data["cold_area"].astype(bool)]
    data = data if top is None else data.head(top)
    if kind == "follow_up" and "score" in data:
        data = data.assign(tier=tier_of(data["score"], lang=lang))
    if kind == "comparison" and "level" in data:
        data = _comparison_text(data, lang)
    if kind == "effect" and "design" in data:
        data = _effect_text(data, lang)
    if "village_name" not in data and names is not None:
        key = data["village_id"] if "village_id" in data else data.index.to_series()
        lookup = names.set_index("village_id")["village_name"] if "village_id" in names \
            else names["village_name"]
        data = data.assign(village_name=key.map(lookup).to_numpy())
    columns = {}
    for column, zh, en, fmt in _READABLE[kind]:
        column = column.format(lang=lang)
        if column in data:
            columns[_pick(lang, zh, en)] = _cell_text(data[column], fmt, lang).to_numpy()
    table = pd.DataFrame(columns, index=pd.RangeIndex(len(data)))
    return (table.style.hide(axis="index")
            .set_properties(**{"text-align": "left", "white-space": "normal"}))


@dataclass(frozen=True)
class Summary:
    """A notebook's closing summary: a title and a few sentences, rendered as Markdown."""

    title: str
    lines: tuple[str, ...]

    def _repr_markdown_(self) -> str:
        return f"**{self.title}**\n\n" + "\n".join(f"- {line}" for line in self.lines)

    def __str__(self) -> str:
        return "\n".join([self.title, *(f"- {line}" for line in self.lines)])


def _names(names: pd.Series, lang: str, limit: int = 10) -> str:
    """Up to ``limit`` names joined, with "等N个" for the rest."""
    names = names.dropna().astype("str")
    shown = _pick(lang, "、", ", ").join(names.head(limit))
    rest = len(names) - limit
    if rest > 0:
        shown += _pick(lang, f"等{len(names)}个", f" and {rest} more")
    return shown


def _pct_text(x: float) -> str:
    return f"{x:.0%}" if pd.notna(x) else "—"


def _summary_data_quality(ctx: NotebookContext) -> tuple[str, ...]:
    lang, ds = ctx.lang, ctx.dataset
    rec = ds.reconciliation()
    total = rec[["data_rows", "loaded", "rejected", "non_data"]].apply(
        pd.to_numeric, errors="coerce").fillna(0).sum()
    balanced = rec["loaded"] + rec["rejected"] + rec["non_data"] == rec["data_rows"]
    lines = [_pick(
        lang,
        f"读入{rec['source_file'].nunique()}个文件：导入{int(total['loaded']):,}行，"
        f"未能导入{int(total['rejected']):,}行，另有{int(total['non_data']):,}行为标题、空行或合计。",
        f"{rec['source_file'].nunique()} files read: {int(total['loaded']):,} rows loaded, "
        f"{int(total['rejected']):,} rejected, {int(total['non_data']):,} title, blank or "
        "total rows.",
    )]
    if bool(balanced.all()):
        lines.append(_pick(lang, "每个文件：导入 + 未导入 + 非数据行 = 数据行，没有悄悄丢掉的行。",
                           "Every file balances: loaded + rejected + non-data = data rows; "
                           "nothing was lost silently."))
    else:
        lines.append(_pick(lang, "以下文件行数对不上，请核查：", "These files do not balance: ")
                     + _names(rec.loc[~balanced, "source_file"], lang))
    # a reason without its particulars ("negative count 数量为负数: -3" → before the colon)
    reasons = (ds.rejected["reason"].astype("str").str.split(r"[:：]| \(", n=1, regex=True).str[0]
               .str.strip().value_counts()) if len(ds.rejected) else pd.Series(dtype="int64")
    if len(reasons):
        top = _pick(lang, "；", "; ").join(_pick(lang, f"{r}（{n}）", f"{r} ({n})")
                                          for r, n in reasons.head(3).items())
        lines.append(_pick(lang, f"最常见的未导入原因：{top}", f"Most common reasons: {top}"))
    return tuple(lines)


def _summary_coverage(ctx: NotebookContext) -> tuple[str, ...]:
    lang, a = ctx.lang, ctx.analysis
    cov = a.coverage
    n, covered = len(cov), int(cov["n_events"].gt(0).sum())
    events = int(cov["n_events"].sum())
    ev = ctx.dataset.events
    town_wide = int((ev["village_id"].isna() & ev["date"].between(a.period.start, a.period.end))
                    .sum()) if "village_id" in ev else 0
    max_days = float(a.settings.targets["max_days_without_event"])
    quiet = cov["days_since_last"].isna() | cov["days_since_last"].gt(max_days)
    missing = cov["missing_topics"].map(len).gt(0) if "missing_topics" in cov else quiet & False
    lines = [_pick(
        lang,
        f"{covered}/{n}个村（社区）统计期内开展过普法活动，共{events}场；另有全镇活动{town_wide}场。",
        f"{covered} of {n} villages had an event in the period, {events} events in all; "
        f"{town_wide} more were town-wide.",
    )]
    lines.append(_pick(lang, f"超过{max_days:.0f}天无活动的村：", f"No event for over "
                       f"{max_days:.0f} days: ") + (_names(cov.loc[quiet, "village_name"], lang)
                                                    or _pick(lang, "无", "none")))
    lines.append(_pick(lang, f"必讲主题未全部讲到的村：{int(missing.sum())}个。",
                       f"Villages missing a required topic: {int(missing.sum())}."))
    unknown = int(cov["attendance_unknown"].gt(0).sum()) if "attendance_unknown" in cov else 0
    if unknown:
        lines.append(_pick(lang, f"{unknown}个村有活动未记录参加人数："
                                 "参与人次按“未记录”处理，不计为0。",
                           f"{unknown} village(s) have events with no attendee count: shown as "
                           "not recorded, never as 0."))
    return tuple(lines)


def _summary_frequency(ctx: NotebookContext) -> tuple[str, ...]:
    lang, a = ctx.lang, ctx.analysis
    per_month = a.counts.sum(axis=0)
    empty = int(per_month.eq(0).sum())
    camp = a.campaign[["n_events", "n_in_campaign"]].sum()
    share = camp["n_in_campaign"] / camp["n_events"] if camp["n_events"] else float("nan")
    lines = [
        _pick(lang, f"统计期{len(per_month)}个月中，{empty}个月全镇没有一场村级活动；"
                    f"村级活动每月中位数{per_month.median():.0f}场。",
              f"Of {len(per_month)} months, {empty} had no village event anywhere in the town; "
              f"the median month had {per_month.median():.0f}."),
        _pick(lang, f"{_pct_text(share)}的活动在宣传日（周、月）期间开展。",
              f"{_pct_text(share)} of events fell in campaign windows."),
    ]
    if len(a.organizers):
        top, most = a.organizers["n_events"].idxmax(), int(a.organizers["n_events"].max())
        lines.append(_pick(lang, f"开展活动最多的单位：{top}（{most}场）。",
                           f"Most active organiser: {top} ({most} events)."))
    return tuple(lines)


def _summary_awareness(ctx: NotebookContext) -> tuple[str, ...]:
    from .survey import awareness_verdict, pooled_rates

    lang, a, ds = ctx.lang, ctx.analysis, ctx.dataset
    rates = None if a.rates is None else a.rates[a.rates["domain"].eq("awareness")]
    if rates is None or not len(rates):
        return (_pick(lang, "未提供知晓率问卷，未评估。", "No awareness survey: not assessed."),)
    target = float(a.settings.targets["awareness"])
    # the follow-up list's verdict (items pooled per village), decided by the survey module
    verdict = awareness_verdict(rates, settings=a.settings, pool_items=True)
    names = verdict["village_id"].map(a.coverage["village_name"])
    low = verdict["verdict"].eq("low")
    counts = verdict.groupby(f"verdict_{lang}", sort=False).size()
    sep = _pick(lang, "，", ", ")
    pooled = pooled_rates(ds.responses, ds.codebook, by=None, settings=a.settings)
    row = pooled.iloc[0]
    low_zh = f"：{_names(names[low], lang)}。" if low.any() else "。"
    low_en = f": {_names(names[low], lang)}." if low.any() else "."
    return (
        _pick(lang, f"{int(low.sum())}个村知晓率确定低于{target:.0%}的目标{low_zh}",
              f"{int(low.sum())} villages are confidently below the {target:.0%} target{low_en}"),
        _pick(lang, "各村判定：", "Verdicts: ") + sep.join(
            f"{name} {n}" for name, n in counts.items()),
        _pick(lang, f"全镇知晓率（汇总各村答卷，按村整群估计区间）{_pct_text(row['rate'])}"
                    f"（95%置信区间 {_pct_text(row['ci_low'])}–{_pct_text(row['ci_high'])}，"
                    f"{int(row['n_respondents'])}份答卷、{int(row['n_clusters'])}个村）。",
              f"Town awareness (all answers pooled, villages as clusters) "
              f"{_pct_text(row['rate'])} (95% CI {_pct_text(row['ci_low'])}–"
              f"{_pct_text(row['ci_high'])}; {int(row['n_respondents'])} respondents in "
              f"{int(row['n_clusters'])} villages)."),
    )


def _reason_labels(lang: str) -> dict[str, str]:
    from .rules import RULES

    return {r.code: _pick(lang, r.zh, r.en) for r in RULES}


def _tier_lines(follow_up: pd.DataFrame, lang: str) -> list[str]:
    from .rules import TIERS, tier_of

    tiers = tier_of(follow_up["score"], lang=lang)
    lines = []
    for i, (low, zh, en, _colour) in enumerate(TIERS):
        name = _pick(lang, zh, en)
        rule = _pick(lang, f"得分≥{low:g}", f"score ≥ {low:g}") if low > 0 \
            else _pick(lang, "得分>0", "score > 0")
        members = follow_up.loc[tiers.eq(name), "village_name"]
        text = _pick(lang, f"{name}（{rule}）：{len(members)}个村", f"{name} ({rule}): "
                     f"{len(members)} villages")
        if i == 0 and len(members):
            text += _pick(lang, "——", " — ") + _names(members, lang, limit=len(members))
        lines.append(text)
    return lines


def _summary_blind_spots(ctx: NotebookContext) -> tuple[str, ...]:
    lang, a = ctx.lang, ctx.analysis
    fu = a.follow_up
    lines = [_pick(lang, f"跟进清单列出{len(fu)}/{len(a.coverage)}个村（社区）。",
                   f"The follow-up list names {len(fu)} of {len(a.coverage)} villages.")]
    lines += _tier_lines(fu, lang)
    counts = fu["reasons"].explode().dropna().value_counts()
    labels = _reason_labels(lang)
    if len(counts):
        top = _pick(lang, "；", "; ").join(
            _pick(lang, f"{labels.get(code, code)}（{n}）", f"{labels.get(code, code)} ({n})")
            for code, n in counts.head(3).items())
        lines.append(_pick(lang, f"最常见的原因：{top}", f"Most common reasons: {top}"))
    cold = fu["cold_spot"].fillna(False).astype(bool) if "cold_spot" in fu else None
    if cold is not None and cold.any():
        metric = fu.attrs.get("thresholds", {}).get("cold_spot_metric", "n_events")
        lines.append(_pick(lang, f"位于冷点区域（检验指标 {metric}）：",
                           f"In a cold spot (metric tested: {metric}): ")
                     + _names(fu.loc[cold, "village_name"], lang))
    return tuple(lines)


def _summary_training(ctx: NotebookContext) -> tuple[str, ...]:
    lang, a = ctx.lang, ctx.analysis
    t = a.training
    if t is None or not len(t):
        return (_pick(lang, "未提供学法用法台账，未评估。", "No cadre records: not assessed."),)
    staff = pd.to_numeric(t["n_staff"], errors="coerce").fillna(0)
    n = int(staff.sum())

    def pooled(col: str) -> float:  # staff-weighted: the town's share, no department's own
        rate = pd.to_numeric(t[col], errors="coerce")
        return float((rate * staff).sum() / staff[rate.notna()].sum()) if n else float("nan")

    return (
        _pick(lang, f"{a.period.end.year}年：{len(t)}个单位共{n}名干部。",
              f"{a.period.end.year}: {n} cadres in {len(t)} departments."),
        _pick(lang, f"学时达标{_pct_text(pooled('hours_met_rate'))}，参考"
                    f"{_pct_text(pooled('exam_taken_rate'))}，持行政执法证"
                    f"{int(pd.to_numeric(t['cert_holders'], errors='coerce').sum())}人。",
              f"{_pct_text(pooled('hours_met_rate'))} met their study hours, "
              f"{_pct_text(pooled('exam_taken_rate'))} sat the exam, "
              f"{int(pd.to_numeric(t['cert_holders'], errors='coerce').sum())} hold an "
              "enforcement certificate."),
    )


def _summary_brief(ctx: NotebookContext) -> tuple[str, ...]:
    lang = ctx.lang
    lines = [_pick(lang, f"简报已写入 {ctx.output('brief.pdf')} 和 brief.html。",
                   f"The brief is in {ctx.output('brief.pdf')} and brief.html.")]
    return tuple(lines) + _summary_coverage(ctx)[:1] + tuple(_tier_lines(ctx.analysis.follow_up,
                                                                         lang))


def _progress_lines(ctx: NotebookContext) -> tuple[str, ...]:
    """The year-on-year sentences (compare.headline_changes) and the villages clearly changed."""
    from .compare import headline_changes

    comparison = ctx.analysis.comparison
    if comparison is None:
        return (ctx.text("统计期不足两年，未与上一年比较。",
                         "The period is shorter than two years: no comparison with the year "
                         "before."),)
    lines = tuple(headline_changes(comparison)[f"sentence_{ctx.lang}"])
    rows = comparison[(comparison["level"] == "village") & comparison["item"].isna()]
    for verdict, zh, en in (("improved", "明显改善", "clearly better"),
                            ("worse", "明显变差", "clearly worse")):
        names = rows.loc[rows["verdict"] == verdict, "village_name"].drop_duplicates()
        if len(names):
            lines += (ctx.text(f"{zh}的村（知晓率或活动场次）：{_names(names, 'zh')}。",
                               f"Villages {en} (awareness or events): {_names(names, 'en')}."),)
    return lines


def _summary_effect(ctx: NotebookContext) -> tuple[str, ...]:
    """Exposure → awareness (notebook 7): effect.exposure_effect's sentences, and the data kind."""
    from .effect import effect_sentences

    lines = effect_sentences(ctx.effect, lang=ctx.lang) + _progress_lines(ctx)
    if ctx.synthetic:
        lines += (ctx.text("以上为合成示例数据的结果，不代表任何真实乡镇。",
                           "These are results on synthetic sample data, not a real town."),)
    return lines


_SUMMARIES = {
    "data_quality": (("数据质量小结", "Data quality in brief"), _summary_data_quality),
    "coverage": (("覆盖情况小结", "Coverage in brief"), _summary_coverage),
    "frequency": (("活动频次小结", "Frequency in brief"), _summary_frequency),
    "awareness": (("知晓率小结", "Awareness in brief"), _summary_awareness),
    "blind_spots": (("盲区与跟进清单小结", "Blind spots in brief"), _summary_blind_spots),
    "training": (("干部学法用法小结", "Cadre law study in brief"), _summary_training),
    "brief": (("简报小结", "The brief in brief"), _summary_brief),
    "effect": (("普法实效小结", "Does it work, in brief"), _summary_effect),
}


def summary(ctx: NotebookContext, topic: str) -> Summary:
    """A notebook's closing summary, computed from the analysis, in the notebook's language.

    Parameters
    ----------
    ctx : NotebookContext
        From :func:`notebook_context`.
    topic : str
        One of ``data_quality``, ``coverage``, ``frequency``, ``awareness``, ``blind_spots``,
        ``training``, ``brief``, ``effect``.

    Returns
    -------
    Summary
        Renders as Markdown in a notebook; ``str()`` gives plain text.

    Examples
    --------
    >>> from pufa_metrics import config
    >>> ctx = notebook_context(config.PROJECT_ROOT / "tests" / "data" / "mini_town", lang="en",
    ...                        settings=Settings())
    >>> print(summary(ctx, "data_quality").lines[1])
    Every file balances: loaded + rejected + non-data = data rows; nothing was lost silently.
    """
    if not isinstance(ctx, NotebookContext):
        raise TypeError(f"'ctx' should come from notebook_context, got {type(ctx).__name__}")
    if topic not in _SUMMARIES:
        raise ValueError(f"'topic' should be one of {list(_SUMMARIES)}, got {topic!r}")
    (zh, en), make = _SUMMARIES[topic]
    return Summary(title=ctx.text(zh, en), lines=make(ctx))
