"""Per-village coverage of legal-education (普法) events, topic matrix, department summary.

The department summary follows 谁执法谁普法 (each enforcing department publicises its field).

Every function takes canonical frames (see :mod:`pufa_metrics.schema`) and returns a new frame;
nothing is mutated. Internally villages, topics and dates become dense integer codes, so the work
is a handful of ``np.bincount`` calls and one sort, with no Python loop over villages or events:
the same code serves a town of 28 villages and a country of 490,000.

Definitions (docs/data-contract.md):

* the period is ``start <= date <= end`` at day resolution, both bounds included; ``start`` and
  ``end`` default to the first and last event date in ``events`` (all events, town-wide ones too);
* town-wide events (no ``village_id``) are **not attributed to villages**; :func:`town_events`
  lists them;
* ``longest_gap_days`` counts the gap from ``start`` to the first event, between successive
  distinct event dates, and from the last event to ``end``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from ._common import as_int64_ids as _as_int64_ids
from ._common import canonical_topics as _canonical_topics
from ._common import check_event_topics as _check_event_topics
from ._common import check_frame as _check_frame
from ._common import check_labels as _check_labels
from ._common import day_numbers as _day_numbers
from ._common import day_to_timestamp as _day_to_timestamp
from ._common import days_to_dates as _days_to_dates
from ._common import distinct as _distinct
from ._common import period_days as _resolve_period
from ._common import register_ids as _register_ids
from ._common import to_day as _to_day
from ._common import topic_pairs as _topic_pairs
from ._common import village_codes as _village_codes
from .schema import AUDIENCES, audience_vocabulary, split_topics

DateLike: TypeAlias = str | _dt.date | np.datetime64 | pd.Timestamp

__all__ = [
    "longest_gaps",
    "organizer_summary",
    "topic_matrix",
    "town_events",
    "unrecognised_audiences",
    "unrecorded_events",
    "unrecorded_fields",
    "village_coverage",
    "village_level_sites",
]

#: How a sites register writes "village level" (lower-cased, stripped): the one rule used by
#: ``village_coverage`` (``has_site``) and ``service_coverage`` (``n_sites``).
VILLAGE_SITE_LEVELS: tuple[str, ...] = ("village", "村级", "村", "村级阵地", "村（社区）级")


def _split_topic_pairs(
    events: pd.DataFrame, keep: np.ndarray, event_topics: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Topic pairs of the kept events, a multi-topic cell split as the reader splits it.

    Without ``event_topics``, a cell naming several topics ("民法典、反诈") gives each of them
    (:func:`~pufa_metrics.schema.split_topics`), as :func:`~pufa_metrics.io.read_ledger`'s
    ``event_topics`` would.
    """
    if event_topics is not None or "topic" not in events.columns:
        return _topic_pairs(events, keep, event_topics)
    cells = events["topic"]
    distinct = pd.unique(cells.dropna())
    topics = pd.Series([split_topics(c) for c in distinct], index=distinct, dtype=object)
    several = topics[topics.map(len) > 1]  # one loop over distinct cells, as the reader does
    if several.empty:
        return _topic_pairs(events, keep, None)
    rows = np.flatnonzero(cells.isin(several.index).to_numpy() & keep)
    parts = pd.Series(cells.to_numpy()[rows], index=rows).map(several).explode()
    derived = pd.DataFrame({"event_id": parts.index.to_numpy(), "topic": parts.to_numpy()})
    whole = cells.to_numpy(dtype=object).copy()
    whole[rows] = None  # a split cell counts through its parts only
    return _topic_pairs(pd.DataFrame({"event_id": np.arange(len(events)), "topic": whole}),
                        keep, derived)


def village_level_sites(sites: pd.DataFrame, *, village: str = "village_id",
                        level: str = "level") -> pd.Series:
    """Which sites are village-level sites (普法阵地 of one village), one rule everywhere.

    A site is village-level when its ``level`` is one of :data:`VILLAGE_SITE_LEVELS`
    (``village``, 村级, 村 …, case and spaces ignored) and it names a village.

    Parameters
    ----------
    sites : pandas.DataFrame
        The sites register.
    village, level : str
        Its village and level columns.

    Returns
    -------
    pandas.Series
        Boolean, same index as ``sites``.

    Examples
    --------
    >>> sites = pd.DataFrame({"village_id": ["V1", "V2", None, "V3"],
    ...                       "level": ["village", " 村级 ", "village", "town"]})
    >>> village_level_sites(sites).tolist()
    [True, True, False, False]
    """
    _check_frame(sites, "sites", (village, level))
    norm = sites[level].astype("str").str.strip().str.lower()
    return (norm.isin(VILLAGE_SITE_LEVELS) & sites[village].notna()).astype(bool)


#: Denominators a user can choose for the per-capita rates (docs/domain.md).
POPULATION_BASES: dict[str, str] = {
    "population": "常住人口 (resident population)",
    "registered_population": "户籍人口 (registered population)",
}

#: Village × topic cells counted densely (512 MB of int64 at most); above it the presence
#: of topics per village is found by a sort. A tuning knob, not a setting of pufa.toml.
DENSE_CELLS = 2**26


def _tuples(mask: np.ndarray, labels: Sequence[str]) -> np.ndarray:
    """One tuple per row of a boolean matrix: the labels of its True columns, in column order.

    Tuples are built once per distinct row pattern, not once per row.
    """
    out = np.empty(mask.shape[0], dtype=object)
    if mask.shape[0] == 0:
        return out
    if mask.shape[1] == 0:
        out.fill(())
        return out
    if mask.shape[1] <= 62:  # each row as the bits of one int64
        bits = mask.astype(np.int64) @ (np.int64(1) << np.arange(mask.shape[1], dtype=np.int64))
        codes = _distinct(bits)
        inverse = np.searchsorted(codes, bits)
        patterns = (codes[:, None] >> np.arange(mask.shape[1])) & 1 == 1
    else:
        patterns, inverse = np.unique(mask, axis=0, return_inverse=True)
    lut = np.empty(len(patterns), dtype=object)
    for i, row in enumerate(patterns):  # distinct patterns only
        lut[i] = tuple(label for label, hit in zip(labels, row) if hit)
    return lut[inverse.reshape(-1)]


