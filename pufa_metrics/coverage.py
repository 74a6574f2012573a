"""Per-village coverage of legal-education (普法) events, topic matrix, department summary.

The department summary follows 谁执法谁普法 (each enforcing department publicises its field).

Every function takes canonical frames (see :mod:`pufa_metrics.schema`) and returns a new frame;
nothing is mutated. Internally villages, topics and dates become dense integer codes, so the work
is a handful of ``np.bincount`` calls and one sort, with no Python loop over villages or events
(PERF.md): the same code serves a town of 28 villages and a country of 490,000.

Definitions (DESIGN.md "Coverage"):

* the period is ``start <= date <= end`` at day resolution, both bounds included; ``start`` and
  ``end`` default to the first and last event date in ``events`` (all events, town-wide ones too);
* town-wide events (no ``village_id``) are **not attributed to villages**; :func:`town_events`
  lists them;
* ``longest_gap_days`` counts the gap from ``start`` to the first event, between successive
  distinct event dates, and from the last event to ``end``.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .schema import AUDIENCES, TOPICS, audience_vocabulary, canonical_topic

DateLike: TypeAlias = str | _dt.date | np.datetime64 | pd.Timestamp

__all__ = [
    "organizer_summary",
    "topic_matrix",
    "town_events",
    "unrecognised_audiences",
    "unrecorded_events",
    "unrecorded_fields",
    "village_coverage",
]

#: Denominators a user can choose for the per-capita rates (DOMAIN.md §0.3).
POPULATION_BASES: dict[str, str] = {
    "population": "常住人口 (resident population)",
    "registered_population": "户籍人口 (registered population)",
}

_NAT_DAY = np.iinfo(np.int64).min
_UNITS_PER_DAY = {"D": 1, "h": 24, "m": 1440, "s": 86_400, "ms": 86_400_000,
                  "us": 86_400_000_000, "ns": 86_400_000_000_000}
_DENSE_CELLS = 2**26  # village × topic cells counted densely (512 MB of int64 at most)
_NUMERIC_ID = "^[1-9][0-9]{0,17}$"  # ids that survive a round trip through int64


# --------------------------------------------------------------------------------------------
# Input checks and conversions shared with frequency.py
# --------------------------------------------------------------------------------------------


def _check_frame(obj: Any, name: str, required: Iterable[str] = ()) -> None:
    """Raise TypeError unless ``obj`` is a DataFrame, ValueError when columns are missing."""
    if not isinstance(obj, pd.DataFrame):
        raise TypeError(
            f"`{name}` should be a pandas DataFrame, got {type(obj).__name__}"
            f"（{name} 应为 DataFrame 表格）"
        )
    missing = [c for c in required if c not in obj.columns]
    if missing:
        raise ValueError(
            f"`{name}` lacks the column(s) {missing}; it has {list(obj.columns)}"
            f"（{name} 缺少列：{'、'.join(missing)}）"
        )


def _check_labels(value: Any, name: str) -> list[str]:
    """A list of text labels (e.g. topics); a bare string is refused, not split into characters."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise TypeError(
            f"`{name}` should be a list of text values, got {type(value).__name__} {value!r}"
            f"（{name} 应为文本列表）"
        )
    out = list(value)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise TypeError(
            f"`{name}` should hold text values only, got {bad[:5]!r}（{name} 只能包含文本）"
        )
    return out


def _day_numbers(dates: pd.Series, name: str) -> np.ndarray:
    """Dates as int64 days since 1970-01-01 (time of day dropped); NaT becomes ``_NAT_DAY``."""
    if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
        raise TypeError(
            f"`{name}` should hold dates (datetime64), got dtype {dates.dtype}; "
            f"convert it with pd.to_datetime（{name} 应为日期类型）"
        )
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    values = dates.to_numpy()
    unit, count = np.datetime_data(values.dtype)
    per_day = _UNITS_PER_DAY.get(unit)
    if per_day is not None and per_day % count == 0:
        # integer floor division: 10× faster than astype("datetime64[D]") at 50M rows
        days = values.view(np.int64) // (per_day // count)
    else:  # pragma: no cover - pandas only makes s/ms/us/ns
        days = values.astype("datetime64[D]").astype(np.int64)
    days[np.isnat(values)] = _NAT_DAY
    return days


def _to_day(value: Any, name: str) -> int:
    """One date-like value as int64 days since 1970-01-01."""
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"`{name}` should be a date such as '2024-12-31', got {value!r}"
            f"（{name} 应为日期，如 2024-12-31）"
        ) from exc
    if pd.isna(stamp):
        raise ValueError(f"`{name}` should be a date, got a missing value {value!r}（{name} 为空）")
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return int(np.datetime64(stamp.date(), "D").astype(np.int64))


def _day_to_timestamp(day: int) -> pd.Timestamp:
    return pd.Timestamp(np.datetime64(int(day), "D"))


