"""The analyst's workflow in a few calls: open data, fix the period, compute, rank.

The notebooks and ``pufa report`` use these so that each notebook cell is one library call and
every notebook computes the same figures the same way.
"""

from __future__ import annotations

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

    def __post_init__(self) -> None:
        if self.as_of is None:
            object.__setattr__(self, "as_of", self.end)
        if self.start > self.end:
            raise ValueError(
                f"period start {self.start.date()} is after end {self.end.date()}"
                "（开始日期晚于结束日期）"
            )

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


def resolve_period(
    settings: Settings | None = None,
    *,
    events: pd.DataFrame | None = None,
    start: Any = None,
    end: Any = None,
    as_of: Any = None,
) -> Period:
    """Decide the period: explicit arguments, else ``pufa.toml``, else the span of the events.

    Examples
    --------
    >>> ev = pd.DataFrame({"date": pd.to_datetime(["2021-03-01", "2021-07-15"])})
    >>> resolve_period(Settings(), events=ev)
    Period(start=Timestamp('2021-03-01 00:00:00'), end=Timestamp('2021-07-15 00:00:00'), \
as_of=Timestamp('2021-07-15 00:00:00'))
    >>> resolve_period(Settings(), events=ev, start="2021-01-01").start
    Timestamp('2021-01-01 00:00:00')
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
    return Period(pd.Timestamp(s), pd.Timestamp(e), None if a is None else pd.Timestamp(a))


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
    rates = awareness_rates(responses, codebook, by="village_id", domain=domain, weight=weight)
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


def town_name(ds: Any) -> str | None:
    """The town's name from the village register (the most common ``town``), or None."""
    towns = ds.villages["town"].dropna() if "town" in ds.villages else pd.Series(dtype="str")
    return None if towns.empty else str(towns.mode().iloc[0])


_DQ_HEADERS = {
    "table": "表",
    "source_file": "文件",
    "sheet": "工作表",
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


def write_data_quality(ds: Any, path: str | Path) -> Path:
    """Write the reconciliation, the rejected rows and the warnings to one Excel workbook.

    Sheets: 核对 (one row per file: loaded + rejected + non-data = data rows), 未导入的行 (file,
    Excel row, column, value, reason), 提示 (warnings). Text that looks like a formula is stored
    as text; the file is written atomically.
    """
    from .excel import write_workbook

    return write_workbook(
        {
            "核对": ds.reconciliation(),
            "未导入的行": ds.rejected,
            "提示": ds.warnings,
        },
        path,
        headers=_DQ_HEADERS,
    )


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