def last_and_longest(
    codes: np.ndarray, offsets: np.ndarray, n_groups: int, span: int
) -> tuple[np.ndarray, np.ndarray]:
    """Last event offset (-1 if none) and longest gap per group, from one sort.

    The kernel behind ``last_event`` and ``longest_gap_days`` of :func:`village_coverage`.
    The composite key ``code << k | offset`` is sorted once (benchmarks/README.md): each
    group's dates are then a run in date order. Two events on one day give a gap of 0, which
    never changes the maximum, so no de-duplication is needed. Keys are int32 when they fit,
    int64 otherwise.

    Parameters
    ----------
    codes : numpy.ndarray
        Integer group code of each event, in ``[0, n_groups)``.
    offsets : numpy.ndarray
        Integer day of each event counted from the period start, in ``[0, span]``.
    n_groups : int
        Number of groups (villages).
    span : int
        Days from the period start to its end.

    Returns
    -------
    last, longest : numpy.ndarray
        int64 per group: offset of the last event (-1 when none) and the longest gap in days,
        the start-to-first and last-to-end stretches included (``span`` when no event).

    Examples
    --------
    >>> last, longest = last_and_longest(np.array([0, 0]), np.array([10, 40]), 2, 100)
    >>> last.tolist(), longest.tolist()
    ([40, -1], [60, 100])
    """
    last = np.full(n_groups, -1, dtype=np.int64)
    longest = np.full(n_groups, span, dtype=np.int64)
    if codes.size == 0:
        return last, longest
    k = max(int(span).bit_length(), 1)
    # int32 keys when they fit (490,000 villages × 6 years do): half the memory, a faster sort;
    # every step below works in place on the one key array or on its one `day` copy
    dtype = np.int32 if (n_groups << k) <= np.iinfo(np.int32).max else np.int64
    key = codes.astype(dtype)
    key <<= k
    key |= offsets.astype(dtype, copy=False)
    key.sort()
    day = key & dtype((1 << k) - 1)
    key >>= k  # now the group of each sorted event
    first = np.empty(key.size, dtype=bool)
    first[0] = True
    np.not_equal(key[1:], key[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    gap = np.empty_like(day)
    gap[0] = day[0]
    np.subtract(day[1:], day[:-1], out=gap[1:])
    gap[starts] = day[starts]  # first event of a group: day − start
    inner = np.maximum.reduceat(gap, starts)
    ends = np.empty_like(starts)
    ends[:-1] = starts[1:] - 1
    ends[-1] = key.size - 1
    owners = key[starts]
    last[owners] = day[ends]
    longest[owners] = np.maximum(inner, span - day[ends])
    return last, longest


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def village_coverage(
    events: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    as_of: DateLike | None = None,
    event_topics: pd.DataFrame | None = None,
    required_topics: Sequence[str] | None = None,
    sites: pd.DataFrame | None = None,
    population: str = "population",
) -> pd.DataFrame:
    """Per-village coverage of legal-education events in a period, zero-event villages included.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events: ``date`` (datetime64) and ``village_id`` (missing = town-wide event)
        are required; ``attendees`` (Int64, NA = unknown) and ``topic`` are used when present;
        ``event_id`` is needed with ``event_topics``.
    villages : pandas.DataFrame
        The village register: ``village_id``, ``village_name`` and the denominator column named
        by ``population``; ``town`` when present.
    start, end : date-like, optional
        The period, both days included. Default: the first and last event date in ``events``.
    as_of : date-like, optional
        "Today" for ``days_since_last``; default ``end``. Must not be before ``end``.
    event_topics : pandas.DataFrame, optional
        ``[event_id, topic]``, every topic of every event; then ``n_topics`` and
        ``missing_topics`` count all of an event's topics, not only its first.
    required_topics : sequence of str, optional
        Topics every village should hear about (e.g. ``Settings().required_topics``); mapped to
        canonical names. None gives empty ``missing_topics`` tuples.
    sites : pandas.DataFrame, optional
        Canonical sites ``[village_id, level]``; adds ``has_site`` (a village-level site).
    population : {"population", "registered_population"}
        The denominator: 常住 (resident, default) or 户籍 (registered) population. Its values
        fill the output's ``population`` column and ``population_basis`` names it.

    Returns
    -------
    pandas.DataFrame
        One row per village of the register, in register order, index ``village_id``; columns
        ``village_name, town, population, population_basis, n_events, attendance,
        attendance_unknown, attendance_unrecorded, attendance_per_100, events_per_1000,
        n_topics, missing_topics, last_event, days_since_last, longest_gap_days, covered`` and
        ``has_site`` (only with ``sites``). ``attrs`` holds ``start``, ``end``, ``as_of`` (ISO
        dates) and ``population_basis``.

    Notes
    -----
    * ``n_events``: the village's events with ``start <= date <= end`` (days, inclusive).
    * ``attendance``: sum of known ``attendees`` (人次, person-times: intensity, not reach);
      ``attendance_unknown``: events with no figure; ``attendance_unrecorded``: those of them
      from a ledger that records no attendee figure at all (no 参加人数 column,
      :func:`unrecorded_events`) — attendance there is not assessed, not low.
    * ``missing_topics``: the required topics no event of the village covered; **None** (not
      assessed) when some of its events come from a ledger that did not record topics and the
      recorded ones do not already cover every required topic.
    * ``attendance_per_100 = attendance / population × 100``, ``events_per_1000 = n_events /
      population × 1000``; NaN when the population is 0 or missing.
    * ``last_event``: latest event date (NaT if none); ``days_since_last = as_of − last_event``
      in days (NaN if none).
    * ``longest_gap_days``: with distinct event dates d1 < … < dk, the largest of ``d1 − start,
      d2 − d1, …, end − dk``; ``end − start`` when the village has no event.
    * Town-wide events are not attributed to any village: see :func:`town_events`.
    * Events whose ``village_id`` is not in the register raise ValueError.

    Examples
    --------
    >>> villages = pd.DataFrame({
    ...     "village_id": ["V1", "V2", "V3"], "village_name": ["河尾村", "罗湖村", "公园社区"],
    ...     "population": pd.array([1000, 500, 0], dtype="Int64")})
    >>> events = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-03-01", "2024-12-31"]),
    ...     "village_id": ["V1", "V1", None, "V3"],
    ...     "topic": ["宪法", "禁毒", "民法典", "宪法"],
    ...     "attendees": pd.array([40, None, 100, 30], dtype="Int64")})
    >>> cov = village_coverage(events, villages, required_topics=["宪法", "禁毒"])
    >>> cov[["n_events", "attendance", "attendance_unknown", "longest_gap_days"]]
                n_events  attendance  attendance_unknown  longest_gap_days
    village_id
    V1                 2          40                   1               305
    V2                 0           0                   0               365
    V3                 1          30                   0               365
    >>> cov["attendance_per_100"].round(1).tolist()  # 40 / 1000 × 100; population 0 → NaN
    [4.0, 0.0, nan]
    >>> cov["missing_topics"].tolist()
    [(), ('宪法', '禁毒'), ('禁毒',)]
    >>> cov["days_since_last"].tolist()
    [305.0, nan, 0.0]

    A second ledger without a 参加人数 column (its events have no figure at all): V1's
    attendance is then not assessed, its known 40 being only part of it.

    >>> other = pd.DataFrame({"date": pd.to_datetime(["2024-06-01"]), "village_id": ["V1"],
    ...                       "topic": ["宪法"], "source_file": ["b.csv"]})
    >>> both = pd.concat([events.assign(source_file="a.xlsx"), other])
    >>> village_coverage(both, villages)["attendance_unrecorded"].tolist()
    [1, 0, 0]
    """
    _check_frame(events, "events", ("date", "village_id"))
    _check_frame(villages, "villages", ("village_id", "village_name"))
    if population not in POPULATION_BASES:
        raise ValueError(
            f"`population` should be one of {list(POPULATION_BASES)}, got {population!r}"
            "（population 应为 population（常住人口）或 registered_population（户籍人口））"
        )
    _check_frame(villages, "villages", (population,))
    _check_event_topics(event_topics, events)
    unrecorded = unrecorded_events(events, event_topics=event_topics,
                                   fields=("topic", "attendees"))
    required = [] if required_topics is None else _canonical_topics(
        required_topics, "required_topics"
    )
    if sites is not None:
        _check_frame(sites, "sites", ("village_id", "level"))

    days = _day_numbers(events["date"], "events['date']")
    start_day, end_day = _resolve_period(days, start, end)
    as_of_day = end_day if as_of is None else _to_day(as_of, "as_of")
    if as_of_day < end_day:
        raise ValueError(
            f"`as_of` ({_day_to_timestamp(as_of_day).date()}) should not be before `end` "
            f"({_day_to_timestamp(end_day).date()})（as_of 不能早于 end）"
        )
    register = _register_ids(villages)
    n_villages = len(register)
    code = _village_codes(events["village_id"], register, "events")
    keep = (code >= 0) & (days >= start_day) & (days <= end_day)
    vcode = code[keep]
    span = end_day - start_day

    n_events = np.bincount(vcode, minlength=n_villages)
    if "attendees" in events.columns:
        attendees = events["attendees"].to_numpy(dtype="float64", na_value=np.nan)[keep]
    else:
        attendees = np.full(vcode.size, np.nan)
    known = ~np.isnan(attendees)
    # unknown figures weigh 0 (adding 0.0 leaves each sum exact): no copies of the 50M rows
    attendance = np.rint(
        np.bincount(vcode, weights=np.where(known, attendees, 0.0), minlength=n_villages)
    ).astype(np.int64)
    attendance_unknown = np.bincount(vcode[~known], minlength=n_villages)
    attendance_unrecorded = np.bincount(
        vcode[unrecorded["attendees"].to_numpy()[keep]], minlength=n_villages)

    pop = villages[population].to_numpy(dtype="float64", na_value=np.nan)
    pop = np.where(pop > 0, pop, np.nan)  # 0 or missing → NaN rates, not inf

    offsets = days[keep]
    offsets -= start_day
    last_off, longest = last_and_longest(vcode, offsets, n_villages, span)
    del offsets
    has_event = last_off >= 0

    pos, tcode, labels = _split_topic_pairs(events, keep, event_topics)
    # without event_topics the pairs are the kept events themselves (unless some topics are
    # unknown): their villages are `vcode`, no need to gather them again
    same = (event_topics is None and pos.size == vcode.size
            and np.array_equal(pos, np.flatnonzero(keep)))  # no cell split into several
    pair_village = vcode if same else code[pos]
    width = max(len(labels), 1)
    covered_required = np.zeros((n_villages, len(required)), dtype=bool)
    if n_villages * width <= DENSE_CELLS:
        # village × topic presence from one bincount (no sort): 0.3 s for 50M events
        seen = np.bincount(pair_village * width + tcode, minlength=n_villages * width)
        seen = seen.reshape(n_villages, width) > 0
        n_topics = seen.sum(axis=1)
        for j, topic in enumerate(required):  # a handful of required topics
            if topic in labels:
                covered_required[:, j] = seen[:, labels.index(topic)]
    else:  # very many villages × topics: distinct pairs from one sort
        distinct = _distinct(pair_village * width + tcode)
        n_topics = np.bincount(distinct // width, minlength=n_villages)
        for j, topic in enumerate(required):
            if topic in labels:
                hit = pair_village[tcode == labels.index(topic)]
                covered_required[:, j] = np.bincount(hit, minlength=n_villages) > 0

    missing_topics = _tuples(~covered_required, required)
    # not assessed: a gap the recorded events leave, in a village with events of a ledger that
    # did not record topics
    topic_unrecorded = np.bincount(vcode[unrecorded["topic"].to_numpy()[keep]],
                                   minlength=n_villages) > 0
    missing_topics[topic_unrecorded & (~covered_required).any(axis=1)] = None
    town = (
        villages["town"].array
        if "town" in villages.columns
        else pd.array(np.full(n_villages, np.nan, dtype=object), dtype="str")
    )
    out = pd.DataFrame(
        {
            "village_name": villages["village_name"].array,
            "town": town,
            "population": villages[population].array,
            "population_basis": pd.array(np.full(n_villages, population, dtype=object), "str"),
            "n_events": n_events.astype(np.int64),
            "attendance": attendance,
            "attendance_unknown": attendance_unknown.astype(np.int64),
            "attendance_unrecorded": attendance_unrecorded.astype(np.int64),
            "attendance_per_100": attendance / pop * 100.0,
            "events_per_1000": n_events / pop * 1000.0,
            "n_topics": n_topics.astype(np.int64),
            "missing_topics": missing_topics,
            "last_event": _days_to_dates(start_day + last_off, has_event),
            "days_since_last": np.where(has_event, as_of_day - start_day - last_off, np.nan),
            "longest_gap_days": longest,
            "covered": n_events >= 1,
        },
        index=register,
    )
    if sites is not None:
        site_villages = sites.loc[village_level_sites(sites).to_numpy(), "village_id"]
        where = register.get_indexer(site_villages.dropna())
        out["has_site"] = np.bincount(where[where >= 0], minlength=n_villages) > 0
    out.attrs.update(  # ISO strings, so the frame can be written to Parquet (attrs → JSON)
        start=_day_to_timestamp(start_day).strftime("%Y-%m-%d"),
        end=_day_to_timestamp(end_day).strftime("%Y-%m-%d"),
        as_of=_day_to_timestamp(as_of_day).strftime("%Y-%m-%d"),
        population_basis=population,
    )
    return out


def town_events(
    events: pd.DataFrame,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    event_topics: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Town-wide events (no village) in the period: these are not attributed to any village.

    :func:`village_coverage` counts only events held in a village; events whose ``village_id``
    is empty (a town square stall, a county broadcast…) are left out of every village's figures
    and reported here instead, so that nothing is lost.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events with ``date`` (datetime64) and ``village_id``.
    start, end : date-like, optional
        The period, both days included; default the first and last date in ``events`` (all
        events), as in :func:`village_coverage`.
    event_topics : pandas.DataFrame, optional
        ``[event_id, topic]``; adds a ``topics`` column with every topic of each event (tuple,
        in vocabulary order).

    Returns
    -------
    pandas.DataFrame
        The matching rows of ``events`` (all their columns), sorted by date (ties keep ledger
        order), with a fresh 0..n-1 index.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "event_id": ["e1", "e2", "e3", "e4"],
    ...     "date": pd.to_datetime(["2024-05-20", "2024-03-01", "2024-12-04", "2025-01-02"]),
    ...     "village_id": [None, "V1", None, None], "topic": ["民法典", "禁毒", "宪法", "禁毒"]})
    >>> town_events(events, end="2024-12-31")[["event_id", "topic"]]
      event_id topic
    0       e1   民法典
    1       e3    宪法
    >>> et = pd.DataFrame({"event_id": ["e1", "e1"], "topic": ["民法典", "婚姻家庭"]})
    >>> town_events(events, end="2024-12-31", event_topics=et)["topics"].tolist()
    [('民法典', '婚姻家庭'), ('宪法',)]
    """
    _check_frame(events, "events", ("date", "village_id"))
    _check_event_topics(event_topics, events)
    days = _day_numbers(events["date"], "events['date']")
    start_day, end_day = _resolve_period(days, start, end)
    keep = events["village_id"].isna().to_numpy() & (days >= start_day) & (days <= end_day)
    rows = np.flatnonzero(keep)
    rows = rows[np.argsort(days[rows], kind="stable")]
    out = events.iloc[rows].reset_index(drop=True)
    if event_topics is not None:
        pos, tcode, labels = _split_topic_pairs(events, keep, event_topics)
        rank = np.full(len(events), -1, dtype=np.int64)
        rank[rows] = np.arange(rows.size)
        mask = np.zeros((rows.size, len(labels)), dtype=bool)
        mask[rank[pos], tcode] = True
        out["topics"] = _tuples(mask, labels)
    return out


def topic_matrix(
    events: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    event_topics: pd.DataFrame | None = None,
    topics: Sequence[str] | None = None,
    start: DateLike | None = None,
    end: DateLike | None = None,
) -> pd.DataFrame:
    """Village × topic event counts in the period, zeros included.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events with ``date``, ``village_id``, ``topic`` (and ``event_id`` with
        ``event_topics``). Town-wide events are not attributed to villages.
    villages : pandas.DataFrame
        The register (``village_id``); every village gets a row, in register order.
    event_topics : pandas.DataFrame, optional
        ``[event_id, topic]``; a multi-topic event then counts once under each of its topics.
    topics : sequence of str, optional
        The columns, in this order (mapped to canonical names). Default: every topic of the
        counted events, in vocabulary order.
    start, end : date-like, optional
        The period, both days included; default the first and last event date.

    Returns
    -------
    pandas.DataFrame
        int64 counts, index ``village_id``, columns named ``topic``.

    Examples
    --------
    >>> villages = pd.DataFrame({"village_id": ["V1", "V2"]})
    >>> events = pd.DataFrame({
    ...     "event_id": ["e1", "e2", "e3"],
    ...     "date": pd.to_datetime(["2024-01-05", "2024-02-01", "2024-02-01"]),
    ...     "village_id": ["V1", "V1", None], "topic": ["禁毒", "反诈", "宪法"]})
    >>> topic_matrix(events, villages, topics=["宪法", "禁毒", "反电信网络诈骗"])
    topic       宪法  禁毒  反电信网络诈骗
    village_id
    V1           0   1        1
    V2           0   0        0
    """
    _check_frame(events, "events", ("date", "village_id"))
    _check_frame(villages, "villages", ("village_id",))
    _check_event_topics(event_topics, events)
    wanted = None if topics is None else _canonical_topics(topics, "topics")
    days = _day_numbers(events["date"], "events['date']")
    start_day, end_day = _resolve_period(days, start, end)
    register = _register_ids(villages)
    code = _village_codes(events["village_id"], register, "events")
    keep = (code >= 0) & (days >= start_day) & (days <= end_day)
    pos, tcode, labels = _split_topic_pairs(events, keep, event_topics)
    n_labels = max(len(labels), 1)
    counts = np.bincount(code[pos] * n_labels + tcode, minlength=len(register) * n_labels)
    counts = counts.reshape(len(register), n_labels)[:, : len(labels)]
    columns = labels if wanted is None else wanted
    # column j of the result: the seen topic's counts, or zeros for a topic never seen
    source = np.array([labels.index(t) if t in labels else -1 for t in columns], dtype=np.int64)
    padded = np.concatenate([counts, np.zeros((len(register), 1), dtype=counts.dtype)], axis=1)
    matrix = padded[:, source].astype(np.int64)
    return pd.DataFrame(
        matrix, index=register, columns=pd.Index(columns, dtype="str", name="topic")
    )


def _responsibility_pairs(responsibilities: Any) -> list[tuple[str, list[str]]]:
    """``{department: [topics]}`` or a frame ``[department, topic]`` → ordered list of pairs."""
    if isinstance(responsibilities, pd.DataFrame):
        _check_frame(responsibilities, "responsibilities", ("department", "topic"))
        frame = responsibilities.dropna(subset=["department", "topic"])
        grouped: dict[str, list[str]] = {}
        for dept, topic in zip(frame["department"], frame["topic"]):  # a short list
            grouped.setdefault(str(dept), []).append(str(topic))
        items = grouped.items()
    elif isinstance(responsibilities, Mapping):
        items = responsibilities.items()
    else:
        raise TypeError(
            "`responsibilities` should be a dict {department: [topics]} or a DataFrame "
            f"[department, topic], got {type(responsibilities).__name__}"
            "（责任清单应为字典或表格）"
        )
    out = []
    for dept, fields in items:
        if not isinstance(dept, str):
            raise TypeError(
                f"`responsibilities` keys should be department names (text), got {dept!r}"
            )
        out.append((dept, _canonical_topics(fields, f"responsibilities[{dept!r}]")))
    return out


def organizer_summary(
    events: pd.DataFrame,
    *,
    start: DateLike | None = None,
    end: DateLike | None = None,
    responsibilities: Mapping[str, Sequence[str]] | pd.DataFrame | None = None,
    event_topics: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-department summary under 谁执法谁普法 (each enforcing department publicises its field).

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events with ``date``, ``organizer``, ``village_id`` and ``topic`` (and
        ``event_id`` with ``event_topics``). Events with no organizer are not counted here.
    start, end : date-like, optional
        The period, both days included; default the first and last event date.
    responsibilities : dict or pandas.DataFrame, optional
        The responsibility list: ``{department: [topics of its fields]}`` or a frame
        ``[department, topic]``. Topics are mapped to canonical names.
    event_topics : pandas.DataFrame, optional
        ``[event_id, topic]``, every topic of every event.

    Returns
    -------
    pandas.DataFrame
        Index ``organizer`` (organizers with events, sorted, then listed departments without
        events, in list order); columns ``n_events``, ``n_villages`` (distinct villages reached;
        town-wide events reach none), ``n_topics``, ``topics`` (tuple, vocabulary order). With
        ``responsibilities`` also ``in_field_share`` (share of its events with at least one topic
        in its own fields; NaN with no events or no fields listed) and
        ``fields_never_covered`` (tuple of its fields with no event, in list order).

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-03-01", "2024-04-01", "2024-05-01", "2024-06-26"]),
    ...     "village_id": ["V1", "V2", None, "V1"],
    ...     "organizer": ["司法所", "司法所", "司法所", "派出所"],
    ...     "topic": ["民法典", "宪法", "禁毒", "禁毒"]})
    >>> fields = {"司法所": ["民法典", "宪法", "人民调解"], "派出所": ["禁毒", "反电信网络诈骗"],
    ...           "市场监管所": ["消费者权益"]}
    >>> s = organizer_summary(events, responsibilities=fields)
    >>> s[["n_events", "n_villages", "n_topics", "in_field_share"]].round(3)
           n_events  n_villages  n_topics  in_field_share
    organizer
    司法所           3           2         3           0.667
    派出所           1           1         1           1.000
    市场监管所         0           0         0             NaN
    >>> s["fields_never_covered"].tolist()
    [('人民调解',), ('反电信网络诈骗',), ('消费者权益',)]
    """
    _check_frame(events, "events", ("date", "organizer", "village_id"))
    _check_event_topics(event_topics, events)
    fields = None if responsibilities is None else _responsibility_pairs(responsibilities)
    days = _day_numbers(events["date"], "events['date']")
    start_day, end_day = _resolve_period(days, start, end)
    in_period = (days >= start_day) & (days <= end_day)
    org_code, org_names = pd.factorize(events["organizer"], sort=True)
    names = [str(o) for o in org_names]
    if fields is not None:
        names += [d for d, _ in fields if d not in names]
    n_org = len(names)
    keep = in_period & (org_code >= 0)
    oc = org_code[keep]
    n_events = np.bincount(oc, minlength=n_org)

    numeric = _as_int64_ids(events["village_id"])
    if numeric is None:
        vcode, _ = pd.factorize(events["village_id"])
    else:
        vcode = np.where(numeric >= 0, pd.factorize(numeric)[0], -1)
    reached = vcode[keep] >= 0
    width = int(vcode.max()) + 2 if vcode.size else 1
    pairs = _distinct(oc[reached].astype(np.int64) * width + vcode[keep][reached])
    n_villages = np.bincount(pairs // width, minlength=n_org)

    pos, tcode, labels = _split_topic_pairs(events, keep, event_topics)
    n_labels = max(len(labels), 1)
    seen = np.zeros((n_org, n_labels), dtype=bool)
    seen[org_code[pos], tcode] = True
    seen = seen[:, : len(labels)]
    out = pd.DataFrame(
        {
            "n_events": n_events.astype(np.int64),
            "n_villages": n_villages.astype(np.int64),
            "n_topics": seen.sum(axis=1).astype(np.int64),
            "topics": _tuples(seen, labels),
        },
        index=pd.Index(names, dtype="str", name="organizer"),
    )
    if fields is None:
        return out

    # own[o, t]: topic t is in organizer o's fields (topics unseen in events get extra columns)
    extra = [t for _, topics in fields for t in topics if t not in labels]
    all_labels = labels + list(dict.fromkeys(extra))
    own = np.zeros((n_org, len(all_labels)), dtype=bool)
    for dept, topics in fields:  # the responsibility list: a handful of departments
        own[names.index(dept), [all_labels.index(t) for t in topics]] = True
    event_in = np.zeros(len(events), dtype=bool)
    event_in[pos[own[org_code[pos], tcode]]] = True
    n_in = np.bincount(org_code[keep & event_in], minlength=n_org)
    has_fields = own.any(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(has_fields & (n_events > 0), n_in / n_events, np.nan)
    out["in_field_share"] = share
    never = np.empty(n_org, dtype=object)
    never.fill(())
    covered = np.zeros_like(own)
    covered[:, : len(labels)] = seen
    for dept, topics in fields:
        i = names.index(dept)
        never[i] = tuple(t for t in topics if not covered[i, all_labels.index(t)])
    out["fields_never_covered"] = never
    return out


# --------------------------------------------------------------------------------------------
# Fields a ledger did not record: audience, topic, attendees
# --------------------------------------------------------------------------------------------

#: Event fields whose absence from a ledger leaves a follow-up reason "not assessed":
#: field → (the ledger header, the English name, the reason, what the reason judges in zh, en).
UNRECORDED_FIELDS: dict[str, tuple[str, str, str, str, str]] = {
    "audience": ("参加对象", "audience", "missing_audiences", "重点人群覆盖",
                 "audience groups reached"),
    "topic": ("宣传内容", "topic", "missing_topics", "必讲主题覆盖", "required topics covered"),
    "attendees": ("参加人数", "attendee count", "low_attendance", "参与人次", "attendance"),
}


def _check_fields(fields: Any) -> tuple[str, ...]:
    if fields is None:
        return tuple(UNRECORDED_FIELDS)
    out = tuple(_check_labels(fields, "fields"))
    bad = [f for f in out if f not in UNRECORDED_FIELDS]
    if bad:
        raise ValueError(
            f"`fields` should be among {list(UNRECORDED_FIELDS)}, got {bad}"
            "（fields 只能是 audience、topic、attendees）"
        )
    return out


def _ledger_codes(events: pd.DataFrame) -> tuple[np.ndarray, int]:
    """Each event's ledger as a dense code, and the number of ledgers.

    A ledger is a ``source_file`` (and ``sheet`` when events carry one); all of ``events`` is
    one ledger when it has no ``source_file``.
    """
    keys = [c for c in ("source_file", "sheet") if c in events.columns]
    if "source_file" not in keys:
        return np.zeros(len(events), dtype=np.int64), 1
    if len(keys) == 1:  # one hash of the (few distinct) file names
        codes, uniques = pd.factorize(events["source_file"], use_na_sentinel=False)
        return codes.astype(np.int64), max(len(uniques), 1)
    codes = events.groupby(keys, sort=False, dropna=False, observed=True).ngroup().to_numpy()
    return codes.astype(np.int64), int(codes.max()) + 1 if codes.size else 1


def _files_without(ledger_columns: pd.DataFrame, field: str) -> pd.Index:
    """Events ledgers (``source_file``) of which no column was read as ``field``."""
    cols = ledger_columns[ledger_columns["table"].astype("str") == "events"]
    # used_as is the canonical column, or e.g. "attendees (summed 子列相加)"
    used = cols["used_as"].astype("str").fillna("").str.split(" ", n=1).str[0]
    has = cols.loc[(used == field).to_numpy(), "source_file"].dropna().unique()
    return pd.Index(cols["source_file"].dropna().unique()).difference(pd.Index(has))


def unrecorded_events(
    events: pd.DataFrame,
    *,
    event_topics: pd.DataFrame | None = None,
    fields: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Which events' audience, topic or attendee figure was not recorded by their ledger.

    A field of an event is *not recorded* when its ledger (``source_file``; all of ``events``
    when there is no such column) records it for none of its events: the ledger has no such
    column (the reader leaves it NA for every event) or left the column blank throughout. A
    blank cell in a ledger that records the field for other events is recorded as empty (no
    group named, no figure), not as unrecorded. Topics the reader found in a title column
    (宣传主题, 活动名称: "宣传内容取自活动名称") are recorded topics: the reader keeps only the
    events whose topic it found, so a ledger's events always record a topic.

    The follow-up list judges a reason only on recorded fields (:func:`village_coverage`'s
    ``missing_topics`` and ``attendance_unrecorded``, :func:`pufa_metrics.find_blind_spots`):
    a gap in the record is not a gap in the work.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events; ``source_file`` and the fields' columns are used when present (a
        field with no column is not recorded for any event).
    event_topics : pandas.DataFrame, optional
        ``[event_id, topic]``: an event with a row here has its topic recorded.
    fields : sequence of {"audience", "topic", "attendees"}, optional
        Default: all three.

    Returns
    -------
    pandas.DataFrame
        Boolean, one row per event (the index of ``events``), one column per field: True where
        the field was not recorded.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "source_file": ["妇联.csv", "妇联.csv", "综治办.xlsx"],
    ...     "audience": ["妇女", None, None], "topic": ["反家庭暴力", "民法典", "禁毒"],
    ...     "attendees": pd.array([None, None, 40], dtype="Int64")})
    >>> unrecorded_events(events)
       audience  topic  attendees
    0     False  False       True
    1     False  False       True
    2      True  False      False
    """
    _check_frame(events, "events")
    fields = _check_fields(fields)
    codes: np.ndarray | None = None
    n_ledgers = 1
    out: dict[str, np.ndarray] = {}
    for field in fields:  # three fields at most
        if field in events.columns:
            present = events[field].notna().to_numpy()
        else:
            present = np.zeros(len(events), dtype=bool)
        if field == "topic" and event_topics is not None:
            _check_event_topics(event_topics, events)
            present = present | events["event_id"].isin(event_topics["event_id"]).to_numpy()
        unrecorded = np.zeros(len(events), dtype=bool)
        if not present.all():  # only then are ledgers told apart (a hash of every row)
            if codes is None:
                codes, n_ledgers = _ledger_codes(events)
            recorded = np.bincount(codes[present], minlength=n_ledgers) > 0
            unrecorded = ~recorded[codes]
        out[field] = unrecorded
    return pd.DataFrame(out, index=events.index, columns=list(fields))


def unrecorded_fields(
    events: pd.DataFrame,
    *,
    ledger_columns: pd.DataFrame | None = None,
    event_topics: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Which ledgers did not record the audience, topic or attendees, and for how many events.

    For the report and ``pufa validate``: each row says what a ledger lacked and which reason of
    the follow-up list is therefore not assessed for its events (the rule of
    :func:`unrecorded_events`).

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events (``source_file``, ``village_id``, ``audience``, ``topic``,
        ``attendees``, as read by :func:`pufa_metrics.load_dataset`).
    ledger_columns : pandas.DataFrame, optional
        ``Dataset.columns`` (table, source_file, used_as): then ``why`` tells a missing column
        from a column left blank.
    event_topics : pandas.DataFrame, optional
        ``[event_id, topic]``, as in :func:`unrecorded_events`.

    Returns
    -------
    pandas.DataFrame
        One row per (ledger, field) not recorded, by ledger then field (audience, topic,
        attendees): ``source_file``, ``field``, ``header`` (the ledger header it would have,
        e.g. 参加对象), ``n_events`` (its events), ``n_villages`` (the villages they were held
        in), ``not_assessed`` (the reason code left unassessed), ``why`` and ``message``
        (Chinese, then English). No rows when every ledger records all three.

    Examples
    --------
    >>> events = pd.DataFrame({
    ...     "source_file": ["妇联.csv", "妇联.csv", "综治办.xlsx"],
    ...     "village_id": ["V1", "V2", "V1"],
    ...     "audience": ["妇女", None, None], "topic": ["反家庭暴力", "民法典", "禁毒"],
    ...     "attendees": pd.array([None, None, 40], dtype="Int64")})
    >>> out = unrecorded_fields(events)
    >>> out[["source_file", "field", "n_events", "n_villages", "not_assessed"]]
      source_file      field  n_events  n_villages      not_assessed
    0    妇联.csv  attendees         2           2    low_attendance
    1  综治办.xlsx   audience         1           1  missing_audiences
    >>> print(out.loc[1, "message"].split(" / ")[0])  # then the same in English
    综治办.xlsx：未记录参加对象（无此列或全空），1场活动的重点人群覆盖未评估
    """
    if ledger_columns is not None:
        _check_frame(ledger_columns, "ledger_columns", ("table", "source_file", "used_as"))
    mask = unrecorded_events(events, event_topics=event_topics)
    source = (events["source_file"].astype("str") if "source_file" in events.columns
              else pd.Series(np.nan, index=events.index, dtype="str"))
    village = (events["village_id"].astype("str") if "village_id" in events.columns
               else pd.Series(np.nan, index=events.index, dtype="str"))
    parts = []
    for field in UNRECORDED_FIELDS:  # three fields
        m = mask[field].to_numpy()
        if not m.any():
            continue
        sub = pd.DataFrame({"source_file": source.to_numpy()[m],
                            "village_id": village.to_numpy()[m]})
        counts = sub.groupby("source_file", dropna=False, sort=True).agg(
            n_events=("source_file", "size"), n_villages=("village_id", "nunique"))
        parts.append(counts.reset_index().assign(field=field))
    columns = {"source_file": "str", "field": "str", "header": "str", "n_events": "int64",
               "n_villages": "int64", "not_assessed": "str", "why": "str", "message": "str"}
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=d) for c, d in columns.items()})
    out = pd.concat(parts, ignore_index=True)
    info = pd.DataFrame(UNRECORDED_FIELDS, index=["header", "name", "not_assessed", "zh", "en"]).T
    out = out.join(info, on="field")
    no_column = pd.Series(False, index=out.index)
    if ledger_columns is not None:
        for field in UNRECORDED_FIELDS:  # three fields
            lacking = _files_without(ledger_columns, field)
            no_column |= (out["field"] == field) & out["source_file"].isin(lacking)
    if ledger_columns is None:  # a missing column cannot be told from a blank one
        why_zh = "未记录" + out["header"] + "（无此列或全空）"
        why_en = "no event records its " + out["name"] + " (no such column, or left blank)"
    else:
        why_zh = out["header"] + "列全空"
        why_en = "its " + out["name"] + " column is blank throughout"
    why_zh = why_zh.mask(no_column, "无" + out["header"] + "列")
    why_en = why_en.mask(no_column, "no " + out["name"] + " column")
    out["why"] = why_zh + " / " + why_en
    shown = out["source_file"].fillna("events")
    n = out["n_events"].astype("str")
    out["message"] = (shown + "：" + why_zh + "，" + n + "场活动的" + out["zh"] + "未评估 / "
                      + shown + ": " + why_en + "; " + out["en"] + " not assessed for " + n
                      + " events")
    order = {f: i for i, f in enumerate(UNRECORDED_FIELDS)}
    out = out.assign(_o=out["field"].map(order)).sort_values(["source_file", "_o"],
                                                             kind="stable")
    return out[list(columns)].astype(columns).reset_index(drop=True)


