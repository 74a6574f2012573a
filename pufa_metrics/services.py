"""Standing legal services per village: 法律明白人, the village legal adviser, publicity sites.

Besides events, a town justice office (司法所) answers for three services in every village
(docs/domain.md):

* at least ``[targets] legal_literates_per_village`` (default 3) trained 法律明白人 per 行政村
  (《乡村"法律明白人"培养工作规范(试行)》, 2021), drawn from 10 priority groups;
* a village legal adviser (一村（社区）一法律顾问) who actually comes. No Guangdong-wide
  service norm was found; the defaults of ``[services]`` follow the 柞水 example (docs/domain.md
  §1.5): 2 on-site days a month and 1 lecture a quarter;
* publicity sites (宣传栏、法治长廊 …) whose content is kept current: a site not updated within
  ``[services] site_stale_months`` (default 12) is stale.

:func:`service_coverage` turns the optional tables ``legal_literates`` (法律明白人 roster) and
``adviser_visits`` (法律顾问 service log) and the ``sites`` register into one row per village.
Everything is a handful of ``np.bincount`` calls over dense village codes: no loop over villages
or rows.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import numpy as np
import pandas as pd

from ._common import check_frame as _check_frame
from ._common import day_numbers as _day_numbers
from ._common import days_to_dates as _days_to_dates
from ._common import distinct as _distinct
from ._common import register_ids as _register_ids
from ._common import resolve_settings as _settings
from ._common import to_day as _to_day
from ._common import village_codes as _village_codes
from .assessed import mark_not_assessed, table_reason
from .config import Settings
from .coverage import village_level_sites
from .schema import LEGAL_LITERATE_GROUPS

__all__ = ["SERVICE_COLUMNS", "period_months", "service_coverage", "service_window"]

#: Output columns of :func:`service_coverage` after the register's own columns.
SERVICE_COLUMNS: tuple[str, ...] = (
    "n_legal_literates",
    "literates_target",
    "literates_met",
    "priority_groups",
    "priority_group_share",
    "adviser_visits",
    "adviser_days",
    "lectures",
    "consultations",
    "mediations",
    "expected_lectures",
    "expected_days",
    "lectures_met",
    "days_met",
    "last_adviser_visit",
    "days_since_adviser",
    "n_sites",
    "stale_sites",
    "oldest_site_update",
    "stale_site_names",
)

#: Group names as ledgers write them → one of the 10 priority groups (schema).
_GROUP_ALIASES: dict[str, str] = {
    "村两委干部": "村干部",
    '村"两委"干部': "村干部",
    "村“两委”干部": "村干部",
    "村委干部": "村干部",
    "村(社区)干部": "村干部",
    "社区干部": "村干部",
    "两委干部": "村干部",
    "妇联执委会委员": "妇联执委",
    "妇联主席": "妇联执委",
    "调解员": "人民调解员",
    "人民调解委员": "人民调解员",
    "辅警": "驻村辅警",
    "驻村警务助理": "驻村辅警",
    "小组长": "村民小组长",
    "组长": "村民小组长",
    "中共党员": "党员",
    "共产党员": "党员",
    "老党员": "党员",
}
_SPLIT = re.compile(r"[、,，;；/／|]+")
_SPACE = re.compile(r"\s+")
_N_GROUPS = len(LEGAL_LITERATE_GROUPS)
_EPS = 1e-9


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def period_months(start: Any, end: Any) -> float:
    """Length of a period in calendar months, both days included; partial months pro rata.

    A whole calendar month counts 1 whatever its length, so a calendar year is exactly 12 months
    (and 4 quarters), leap year or not. A partial month counts its covered days over its length.

    Parameters
    ----------
    start, end : date-like
        First and last day of the period.

    Returns
    -------
    float

    Examples
    --------
    >>> period_months("2025-01-01", "2025-12-31"), period_months("2024-01-01", "2024-12-31")
    (12.0, 12.0)
    >>> round(period_months("2025-01-15", "2025-02-28"), 4)  # 17/31 of January + February
    1.5484
    """
    s = pd.Timestamp(np.datetime64(_to_day(start, "start"), "D"))
    e = pd.Timestamp(np.datetime64(_to_day(end, "end"), "D"))
    if s > e:
        raise ValueError(
            f"`start` ({s.date()}) is after `end` ({e.date()})（开始日期晚于结束日期）"
        )
    whole = (e.year - s.year) * 12 + (e.month - s.month)
    return float(whole + e.day / e.days_in_month - (s.day - 1) / s.days_in_month)


def service_window(end: Any, *, start: Any = None, months: int = 12) -> tuple[pd.Timestamp,
                                                                             pd.Timestamp]:
    """The last ``months`` calendar months up to ``end``, not reaching back before ``start``.

    Service norms are assessed year by year (an adviser's 2 days a month, a lecture a quarter),
    while the events' reporting period may span several years and start before the adviser log
    does. The report therefore judges the adviser on the last 12 months of the period.

    Parameters
    ----------
    end : date-like
        Last day of the window (the period's end).
    start : date-like, optional
        The period's start: the window never begins before it.
    months : int, default 12
        Window length in calendar months.

    Returns
    -------
    tuple of pandas.Timestamp
        ``(window_start, end)``, both days included.

    Examples
    --------
    >>> service_window("2025-12-31", start="2020-01-01")
    (Timestamp('2025-01-01 00:00:00'), Timestamp('2025-12-31 00:00:00'))
    >>> service_window("2025-12-31", start="2025-07-01")[0]
    Timestamp('2025-07-01 00:00:00')
    """
    if isinstance(months, bool) or not isinstance(months, int | np.integer) or months < 1:
        raise ValueError(f"`months` should be a positive whole number, got {months!r}")
    e = pd.Timestamp(np.datetime64(_to_day(end, "end"), "D"))
    w = e - pd.DateOffset(months=int(months)) + pd.Timedelta(days=1)
    if start is not None:
        s = pd.Timestamp(np.datetime64(_to_day(start, "start"), "D"))
        if s > e:
            raise ValueError(
                f"`start` ({s.date()}) is after `end` ({e.date()})（开始日期晚于结束日期）"
            )
        w = max(w, s)
    return pd.Timestamp(w), e


def _int64(values: np.ndarray, known: bool) -> pd.arrays.IntegerArray:
    """Counts as Int64; all NA when the table behind them was not given."""
    arr = pd.array(np.asarray(values, dtype=np.int64), dtype="Int64")
    if not known:
        arr[:] = pd.NA
    return arr


def _counts(series: pd.Series | None, n: int) -> np.ndarray:
    """A count column as float (NA → 0); zeros when the column is absent."""
    if series is None:
        return np.zeros(n)
    values = pd.to_numeric(series, errors="coerce").astype("float64").to_numpy()
    return np.nan_to_num(values, nan=0.0)


def _group_bits(groups: pd.Series) -> np.ndarray:
    """The priority groups named in each cell, as bits of an int64 (bit i = group i).

    A cell may name several groups (妇联执委、儿童主任); common variants are folded
    (村两委干部 → 村干部); any other named group counts as 其他 (the programme's "others").
    Cells are parsed once per distinct text, then gathered by code.
    """
    labels = list(LEGAL_LITERATE_GROUPS)
    codes, uniq = pd.factorize(groups)
    lut = np.zeros(len(uniq) + 1, dtype=np.int64)  # last slot: factorize's -1 (blank cell)
    for i, cell in enumerate(uniq):  # distinct cells: a handful
        for part in _SPLIT.split(unicodedata.normalize("NFKC", _SPACE.sub("", str(cell)))):
            if part:
                canon = _GROUP_ALIASES.get(part, part)
                lut[i] |= 1 << labels.index(canon if canon in labels else "其他")
    return lut[codes]


def _joined_per_village(values: np.ndarray, codes: np.ndarray, index: pd.Index) -> pd.Series:
    """Values joined with 、 per village code (NaN where none), in row order.

    One sort, then one string concatenation per position (a village has a handful of sites).
    """
    out = pd.Series(np.nan, index=index, dtype="str")
    if codes.size == 0:
        return out
    order = np.argsort(codes, kind="stable")
    owner = codes[order]
    pos = np.arange(owner.size) - np.searchsorted(owner, owner)  # 0, 1, … within a village
    grid = np.full((len(index), int(pos.max()) + 1), None, dtype=object)
    grid[owner, pos] = values[order]
    for j in range(grid.shape[1]):  # positions, not villages
        col = pd.Series(grid[:, j], index=index, dtype="str")
        out = col.where(out.isna(), out + "、" + col).where(col.notna(), out)
    return out


def _months_offset(as_of: pd.Timestamp, months: float) -> pd.Timestamp:
    """``as_of`` minus ``months`` calendar months (fractional months as 30.44 days)."""
    if float(months).is_integer():
        return as_of - pd.DateOffset(months=int(months))
    return as_of - pd.Timedelta(days=float(months) * 365.2425 / 12)


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def service_coverage(
    villages: pd.DataFrame,
    *,
    legal_literates: pd.DataFrame | None = None,
    adviser_visits: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
    start: Any,
    end: Any,
    as_of: Any = None,
    settings: Settings | None = None,
    literates_kinds: tuple[str, ...] | None = ("village",),
    site_updates_recorded: bool | None = None,
) -> pd.DataFrame:
    """Standing legal services per village: 法律明白人, the legal adviser's visits, sites.

    Parameters
    ----------
    villages : pandas.DataFrame
        The village register: ``village_id``, ``village_name``; ``town`` and ``kind``
        (``village``/``community``) when present.
    legal_literates : pandas.DataFrame, optional
        The 法律明白人 roster: ``person_id``, ``village_id``; ``group`` (priority groups, several
        separated by 、), ``trained_hours`` and ``year`` when present.
    adviser_visits : pandas.DataFrame, optional
        The village legal adviser's service log: ``date`` (datetime64), ``village_id``;
        ``lectures``, ``consultations``, ``mediations`` and ``service`` (服务事项) when present.
    sites : pandas.DataFrame, optional
        Publicity sites: ``level``, ``village_id``; ``last_updated`` (datetime64) and
        ``site_name`` when present.
    start, end : date-like
        The period for the adviser's visits, both days included.
    as_of : date-like, optional
        "Today" for ``days_since_adviser`` and site staleness; default ``end``.
    settings : Settings, optional
        ``[targets] legal_literates_per_village`` and ``[services]``; default ``pufa.toml``.
    literates_kinds : tuple of str or None, default ("village",)
        Register kinds held to the 法律明白人 target. The target of the 规范(试行) is per
        行政村, so communities (社区) are not held to it by default (their target and
        ``literates_met`` are NA); pass ``("village", "community")`` to include them, or None
        for every unit. A register without ``kind`` holds every unit to it.
    site_updates_recorded : bool, optional
        Whether the site register records update dates at all. Default: some site given has a
        ``last_updated``. Pass it when ``sites`` is part of a larger register (one county of a
        province): a county whose sites all lack a date then counts them as stale, as it would
        among the others, instead of leaving staleness unassessed.

    Returns
    -------
    pandas.DataFrame
        One row per village of the register, in register order, index ``village_id``: the
        register's ``village_name`` (and ``town``, ``kind`` when present), then

        - ``n_legal_literates`` (Int64): distinct ``person_id`` on the roster who are trained:
          ``trained_hours`` not recorded as 0 (a blank counts: the roster lists trained people)
          and ``year`` not after the year of ``end`` (a blank counts). A person is counted once
          however many rows qualify: county rosters list the same 法律明白人 once per year of
          (re-)certification, keyed ``(person_id, year)``;
        - ``literates_target`` (Int64, NA where the target does not apply) and
          ``literates_met`` (boolean): ``n_legal_literates ≥ literates_target``;
        - ``priority_groups`` (Int64): how many of the 10 priority groups (schema
          ``LEGAL_LITERATE_GROUPS``) those people come from; ``priority_group_share`` = that / 10;
        - ``adviser_visits`` (log rows), ``adviser_days`` (distinct dates), ``lectures``,
          ``consultations``, ``mediations`` (Int64 sums) with ``start <= date <= end``. A row
          whose 服务事项 names 讲座 and whose 讲座场次 is blank counts as one lecture;
        - ``expected_lectures`` = ``adviser_lectures_per_quarter`` × quarters and
          ``expected_days`` = ``adviser_days_per_month`` × months of the period
          (:func:`period_months`), ``lectures_met`` and ``days_met`` (boolean);
        - ``last_adviser_visit``: latest visit on or before ``as_of`` (any date, not only in the
          period), ``days_since_adviser`` = ``as_of − last_adviser_visit`` in days (NaN if none);
        - ``n_sites`` (village-level sites), ``stale_sites``: those whose ``last_updated`` is
          earlier than ``site_stale_months`` before ``as_of``, or missing;
          ``oldest_site_update``; ``stale_site_names`` (their names joined with 、, NaN when
          none).

        Columns of a table not given (None) are NA (not assessed). When no site has a
        ``last_updated`` at all, ``stale_sites`` is NA: the ledger does not record updates.
        ``attrs`` holds ``start``, ``end``, ``as_of``, ``months`` and ``thresholds``, and, when
        a table is not given or the sites have no update date, ``not_assessed``: the reasons
        as (zh, en) sentences (the rule of :mod:`pufa_metrics.assessed`).

    Raises
    ------
    TypeError
        When a table is not a DataFrame, dates are not datetime64, or settings is not Settings.
    ValueError
        When a required column is missing, the register repeats an id, a row names a village
        not in the register, or ``start`` is after ``end``.

    Examples
    --------
    >>> villages = pd.DataFrame({"village_id": ["A", "B", "C"],
    ...                          "village_name": ["甲村", "乙村", "丙社区"],
    ...                          "kind": ["village", "village", "community"]})
    >>> roster = pd.DataFrame({"person_id": ["p1", "p2", "p3", "p4"],
    ...                        "village_id": ["A", "A", "A", "B"],
    ...                        "group": ["村干部", "党员、网格员", "人民调解员", "五老"]})
    >>> visits = pd.DataFrame({
    ...     "date": pd.to_datetime(["2025-03-02", "2025-03-02", "2025-06-10", "2025-05-20"]),
    ...     "village_id": ["A", "A", "A", "B"], "lectures": [1, 0, 1, 0],
    ...     "consultations": [5, 3, 0, 2]})
    >>> sites = pd.DataFrame({"site_name": ["甲村宣传栏", "乙村长廊"], "level": "village",
    ...                       "village_id": ["A", "B"],
    ...                       "last_updated": pd.to_datetime(["2025-09-01", "2024-06-30"])})
    >>> out = service_coverage(villages, legal_literates=roster, adviser_visits=visits,
    ...                        sites=sites, start="2025-01-01", end="2025-12-31",
    ...                        settings=Settings())
    >>> out[["n_legal_literates", "literates_met", "priority_groups"]]
                n_legal_literates  literates_met  priority_groups
    village_id
    A                           3           True                4
    B                           1          False                1
    C                           0           <NA>                0
    >>> out[["adviser_days", "lectures", "expected_lectures", "days_since_adviser"]]
                adviser_days  lectures  expected_lectures  days_since_adviser
    village_id
    A                      2         2                4.0               204.0
    B                      1         0                4.0               225.0
    C                      0         0                4.0                 NaN
    >>> out["stale_site_names"].fillna("").tolist()
    ['', '乙村长廊', '']

    Without the adviser's log and the sites, their columns are NA and ``attrs`` says why:

    >>> part = service_coverage(villages, legal_literates=roster, start="2025-01-01",
    ...                         end="2025-12-31", settings=Settings())
    >>> bool(part["adviser_days"].isna().all())
    True
    >>> for zh, en in part.attrs["not_assessed"]:
    ...     print(zh)
    未提供村法律顾问服务台账，未评估法律顾问到村服务
    未提供普法阵地台账，未评估村级普法阵地及其更新
    """
    st = _settings(settings)
    _check_frame(villages, "villages", ("village_id", "village_name"))
    ids = _register_ids(villages)
    n = len(ids)
    start_day = _to_day(start, "start")
    end_day = _to_day(end, "end")
    if start_day > end_day:
        raise ValueError(
            f"`start` ({pd.Timestamp(np.datetime64(start_day, 'D')).date()}) is after `end` "
            f"({pd.Timestamp(np.datetime64(end_day, 'D')).date()})（开始日期晚于结束日期）"
        )
    as_of_day = end_day if as_of is None else _to_day(as_of, "as_of")
    if as_of_day < end_day:
        raise ValueError(
            f"`as_of` ({pd.Timestamp(np.datetime64(as_of_day, 'D')).date()}) should not be "
            f"before `end` ({pd.Timestamp(np.datetime64(end_day, 'D')).date()})"
            "（as_of 不能早于统计截止日期）"
        )
    if literates_kinds is not None and (
        isinstance(literates_kinds, str) or not all(isinstance(k, str) for k in literates_kinds)
    ):
        raise TypeError(
            f"`literates_kinds` should be a tuple of kinds such as ('village',), or None, got "
            f"{literates_kinds!r}"
        )
    start_ts = pd.Timestamp(np.datetime64(start_day, "D"))
    end_ts = pd.Timestamp(np.datetime64(end_day, "D"))
    as_of_ts = pd.Timestamp(np.datetime64(as_of_day, "D"))
    target = st.targets["legal_literates_per_village"]
    sv = st.services
    months = period_months(start_ts, end_ts)

    out = pd.DataFrame(index=pd.Index(ids, name="village_id"))
    for col in ("village_name", "town", "kind"):
        if col in villages.columns:
            out[col] = villages[col].to_numpy()
            out[col] = out[col].astype("str")

    # ---- 法律明白人 -----------------------------------------------------------------------------
    has_roster = legal_literates is not None
    n_lit = np.zeros(n, dtype=np.int64)
    n_grp = np.zeros(n, dtype=np.int64)
    if has_roster:
        _check_frame(legal_literates, "legal_literates", ("person_id", "village_id"))
        lit = legal_literates
        vcode = _village_codes(lit["village_id"], ids, "legal_literates")
        keep = (vcode >= 0) & lit["person_id"].notna().to_numpy()
        if "trained_hours" in lit.columns:
            hours = pd.to_numeric(lit["trained_hours"], errors="coerce").astype("float64")
            keep &= ~(hours.to_numpy() <= 0)  # NaN compares False: a blank counts
        if "year" in lit.columns:
            year = pd.to_numeric(lit["year"], errors="coerce").astype("float64")
            keep &= ~(year.to_numpy() > end_ts.year)
        person, _ = pd.factorize(lit["person_id"])
        rows = np.flatnonzero(keep)
        n_people = max(int(person.max()) + 1, 1) if len(person) else 1
        pairs = _distinct(vcode[rows] * n_people + person[rows])
        n_lit = np.bincount(pairs // n_people, minlength=n)
        if "group" in lit.columns and rows.size:
            seen = np.zeros(n, dtype=np.int64)
            np.bitwise_or.at(seen, vcode[rows], _group_bits(lit["group"])[rows])
            n_grp = np.bitwise_count(seen).astype(np.int64)
    out["n_legal_literates"] = _int64(n_lit, has_roster)
    applies = np.ones(n, dtype=bool)
    if literates_kinds is not None and "kind" in villages.columns:
        kind = villages["kind"]
        applies = (kind.isin(list(literates_kinds)) | kind.isna()).to_numpy()
    if float(target).is_integer():
        tgt = pd.array(np.full(n, int(target)), dtype="Int64")
    else:  # a fractional target is kept as written
        tgt = pd.array(np.full(n, float(target)), dtype="Float64")
    tgt[~applies] = pd.NA
    out["literates_target"] = tgt
    met = pd.array(n_lit >= np.asarray(target, dtype="float64"), dtype="boolean")
    met[~applies | (not has_roster)] = pd.NA
    out["literates_met"] = met
    out["priority_groups"] = _int64(n_grp, has_roster)
    share = n_grp / _N_GROUPS
    out["priority_group_share"] = share if has_roster else np.nan

    # ---- the village legal adviser ---------------------------------------------------------------
    has_log = adviser_visits is not None
    visits = days = lectures = consults = mediations = np.zeros(n, dtype=np.int64)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    if has_log:
        _check_frame(adviser_visits, "adviser_visits", ("date", "village_id"))
        log = adviser_visits
        vcode = _village_codes(log["village_id"], ids, "adviser_visits")
        day = _day_numbers(log["date"], "adviser_visits['date']")
        dated = (vcode >= 0) & (day != np.iinfo(np.int64).min)
        inside = dated & (day >= start_day) & (day <= end_day)
        v_in = vcode[inside]
        visits = np.bincount(v_in, minlength=n)
        span = end_day - start_day + 1
        days = np.bincount(_distinct(v_in * span + (day[inside] - start_day)) // span,
                           minlength=n)
        lec = _counts(log.get("lectures"), len(log))
        if "service" in log.columns:
            blank = pd.to_numeric(log["lectures"], errors="coerce").isna().to_numpy() if (
                "lectures" in log.columns) else np.ones(len(log), dtype=bool)
            named = log["service"].astype("str").str.contains("讲座", regex=False)
            lec = np.where(blank & named.fillna(False).to_numpy(dtype=bool), 1.0, lec)
        lectures = np.bincount(v_in, weights=lec[inside], minlength=n)
        consults = np.bincount(v_in, weights=_counts(log.get("consultations"), len(log))[inside],
                               minlength=n)
        mediations = np.bincount(v_in, weights=_counts(log.get("mediations"), len(log))[inside],
                                 minlength=n)
        upto = dated & (day <= as_of_day)
        np.maximum.at(last, vcode[upto], day[upto])
    out["adviser_visits"] = _int64(visits, has_log)
    out["adviser_days"] = _int64(days, has_log)
    out["lectures"] = _int64(np.round(lectures), has_log)
    out["consultations"] = _int64(np.round(consults), has_log)
    out["mediations"] = _int64(np.round(mediations), has_log)
    exp_lec = float(sv["adviser_lectures_per_quarter"]) * months / 3
    exp_days = float(sv["adviser_days_per_month"]) * months
    out["expected_lectures"] = round(exp_lec, 6)
    out["expected_days"] = round(exp_days, 6)
    lec_met = pd.array(lectures >= exp_lec - _EPS, dtype="boolean")
    day_met = pd.array(days >= exp_days - _EPS, dtype="boolean")
    if not has_log:
        lec_met[:] = pd.NA
        day_met[:] = pd.NA
    out["lectures_met"] = lec_met
    out["days_met"] = day_met
    seen = last != np.iinfo(np.int64).min
    out["last_adviser_visit"] = _days_to_dates(last, seen)
    out["days_since_adviser"] = np.where(seen, as_of_day - last, np.nan).astype("float64")

    # ---- publicity sites -------------------------------------------------------------------------
    stale_months = float(sv["site_stale_months"])
    has_sites = sites is not None
    n_sites = stale = np.zeros(n, dtype=np.int64)
    oldest = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    names = pd.Series(np.nan, index=out.index, dtype="str")
    assessed = has_sites
    if has_sites:
        _check_frame(sites, "sites", ("level", "village_id"))
        village_level = village_level_sites(sites).to_numpy(dtype=bool)  # the one rule
        sub = sites[village_level]
        scode = _village_codes(sub["village_id"], ids, "sites")
        n_sites = np.bincount(scode, minlength=n)
        recorded = (site_updates_recorded if site_updates_recorded is not None
                    else "last_updated" in sites.columns and sites["last_updated"].notna().any())
        if recorded and "last_updated" not in sub.columns:  # the register has no such column
            sub = sub.assign(last_updated=pd.Series(pd.NaT, index=sub.index,
                                                    dtype="datetime64[us]"))
        if recorded:
            upd = _day_numbers(sub["last_updated"], "sites['last_updated']")
            known = upd != np.iinfo(np.int64).min
            cutoff = _months_offset(as_of_ts, stale_months)
            cutoff_day = int(np.datetime64(cutoff.date(), "D").astype(np.int64))
            is_stale = ~known | (upd < cutoff_day)
            stale = np.bincount(scode[is_stale], minlength=n)
            np.minimum.at(oldest, scode[known], upd[known])
            if "site_name" in sub.columns:
                label = sub["site_name"].astype("str").fillna("").to_numpy(dtype=object)
            else:
                label = sub["village_id"].astype("str").to_numpy(dtype=object)
            names = _joined_per_village(label[is_stale], scode[is_stale], out.index)
        else:
            assessed = False
    out["n_sites"] = _int64(n_sites, has_sites)
    out["stale_sites"] = _int64(stale, assessed)
    has_date = oldest != np.iinfo(np.int64).max
    out["oldest_site_update"] = _days_to_dates(np.where(has_date, oldest, 0), has_date)
    out["stale_site_names"] = names

    out.attrs = {
        "start": str(start_ts.date()),
        "end": str(end_ts.date()),
        "as_of": str(as_of_ts.date()),
        "months": months,
        "thresholds": {
            "legal_literates_per_village": target,
            "adviser_lectures_per_quarter": sv["adviser_lectures_per_quarter"],
            "adviser_days_per_month": sv["adviser_days_per_month"],
            "max_days_without_adviser": sv["max_days_without_adviser"],
            "site_stale_months": sv["site_stale_months"],
            "literates_kinds": None if literates_kinds is None else list(literates_kinds),
        },
    }
    reasons = [table_reason(t) for t, given in (("legal_literates", has_roster),
                                                 ("adviser_visits", has_log),
                                                 ("sites", has_sites)) if not given]
    if has_sites and not assessed:
        reasons.append(("普法阵地台账未记录更新日期，未评估阵地内容更新",
                        "The site register records no update dates: site upkeep not assessed"))
    return mark_not_assessed(out, *reasons)
