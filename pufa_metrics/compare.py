"""Progress between two periods (比上年): coverage, survey rates and services, A against B.

:func:`compare_periods` sets one period (A, the earlier) against another (B, the later) for
every village of the register and for the town, with the change and, where sampling makes the
change uncertain, a 95% interval of it. The verdict — improved (改善), worse (变差) or no clear
change (无明显变化) — is read from the interval only, never from the point estimate.

Survey waves. A town that runs its survey every year keeps one export per wave in
``data/raw`` (``普法知晓率问卷_2024.xlsx``, ``普法知晓率问卷_2025.xlsx``); the reader
concatenates them into one ``responses`` table. :func:`survey_waves` labels each answer with
its wave (the year it was submitted, else the year in its file name), :func:`latest_wave`
keeps the latest: the town analysis (:func:`pufa_metrics.workflow.analyse`) reports the latest
wave's rates, and :func:`compare_periods` compares the waves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._common import check_frame, optional_date, resolve_settings
from .config import Settings

#: Verdict codes and their Chinese labels.
VERDICTS: dict[str, str] = {
    "improved": "改善",
    "worse": "变差",
    "no clear change": "无明显变化",
    "not comparable": "无法比较",
    "not tested": "未检验",
}
#: The measures of :func:`compare_periods`, in output order: coverage, then services.
COVERAGE_MEASURES: tuple[str, ...] = ("n_events", "events_per_1000", "n_topics",
                                      "days_since_last")
SERVICE_MEASURES: tuple[str, ...] = ("n_legal_literates", "adviser_days", "lectures")
#: Measures where a smaller value is the better one.
LOWER_IS_BETTER: frozenset[str] = frozenset({"days_since_last"})
#: Columns of the :func:`compare_periods` result.
COLUMNS: tuple[str, ...] = (
    "level", "village_id", "village_name", "measure", "item", "value_a", "value_b", "change",
    "ci_low", "ci_high", "ci_of", "n_a", "n_b", "method", "present", "verdict", "verdict_zh",
)
_YEAR_IN_NAME = r"((?:19|20)\d\d)"


def _check_level(level: object) -> None:
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
        raise ValueError(
            f"'level' should be between 0 and 1, got {level!r}（置信水平应在0与1之间）")


def survey_waves(responses: pd.DataFrame) -> pd.Series:
    """The survey wave of every answer: the year it was submitted, else its file's year.

    Parameters
    ----------
    responses : pandas.DataFrame
        Survey answers with ``date`` (the 问卷星 submit time) and/or ``source_file``.

    Returns
    -------
    pandas.Series
        ``Int64`` years named ``wave``, on the index of ``responses``; missing when neither the
        date nor a year (19xx/20xx) in the file name is known.

    Examples
    --------
    >>> r = pd.DataFrame({"date": pd.to_datetime(["2024-11-03", None, "2025-11-20", None]),
    ...                   "source_file": ["问卷_2024.xlsx", "问卷_2024.xlsx", "问卷.xlsx",
    ...                                   "x.xlsx"]})
    >>> survey_waves(r).tolist()
    [2024, 2024, 2025, <NA>]
    """
    check_frame(responses, "responses")
    wave = pd.Series(pd.NA, index=responses.index, dtype="Int64", name="wave")
    if "date" in responses.columns:
        wave = pd.to_datetime(responses["date"], errors="coerce").dt.year.astype("Int64")
    if "source_file" in responses.columns:
        named = (responses["source_file"].astype("str")
                 .str.extract(_YEAR_IN_NAME, expand=False).astype("float64").astype("Int64"))
        wave = wave.fillna(named)
    return wave.rename("wave")


def latest_wave(responses: pd.DataFrame) -> pd.DataFrame:
    """The answers of the latest survey wave (all answers when there is one wave or none).

    With two or more waves (:func:`survey_waves`), the rows of the latest are returned, and
    answers whose wave is unknown are left out; ``attrs["waves"]`` lists the waves found and
    ``attrs["wave"]`` the one kept. The frame is not copied when nothing is left out.

    Examples
    --------
    >>> r = pd.DataFrame({"response_id": ["1", "2", "3"],
    ...                   "date": pd.to_datetime(["2024-11-03", "2025-11-20", "2025-11-21"])})
    >>> latest_wave(r)["response_id"].tolist()
    ['2', '3']
    >>> latest_wave(r.iloc[1:]) is not None
    True
    """
    waves = survey_waves(responses)
    found = sorted(int(w) for w in waves.dropna().unique())
    if len(found) < 2:
        return responses
    out = responses[(waves == found[-1]).fillna(False).to_numpy()]
    out.attrs = {**responses.attrs, "waves": found, "wave": found[-1]}
    return out


def newcombe_difference(
    k1: Any, n1: Any, k2: Any, n2: Any, *, level: float = 0.95
) -> pd.DataFrame:
    """Difference of two independent proportions ``k1/n1 − k2/n2`` with Newcombe's interval.

    The hybrid score interval from the Wilson limits of each proportion, without continuity
    correction (Newcombe 1998, method 10), from :func:`statsmodels.stats.proportion.
    confint_proportions_2indep` (``method="newcomb"``). Counts may be fractional (a weighted
    rate times its effective n). A zero ``n`` gives NaN.

    Parameters
    ----------
    k1, n1, k2, n2 : array-like
        Positive answers and (effective) sample sizes of the two groups.
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        ``diff``, ``ci_low``, ``ci_high``, one row per input.

    Examples
    --------
    Newcombe (1998), Table II, first row: 56/70 − 48/80.

    >>> newcombe_difference(56, 70, 48, 80).round(4).values.tolist()
    [[0.2, 0.0524, 0.3339]]
    """
    from statsmodels.stats.proportion import confint_proportions_2indep

    _check_level(level)
    k1, n1, k2, n2 = (np.atleast_1d(np.asarray(x, dtype="float64")) for x in (k1, n1, k2, n2))
    k1, n1, k2, n2 = np.broadcast_arrays(k1, n1, k2, n2)
    ok = (n1 > 0) & (n2 > 0) & np.isfinite(k1 + k2 + n1 + n2)
    diff = np.full(k1.shape, np.nan)
    low, high = diff.copy(), diff.copy()
    if ok.any():
        with np.errstate(invalid="ignore", divide="ignore"):
            lo, hi = confint_proportions_2indep(k1[ok], n1[ok], k2[ok], n2[ok], method="newcomb",
                                                compare="diff", alpha=1 - level)
        diff[ok] = k1[ok] / n1[ok] - k2[ok] / n2[ok]
        low[ok], high[ok] = np.maximum(lo, -1.0), np.minimum(hi, 1.0)
    return pd.DataFrame({"diff": diff, "ci_low": low, "ci_high": high})


def cluster_difference(
    answers: pd.DataFrame, *, by: Sequence[str] = (), cluster: str = "village_id",
    level: float = 0.95,
) -> pd.DataFrame:
    """Difference of two pooled rates (wave B − wave A) with clusters shared by both waves.

    When the same villages are sampled in both waves, their answers are correlated across
    waves and the two rates are not independent. The variance of D = R_B − R_A is then taken
    from the design (Taylor linearisation, villages as primary sampling units, with
    replacement), as R's ``svycontrast(svyby(~y, ~wave, design, svymean), c(-1, 1))`` on
    ``svydesign(ids = ~village_id, weights = ~w)`` over both waves:

    - R_t = Σ w·y / Σ w over wave t's answers (W_t = Σ w);
    - z_j = Σ_{i in j, B} w_i (y_i − R_B) / W_B − Σ_{i in j, A} w_i (y_i − R_A) / W_A for every
      cluster j (a cluster answering one wave has one term);
    - var(D) = m / (m − 1) · Σ_j z_j², m = clusters answering either wave; the interval is
      D ± z_{1−α/2} · sqrt(var(D)), clipped to [−1, 1].

    Parameters
    ----------
    answers : pandas.DataFrame
        One row per valid answer (or per respondent with summed answers): ``wave`` (``"a"`` or
        ``"b"``), ``cluster``, ``w_answers`` (Σ w over the row's valid answers) and
        ``w_positive`` (Σ w over its positive answers); plus the ``by`` columns.
    by : sequence of str
        Columns that split the comparison (e.g. ``["item"]``); empty: one row.
    cluster : str, default "village_id"
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        ``[*by, rate_a, rate_b, diff, se, ci_low, ci_high, n_clusters, shared_clusters]``.

    Examples
    --------
    Two villages, one answer row each per wave (hand-worked in ``tests/test_compare.py``):

    >>> a = pd.DataFrame({"wave": ["a", "a", "b", "b"], "village_id": ["V1", "V2"] * 2,
    ...                   "w_answers": [10.0, 10.0, 10.0, 10.0],
    ...                   "w_positive": [5.0, 7.0, 8.0, 8.0]})
    >>> cluster_difference(a)[["rate_a", "rate_b", "diff", "se"]].round(4).values.tolist()
    [[0.6, 0.8, 0.2, 0.1]]
    """
    from scipy.stats import norm

    by = list(by)
    check_frame(answers, "answers", [*by, "wave", cluster, "w_answers", "w_positive"])
    _check_level(level)
    bad = set(answers["wave"].dropna().unique()) - {"a", "b"}
    if bad:
        raise ValueError(f"'wave' should be 'a' or 'b', got {sorted(map(str, bad))}")
    keys = [*by, "wave", cluster]
    sums = answers.groupby(keys, sort=False, observed=True)[["w_answers", "w_positive"]].sum()
    sums = sums.reset_index()
    totals = sums.groupby([*by, "wave"], sort=False)[["w_answers", "w_positive"]].transform("sum")
    rate = totals["w_positive"] / totals["w_answers"]
    sign = np.where(sums["wave"] == "b", 1.0, -1.0)
    sums["z"] = sign * (sums["w_positive"] - rate * sums["w_answers"]) / totals["w_answers"]
    sums["in_a"] = sums["wave"] == "a"
    sums["in_b"] = sums["wave"] == "b"
    sums["rate"] = rate
    per_cluster = sums.groupby([*by, cluster], sort=False).agg(
        z=("z", "sum"), in_a=("in_a", "any"), in_b=("in_b", "any"))
    per_cluster["z2"] = np.square(per_cluster["z"])
    per_cluster["shared"] = per_cluster["in_a"] & per_cluster["in_b"]
    group = per_cluster.groupby(level=list(range(len(by))), sort=False) if by else None
    if group is None:
        stats = pd.DataFrame({"z2": [per_cluster["z2"].sum()], "m": [len(per_cluster)],
                              "shared": [int(per_cluster["shared"].sum())]})
        rates = sums.groupby("wave")["rate"].first()
        stats["rate_a"] = rates.get("a", np.nan)
        stats["rate_b"] = rates.get("b", np.nan)
    else:
        stats = group.agg(z2=("z2", "sum"), m=("z2", "size"), shared=("shared", "sum"))
        rates = sums.groupby([*by, "wave"], sort=False)["rate"].first().unstack("wave")
        stats["rate_a"] = rates.get("a", pd.Series(np.nan, index=rates.index))
        stats["rate_b"] = rates.get("b", pd.Series(np.nan, index=rates.index))
        stats = stats.reset_index()
    m = stats["m"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(m >= 2, m / (m - 1) * stats["z2"].to_numpy(), np.nan)
    diff = (stats["rate_b"] - stats["rate_a"]).to_numpy(dtype="float64")
    se = np.sqrt(var)
    half = float(norm.ppf(0.5 + level / 2)) * se
    out = stats[by].copy() if by else pd.DataFrame(index=range(len(stats)))
    out["rate_a"] = stats["rate_a"].to_numpy(dtype="float64")
    out["rate_b"] = stats["rate_b"].to_numpy(dtype="float64")
    out["diff"] = diff
    out["se"] = se
    out["ci_low"] = np.maximum(diff - half, -1.0)
    out["ci_high"] = np.minimum(diff + half, 1.0)
    out["n_clusters"] = stats["m"].astype("int64").to_numpy()
    out["shared_clusters"] = stats["shared"].astype("int64").to_numpy()
    return out.reset_index(drop=True)


def count_ratio(a: Any, b: Any, *, length_a: Any = 1.0, length_b: Any = 1.0,
                level: float = 0.95) -> pd.DataFrame:
    """Rate ratio B/A of two event counts, with the conditional (binomial) interval.

    Given the total N = a + b, b is binomial with p = λ_B t_B / (λ_A t_A + λ_B t_B); the
    Wilson interval of p (statsmodels ``proportion_confint``) gives the interval of the ratio
    ρ = λ_B / λ_A = p / (1 − p) · t_A / t_B. No event in either period gives NaN.

    Examples
    --------
    20 events against 10: p̂ = 20/30, Wilson (0.4878, 0.8078), so ρ in (0.952, 4.2):

    >>> count_ratio([10, 0], [20, 0]).round(3).values.tolist()
    [[2.0, 0.952, 4.2], [nan, nan, nan]]
    """
    from statsmodels.stats.proportion import proportion_confint

    a, b, ta, tb = (np.atleast_1d(np.asarray(x, dtype="float64"))
                    for x in (a, b, length_a, length_b))
    a, b, ta, tb = np.broadcast_arrays(a, b, ta, tb)
    total = a + b
    ok = total > 0
    ratio, low, high = (np.full(a.shape, np.nan) for _ in range(3))
    if ok.any():
        pl, pu = proportion_confint(b[ok], total[ok], alpha=1 - level, method="wilson")
        scale = ta[ok] / tb[ok]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio[ok] = np.where(a[ok] > 0, b[ok] / np.where(a[ok] > 0, a[ok], 1) * scale,
                                 np.inf)
            low[ok] = pl / (1 - pl) * scale
            high[ok] = np.where(pu < 1, pu / np.where(pu < 1, 1 - pu, 1) * scale, np.inf)
    return pd.DataFrame({"ratio": ratio, "ci_low": low, "ci_high": high})


def _window(value: Any, name: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    if hasattr(value, "start") and hasattr(value, "end"):
        value = (value.start, value.end)
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise TypeError(f"{name!r} should be (start, end) or a Period, got {value!r}"
                        f"（{name} 应为（起始日, 截止日））")
    start, end = optional_date(value[0], name), optional_date(value[1], name)
    if start is None or end is None or start > end:
        raise ValueError(f"{name!r} should be (start, end) with start <= end, got {value!r}"
                         f"（{name} 起止日期无效）")
    return start, end


def default_periods(end: Any, *, months: int = 12) -> tuple[tuple[pd.Timestamp, pd.Timestamp],
                                                             tuple[pd.Timestamp, pd.Timestamp]]:
    """Period A (the ``months`` before B) and period B (the last ``months`` up to ``end``).

    Examples
    --------
    >>> a, b = default_periods("2025-12-31")
    >>> [str(d.date()) for d in (*a, *b)]
    ['2024-01-01', '2024-12-31', '2025-01-01', '2025-12-31']
    >>> [str(d.date()) for d in (*default_periods("2025-06-30", months=6)[1],)]
    ['2025-01-01', '2025-06-30']
    """
    e = pd.Timestamp(end).normalize()
    b_start = e + pd.Timedelta(days=1) - pd.DateOffset(months=months)
    a_end = b_start - pd.Timedelta(days=1)
    a_start = b_start - pd.DateOffset(months=months)
    return (a_start, a_end), (b_start, e)


def _verdict(low: np.ndarray, high: np.ndarray, null: float, *, lower_better: bool = False
             ) -> np.ndarray:
    up = low > null
    down = high < null
    if lower_better:
        up, down = down, up
    return np.where(up, "improved", np.where(down, "worse", "no clear change"))


def _long(frame: pd.DataFrame, measures: Sequence[str], *, ids: pd.Index,
          names: pd.Series) -> pd.DataFrame:
    """Village A/B frames (index village_id, columns ``<m>_a``, ``<m>_b``) to long rows."""
    parts = []
    for m in measures:  # a handful of measures
        parts.append(pd.DataFrame({
            "village_id": ids, "measure": m,
            "value_a": frame[f"{m}_a"].to_numpy(dtype="float64"),
            "value_b": frame[f"{m}_b"].to_numpy(dtype="float64"),
        }))
    out = pd.concat(parts, ignore_index=True)
    out["village_name"] = names.reindex(out["village_id"]).to_numpy()
    return out


def _coverage_rows(events, villages, event_topics, wa, wb) -> pd.DataFrame:
    from .coverage import village_coverage

    cov = {}
    for key, (s, e) in (("a", wa), ("b", wb)):
        cov[key] = village_coverage(events, villages, start=s, end=e, as_of=e,
                                    event_topics=event_topics)
    ids = cov["a"].index
    names = cov["a"]["village_name"].astype("str")
    wide = pd.DataFrame(index=ids)
    for m in COVERAGE_MEASURES:
        for key in ("a", "b"):
            wide[f"{m}_{key}"] = cov[key][m].astype("float64").to_numpy()
    rows = _long(wide, COVERAGE_MEASURES, ids=ids, names=names)
    rows["level"] = "village"
    # the town: events in villages, per 1,000 of the register's population
    pop = float(cov["a"]["population"].astype("float64").sum())
    town = {"level": "town", "village_id": pd.NA, "village_name": "全镇"}
    t_rows = []
    for m in ("n_events", "events_per_1000"):
        va = float(cov["a"]["n_events"].sum())
        vb = float(cov["b"]["n_events"].sum())
        if m == "events_per_1000":
            va, vb = va / pop * 1000 if pop else np.nan, vb / pop * 1000 if pop else np.nan
        t_rows.append({**town, "measure": m, "value_a": va, "value_b": vb})
    t_rows.append({**town, "measure": "n_topics",
                   "value_a": float(_town_topics(events, event_topics, *wa)),
                   "value_b": float(_town_topics(events, event_topics, *wb))})
    t_rows.append({**town, "measure": "days_since_last",
                   "value_a": float(cov["a"]["days_since_last"].min()),
                   "value_b": float(cov["b"]["days_since_last"].min())})
    rows = pd.concat([pd.DataFrame(t_rows), rows], ignore_index=True)
    counts = rows["measure"].isin(["n_events", "events_per_1000"])
    n_a = rows["village_id"].map(cov["a"]["n_events"].astype("float64")).to_numpy(
        dtype="float64", na_value=np.nan)
    n_b = rows["village_id"].map(cov["b"]["n_events"].astype("float64")).to_numpy(
        dtype="float64", na_value=np.nan)
    is_town = (rows["level"] == "town").to_numpy()
    n_a = np.where(is_town, cov["a"]["n_events"].sum(), n_a)
    n_b = np.where(is_town, cov["b"]["n_events"].sum(), n_b)
    length_a = (wa[1] - wa[0]).days + 1
    length_b = (wb[1] - wb[0]).days + 1
    ratio = count_ratio(n_a, n_b, length_a=length_a, length_b=length_b)
    rows["ci_low"] = np.where(counts, ratio["ci_low"], np.nan)
    rows["ci_high"] = np.where(counts, ratio["ci_high"], np.nan)
    rows["ci_of"] = np.where(counts, "ratio", "")
    rows["method"] = np.where(counts, "poisson-conditional-wilson", "")
    verdict = _verdict(rows["ci_low"].to_numpy(), rows["ci_high"].to_numpy(), 1.0)
    none = (n_a + n_b) == 0
    rows["verdict"] = np.where(counts, np.where(none, "no clear change", verdict), "not tested")
    rows["present"] = "both"
    return rows


def _town_topics(events: pd.DataFrame, event_topics: pd.DataFrame | None, start, end) -> int:
    day = pd.to_datetime(events["date"], errors="coerce").dt.normalize()  # as village_coverage
    inside = events[(day >= start) & (day <= end) & events["village_id"].notna()]
    if event_topics is not None and len(event_topics):
        topics = event_topics.loc[event_topics["event_id"].isin(inside["event_id"]), "topic"]
    else:
        topics = inside["topic"]
    return int(topics.dropna().nunique())


def _service_rows(villages, legal_literates, adviser_visits, wa, wb, settings) -> pd.DataFrame:
    from .services import service_coverage

    frames = {}
    for key, (s, e) in (("a", wa), ("b", wb)):
        frames[key] = service_coverage(villages, legal_literates=legal_literates,
                                       adviser_visits=adviser_visits, start=s, end=e, as_of=e,
                                       settings=settings)
    measures = [m for m in SERVICE_MEASURES if frames["a"][m].notna().any()]
    if not measures:
        return pd.DataFrame()
    ids = frames["a"].index
    wide = pd.DataFrame(index=ids)
    for m in measures:
        for key in ("a", "b"):
            wide[f"{m}_{key}"] = frames[key][m].astype("float64").to_numpy()
    rows = _long(wide, measures, ids=ids, names=frames["a"]["village_name"].astype("str"))
    rows["level"] = "village"
    town = wide.sum(min_count=1)
    t_rows = pd.DataFrame([{"level": "town", "village_id": pd.NA, "village_name": "全镇",
                            "measure": m, "value_a": town[f"{m}_a"], "value_b": town[f"{m}_b"]}
                           for m in measures])
    rows = pd.concat([t_rows, rows], ignore_index=True)
    rows["verdict"] = "not tested"
    rows["present"] = "both"
    rows["ci_of"] = ""
    rows["method"] = ""
    return rows


def _survey_rows(responses, codebook, villages, wave, domain, weight, level, settings
                 ) -> pd.DataFrame:
    """Town and village rates of waves A and B (pooled and per item), with their differences."""
    from .survey import awareness_rates, pooled_rates

    names = villages.set_index("village_id")["village_name"].astype("str")
    parts = {k: responses[(wave == k).to_numpy()] for k in ("a", "b")}
    if not len(parts["a"]) and not len(parts["b"]):
        return pd.DataFrame()
    kw = {"domain": domain, "weight": weight, "settings": settings}
    # villages: pooled (respondents as units) and per item, Newcombe on the effective n
    vil = []
    for key, part in parts.items():
        pooled = pooled_rates(part, codebook, by="village_id", cluster=None, **kw) if len(part) \
            else pd.DataFrame(columns=["village_id", "rate", "n_eff"])
        items = awareness_rates(part, codebook, by="village_id", **kw) if len(part) \
            else pd.DataFrame(columns=["village_id", "item", "rate", "n_eff"])
        pooled = pooled.assign(item=pd.NA)[["village_id", "item", "rate", "n_eff"]]
        vil.append(pd.concat([pooled, items[["village_id", "item", "rate", "n_eff"]]],
                             ignore_index=True).assign(wave=key))
    both = pd.concat(vil, ignore_index=True)
    both["item"] = both["item"].astype("object").where(both["item"].notna(), "")
    wide = both.pivot_table(index=["village_id", "item"], columns="wave",
                            values=["rate", "n_eff"], aggfunc="first", dropna=False)
    wide.columns = [f"{v}_{w}" for v, w in wide.columns]
    for col in ("rate_a", "rate_b", "n_eff_a", "n_eff_b"):
        if col not in wide.columns:
            wide[col] = np.nan
    wide = wide.reset_index()
    ci = newcombe_difference(wide["rate_b"] * wide["n_eff_b"], wide["n_eff_b"],
                             wide["rate_a"] * wide["n_eff_a"], wide["n_eff_a"], level=level)
    rows = pd.DataFrame({
        "level": "village", "village_id": wide["village_id"], "measure": domain,
        "item": wide["item"].replace("", pd.NA), "value_a": wide["rate_a"],
        "value_b": wide["rate_b"], "ci_low": ci["ci_low"], "ci_high": ci["ci_high"],
        "n_a": wide["n_eff_a"], "n_b": wide["n_eff_b"], "method": "newcombe",
    })
    rows["village_name"] = names.reindex(rows["village_id"]).to_numpy()
    rows["in_a"] = rows["village_id"].isin(set(parts["a"]["village_id"].dropna()))
    rows["in_b"] = rows["village_id"].isin(set(parts["b"]["village_id"].dropna()))
    # the town: villages as clusters shared by both waves (design-based difference)
    rows = pd.concat([_town_survey_rows(parts, codebook, kw, level), rows], ignore_index=True)
    rows["ci_of"] = "difference"
    return rows


def _town_survey_rows(parts, codebook, kw, level) -> pd.DataFrame:
    from .survey import awareness_rates, pooled_rates

    answers, pooled = [], {}
    # items of a wave not assessed (an answer in no class of the codebook: 需核定答案分类)
    not_assessed: dict[str, set] = {"a": set(), "b": set()}
    for key, part in parts.items():
        if not len(part):
            continue
        one = awareness_rates(part, codebook, by="response_id", **kw)
        if "status" in one.columns:
            not_assessed[key] = set(one.loc[one["status"].ne("ok"), "item"].astype("str"))
        w = (part.set_index("response_id")["weight"].astype("float64")
             if kw["weight"] is not False and "weight" in part.columns
             and part["weight"].notna().any() else None)
        if isinstance(kw["weight"], str):
            w = part.set_index("response_id")[kw["weight"]].astype("float64")
        one["w"] = 1.0 if w is None else one["response_id"].map(w).to_numpy()
        one["village_id"] = one["response_id"].map(
            part.set_index("response_id")["village_id"]).to_numpy()
        one["w_answers"] = one["w"] * one["n"]
        one["w_positive"] = one["w"] * one["rate"].fillna(0) * one["n"]
        answers.append(one.assign(wave=key))
        pooled[key] = pooled_rates(part, codebook, by=None, cluster="village_id", **kw)
    long = pd.concat(answers, ignore_index=True)
    long = long[long["n"] > 0]
    per_item = cluster_difference(long, by=["item"], level=level)
    whole = cluster_difference(long, level=level).assign(item=pd.NA)
    design = pd.concat([whole, per_item], ignore_index=True)
    # the design effective n of each wave (villages as clusters), pooled and per item; used
    # when fewer than 2 villages answered both waves (Newcombe, independent surveys)
    items = [i for i in design["item"].dropna().astype("str").unique()]
    n_eff = {}
    for key in ("a", "b"):
        values = {}
        if key in pooled and len(pooled[key]):
            values[""] = float(pooled[key]["n_eff"].iloc[0])
            for item in items:  # a handful of items
                one = pooled_rates(parts[key], codebook, by=None, cluster="village_id",
                                   items=[item], **kw)
                values[item] = float(one["n_eff"].iloc[0]) if len(one) else np.nan
        n_eff[key] = pd.Series(values, dtype="float64")
    item_key = design["item"].astype("object").where(design["item"].notna(), "")
    na = item_key.map(n_eff["a"]).astype("float64").to_numpy()
    nb = item_key.map(n_eff["b"]).astype("float64").to_numpy()
    indep = newcombe_difference(design["rate_b"] * nb, nb, design["rate_a"] * na, na,
                                level=level)
    shared = (design["shared_clusters"] >= 2).to_numpy()
    out = pd.DataFrame({
        "level": "town", "village_id": pd.NA, "village_name": "全镇",
        "measure": kw["domain"], "item": design["item"], "value_a": design["rate_a"],
        "value_b": design["rate_b"],
        "ci_low": np.where(shared, design["ci_low"], indep["ci_low"]),
        "ci_high": np.where(shared, design["ci_high"], indep["ci_high"]),
        "n_a": na, "n_b": nb, "method": np.where(shared, "cluster", "newcombe"),
        "in_a": "a" in pooled, "in_b": "b" in pooled,
    })
    pooled_row = (item_key == "").to_numpy()
    for key in ("a", "b"):  # a rate not assessed has no value and no interval
        bad = item_key.isin(not_assessed[key]).to_numpy() | (pooled_row
                                                             & bool(not_assessed[key]))
        out.loc[bad, [f"value_{key}", "ci_low", "ci_high", f"n_{key}"]] = np.nan
    return out


def compare_periods(
    events: pd.DataFrame,
    villages: pd.DataFrame,
    *,
    responses: pd.DataFrame | None = None,
    codebook: pd.DataFrame | None = None,
    event_topics: pd.DataFrame | None = None,
    legal_literates: pd.DataFrame | None = None,
    adviser_visits: pd.DataFrame | None = None,
    period_a: Any = None,
    period_b: Any = None,
    end: Any = None,
    months: int = 12,
    waves: tuple[int, int] | None = None,
    domain: str = "awareness",
    weight: str | bool | None = None,
    level: float = 0.95,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """Period A against period B, per village and for the town, with intervals of the change.

    Measures, each with ``value_a``, ``value_b`` and ``change`` = B − A:

    - coverage (:func:`~pufa_metrics.coverage.village_coverage` over each period, as of its
      end): ``n_events``, ``events_per_1000``, ``n_topics``, ``days_since_last``. For the
      event counts the interval is that of the rate ratio B/A (``ci_of = "ratio"``,
      :func:`count_ratio`; periods of unequal length are compared per day). The town row
      counts the events held in villages (town-wide events are not attributed);
    - survey rates of ``domain`` (when ``responses`` and ``codebook`` are given): ``item``
      empty for the rate pooled over the domain's items, else one row per item; the interval
      is that of the difference (``ci_of = "difference"``). Villages: Newcombe's hybrid score
      interval (:func:`newcombe_difference`) on the effective n of each wave (the waves are
      independent samples of residents). The town: when at least two villages answered both
      waves, the design-based variance of the difference with villages as clusters
      (:func:`cluster_difference`, ``method = "cluster"``), else Newcombe on the design
      effective n of :func:`~pufa_metrics.survey.pooled_rates` (``"newcombe"``);
    - services (with a roster or an adviser log): ``n_legal_literates``, ``adviser_days``,
      ``lectures`` (:func:`~pufa_metrics.services.service_coverage` over each period).

    ``verdict`` comes from the interval only: ``improved`` (改善) when it lies above 0 (above
    1 for a ratio), ``worse`` (变差) when below, ``no clear change`` (无明显变化) otherwise
    (and when no event was held in either period). Measures without an interval (topics, days
    since the last event, services: whole counts from the ledgers, no sampling) are
    ``not tested`` (未检验): their change is exact but says nothing about chance. A village
    surveyed in one wave only is kept, with ``present`` = ``"a only"`` / ``"b only"`` and the
    verdict ``not comparable`` (无法比较).

    Parameters
    ----------
    events, villages : pandas.DataFrame
        The event ledger (``event_id``, ``date``, ``village_id``, ``topic``) and the register.
    responses, codebook : pandas.DataFrame, optional
        Survey answers of both waves and the codebook. An answer belongs to the period its
        ``date`` falls in (``waves`` overrides: the waves of :func:`survey_waves`).
    event_topics, legal_literates, adviser_visits : pandas.DataFrame, optional
    period_a, period_b : (start, end) or Period, optional
        Default: :func:`default_periods` — B the last ``months`` up to ``end``, A the
        ``months`` before.
    end : date-like, optional
        End of B; default ``pufa.toml`` ``[period] end``, else the last event date.
    months : int, default 12
    waves : (int, int), optional
        The survey waves for A and B (e.g. ``(2024, 2025)``) instead of the answer dates.
    domain : str, default "awareness"
    weight : None, False or str
        Survey weights, as in :func:`~pufa_metrics.survey.awareness_rates`.
    level : float, default 0.95
    settings : Settings, optional
        Default ``pufa.toml``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS`: ``level`` (``town``/``village``), ``village_id`` (empty for
        the town), ``village_name``, ``measure``, ``item``, ``value_a``, ``value_b``,
        ``change``, ``ci_low``, ``ci_high``, ``ci_of``, ``n_a``/``n_b`` (effective n of a
        survey rate), ``method``, ``present``, ``verdict``, ``verdict_zh``. Town rows first,
        then the villages in register order. ``attrs["period_a"]`` / ``attrs["period_b"]``
        hold the periods, ``attrs["answers_left_out"]`` the number of survey answers in
        neither period (or wave; an unknown date or wave counts here).

    Examples
    --------
    >>> villages = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["甲村", "乙村"],
    ...                          "population": [1000, 2000]})
    >>> events = pd.DataFrame({
    ...     "event_id": [f"e{i}" for i in range(14)],
    ...     "date": pd.to_datetime(["2024-03-01"] * 12 + ["2025-03-01"] * 2),
    ...     "village_id": ["V1"] * 12 + ["V1", "V2"], "topic": "宪法"})
    >>> out = compare_periods(events, villages, end="2025-12-31", settings=Settings())
    >>> row = out[(out["village_id"] == "V1") & (out["measure"] == "n_events")].iloc[0]
    >>> float(row["value_a"]), float(row["value_b"]), row["verdict"], row["verdict_zh"]
    (12.0, 1.0, 'worse', '变差')
    >>> out.attrs["period_b"]
    ('2025-01-01', '2025-12-31')
    """
    check_frame(events, "events", ["date", "village_id"])
    check_frame(villages, "villages", ["village_id", "village_name", "population"])
    settings = resolve_settings(settings)  # None: pufa.toml
    if not isinstance(months, int) or isinstance(months, bool) or months < 1:
        raise ValueError(f"'months' should be a whole number ≥ 1, got {months!r}（月数应为正整数）")
    if (period_a is None) != (period_b is None):
        raise ValueError("give both 'period_a' and 'period_b', or neither"
                         "（period_a 与 period_b 须同时给出）")
    if period_a is None:
        e = optional_date(end, "end") or settings.end
        if e is None:
            dates = pd.to_datetime(events["date"], errors="coerce").dropna()
            if dates.empty:
                raise ValueError(
                    "no 'end' given and no dated events（未指定截止日期，台账也无日期）")
            e = dates.max()
        wa, wb = default_periods(e, months=months)
    else:
        wa, wb = _window(period_a, "period_a"), _window(period_b, "period_b")
    if wa[1] >= wb[0]:
        raise ValueError(f"period A ({wa[0].date()}–{wa[1].date()}) should end before period B "
                         f"starts ({wb[0].date()})（A期应早于B期）")
    rows = [_coverage_rows(events, villages, event_topics, wa, wb)]
    left_out = 0  # survey answers in neither period (or wave): counted, not compared
    if legal_literates is not None or adviser_visits is not None:
        rows.append(_service_rows(villages, legal_literates, adviser_visits, wa, wb, settings))
    if responses is not None and codebook is not None and len(responses):
        check_frame(responses, "responses", ["response_id", "village_id"])
        if waves is not None and (
                not isinstance(waves, tuple | list) or len(waves) != 2
                or not all(isinstance(w, int | np.integer) for w in waves)):
            raise TypeError(f"'waves' should be two years such as (2024, 2025), got {waves!r}"
                            "（waves 应为两个年份）")
        if waves is not None:
            labels = survey_waves(responses)  # NA: wave unknown, in neither
            is_a = labels.eq(waves[0]).fillna(False).to_numpy(dtype=bool)
            is_b = labels.eq(waves[1]).fillna(False).to_numpy(dtype=bool)
            wave = pd.Series(np.where(is_a, "a", np.where(is_b, "b", "")),
                             index=responses.index)
        else:
            when = pd.to_datetime(responses["date"], errors="coerce").dt.normalize()
            wave = pd.Series(np.where(when.between(*wa), "a", np.where(when.between(*wb), "b",
                                                                         "")),
                             index=responses.index)
        left_out = int(wave.eq("").sum())
        rows.append(_survey_rows(responses, codebook, villages, wave, domain, weight, level,
                                 settings))
    out = pd.concat([r for r in rows if len(r)], ignore_index=True)
    for col in COLUMNS:
        if col not in out.columns:
            out[col] = np.nan
    out["change"] = out["value_b"] - out["value_a"]
    survey = out["ci_of"].eq("difference").to_numpy()
    in_a, in_b = out["value_a"].notna().to_numpy(), out["value_b"].notna().to_numpy()
    if "in_a" in out.columns:  # survey rows: answered in the wave, whether assessed or not
        in_a = np.where(survey, out["in_a"].fillna(False).astype(bool), in_a)
        in_b = np.where(survey, out["in_b"].fillna(False).astype(bool), in_b)
    present = np.where(in_a & in_b, "both", np.where(in_a, "a only",
                                                     np.where(in_b, "b only", "neither")))
    out["present"] = np.where(survey, present, out["present"])
    verdict = _verdict(out["ci_low"].to_numpy(), out["ci_high"].to_numpy(), 0.0)
    no_interval = out["ci_low"].isna().to_numpy() | out["ci_high"].isna().to_numpy()
    verdict = np.where(no_interval, "not tested", verdict)  # e.g. a rate not assessed
    out["verdict"] = np.where(survey, np.where(present == "both", verdict, "not comparable"),
                              out["verdict"])
    out["verdict_zh"] = out["verdict"].map(VERDICTS)
    order = {m: i for i, m in enumerate((*COVERAGE_MEASURES, domain, *SERVICE_MEASURES))}
    register = {v: i for i, v in enumerate(villages["village_id"])}
    out["_v"] = out["village_id"].map(register).astype("float64").fillna(-1)
    out["_m"] = out["measure"].map(order)
    out["_i"] = out["item"].notna()
    out = out.sort_values(["_v", "_m", "_i", "item"], kind="stable", na_position="first")
    out = out[list(COLUMNS)].reset_index(drop=True)
    out["item"] = out["item"].astype("str")
    out["village_id"] = out["village_id"].astype("str")
    out["verdict"] = out["verdict"].astype("str")
    out.attrs["period_a"] = (str(wa[0].date()), str(wa[1].date()))
    out.attrs["period_b"] = (str(wb[0].date()), str(wb[1].date()))
    out.attrs["answers_left_out"] = left_out
    return out


def _period_name(period: tuple[str, str], lang: str) -> str:
    """``2024年`` for a calendar year, else ``2024-03-01至2025-02-28``."""
    start, end = pd.Timestamp(period[0]), pd.Timestamp(period[1])
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return f"{start.year}年" if lang == "zh" else str(start.year)
    return f"{period[0]}至{period[1]}" if lang == "zh" else f"{period[0]} to {period[1]}"


def _pp(x: float) -> str:
    return f"{x * 100:+.1f}".replace("+-", "−").replace("-", "−")


def headline_changes(comparison: pd.DataFrame, *, domain: str = "awareness") -> pd.DataFrame:
    """The brief's "比上年" figures and one sentence per headline, from :func:`compare_periods`.

    Rows (index ``indicator``, named as in :func:`pufa_metrics.brief.headline_figures`):
    ``recent`` (villages with an event in the period: whole counts, no interval),
    ``events_per_1000`` (the town's events in villages per 1,000 residents, with the interval
    of the rate ratio) and ``awareness`` (the town's pooled ``domain`` rate, with the interval
    of the difference). Columns ``value_a, value_b, change, ci_low, ci_high, ci_of, verdict,
    sentence_zh, sentence_en``. A sentence says 变化明确 (a clear change) only when the
    interval excludes no change, 变化尚不明确 otherwise; an indicator missing in either period
    has no row.

    Examples
    --------
    >>> comp = pd.DataFrame({
    ...     "level": ["town", "town", "village", "village", "town"],
    ...     "village_id": [None, None, "V1", "V2", None],
    ...     "measure": ["n_events", "events_per_1000", "n_events", "n_events", "awareness"],
    ...     "item": [None] * 5, "value_a": [3, 1.5, 3, 0, 0.80], "value_b": [9, 4.5, 4, 5, 0.90],
    ...     "ci_low": [1.2, 1.2, None, None, 0.02], "ci_high": [11.0, 11.0, None, None, 0.18],
    ...     "ci_of": ["ratio", "ratio", "ratio", "ratio", "difference"],
    ...     "verdict": ["improved", "improved", "x", "x", "improved"]})
    >>> comp.attrs = {"period_a": ("2024-01-01", "2024-12-31"),
    ...               "period_b": ("2025-01-01", "2025-12-31")}
    >>> h = headline_changes(comp)
    >>> h["change"].round(3).tolist()
    [1.0, 3.0, 0.1]
    >>> print(h.loc["awareness", "sentence_zh"])
    知晓率由2024年的80%升至2025年的90%（差值95%CI +2.0至+18.0个百分点），变化明确。
    """
    check_frame(comparison, "comparison", ["level", "measure", "item", "value_a", "value_b",
                                           "ci_low", "ci_high", "verdict"])
    pa = comparison.attrs.get("period_a", ("", ""))
    pb = comparison.attrs.get("period_b", ("", ""))
    ya, yb = _period_name(pa, "zh"), _period_name(pb, "zh")
    ea, eb = _period_name(pa, "en"), _period_name(pb, "en")
    town = comparison[(comparison["level"] == "town")
                      & comparison["item"].isna()].set_index("measure")
    vil = comparison[(comparison["level"] == "village") & (comparison["measure"] == "n_events")]
    rows: dict[str, dict[str, Any]] = {}
    if len(vil):
        a = float((vil["value_a"] > 0).sum())
        b = float((vil["value_b"] > 0).sum())
        n = len(vil)
        verb, verb_en = ("增至", "rose") if b > a else (("减至", "fell") if b < a else
                                                        ("持平，为", "stayed"))
        rows["recent"] = {
            "value_a": a, "value_b": b, "change": b - a, "ci_low": np.nan, "ci_high": np.nan,
            "ci_of": "", "verdict": "not tested",
            "sentence_zh": f"有普法活动的村（社区）由{ya}的{a:.0f}个{verb}{yb}的{b:.0f}个"
                           f"（共{n}个，全部计数，不是抽样）。",
            "sentence_en": f"Villages with an event {verb_en} from {a:.0f} in {ea} to {b:.0f} "
                           f"in {eb} (of {n}; a full count, not a sample).",
        }
    for key, zh_name, en_name in (("events_per_1000", "每千人普法活动", "Events per 1,000"),
                                  (domain, "知晓率" if domain == "awareness" else domain,
                                   "Awareness" if domain == "awareness" else domain)):
        if key not in town.index:
            continue
        r = town.loc[key]
        if isinstance(r, pd.DataFrame):
            r = r.iloc[0]
        a, b = float(r["value_a"]), float(r["value_b"])
        if not (np.isfinite(a) and np.isfinite(b)):
            continue
        lo, hi = float(r["ci_low"]), float(r["ci_high"])
        clear = r["verdict"] in ("improved", "worse")
        up, down = b > a, b < a
        verb = "升至" if up else ("降至" if down else "持平于")
        verb_en = "rose" if up else ("fell" if down else "stayed")
        end_zh = "变化明确" if clear else "变化尚不明确"
        end_en = "a clear change" if clear else "not a clear change yet"
        if key == "events_per_1000":
            fa, fb = f"{a:.2f}场", f"{b:.2f}场"
            ci_zh = f"比值95%CI {lo:.2f}至{hi:.2f}"
            ci_en = f"ratio 95% CI {lo:.2f} to {hi:.2f}"
            fa_en, fb_en = f"{a:.2f}", f"{b:.2f}"
        else:
            fa, fb = f"{a * 100:.0f}%", f"{b * 100:.0f}%"
            ci_zh = f"差值95%CI {_pp(lo)}至{_pp(hi)}个百分点"
            ci_en = f"difference 95% CI {_pp(lo)} to {_pp(hi)} percentage points"
            fa_en, fb_en = fa, fb
        if not (np.isfinite(lo) and np.isfinite(hi)):  # e.g. no event in either period
            ci_zh, ci_en = "无法计算区间", "no interval"
        key_out = "awareness" if key == domain else key
        rows[key_out] = {
            "value_a": a, "value_b": b, "change": b - a, "ci_low": lo, "ci_high": hi,
            "ci_of": r.get("ci_of", ""), "verdict": r["verdict"],
            "sentence_zh": f"{zh_name}由{ya}的{fa}{verb}{yb}的{fb}（{ci_zh}），{end_zh}。",
            "sentence_en": f"{en_name} {verb_en} from {fa_en} in {ea} to {fb_en} in {eb} "
                           f"({ci_en}): {end_en}.",
        }
    out = pd.DataFrame.from_dict(rows, orient="index",
                                 columns=["value_a", "value_b", "change", "ci_low", "ci_high",
                                          "ci_of", "verdict", "sentence_zh", "sentence_en"])
    out.index.name = "indicator"
    return out


def mark_worse(follow_up: pd.DataFrame, comparison: pd.DataFrame | None, *,
               domain: str = "awareness", settings: Settings | None = None) -> pd.DataFrame:
    """The follow-up list with the villages whose awareness or coverage got clearly worse.

    A village got clearly worse when, in :func:`compare_periods`, its pooled ``domain`` rate
    or its number of events has the verdict ``worse`` (the whole interval below no change).
    Adds ``got_worse`` (bool) and ``worse_zh`` / ``worse_en`` (what got worse, with the
    figures; empty otherwise); the score and the order are unchanged. Clearly worse villages
    that are not on the list are named in ``attrs["worse_not_listed"]``. A rate of a wave with
    fewer than ``[privacy] suppress_below`` answers (``n_a``/``n_b``; unknown counts as fewer)
    is not printed: the text then says only that it fell. Without a comparison (``None``: the
    period does not cover two years) the list comes back as it is.

    Examples
    --------
    >>> fu = pd.DataFrame({"village_name": ["甲村", "乙村"], "score": [5.0, 3.0]},
    ...                   index=pd.Index(["V1", "V2"], name="village_id"))
    >>> comp = pd.DataFrame({"level": ["village"] * 2, "village_id": ["V2", "V1"],
    ...                      "measure": ["awareness"] * 2, "item": [None, None],
    ...                      "value_a": [0.95, 1.0], "value_b": [0.60, 0.25],
    ...                      "n_a": [30, 8], "n_b": [40, 4], "verdict": ["worse", "worse"]})
    >>> out = mark_worse(fu, comp, settings=Settings())
    >>> out["got_worse"].tolist(), out.loc["V2", "worse_zh"]
    ([True, True], '知晓率由95%降至60%')
    >>> out.loc["V1", "worse_zh"]  # 4 answers in 2025: no rate shown
    '知晓率明显下降（答卷少于5份，比率不公布）'
    """
    check_frame(follow_up, "follow_up")
    if comparison is None:
        return follow_up.copy()
    check_frame(comparison, "comparison", ["level", "village_id", "measure", "item", "value_a",
                                           "value_b", "verdict"])
    pooled = comparison["item"].isna()
    worse = comparison[(comparison["level"] == "village") & (comparison["verdict"] == "worse")
                       & (((comparison["measure"] == domain) & pooled)
                          | (comparison["measure"] == "n_events"))]
    aware = worse["measure"] == domain
    k = resolve_settings(settings).suppress_below
    n_a = (worse["n_a"] if "n_a" in worse.columns else pd.Series(np.nan, index=worse.index))
    n_b = (worse["n_b"] if "n_b" in worse.columns else pd.Series(np.nan, index=worse.index))
    small = ~((n_a.astype("float64") >= k) & (n_b.astype("float64") >= k)).to_numpy()
    a, b = worse["value_a"].astype("float64"), worse["value_b"].astype("float64")
    pa = (a * 100).round().astype("Int64").astype("str")
    pb = (b * 100).round().astype("Int64").astype("str")
    na, nb = a.round().astype("Int64").astype("str"), b.round().astype("Int64").astype("str")
    name = "知晓率" if domain == "awareness" else domain
    name_en = "awareness" if domain == "awareness" else domain
    zh = np.where(aware, np.where(small, f"{name}明显下降（答卷少于{k}份，比率不公布）",
                                  name + "由" + pa + "%降至" + pb + "%"),
                  "活动由" + na + "场减至" + nb + "场")
    en = np.where(aware, np.where(small, f"{name_en} fell clearly (fewer than {k} answers: "
                                         "rates not shown)",
                                  name_en + " fell from " + pa + "% to " + pb + "%"),
                  "events fell from " + na + " to " + nb)
    texts = pd.DataFrame({"village_id": worse["village_id"].astype("str").to_numpy(),
                          "zh": zh, "en": en})
    per = texts.groupby("village_id", sort=False).agg({"zh": "；".join, "en": "; ".join})
    out = follow_up.copy()
    ids = out.index.astype("str")
    out["got_worse"] = ids.isin(per.index)
    out["worse_zh"] = per["zh"].reindex(ids).fillna("").to_numpy()
    out["worse_en"] = per["en"].reindex(ids).fillna("").to_numpy()
    out.attrs = {**follow_up.attrs,
                 "worse_not_listed": list(per.index[~per.index.isin(ids)])}
    return out