def unrecognised_audiences(
    events: pd.DataFrame, *, aliases: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """Audience texts no group word recognises, with the number of events naming each.

    For ``pufa validate`` (未识别的参加对象): the candidates for pufa.toml
    ``[audiences.aliases]``. Cells are read by :func:`pufa_metrics.schema.split_audiences` (with
    ``aliases``), so the reader's joined groups and raw ledger text give the same answer.

    Returns
    -------
    pandas.DataFrame
        ``audience`` (the text as kept), ``n_events``; most frequent first, then by text.

    Examples
    --------
    >>> events = pd.DataFrame({"audience": ["老年人、党员", "党员", "新业态从业人员", None,
    ...                                     "留守老人", "党员群众"]})
    >>> unrecognised_audiences(events).values.tolist()  # 党员群众 → 群众 → 全体村民
    [['党员', 2], ['新业态从业人员', 1]]
    >>> unrecognised_audiences(events, aliases={"党员": "村两委干部"})["audience"].tolist()
    ['新业态从业人员']
    """
    _check_frame(events, "events", ("audience",))
    vocab = audience_vocabulary(aliases)
    cells = pd.Series(events["audience"].to_numpy(), dtype="str").dropna()
    groups = {u: vocab.split(u) for u in cells.unique()}  # distinct cells
    parts = cells.map(groups).explode().dropna()
    unknown = parts[~parts.isin(list(AUDIENCES))]
    pairs = pd.DataFrame({"event": unknown.index, "audience": unknown.astype("str").to_numpy()})
    counts = pairs.drop_duplicates().groupby("audience").size().rename("n_events")
    out = counts.reset_index().sort_values(["n_events", "audience"], ascending=[False, True],
                                           kind="stable")
    return out.reset_index(drop=True).astype({"audience": "str", "n_events": "int64"})


def longest_gaps(
    events: pd.DataFrame,
    villages: Sequence[str] | pd.Index,
    *,
    start: DateLike,
    end: DateLike,
) -> pd.Series:
    """Longest stretch without an event, per village, inside a window ``[start, end]``.

    As ``longest_gap_days`` of :func:`village_coverage`, with the window's ends as the bounds:
    with the village's distinct event dates d1 < … < dk inside the window, the largest of
    ``d1 − start, d2 − d1, …, end − dk`` in days; ``end − start`` when it has no event there.
    The follow-up list uses it to judge long gaps in the recent past only (``[targets]
    gap_window_months``).

    Parameters
    ----------
    events : pandas.DataFrame
        Columns ``date`` (datetime64) and ``village_id``; town-wide events (no village) and
        villages not in ``villages`` are left out.
    villages : sequence of str or pandas.Index
        The village ids to report, in order.
    start, end : date-like
        The window (inclusive).

    Returns
    -------
    pandas.Series
        float64 days, index ``village_id`` (``villages``), name ``longest_gap_days``.

    Examples
    --------
    >>> ev = pd.DataFrame({"village_id": ["A", "A", "B", None],
    ...                    "date": pd.to_datetime(["2019-06-01", "2024-03-01", "2025-01-01",
    ...                                            "2024-06-01"])})
    >>> longest_gaps(ev, ["A", "B", "C"], start="2024-01-01", end="2025-12-31").tolist()
    [670.0, 366.0, 730.0]
    """
    _check_frame(events, "events", ("date", "village_id"))
    ids = pd.Index(villages, name="village_id")
    start_day, end_day = _to_day(start, "start"), _to_day(end, "end")
    if start_day > end_day:
        raise ValueError(
            f"`start` ({_day_to_timestamp(start_day).date()}) is after `end` "
            f"({_day_to_timestamp(end_day).date()})（开始日期晚于结束日期）"
        )
    days = _day_numbers(events["date"], "events['date']")
    code = ids.get_indexer(pd.Index(events["village_id"]))  # -1: town-wide or not listed
    keep = (code >= 0) & (days >= start_day) & (days <= end_day)
    _last, longest = last_and_longest(code[keep], days[keep] - start_day, len(ids),
                                      end_day - start_day)
    return pd.Series(longest.astype("float64"), index=ids, name="longest_gap_days")