def _days_to_dates(days: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """int64 day numbers → datetime64[us], NaT where ``valid`` is False."""
    out = np.where(valid, days, 0).astype("datetime64[D]").astype("datetime64[us]")
    out[~valid] = np.datetime64("NaT")
    return out


def _resolve_period(days: np.ndarray, start: Any, end: Any) -> tuple[int, int]:
    """``(start_day, end_day)``; None defaults to the first/last non-missing date in ``days``."""
    # the dated events are only needed for a default bound (a copy of every row otherwise)
    known = days[days != _NAT_DAY] if start is None or end is None else days[:0]
    if (start is None or end is None) and known.size == 0:
        raise ValueError(
            "`start` and `end` cannot default to the event dates because `events` has no dated "
            "event; give both（活动台账没有日期，请指定 start 和 end）"
        )
    start_day = int(known.min()) if start is None else _to_day(start, "start")
    end_day = int(known.max()) if end is None else _to_day(end, "end")
    if start_day > end_day:
        raise ValueError(
            f"`start` ({_day_to_timestamp(start_day).date()}) is after `end` "
            f"({_day_to_timestamp(end_day).date()})（开始日期晚于结束日期）"
        )
    return start_day, end_day


def _register_ids(villages: pd.DataFrame) -> pd.Index:
    """The register's village ids as an Index; missing or duplicated ids are refused."""
    ids = pd.Index(villages["village_id"], name="village_id")
    if ids.hasnans:
        raise ValueError(
            f"`villages['village_id']` has {int(ids.isna().sum())} missing id(s); every village "
            "of the register needs one（村居名册中有村编码为空）"
        )
    if not ids.is_unique:
        dup = ids[ids.duplicated()].unique()[:10].tolist()
        raise ValueError(
            f"`villages['village_id']` should be unique, got duplicates {dup}（村编码重复）"
        )
    return ids


def _as_int64_ids(values: pd.Series | pd.Index) -> np.ndarray | None:
    """Ids that are all canonical decimal numbers as int64 (null → -1), else None.

    Parsing with Arrow and hashing integers is 5–10× faster than hashing strings (PERF.md).
    """
    if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
        return None
    try:
        arr = pa.array(values.array, from_pandas=True)
        if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
            return None
        if arr.null_count == len(arr):
            return np.full(len(arr), -1, dtype=np.int64)
        if not pc.all(pc.match_substring_regex(arr, _NUMERIC_ID)).as_py():
            return None
        return np.asarray(pc.fill_null(pc.cast(arr, pa.int64()), -1), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None


def _village_codes(ids: pd.Series, register: pd.Index, name: str) -> np.ndarray:
    """Dense codes (position in the register) for a column of village ids; -1 for missing ids.

    Ids that are not in the register raise ValueError listing up to 10 of them. Categorical ids
    (e.g. Parquet dictionary columns) are looked up once per category, then gathered by code.
    """
    if isinstance(ids.dtype, pd.CategoricalDtype):
        categories = pd.Series(ids.cat.categories)
        fast_reg = _as_int64_ids(register)
        fast_cat = _as_int64_ids(categories) if fast_reg is not None else None
        if fast_cat is not None:
            lut = pd.Index(fast_reg).get_indexer(fast_cat)
        else:
            lut = pd.Index(register).get_indexer(categories)
        cat_codes = ids.cat.codes.to_numpy()
        missing = cat_codes < 0
        # code -1 (missing id) reads the last slot; int64 lut: one int64 result, no recast
        codes = np.append(lut, -1).astype(np.int64)[cat_codes]
    elif (fast_reg := _as_int64_ids(register)) is not None and (
        fast_ids := _as_int64_ids(ids)
    ) is not None:
        codes = pd.Index(fast_reg).get_indexer(fast_ids)
        missing = fast_ids == -1
    else:
        codes = pd.Index(register).get_indexer(ids)
        missing = ids.isna().to_numpy()
    unknown = (codes < 0) & ~missing
    if unknown.any():
        bad = pd.unique(ids.to_numpy()[unknown])
        raise ValueError(
            f"`{name}` has {int(unknown.sum())} row(s) whose village_id is not in the register "
            f"`villages`, e.g. {[str(b) for b in bad[:10]]}; match villages when reading the "
            "ledgers（有记录的村编码不在村居名册中）"
        )
    return codes.astype(np.int64, copy=False)


def _order_labels(labels: Iterable[str], vocabulary: Mapping[str, str] = TOPICS) -> list[str]:
    """Vocabulary order first, then any other labels sorted."""
    labels = set(labels)
    known = [v for v in vocabulary if v in labels]
    return known + sorted(labels.difference(vocabulary))


def _canonical_topics(values: Iterable[str], name: str) -> list[str]:
    """Canonical names of user-given topics, duplicates dropped, order kept."""
    out: list[str] = []
    for value in _check_labels(values, name):
        topic = canonical_topic(value)
        if topic and topic not in out:
            out.append(topic)
    return out


def _topic_codes(
    values: pd.Series, labels_out: dict[str, int], rows: np.ndarray | None = None
) -> np.ndarray:
    """Codes of canonical topics for a column of topics as written (unseen ones added).

    With ``rows`` (positions), only those rows are coded.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # small integer codes, no hashing
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    lut = np.full(len(uniques) + 1, -1, dtype=np.int64)  # last slot: code -1 (missing)
    for i, value in enumerate(uniques):  # distinct topic texts: a handful
        topic = canonical_topic(value)
        if topic:
            lut[i] = labels_out.setdefault(topic, len(labels_out))
    return lut[codes if rows is None else codes[rows]]


def _topic_pairs(
    events: pd.DataFrame, keep: np.ndarray, event_topics: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Distinct (event position, topic code) pairs of the events where ``keep`` is True.

    Topics come from ``events['topic']`` and, when given, every row of ``event_topics`` (so a
    multi-topic event has one pair per topic). Topic texts are mapped to canonical names. Labels
    are returned in vocabulary order and codes index into them.
    """
    seen: dict[str, int] = {}
    positions: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    if "topic" in events.columns:
        sel = np.flatnonzero(keep)
        positions.append(sel)
        codes.append(_topic_codes(events["topic"], seen, sel))
    if event_topics is not None:
        index = pd.Index(events["event_id"])
        pos = index.get_indexer(event_topics["event_id"])
        ok = pos >= 0
        ok[ok] = keep[pos[ok]]
        positions.append(pos[ok])
        codes.append(_topic_codes(event_topics["topic"], seen)[ok])
    if not positions:
        return np.empty(0, np.int64), np.empty(0, np.int64), []
    # one source (no event_topics) is used as is: no copies of 50M-row arrays at national scale
    pos = positions[0] if len(positions) == 1 else np.concatenate(positions)
    code = codes[0] if len(codes) == 1 else np.concatenate(codes)
    known = code >= 0
    if not known.all():
        pos, code = pos[known], code[known]
    labels = _order_labels(seen)
    order = [seen[t] for t in labels]
    if order != list(range(len(order))):  # codes in order of appearance → vocabulary order
        remap = np.empty(max(len(seen), 1), dtype=np.int64)
        remap[order] = np.arange(len(labels))
        code = remap[code]
    if event_topics is not None:  # an event's first topic is in both sources: keep one pair
        n_topics = max(len(labels), 1)
        key = _distinct(pos * n_topics + code)
        pos, code = key // n_topics, key % n_topics
    return pos, code, labels


def _check_event_topics(event_topics: Any, events: pd.DataFrame) -> None:
    if event_topics is None:
        return
    _check_frame(event_topics, "event_topics", ("event_id", "topic"))
    _check_frame(events, "events", ("event_id",))
    if not events["event_id"].is_unique:
        dup = events.loc[events["event_id"].duplicated(), "event_id"].unique()[:10].tolist()
        raise ValueError(
            f"`events['event_id']` should be unique to join `event_topics`, got duplicates {dup}"
            "（活动编号重复，无法对应活动主题）"
        )


def _distinct(keys: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an int64 array (one sort; faster here than ``np.unique``)."""
    keys = np.sort(keys)
    return keys[np.r_[True, keys[1:] != keys[:-1]]] if keys.size else keys


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


def _last_and_longest(
    codes: np.ndarray, offsets: np.ndarray, n_groups: int, span: int
) -> tuple[np.ndarray, np.ndarray]:
    """Last event offset (-1 if none) and longest gap per group, from one sort.

    ``codes`` are group codes in ``[0, n_groups)`` and ``offsets`` the event days counted from
    the period start, in ``[0, span]``. The composite key ``code << k | offset`` is sorted once
    (PERF.md recommendation 3): each group's dates are then a run in date order. Two events on
    one day give a gap of 0, which never changes the maximum, so no de-duplication is needed.
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
    last_off, longest = _last_and_longest(vcode, offsets, n_villages, span)
    del offsets
    has_event = last_off >= 0

    pos, tcode, labels = _topic_pairs(events, keep, event_topics)
    # without event_topics the pairs are the kept events themselves (unless some topics are
    # unknown): their villages are `vcode`, no need to gather them again
    same = event_topics is None and pos.size == vcode.size
    pair_village = vcode if same else code[pos]
    width = max(len(labels), 1)
    covered_required = np.zeros((n_villages, len(required)), dtype=bool)
    if n_villages * width <= _DENSE_CELLS:
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
        level = sites["level"].astype("str").str.strip().str.lower()
        site_villages = sites.loc[(level == "village").to_numpy(), "village_id"]
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
        pos, tcode, labels = _topic_pairs(events, keep, event_topics)
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
    pos, tcode, labels = _topic_pairs(events, keep, event_topics)
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

    pos, tcode, labels = _topic_pairs(events, keep, event_topics)
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
