"""The analyst's workflow in a few calls: open data, fix the period, compute, rank.

The notebooks and ``pufa report`` use these so that each notebook cell is one library call and
every notebook computes the same figures the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

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


def _date(value: Any, name: str) -> pd.Timestamp | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"{name!r} should be a date like 2021-09-09, got {value!r}（日期格式应为 YYYY-MM-DD）"
        ) from exc


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
    settings = Settings() if settings is None else settings
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

    settings = Settings() if settings is None else settings
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
    """Every figure the report needs, computed once from one dataset and one period."""

    settings: Settings
    period: Period
    coverage: pd.DataFrame
    topics: pd.DataFrame
    counts: pd.DataFrame
    calendar: pd.DataFrame
    campaign: pd.DataFrame
    organizers: pd.DataFrame
    rates: pd.DataFrame | None
    groups: pd.DataFrame | None
    training: pd.DataFrame | None
    follow_up: pd.DataFrame
    #: :func:`~pufa_metrics.services.service_coverage` over the last 12 months of the period
    #: (:func:`~pufa_metrics.services.service_window`); None without roster, log or sites.
    services: pd.DataFrame | None = None
    synthetic: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def analyse(ds: Any, *, settings: Settings | None = None, period: Period | None = None) -> Analysis:
    """Compute coverage, frequency, survey rates, training, services and the follow-up list.

    Standing services (法律明白人, the village legal adviser, site upkeep) are judged on the last
    12 months of the period (:func:`~pufa_metrics.services.service_window`): their norms are
    yearly, and an adviser log rarely reaches back as far as the event ledgers.

    Parameters
    ----------
    ds : pufa_metrics.io.Dataset
    settings : Settings, optional
        Targets and thresholds (default: ``pufa.toml``).
    period : Period, optional
        Default: :func:`resolve_period` from settings and the events.
    """
    from .blindspots import find_blind_spots, group_gaps
    from .coverage import organizer_summary, topic_matrix, village_coverage
    from .frequency import campaign_calendar, campaign_share, event_counts
    from .services import service_coverage, service_window
    from .training import training_compliance

    settings = Settings.load() if settings is None else settings
    period = resolve_period(settings, events=ds.events) if period is None else period
    window = {"start": period.start, "end": period.end}
    coverage = village_coverage(
        ds.events, ds.villages, **window, as_of=period.as_of, event_topics=ds.event_topics,
        required_topics=settings.required_topics,
        sites=ds.sites if len(ds.sites) else None,
    )
    topics = topic_matrix(ds.events, ds.villages, event_topics=ds.event_topics,
                          topics=list(settings.required_topics), **window)
    counts = event_counts(ds.events, freq="MS", villages=ds.villages, wide=True, **window)
    years = range(period.start.year, period.end.year + 1)
    calendar = campaign_calendar(years)
    in_period = ds.events[(ds.events["date"] >= period.start) & (ds.events["date"] <= period.end)]
    campaign = campaign_share(in_period, calendar)
    organizers = organizer_summary(ds.events, event_topics=ds.event_topics, **window)
    has_survey = len(ds.responses) > 0 and len(ds.codebook) > 0
    rates = village_rates(ds.responses, ds.codebook, settings=settings) if has_survey else None
    groups = group_gaps(ds.responses, ds.codebook, settings=settings) if has_survey else None
    training = None
    if len(ds.cadres):
        training = training_compliance(ds.cadres, year=period.end.year, settings=settings)
    literates = getattr(ds, "legal_literates", None)
    visits = getattr(ds, "adviser_visits", None)
    sites = ds.sites if len(ds.sites) else None
    services = None
    if literates is not None or visits is not None or sites is not None:
        w_start, w_end = service_window(period.end, start=period.start)
        services = service_coverage(
            ds.villages, legal_literates=literates, adviser_visits=visits, sites=sites,
            start=w_start, end=w_end, as_of=period.as_of, settings=settings,
        )
    follow_up = find_blind_spots(
        coverage, rates=rates, events=ds.events, event_topics=ds.event_topics,
        services=services, settings=settings, geometry=ds.geometry, as_of=period.as_of,
        codebook=ds.codebook,
    )
    return Analysis(settings=settings, period=period, coverage=coverage, topics=topics,
                    counts=counts, calendar=calendar, campaign=campaign, organizers=organizers,
                    rates=rates, groups=groups, training=training, follow_up=follow_up,
                    services=services, synthetic=is_synthetic(ds))


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

    The 2021-09-09 水寨镇 report (DOMAIN.md) gives, since 2020: events on anti-drug / anti-fraud
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
