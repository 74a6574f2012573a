"""Cadre law study (学法用法 / 学法考法): hours, exams, enforcement certificates, group study.

A town's cadre ledger has one row per person and year (``person_id``, ``department``, ``year``,
``required_hours``, ``online_hours``, ``exam_taken``, ``exam_score``, ``exam_passed``,
``enforcement_cert``). :func:`training_compliance` summarises it per department (or any group);
:func:`collective_study` counts the party committee's collective law-study sessions (中心组集体学法)
per unit and year against the target of at least 2 a year (docs/domain.md).

Thresholds that differ by place (the exam pass mark, the required hours) default to
``pufa.toml`` ``[training]`` through :class:`~pufa_metrics.config.Settings`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._common import check_frame as _check_columns
from ._common import check_frame as _check_frame
from ._common import resolve_settings as _resolve_settings
from .assessed import mark_not_assessed, table_reason
from .config import Settings

__all__ = ["collective_study", "training_compliance"]

#: Label of the single row when ``by=None`` (all staff / the whole town).
TOTAL_LABEL = "全部"

_YES = {
    "是",
    "有",
    "持有",
    "已持有",
    "合格",
    "通过",
    "已参加",
    "参加",
    "参考",
    "y",
    "yes",
    "true",
    "t",
    "1",
    "√",
    "✓",
    "✔",
}
_NO = {
    "否",
    "无",
    "没有",
    "未持有",
    "不合格",
    "未通过",
    "未参加",
    "缺考",
    "n",
    "no",
    "false",
    "f",
    "0",
    "×",
    "✗",
    "x",
}

_OUTPUT = (
    "n_staff",
    "n_person_years",
    "hours_met_rate",
    "exam_taken_rate",
    "n_examined",
    "pass_rate",
    "cert_holders",
    "cert_rate",
)


def _by_columns(by: object) -> list[str]:
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    if isinstance(by, (list, tuple)) and by and all(isinstance(c, str) for c in by):
        return list(by)
    raise TypeError(f"'by' should be None, a column name or a list of names, got {by!r}")


def _check_number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name!r} should be a number, got {value!r}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name!r} should be a non-negative number, got {value!r}")
    return float(value)


def _years(year: object) -> list[int] | None:
    if year is None:
        return None
    values = [year] if np.ndim(year) == 0 else list(year)  # type: ignore[arg-type]
    if not values or not all(
        isinstance(y, (int, np.integer)) and not isinstance(y, bool) for y in values
    ):
        raise TypeError(f"'year' should be a year, a list of years or None, got {year!r}")
    return sorted({int(y) for y in values})


def _year_column(frame: pd.DataFrame, name: str) -> pd.Series:
    years = frame["year"]
    if pd.api.types.is_bool_dtype(years.dtype) or not pd.api.types.is_numeric_dtype(years.dtype):
        raise TypeError(f"column 'year' of {name!r} should hold whole years, got {years.dtype}")
    if years.isna().any():
        raise ValueError(
            f"column 'year' of {name!r} is missing in {int(years.isna().sum())} rows（年度缺失）"
        )
    return years.astype("int64")


def _as_boolean(series: pd.Series, column: str, *, other_text_true: bool = False) -> pd.Series:
    """Yes/no column as pandas ``boolean`` (NA kept).

    Accepts bool, 0/1 numbers and yes/no words (是/否, 有/无, 合格/不合格 …). With
    ``other_text_true`` any other non-empty text (e.g. a certificate number) means True.
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("boolean")
    if pd.api.types.is_numeric_dtype(series.dtype):
        bad = series.notna() & ~series.isin([0, 1])
        if bad.any():
            raise ValueError(
                f"column {column!r} should be yes/no (1/0); got {series[bad].unique()[:5].tolist()}"
            )
        return series.map({1: True, 0: False}).astype("boolean")
    text = series.astype("str").str.strip()
    lowered = text.str.lower()
    out = pd.Series(pd.NA, index=series.index, dtype="boolean")
    out[lowered.isin(_YES)] = True
    out[lowered.isin(_NO)] = False
    rest = out.isna() & text.notna() & (text != "")
    if rest.any():
        if not other_text_true:
            raise ValueError(
                f"column {column!r} should be yes/no (是/否); got "
                f"{text[rest].unique()[:5].tolist()}（无法识别的是/否值）"
            )
        out[rest] = True
    return out


def _numeric(frame: pd.DataFrame, column: str, name: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        raise TypeError(f"column {column!r} of {name!r} should be numeric, got {series.dtype}")
    return series.astype("float64")


def training_compliance(
    cadres: pd.DataFrame,
    *,
    year: int | Sequence[int] | None = None,
    by: str | Sequence[str] | None = "department",
    pass_mark: float | None = None,
    required_hours: float | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Cadre law-study compliance per department: hours, exams and enforcement certificates.

    No record to count is not an error (a 司法所 often has no 学法用法 ledger): with ``cadres``
    None or empty, or no record in the selected years, the result has no group rows (with
    ``by=None`` its one row has ``n_staff`` 0 and NA rates) and ``attrs["not_assessed"]``
    says why, as (zh, en) sentences (the rule of :mod:`pufa_metrics.assessed`).

    Parameters
    ----------
    cadres : pandas.DataFrame or None
        One row per person and year: ``person_id``, ``year`` and the ``by`` columns are
        required; ``required_hours``, ``online_hours``, ``exam_taken``, ``exam_score``,
        ``exam_passed`` and ``enforcement_cert`` are used when present. None: no ledger.
    year : int, list of int or None, default None
        Years to include (None: all). Distinct people are counted across the selected years.
    by : str, list of str or None, default "department"
        Group columns; None gives one row labelled "全部" (all staff).
    pass_mark : float, optional
        Exam score needed to pass when ``exam_passed`` is not recorded; default
        ``settings.training["pass_mark"]`` (80).
    required_hours : float, optional
        Study hours required a year when the record has no ``required_hours`` of its own;
        default ``settings.training["required_hours"]`` (40).
    settings : Settings, optional
        Defaults for the two thresholds; None reads ``pufa.toml``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the ``by`` groups, with columns:

        - ``n_staff``: distinct people;
        - ``n_person_years``: records (person × year);
        - ``hours_met_rate``: share of person-years with ``online_hours >= required_hours``,
          among those whose hours are recorded;
        - ``exam_taken_rate``: share of person-years with the exam taken;
        - ``n_examined``: distinct people who took the exam in the selected years;
        - ``pass_rate``: passed among examined person-years with a known result
          (``exam_passed`` when recorded, else ``exam_score >= pass_mark``);
        - ``cert_holders``: distinct people holding an enforcement certificate (执法证) in the
          selected years; ``cert_rate`` = cert_holders / n_staff.

        A rate with nothing to count is NaN; a count whose column is absent is NA.

    Raises
    ------
    TypeError
        When an argument or column has the wrong type.
    ValueError
        When a column is missing or a (person_id, year) pair repeats.

    Notes
    -----
    An exam counts as taken when ``exam_taken`` is true or a score or result is recorded; a
    blank ``exam_taken`` with no score is "not taken". A blank ``enforcement_cert`` is "no
    certificate"; a certificate number counts as holding one.

    Examples
    --------
    >>> cadres = pd.DataFrame({
    ...     "person_id": ["p1", "p2", "p3", "p1"],
    ...     "department": ["司法所", "司法所", "综治办", "司法所"],
    ...     "year": [2020, 2020, 2020, 2021], "online_hours": [45.0, 30.0, 40.0, 50.0],
    ...     "exam_score": [85.0, np.nan, 70.0, 90.0], "enforcement_cert": [True, False, True, True],
    ... })
    >>> out = training_compliance(cadres)
    >>> out[["n_staff", "n_examined", "cert_holders"]].values.tolist()
    [[2, 1, 1], [1, 1, 1]]
    >>> out["hours_met_rate"].round(3).tolist(), out["pass_rate"].tolist()
    ([0.667, 1.0], [1.0, 0.0])

    A year with no record is not assessed, and says so:

    >>> none = training_compliance(cadres, year=2025)
    >>> len(none), none.attrs["not_assessed"][0][0]
    (0, '学法用法台账无2025年记录（现有2020–2021年），未评估该年度干部学法用法')
    >>> training_compliance(None, by=None)[["n_staff", "pass_rate", "cert_holders"]]
          n_staff  pass_rate  cert_holders
    全部        0        NaN          <NA>
    """
    by_cols = _by_columns(by)
    reasons: list[tuple[str, str]] = []
    if cadres is None or (isinstance(cadres, pd.DataFrame) and len(cadres) == 0):
        reasons.append(table_reason("cadres"))
    if cadres is None:
        cadres = pd.DataFrame({"person_id": pd.Series(dtype="str"),
                               "year": pd.Series(dtype="int64"),
                               **{c: pd.Series(dtype="str") for c in by_cols}})
    _check_frame(cadres, "cadres")
    _check_columns(cadres, "cadres", ["person_id", "year", *by_cols])
    settings = _resolve_settings(settings)  # None: pufa.toml
    if not isinstance(settings, Settings):
        raise TypeError(f"'settings' should be a Settings, got {type(settings).__name__}")
    pass_mark = _check_number(
        settings.training["pass_mark"] if pass_mark is None else pass_mark, "pass_mark"
    )
    required_hours = _check_number(
        settings.training["required_hours"] if required_hours is None else required_hours,
        "required_hours",
    )
    wanted = _years(year)
    years = _year_column(cadres, "cadres")
    if cadres["person_id"].isna().any():
        raise ValueError(
            f"column 'person_id' of 'cadres' is missing in {int(cadres['person_id'].isna().sum())}"
            " rows（人员编号缺失）"
        )
    keep = np.ones(len(cadres), dtype=bool) if wanted is None else years.isin(wanted).to_numpy()
    if not keep.any() and not reasons:
        reasons.append(_no_record_reason(wanted or [], sorted(years.unique().tolist())))
    frame = cadres.loc[keep]
    frame_years = years[keep]
    dup = pd.DataFrame({"p": frame["person_id"], "y": frame_years}).duplicated()
    if dup.any():
        example = frame.loc[dup.to_numpy(), "person_id"].iloc[0]
        raise ValueError(
            f"'cadres' has {int(dup.sum())} repeated (person_id, year) records, e.g. "
            f"{example!r}; each person should appear once a year（同一人员同一年度重复）"
        )

    # Per person-year indicators (vectorised).
    hours = _numeric(frame, "online_hours", "cadres")
    need = _numeric(frame, "required_hours", "cadres").fillna(required_hours)
    hours_met = (hours >= need).astype("float64").where(hours.notna())
    has_exam_info = any(c in frame.columns for c in ("exam_taken", "exam_score", "exam_passed"))
    score = _numeric(frame, "exam_score", "cadres")
    if "exam_passed" in frame.columns:
        passed = _as_boolean(frame["exam_passed"], "exam_passed")
    else:
        passed = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    result = passed.astype("float64").fillna(
        (score >= pass_mark).astype("float64").where(score.notna())
    )
    taken = result.notna() | score.notna()
    if "exam_taken" in frame.columns:
        taken = taken | _as_boolean(frame["exam_taken"], "exam_taken").fillna(False).astype(bool)
    taken_f = taken.astype("float64") if has_exam_info else pd.Series(np.nan, index=frame.index)
    has_cert = "enforcement_cert" in frame.columns
    if has_cert:
        cert = _as_boolean(frame["enforcement_cert"], "enforcement_cert", other_text_true=True)
        cert = cert.fillna(False).astype(bool)
    else:
        cert = pd.Series(False, index=frame.index)

    if by_cols:
        keys = [frame[c] for c in by_cols]
    else:
        keys = [pd.Series(TOTAL_LABEL, index=frame.index, name=None)]
    person = frame["person_id"]
    work = pd.DataFrame(
        {
            "person": person,
            "hours_met": hours_met,
            "taken": taken_f,
            "passed": result.where(taken),
            "examined_person": person.where(taken),
            "cert_person": person.where(cert),
        }
    )
    grouped = work.groupby(keys, sort=True, dropna=False)
    out = pd.DataFrame(
        {
            "n_staff": grouped["person"].nunique().astype("int64"),
            "n_person_years": grouped.size().astype("int64"),
            "hours_met_rate": grouped["hours_met"].mean(),
            "exam_taken_rate": grouped["taken"].mean(),
            "n_examined": grouped["examined_person"].nunique().astype("Int64"),
            "pass_rate": grouped["passed"].mean(),
            "cert_holders": grouped["cert_person"].nunique().astype("Int64"),
        }
    )
    if not has_exam_info:
        out["n_examined"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if not has_cert:
        out["cert_holders"] = pd.array([pd.NA] * len(out), dtype="Int64")
    if not by_cols and len(out) == 0:  # nothing counted: the one row says 0 staff
        out = out.reindex([TOTAL_LABEL]).astype({"n_examined": "Int64", "cert_holders": "Int64"})
        out[["n_staff", "n_person_years"]] = 0
        out = out.astype({"n_staff": "int64", "n_person_years": "int64"})
    out["cert_rate"] = out["cert_holders"].astype("float64") / out["n_staff"].where(
        out["n_staff"] > 0)
    if not by_cols:
        out.index = pd.Index([TOTAL_LABEL], dtype="str")
    return mark_not_assessed(out[list(_OUTPUT)], *reasons)


def _no_record_reason(wanted: list[int], have: list[int]) -> tuple[str, str]:
    """Why no cadre is counted: the ledger has no record for the selected years."""
    def span(years: list[int]) -> str:
        return str(years[0]) if len(years) == 1 else f"{years[0]}–{years[-1]}"

    return (
        f"学法用法台账无{span(wanted)}年记录（现有{span(have)}年），未评估该年度干部学法用法",
        f"The cadre law-study records have no record for {span(wanted)} (they cover "
        f"{span(have)}): cadre law study not assessed for that year",
    )


def collective_study(
    sessions: pd.DataFrame,
    *,
    year: int | Sequence[int] | None = None,
    target: int | None = None,
    by: str | None = "department",
    units: Sequence[str] | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Collective law-study sessions (中心组集体学法) per unit and year against the target.

    Every (unit, year) pair is reported, zeros included: a unit with no session in a year
    shows ``n_sessions = 0`` and ``met = False``.

    Parameters
    ----------
    sessions : pandas.DataFrame
        One row per session, with ``date`` (or ``year``) and the ``by`` column; ``topic`` and
        ``attendees`` may be present and are not used.
    year : int, list of int or None, default None
        Years to report; None reports every year from the first to the last session.
    target : int, optional
        Sessions required a year; default ``settings.targets["collective_study_per_year"]`` (2).
    by : str or None, default "department"
        Unit column; None treats all sessions as one unit (index ``year`` only).
    units : list of str, optional
        The units that should hold sessions (e.g. every department), so that a unit with no
        session at all is reported too; default the units seen in ``sessions``.
    settings : Settings, optional
        Source of the default target; None reads ``pufa.toml``.

    Returns
    -------
    pandas.DataFrame
        Indexed by (unit, year) (or year), with ``n_sessions`` (int64), ``target`` and ``met``
        (``n_sessions >= target``).

    Raises
    ------
    TypeError
        When an argument has the wrong type.
    ValueError
        When a column is missing, a date cannot be read or a session has no unit.

    Examples
    --------
    >>> sessions = pd.DataFrame({
    ...     "date": pd.to_datetime(["2020-03-01", "2020-09-01", "2021-05-01"]),
    ...     "department": ["镇党委", "镇党委", "镇党委"],
    ... })
    >>> out = collective_study(sessions, units=["镇党委", "司法所"])
    >>> out.reset_index().values.tolist()
    [['司法所', 2020, 0, 2, False], ['司法所', 2021, 0, 2, False], ['镇党委', 2020, 2, 2, True], ['镇党委', 2021, 1, 2, False]]
    """  # noqa: E501
    _check_frame(sessions, "sessions")
    if by is not None and not isinstance(by, str):
        raise TypeError(f"'by' should be a column name or None, got {by!r}")
    settings = _resolve_settings(settings)  # None: pufa.toml
    if not isinstance(settings, Settings):
        raise TypeError(f"'settings' should be a Settings, got {type(settings).__name__}")
    if target is None:
        target = settings.targets["collective_study_per_year"]
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or target < 1:
        raise ValueError(f"'target' should be a positive whole number of sessions, got {target!r}")
    if "date" in sessions.columns:
        try:
            dates = sessions["date"]
            if not pd.api.types.is_datetime64_any_dtype(dates.dtype):
                dates = pd.to_datetime(dates, errors="raise", format="mixed")
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"column 'date' of 'sessions' has values that are not dates: {exc}（日期无法识别）"
            ) from exc
        if dates.isna().any():
            raise ValueError(
                f"column 'date' of 'sessions' is missing in {int(dates.isna().sum())} rows"
                "（日期缺失）"
            )
        session_year = dates.dt.year.astype("int64")
    elif "year" in sessions.columns:
        session_year = _year_column(sessions, "sessions")
    else:
        raise ValueError(
            f"'sessions' has no column 'date' or 'year'; columns are {list(sessions.columns)}"
            "（缺少日期列）"
        )
    if by is not None:
        _check_columns(sessions, "sessions", [by])
        if sessions[by].isna().any():
            raise ValueError(
                f"column {by!r} of 'sessions' is missing in {int(sessions[by].isna().sum())} rows"
            )
    wanted = _years(year)
    if wanted is None:
        if len(session_year) == 0:
            raise ValueError("'sessions' is empty and no 'year' was given（没有学法记录）")
        wanted = list(range(int(session_year.min()), int(session_year.max()) + 1))
    in_years = session_year.isin(wanted).to_numpy()
    session_year = session_year[in_years]
    year_code = np.searchsorted(wanted, session_year.to_numpy())  # every year is in `wanted`
    n_years = len(wanted)
    if by is None:
        counts = np.bincount(year_code, minlength=n_years)
        index: pd.Index = pd.Index(wanted, name="year", dtype="int64")
    else:
        seen = sorted(sessions[by].dropna().unique().tolist())
        unit_list = sorted(seen if units is None else set(units))
        if units is not None:
            extra = [u for u in seen if u not in set(unit_list)]
            if extra:
                raise ValueError(
                    f"'sessions' has units that 'units' does not list: {extra}（单位不在名单中）"
                )
        unit_code = pd.Index(unit_list).get_indexer(sessions.loc[in_years, by])
        # one bincount over the (unit, year) cells gives the full grid, zeros included
        counts = np.bincount(unit_code * n_years + year_code, minlength=len(unit_list) * n_years)
        index = pd.MultiIndex.from_product(
            [pd.Index(unit_list, dtype=sessions[by].dtype), pd.Index(wanted, dtype="int64")],
            names=[by, "year"],
        )
    out = pd.DataFrame({"n_sessions": counts.astype("int64")}, index=index)
    out["target"] = int(target)
    out["met"] = out["n_sessions"] >= int(target)
    return out
