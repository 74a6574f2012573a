"""Survey rates with honest uncertainty: awareness, support, satisfaction and knowledge.

A survey (问卷) has one row per respondent and one column per item; the codebook says, per item,
which answers count as positive (知道/听说过 → aware), which are no answer (不清楚/未作答), and for
knowledge items the correct answer. From these the functions here give:

- :func:`awareness_rates`: per group and item the unweighted ``n`` and ``n_positive``, the weighted
  ``rate``, Kish's effective sample size ``n_eff`` and a confidence interval on ``n_eff``;
- :func:`proportion_ci`: binomial confidence intervals (Wilson by default), n = 0 → NaN;
- :func:`kish_effective_n`: (Σw)² / Σw²;
- :func:`rake_weights`: iterative proportional fitting of weights to population margins;
- :func:`lqas_decision_rule` and :func:`lqas_classify`: Lot Quality Assurance Sampling decisions
  with the rule's provider (α) and consumer (β) risks;
- :func:`shrink_rates`: beta-binomial empirical Bayes, so that villages with few answers are not
  ranked on noise;
- :func:`unclassified_answers`: answers the codebook puts in no class (neither positive,
  negative nor missing), with their counts. Such an answer is never counted as "not aware": its
  item is not assessed (``status = "needs_codebook"``, 需核定答案分类) until the codebook or
  ``pufa.toml`` ``[survey]`` classes it.

Everything is vectorised: the answers of each item are classified once (per distinct answer, not
per row) and all sums come from one ``np.bincount`` pass per item and quantity.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa

from ._common import by_columns as _by_columns
from ._common import check_frame as _check_columns
from ._common import check_frame as _check_frame

__all__ = [
    "LQASRule",
    "VERDICTS",
    "awareness_rates",
    "awareness_verdict",
    "kish_effective_n",
    "lqas_classify",
    "lqas_decision_rule",
    "pooled_from_rates",
    "pooled_rates",
    "proportion_ci",
    "rake_weights",
    "shrink_rates",
    "unclassified_answers",
]

#: Accepted spellings of the interval methods → statsmodels' ``proportion_confint`` names.
_CI_METHODS: dict[str, str] = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "beta": "beta",
    "exact": "beta",
    "jeffreys": "jeffreys",
    "agresti-coull": "agresti_coull",
    "normal": "normal",
    "wald": "normal",
}

#: Survey domains a codebook may use (docs/data-contract.md, codebook table).
DOMAINS: tuple[str, ...] = ("awareness", "knowledge", "support", "satisfaction")

#: LQAS lower threshold = target − this (pufa.toml [targets] lqas_lower_gap).
LQAS_LOWER_GAP = 0.30

_OUTPUT_COLUMNS = (
    "item", "domain", "n", "n_positive", "rate", "n_eff", "ci_low", "ci_high", "n_unclassified",
    "status",
)

#: ``status`` of a rate: assessed, or not assessed because an answer is in no class of the
#: codebook (neither positive, negative nor missing): the item needs a codebook decision.
STATUS_OK = "ok"
NEEDS_CODEBOOK = "needs_codebook"

#: Chinese and English labels of each ``status``, for reports.
STATUS_LABELS: dict[str, tuple[str, str]] = {
    STATUS_OK: ("已评估", "assessed"),
    NEEDS_CODEBOOK: ("需核定答案分类", "needs a codebook decision"),
}
_ANSWER_SPLIT = ("、", "|", "｜")


# --------------------------------------------------------------------------------------------
# Input checks shared by the functions below
# --------------------------------------------------------------------------------------------


def _check_level(level: object) -> float:
    if isinstance(level, bool) or not isinstance(level, (int, float, np.floating)):
        raise TypeError(f"'level' should be a number between 0 and 1, got {level!r}")
    if not 0 < float(level) < 1:
        raise ValueError(
            f"'level' should be between 0 and 1 (e.g. 0.95), got {level!r}"
            "（置信水平应在 0 与 1 之间）"
        )
    return float(level)


def _check_probability(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise TypeError(f"{name!r} should be a proportion between 0 and 1, got {value!r}")
    if not 0 < float(value) < 1:
        raise ValueError(f"{name!r} should be strictly between 0 and 1, got {value!r}")
    return float(value)


def _ci_method(method: object) -> str:
    if not isinstance(method, str):
        raise TypeError(f"'method' should be a string, got {type(method).__name__}")
    key = method.strip().lower().replace("_", "-")
    if key not in _CI_METHODS:
        raise ValueError(
            f"'method' was {method!r} but is expected to be one of "
            f"{sorted(_CI_METHODS)}（不支持的区间方法）"
        )
    return _CI_METHODS[key]


def _as_float_array(value: object, name: str) -> np.ndarray:
    if isinstance(value, (pd.Series, pd.Index)):
        if pd.api.types.is_bool_dtype(value.dtype) or not pd.api.types.is_numeric_dtype(
            value.dtype
        ):
            raise TypeError(f"{name!r} should hold numbers, got dtype {value.dtype}")
        return value.to_numpy(dtype="float64", na_value=np.nan)
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise TypeError(
            f"{name!r} should be a number or an array of numbers, got "
            f"{type(value).__name__} of dtype {arr.dtype}"
        )
    return arr.astype("float64")


def _resolve_weights(frame: pd.DataFrame, weight: object, name: str) -> np.ndarray | None:
    """The weight column as float64, or None for unweighted (see awareness_rates)."""
    if weight is False:
        return None
    if weight is None or weight is True:
        if weight is True:
            raise TypeError("'weight' should be None, False or a column name, got True")
        if "weight" not in frame.columns:
            return None
        column = "weight"
        series = frame[column]
        if series.isna().all():  # a placeholder column (e.g. added by schema.coerce)
            return None
    elif isinstance(weight, str):
        if weight not in frame.columns:
            raise ValueError(
                f"'weight' names column {weight!r}, which {name!r} does not have; columns are "
                f"{list(frame.columns)}（权重列不存在）"
            )
        column = weight
        series = frame[column]
    else:
        raise TypeError(f"'weight' should be None, False or a column name, got {weight!r}")
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        raise TypeError(f"weight column {column!r} should be numeric, got dtype {series.dtype}")
    w = series.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        raise ValueError(
            f"weight column {column!r} of {name!r} should be positive and finite in every row; "
            f"{int(bad.sum())} of {len(w)} rows are missing, zero, negative or infinite "
            f"（{int(bad.sum())} 行权重缺失或不为正数）"
        )
    return w


# --------------------------------------------------------------------------------------------
# Confidence intervals and effective sample size
# --------------------------------------------------------------------------------------------


def proportion_ci(
    k: float | Sequence[float] | np.ndarray | pd.Series,
    n: float | Sequence[float] | np.ndarray | pd.Series,
    *,
    method: str = "wilson",
    level: float = 0.95,
) -> tuple[Any, Any]:
    """Two-sided confidence interval for a binomial proportion ``k / n``.

    Delegates to statsmodels' ``proportion_confint`` (which accepts arrays and non-integer counts,
    as needed for a weighted rate on Kish's effective n) and adds input checks and the n = 0 case.

    Parameters
    ----------
    k : float or array-like
        Number of positive answers; may be non-integer (``rate * n_eff``). NaN gives NaN.
    n : float or array-like
        Number of answers (or effective number); ``n == 0`` gives NaN bounds.
    method : str, default "wilson"
        ``"wilson"`` (score interval), ``"clopper-pearson"`` (alias ``"beta"``, ``"exact"``),
        ``"jeffreys"``, ``"agresti-coull"``, or ``"normal"`` (Wald, alias ``"wald"``).
        Underscores are accepted for hyphens.
    level : float, default 0.95
        Confidence level.

    Returns
    -------
    tuple
        ``(low, high)``: two floats when both ``k`` and ``n`` are scalars, else two float arrays
        of the broadcast shape.

    Raises
    ------
    TypeError
        When ``k`` or ``n`` is not numeric.
    ValueError
        For an unknown method, a level outside (0, 1), a negative ``n`` or ``k`` outside [0, n].

    Notes
    -----
    Wilson, Agresti-Coull and normal bounds are clipped to [0, 1] (statsmodels; R's ``binom``
    does not clip). Clopper-Pearson gives 0 / 1 at k = 0 / k = n. Jeffreys is the equal-tailed
    interval of the Beta(k + ½, n − k + ½) posterior (statsmodels), which equals R
    ``binom.confint``'s ``"bayes"`` column at 0 < k < n (checked at 4/20); at the boundaries the
    lower bound is 0 when k = 0 and the upper bound 1 when k = n, as Brown, Cai & DasGupta (2001,
    Statist. Sci. 16:101) modify it, so the interval always contains the observed rate.

    Examples
    --------
    >>> low, high = proportion_ci(4, 20)
    >>> round(low, 4), round(high, 4)
    (0.0807, 0.416)
    >>> low, high = proportion_ci([4, 0], [20, 0], method="clopper-pearson")
    >>> np.round(low, 4).tolist(), np.round(high, 4).tolist()
    ([0.0573, nan], [0.4366, nan])
    """
    sm_method = _ci_method(method)
    alpha = 1.0 - _check_level(level)
    scalar = np.ndim(k) == 0 and np.ndim(n) == 0
    k_arr = _as_float_array(k, "k")
    n_arr = _as_float_array(n, "n")
    try:
        k_arr, n_arr = np.broadcast_arrays(k_arr, n_arr)
    except ValueError as exc:
        raise ValueError(
            f"'k' and 'n' should have the same length, got shapes {k_arr.shape} and {n_arr.shape}"
        ) from exc
    with np.errstate(invalid="ignore"):
        bad_n = n_arr < 0
        if bad_n.any():
            raise ValueError(
                f"'n' should not be negative; {int(bad_n.sum())} values are, "
                f"e.g. {n_arr[bad_n].flat[0]!r}"
            )
        tol = 1e-9 * np.maximum(1.0, n_arr)
        bad_k = (k_arr < -tol) | (k_arr > n_arr + tol)
    if bad_k.any():
        i = np.flatnonzero(bad_k)[0]
        raise ValueError(
            f"'k' should lie between 0 and n; {int(bad_k.sum())} values do not, "
            f"e.g. k={k_arr.flat[i]!r} with n={n_arr.flat[i]!r}（阳性数应在 0 与 n 之间）"
        )
    low = np.full(k_arr.shape, np.nan)
    high = np.full(k_arr.shape, np.nan)
    ok = np.isfinite(k_arr) & np.isfinite(n_arr) & (n_arr > 0)
    if ok.any():
        kk = np.clip(k_arr[ok], 0.0, n_arr[ok])
        from statsmodels.stats.proportion import proportion_confint  # imported on first use

        lo, hi = proportion_confint(kk, n_arr[ok], alpha=alpha, method=sm_method)
        if sm_method == "jeffreys":  # Brown, Cai & DasGupta (2001): L(0) = 0 and U(n) = 1
            lo = np.where(kk == 0, 0.0, lo)
            hi = np.where(kk == n_arr[ok], 1.0, hi)
        low[ok] = lo
        high[ok] = hi
    if scalar:
        return float(low), float(high)
    return low, high


def _kish(sw: np.ndarray, sw2: np.ndarray) -> np.ndarray:
    """Vectorised Kish effective n from Σw and Σw² (0 where Σw² = 0)."""
    out = np.zeros(np.shape(sw), dtype="float64")
    np.divide(np.square(sw), sw2, out=out, where=sw2 > 0)
    return out


def kish_effective_n(weights: Sequence[float] | np.ndarray | pd.Series) -> float:
    """Kish's effective sample size ``(Σw)² / Σw²`` of a set of weights.

    Equal weights give the number of weights; unequal weights give less. An empty set gives 0.

    Parameters
    ----------
    weights : array-like
        Non-negative, finite weights.

    Returns
    -------
    float
        The effective sample size.

    Raises
    ------
    ValueError
        When a weight is missing, negative or infinite.

    Examples
    --------
    >>> kish_effective_n([1, 1, 1, 1])
    4.0
    >>> kish_effective_n([1, 1, 1, 3])  # (6 ** 2) / (1 + 1 + 1 + 9) = 36 / 12
    3.0
    """
    w = _as_float_array(weights, "weights").ravel()
    bad = ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        raise ValueError(
            f"'weights' should be non-negative and finite; {int(bad.sum())} of {len(w)} are not"
        )
    return float(_kish(np.array(w.sum()), np.array(np.square(w).sum())))


# --------------------------------------------------------------------------------------------
# Codebook and answers
# --------------------------------------------------------------------------------------------


def _answer_text(value: object) -> str:
    """An answer or codebook value as comparable text ('' for missing)."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _answer_set(value: object, item: object, column: str) -> frozenset[str]:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return frozenset()
    if isinstance(value, str):
        parts = [value]
        for sep in _ANSWER_SPLIT:
            parts = [p for part in parts for p in part.split(sep)]
    elif isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Series)):
        parts = list(value)
    else:
        raise TypeError(
            f"codebook column {column!r} of item {item!r} should be a tuple of answers, "
            f"got {type(value).__name__}: {value!r}"
        )
    return frozenset(t for t in (_answer_text(p) for p in parts) if t)


def _fallback_negatives(settings: Any) -> Any:
    """A function (domain, positive) → the negative answers ``[survey]`` implies for an item.

    Those are ``negative_<domain>``, the levels of ``positive_<domain>`` ranked below the item's
    lowest positive level (a level the top-2 rule left out, e.g. 了解 under 非常了解/比较了解),
    and 未选中 for a multiple-choice option item. A level ranked *above* the item's positive
    ones (非常了解 when the codebook counts 比较了解/了解) is not implied: it stays unclassified.
    """
    from .config import resolve_settings
    from .schema import NOT_SELECTED, SELECTED

    resolved = resolve_settings(settings)

    def negatives(domain: str, positive: frozenset[str]) -> frozenset[str]:
        ladder = resolved.positive_answers(domain)
        ranks = [r for r, level in enumerate(ladder) if level in positive]
        below = ladder[max(ranks) + 1:] if ranks else ()
        out = set(resolved.negative_answers(domain)) | set(below)
        if SELECTED in positive:
            out.add(NOT_SELECTED)
        return frozenset(out) - positive - set(resolved.missing_answers)

    return negatives


def _codebook_rules(codebook: pd.DataFrame, settings: Any = None) -> pd.DataFrame:
    """Check the codebook; one row per item with frozensets of positive, negative and missing.

    ``keyed`` items (a correct answer, or domain knowledge) count every answer that is not
    positive or missing as negative (wrong). Other items without a ``negative`` list take it
    from ``settings`` (:func:`_fallback_negatives`; ``settings=None`` reads ``pufa.toml``, only
    when some item needs it).
    """
    _check_columns(codebook, "codebook", ["item", "domain", "positive"])
    items = codebook["item"]
    if items.isna().any():
        raise ValueError(f"'codebook' has {int(items.isna().sum())} rows with no item name")
    dup = items[items.duplicated()].unique().tolist()
    if dup:
        raise ValueError(f"'codebook' lists items more than once: {dup}（题号重复）")
    has_missing = "missing" in codebook.columns
    has_negative = "negative" in codebook.columns
    has_correct = "correct" in codebook.columns
    has_text = "text" in codebook.columns
    fallback = None
    rows = []
    for pos, item in enumerate(items):  # one pass over the items of the codebook
        positive = _answer_set(codebook["positive"].iat[pos], item, "positive")
        missing = frozenset()
        if has_missing:
            missing = _answer_set(codebook["missing"].iat[pos], item, "missing")
        negative = frozenset()
        if has_negative:
            negative = _answer_set(codebook["negative"].iat[pos], item, "negative")
        correct = _answer_text(codebook["correct"].iat[pos]) if has_correct else ""
        if correct:
            positive = positive | {correct}
        both = positive & missing
        if both:
            raise ValueError(
                f"codebook item {item!r} lists {sorted(both)} both as positive and as missing"
                "（同一答案既计为肯定又计为无效）"
            )
        for other, name_zh in ((positive, "肯定"), (missing, "无效")):
            both = negative & other
            if both:
                raise ValueError(
                    f"codebook item {item!r} lists {sorted(both)} both as negative and as "
                    f"{'positive' if name_zh == '肯定' else 'missing'}"
                    f"（同一答案既计为否定又计为{name_zh}）"
                )
        domain = codebook["domain"].iat[pos]
        domain = "" if pd.isna(domain) else str(domain)
        keyed = bool(correct) or domain == "knowledge"
        if not negative and not keyed and positive:
            if fallback is None:  # settings read once, and only when an item needs them
                fallback = _fallback_negatives(settings)
            negative = fallback(domain, positive) - missing
        text = codebook["text"].iat[pos] if has_text else ""
        rows.append(
            {
                "item": str(item),
                "text": "" if text is None or (isinstance(text, float) and np.isnan(text))
                or text is pd.NA else str(text),
                "domain": domain,
                "positive": positive,
                "negative": negative,
                "missing": missing,
                "keyed": keyed,
            }
        )
    columns = ["item", "text", "domain", "positive", "negative", "missing", "keyed"]
    return pd.DataFrame(rows, columns=columns)


def _needs_codebook_reasons(
    items: Sequence[str], texts: Sequence[str], counts: Sequence[int]
) -> tuple[tuple[str, str], ...]:
    """(zh, en) sentences for ``result.attrs["not_assessed"]``, one per item not assessed."""
    return tuple(
        (f"第{item}题{('（' + text + '）') if text else ''}有{k}份回答未归入肯定、否定或无效答案，"
         f"需核定答案分类，未计算比率",
         f"item {item}: {k} answers in no class (positive, negative or missing): needs a "
         f"codebook decision, rate not assessed")
        for item, text, k in zip(items, texts, counts)
    )


#: Answer classes of :func:`_answer_classes`.
_NONE, _NEGATIVE, _POSITIVE, _UNCLASSIFIED = 0, 1, 2, 3


def _answer_classes(
    answers: pd.Series,
    positive: frozenset[str],
    missing: frozenset[str],
    negative: frozenset[str] = frozenset(),
    keyed: bool = True,
) -> np.ndarray:
    """Per row 0 = no answer, 1 = negative, 2 = positive, 3 = unclassified.

    An answer is negative when listed in ``negative`` or, for a ``keyed`` item (an answer key),
    whenever it is not positive. Each distinct answer is classified once (not each row), then
    looked up by its code.
    """
    codes, uniques = pd.factorize(answers, use_na_sentinel=True)
    texts = [_answer_text(u) for u in uniques]
    classes = [
        _NONE if t == "" or t in missing
        else _POSITIVE if t in positive
        else _NEGATIVE if keyed or t in negative
        else _UNCLASSIFIED
        for t in texts
    ]
    # One extra slot at the end: code -1 (a missing value) indexes it and reads "no answer".
    return np.array([*classes, _NONE], dtype=np.int64)[codes]


def _group_codes(frame: pd.DataFrame, by: list[Hashable]) -> tuple[np.ndarray, pd.DataFrame]:
    """Dense sorted group codes for ``by`` (missing keys form their own group) and the keys."""
    if not by:
        return np.zeros(len(frame), dtype=np.intp), pd.DataFrame(index=pd.RangeIndex(1))
    codes: np.ndarray | None = None
    key_codes: list[np.ndarray] = []
    uniques_list = []
    for column in by:  # a handful of columns
        c, u = pd.factorize(frame[column], sort=True, use_na_sentinel=False)
        uniques_list.append(u)
        c = c.astype(np.int64)
        if codes is None:
            codes = c
            key_codes = [np.arange(len(u), dtype=np.int64)]
            continue
        combined = codes * len(u) + c
        uniq, inverse = np.unique(combined, return_inverse=True)
        key_codes = [k[uniq // len(u)] for k in key_codes] + [uniq % len(u)]
        codes = inverse.astype(np.int64)
    assert codes is not None  # factorize gives dense codes of observed values only
    keys = pd.DataFrame(
        {column: u.take(kc) for column, u, kc in zip(by, uniques_list, key_codes)},
        index=pd.RangeIndex(len(key_codes[0])),
    )
    for column in by:  # keep the responses' dtypes (factorize may upcast)
        if keys[column].dtype != frame[column].dtype:
            try:
                keys[column] = keys[column].astype(frame[column].dtype)
            except (TypeError, ValueError):
                pass
    return codes.astype(np.intp), keys


# --------------------------------------------------------------------------------------------
# Awareness rates
# --------------------------------------------------------------------------------------------


def awareness_rates(
    responses: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "village_id",
    items: str | Sequence[str] | None = None,
    domain: str | Sequence[str] | None = None,
    weight: str | bool | None = None,
    method: str = "wilson",
    level: float = 0.95,
    settings: Any = None,
) -> pd.DataFrame:
    """Positive-answer rates (知晓率, 支持度, 满意率, knowledge) per group and item, with CIs.

    For each group of ``by`` and each item: answers listed in the codebook's ``missing`` (or
    empty) are no answer and leave ``n``; an answer is positive when it is in ``positive`` or
    equals ``correct``, and negative when it is in ``negative``. Items with an answer key
    (``correct``, or domain knowledge) count every other answer as wrong ("不知道" too, unless
    listed in ``missing``). An item whose ``negative`` is absent or empty takes it from
    ``settings`` (``[survey] negative_<domain>``, the levels of ``positive_<domain>`` below
    the item's positive ones, 未选中 for an option item).

    An answer in none of these classes is *unclassified* (see :func:`unclassified_answers`):
    it is never counted as "not aware". Its item is not assessed: every row of the item gets
    ``status = "needs_codebook"`` (需核定答案分类) and NaN ``rate`` and bounds, in every group,
    so that a low-awareness rule sees "not assessed" rather than a low rate.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per respondent: canonical columns (``response_id``, ``village_id``, ``gender``,
        ``age_group``, ``weight`` …) and one text column per survey item.
    codebook : pandas.DataFrame
        Columns ``item``, ``domain`` and ``positive`` (tuple of answers), optionally ``missing``
        (tuple) and ``correct`` (text or NaN). A text cell lists answers separated by 、 or ``|``.
    by : str, list of str or None, default "village_id"
        Group columns; None gives one row per item for the whole survey. Rows with a missing
        key form their own group (nothing is dropped silently).
    items : str or list of str, optional
        Items to compute (codebook order is kept); default all codebook items of ``domain``.
    domain : str or list of str, optional
        Keep items of these domains (``awareness``, ``knowledge``, ``support``,
        ``satisfaction``).
    weight : None, False or str, default None
        None uses the ``weight`` column when present (an all-empty one counts as absent), else
        equal weights; False ignores weights; a string names the weight column. Weights must be
        positive and finite.
    method : str, default "wilson"
        Interval method, see :func:`proportion_ci`.
    level : float, default 0.95
        Confidence level.
    settings : Settings, optional
        ``[survey]`` negative answers for items whose codebook row lists none; default
        ``pufa.toml`` (read only when some item needs it).

    Returns
    -------
    pandas.DataFrame
        Long frame, one row per (group, item), sorted by group then codebook item order:
        ``[*by, item, domain, n, n_positive, rate, n_eff, ci_low, ci_high, n_unclassified,
        status]``.
        ``n``/``n_positive`` are unweighted counts of answers; ``rate`` = Σw·y / Σw over the
        answers; ``n_eff`` = (Σw)² / Σw² (Kish; equals ``n`` without weights); the interval is
        ``proportion_ci(rate * n_eff, n_eff)``. A group that answered none of an item keeps its
        row with ``n = 0`` and NaN rate and bounds; a group with no responses at all is absent
        (reindex on the village register to see it). ``n_unclassified``: the group's answers
        in no class (counted in ``n``); ``status``: ``"ok"``, or ``"needs_codebook"`` for every
        row of an item with an unclassified answer anywhere (rate and bounds NaN).

    Raises
    ------
    TypeError
        When an argument has the wrong type.
    ValueError
        When a column or item is missing, the codebook is inconsistent, or a weight is missing
        or not positive.

    Examples
    --------
    >>> responses = pd.DataFrame({
    ...     "village_id": ["A", "A", "A", "B", "B"],
    ...     "q1": ["知道", "听说过", "不知道", "知道", "不清楚"],
    ... })
    >>> codebook = pd.DataFrame({
    ...     "item": ["q1"], "text": ["是否知道宪法日"], "domain": ["awareness"],
    ...     "positive": [("知道", "听说过")], "missing": [("不清楚",)],
    ... })
    >>> out = awareness_rates(responses, codebook)
    >>> out[["village_id", "item", "n", "n_positive"]].values.tolist()
    [['A', 'q1', 3, 2], ['B', 'q1', 1, 1]]
    >>> out["rate"].round(3).tolist(), out["ci_low"].round(3).tolist()
    ([0.667, 1.0], [0.208, 0.207])

    An answer the codebook does not class (here 非常了解: neither positive nor negative) leaves
    the item not assessed rather than "not aware":

    >>> codebook = codebook.assign(negative=[("不知道",)])
    >>> odd = responses.assign(q1=["非常了解", "知道", "不知道", "知道", "不清楚"])
    >>> out = awareness_rates(odd, codebook)
    >>> out[["village_id", "n", "n_unclassified", "rate", "status"]].values.tolist()
    [['A', 3, 1, nan, 'needs_codebook'], ['B', 1, 0, nan, 'needs_codebook']]
    """
    _check_frame(responses, "responses")
    _check_frame(codebook, "codebook")
    by_cols = _by_columns(by)
    _check_columns(responses, "responses", by_cols)
    clash = [c for c in by_cols if c in _OUTPUT_COLUMNS]
    if clash:
        raise ValueError(f"'by' may not use the output column names {clash}")
    _ci_method(method)  # check early, before any work
    level = _check_level(level)
    _check_settings(settings)
    if responses.empty or codebook.empty:  # no survey: not assessed, the usual columns, no row
        return _no_rates(responses, by_cols, "responses" if responses.empty else "codebook")
    rules = _select_rules(_codebook_rules(codebook, settings), domain=domain, items=items,
                          responses=responses)
    overlap = [i for i in rules["item"] if i in by_cols]
    if overlap:
        raise ValueError(f"items {overlap} are also grouping columns in 'by'")

    w = _resolve_weights(responses, weight, "responses")
    codes, keys = _group_codes(responses, by_cols)
    n_groups = len(keys)
    n_items = len(rules)
    shape = (n_items, n_groups)
    n = np.zeros(shape, dtype=np.int64)
    n_pos = np.zeros(shape, dtype=np.int64)
    n_unc = np.zeros(shape, dtype=np.int64)
    sw = np.zeros(shape)
    sw2 = np.zeros(shape)
    swy = np.zeros(shape)
    w2 = None if w is None else np.square(w)
    codes4 = codes.astype(np.int64) * 4
    for j, (item, positive, missing, negative, keyed) in enumerate(
        zip(rules["item"], rules["positive"], rules["missing"], rules["negative"],
            rules["keyed"])
    ):  # loop over items; within one, a single key (group × answer class) and one bincount
        # per quantity give every sum: counts, Σw, Σw² and Σw·y of answered and positive rows.
        key = codes4 + _answer_classes(responses[item], positive, missing, negative, keyed)
        counts = np.bincount(key, minlength=4 * n_groups).reshape(n_groups, 4)
        n[j] = counts[:, 1:].sum(axis=1)
        n_pos[j] = counts[:, _POSITIVE]
        n_unc[j] = counts[:, _UNCLASSIFIED]
        if w is None:
            continue
        sums = np.bincount(key, weights=w, minlength=4 * n_groups).reshape(n_groups, 4)
        sums2 = np.bincount(key, weights=w2, minlength=4 * n_groups).reshape(n_groups, 4)
        sw[j] = sums[:, 1:].sum(axis=1)
        swy[j] = sums[:, _POSITIVE]
        sw2[j] = sums2[:, 1:].sum(axis=1)
    assessed = n_unc.sum(axis=1) == 0  # per item, over every group

    # Group-major long layout: (groups, items) raveled.
    n_l = n.T.ravel()
    pos_l = n_pos.T.ravel()
    if w is None:
        n_eff = n_l.astype("float64")
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(n_l > 0, pos_l / np.maximum(n_l, 1), np.nan)
    else:
        sw_l = sw.T.ravel()
        n_eff = _kish(sw_l, sw2.T.ravel())
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(sw_l > 0, swy.T.ravel() / np.where(sw_l > 0, sw_l, 1.0), np.nan)
    assessed_l = np.tile(assessed, n_groups)
    rate = np.where(assessed_l, rate, np.nan)  # not assessed: no rate, no bounds
    ci_low, ci_high = proportion_ci(
        np.where(n_l > 0, rate * n_eff, np.nan), n_eff, method=method, level=level
    )

    out = keys.iloc[np.repeat(np.arange(n_groups), n_items)].reset_index(drop=True)
    # repeated labels gathered in Arrow: 10× faster than str from an object array at 5M rows
    which = pa.array(np.tile(np.arange(n_items, dtype=np.int32), n_groups))
    for column in ("item", "domain"):
        labels = pa.array(rules[column].astype(str).tolist(), pa.large_string())
        out[column] = pd.array(labels.take(which), dtype="str")
    out["n"] = n_l
    out["n_positive"] = pos_l
    out["rate"] = rate
    out["n_eff"] = n_eff
    out["ci_low"] = ci_low
    out["ci_high"] = ci_high
    out["n_unclassified"] = n_unc.T.ravel()
    out["status"] = pd.array(np.where(assessed_l, STATUS_OK, NEEDS_CODEBOOK), dtype="str")
    if not assessed.all():  # the package's convention for what could not be assessed
        out.attrs["not_assessed"] = _needs_codebook_reasons(
            rules["item"][~assessed].tolist(), rules["text"][~assessed].tolist(),
            n_unc.sum(axis=1)[~assessed].tolist(),
        )
    return out


def _no_rates(responses: pd.DataFrame, by_cols: list, table: str) -> pd.DataFrame:
    """The rates of no survey: ``by`` and output columns typed, no row, the reason attached.

    The package's rule for a missing optional table (:mod:`pufa_metrics.assessed`).
    """
    from .assessed import mark_not_assessed, table_reason

    dtypes = {"item": "str", "domain": "str", "n": "int64", "n_positive": "int64",
              "rate": "float64", "n_eff": "float64", "ci_low": "float64", "ci_high": "float64",
              "n_unclassified": "int64", "status": "str"}
    out = pd.DataFrame({
        **{c: responses[c].iloc[0:0].reset_index(drop=True) for c in by_cols},
        **{c: pd.Series(dtype=d) for c, d in dtypes.items()},
    })
    return mark_not_assessed(out, table_reason(table))


def unclassified_answers(
    responses: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    settings: Any = None,
) -> pd.DataFrame:
    """Answers the codebook puts in no class, per item, with how often each was given.

    An answer is classified when the codebook (or, where its row lists no negative answers,
    ``pufa.toml`` ``[survey]``) calls it positive, negative or missing; items with an answer
    key (``correct``, or domain knowledge) class every answer. Anything else (非常了解 on a
    codebook that lists only 知道/听说过, a typo, a new option) is unclassified: it is not
    counted as "not aware", and its item's rates are not assessed (``status =
    "needs_codebook"`` in :func:`awareness_rates` and :func:`pooled_rates`) until the answer is
    added to 肯定答案, 否定答案 or 无效答案 of the codebook, or to ``[survey]``.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per respondent, one text column per item.
    codebook : pandas.DataFrame
        As for :func:`awareness_rates`. Only rate items are looked at (a positive or correct
        answer); items without a column in ``responses`` are skipped.
    settings : Settings, optional
        ``[survey]`` negative answers for codebook rows that list none; default ``pufa.toml``.

    Returns
    -------
    pandas.DataFrame
        ``[item, text, domain, answer, n]``: one row per (item, unclassified answer), ``n`` the
        number of respondents who gave it; items in codebook order, then by ``n`` (most first)
        and answer. Empty (same columns) when every answer is classified.

    Raises
    ------
    TypeError
        When ``responses`` or ``codebook`` is not a DataFrame or ``settings`` not a Settings.
    ValueError
        When the codebook is inconsistent (see :func:`awareness_rates`).

    Examples
    --------
    >>> responses = pd.DataFrame({"q1": ["知道", "非常了解", "不知道", "非常了解", "说不好"]})
    >>> codebook = pd.DataFrame({"item": ["q1"], "text": ["是否知道宪法日"],
    ...                          "domain": ["awareness"], "positive": [("知道", "听说过")],
    ...                          "negative": [("不知道",)]})
    >>> unclassified_answers(responses, codebook)
      item     text     domain answer  n
    0   q1  是否知道宪法日  awareness   非常了解  2
    1   q1  是否知道宪法日  awareness    说不好  1
    """
    _check_frame(responses, "responses")
    _check_frame(codebook, "codebook")
    _check_settings(settings)
    rules = _codebook_rules(codebook, settings)
    rules = rules[(rules["positive"].map(len) > 0) & rules["item"].isin(responses.columns)]
    parts = []
    for order, (item, positive, missing, negative, keyed) in enumerate(
        zip(rules["item"], rules["positive"], rules["missing"], rules["negative"],
            rules["keyed"])
    ):  # loop over items; each classifies its distinct answers once (see _answer_classes)
        if keyed:
            continue
        codes, uniques = pd.factorize(responses[item], use_na_sentinel=True)
        texts = pd.Series([_answer_text(v) for v in uniques], dtype="str")
        unclassified = ~(texts.eq("") | texts.isin(missing) | texts.isin(positive)
                         | texts.isin(negative))
        counts = np.bincount(codes[codes >= 0], minlength=len(uniques))
        found = pd.DataFrame({"answer": texts[unclassified.to_numpy()],
                              "n": counts[unclassified.to_numpy()]})
        if len(found):
            parts.append(found.groupby("answer", as_index=False)["n"].sum().assign(
                item=item, _order=order))
    columns = ["item", "text", "domain", "answer", "n"]
    if not parts:
        return pd.DataFrame({
            "item": pd.Series(dtype="str"), "text": pd.Series(dtype="str"),
            "domain": pd.Series(dtype="str"), "answer": pd.Series(dtype="str"),
            "n": pd.Series(dtype="int64"),
        })
    found = pd.concat(parts, ignore_index=True).merge(
        rules[["item", "text", "domain"]], on="item", how="left"
    )
    found = found.sort_values(["_order", "n", "answer"], ascending=[True, False, True],
                              kind="stable")
    out = found[columns].reset_index(drop=True)
    for column in ("item", "text", "domain", "answer"):
        out[column] = out[column].astype("str")
    out["n"] = out["n"].astype("int64")
    return out


# --------------------------------------------------------------------------------------------
# Pooled rates of an area with a cluster-robust (village) interval
# --------------------------------------------------------------------------------------------

_POOLED_COLUMNS = (
    "n_respondents",
    "n_answers",
    "n_clusters",
    "rate",
    "se",
    "deff",
    "n_eff",
    "ci_low",
    "ci_high",
    "design",
    "n_unclassified",
    "status",
)

#: A Taylor variance this small relative to the simple-random-sample one counts as zero
#: (rounding of Σ w·(y − R) in clusters whose rates all equal the group's).
_ZERO_DEFF = 1e-12


def _select_rules(
    rules: pd.DataFrame, *, domain: object, items: object, responses: pd.DataFrame
) -> pd.DataFrame:
    """The codebook rules of ``domain`` / ``items``, with the checks of awareness_rates."""
    if domain is not None:
        domains = [domain] if isinstance(domain, str) else domain
        if not isinstance(domains, (list, tuple)) or not all(isinstance(d, str) for d in domains):
            raise TypeError(f"'domain' should be a string or a list of strings, got {domain!r}")
        present = sorted(set(rules["domain"]))
        unknown = [d for d in domains if d not in present]
        if unknown:
            raise ValueError(
                f"'domain' {unknown} has no item in the codebook; its domains are {present} "
                f"(expected among {list(DOMAINS)})（编码表中没有该类别的题目）"
            )
        rules = rules[rules["domain"].isin(domains)]
    if items is not None:
        wanted = [items] if isinstance(items, str) else items
        if not isinstance(wanted, (list, tuple)) or not all(isinstance(i, str) for i in wanted):
            raise TypeError(f"'items' should be a string or a list of strings, got {items!r}")
        unknown = [i for i in wanted if i not in set(rules["item"])]
        if unknown:
            raise ValueError(
                f"'items' {unknown} are not in the codebook"
                f"{' for domain ' + repr(domain) if domain is not None else ''}; "
                f"codebook items are {rules['item'].tolist()}（题号不在编码表中）"
            )
        rules = rules[rules["item"].isin(wanted)]
    no_positive = rules["positive"].map(len) == 0
    if items is not None and no_positive.any():
        raise ValueError(
            f"codebook items {rules.loc[no_positive, 'item'].tolist()} have no positive answer "
            "(nor a correct answer); without one every rate would be 0（未设置肯定答案）"
        )
    rules = rules[~no_positive]  # free text / knowledge without a correct answer: not rates
    if rules.empty:
        raise ValueError("no item to compute: the codebook selection is empty（没有可计算的题目）")
    absent = [i for i in rules["item"] if i not in responses.columns]
    if absent:
        raise ValueError(
            f"'responses' has no column for codebook items {absent}; pass items= to compute a "
            f"subset（问卷中缺少题目列：{', '.join(absent)}）"
        )
    return rules


def _check_settings(settings: object) -> None:
    from .config import Settings  # config imports nothing of ours; lazily all the same

    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(
            f"'settings' should be a pufa_metrics.Settings or None, got {type(settings).__name__}"
        )


def pooled_rates(
    responses: pd.DataFrame,
    codebook: pd.DataFrame,
    *,
    by: str | Sequence[str] | None,
    cluster: str | None = "village_id",
    domain: str | Sequence[str] | None = "awareness",
    items: str | Sequence[str] | None = None,
    weight: str | bool | None = None,
    method: str = "wilson",
    level: float = 0.95,
    settings: Any = None,
) -> pd.DataFrame:
    """Rate of an area pooled over items, with a cluster-robust (village) confidence interval.

    Survey respondents are sampled in villages (first villages, then people in them), and people
    of one village answer alike, so a Wilson interval on the number of respondents is too narrow.
    This function pools every valid answer of a group (respondent × item) and computes the
    variance of the pooled rate by Taylor linearisation with the ``cluster`` (village) as the
    primary sampling unit, as R ``svymean`` does on
    ``svydesign(ids = ~village_id, weights = ~w)``.

    For each group of ``by``, over its valid answers i (a respondent's answer to one item;
    answers the codebook lists as ``missing``, and empty ones, are excluded), with weight
    ``w_i`` (the respondent's) and ``y_i`` = 1 positive / 0 not:

    - ``rate`` R = Σ w·y / Σ w (every answer counts once, items pooled);
    - z_j = Σ_{i in cluster j} w_i (y_i − R);
      var(R) = m / (m − 1) · Σ_j z_j² / (Σ w)², m = clusters of the group with a valid answer
      (with replacement, no strata, no finite-population correction). A respondent's answers
      all lie in one cluster, so the correlation between one person's answers is covered too;
    - ``n_eff`` = R(1 − R) / var(R), capped above by the Kish effective number of respondents
      (Σ w_r)² / Σ w_r² (respondents with at least one valid answer). When m < 2, var(R) = 0
      or R is 0 or 1, ``n_eff`` is that Kish number (simple-random-sample assumption) and
      ``design`` is ``"srs"``; otherwise ``design`` is ``"cluster"``. With ``cluster=None``
      (every respondent its own unit) ``design`` is ``"srs"`` too: respondents are taken as
      independent, only one person's answers to several items are correlated;
    - ``ci_low``/``ci_high`` = ``proportion_ci(R · n_eff, n_eff, method=method, level=level)``
      (a Wilson interval on the design-based effective n, the Korn–Graubard / WHO VCQI way).

    When a pooled item has an answer in no class of the codebook (neither positive, negative
    nor missing; see :func:`unclassified_answers`), the pooled rate is not assessed: every
    group gets ``status = "needs_codebook"`` (需核定答案分类) and NaN ``rate``, ``se``,
    ``deff``, ``n_eff`` and bounds. Leaving the item out would change what the figure measures
    without saying so; pass ``items=`` to pool the others on purpose.

    Parameters
    ----------
    responses : pandas.DataFrame
        One row per respondent with the ``by`` and ``cluster`` columns, optionally ``weight``,
        and one text column per survey item.
    codebook : pandas.DataFrame
        As for :func:`awareness_rates`: ``item``, ``domain``, ``positive``, optionally
        ``missing`` and ``correct``. The answer coding is exactly that of
        :func:`awareness_rates` (same helpers), so pooled and per-item rates agree.
    by : str, list of str or None
        Area columns of ``responses`` (str or categorical), e.g. ``"county"`` or
        ``["county", "town"]``; None pools the whole survey into one row. Rows with a missing
        value in any ``by`` column belong to no group and are left out.
    cluster : str or None, default "village_id"
        Column of the primary sampling unit. None makes every respondent its own unit
        (R ``ids = ~1``). Respondents with a valid answer in a group must have a cluster.
    domain : str, list of str or None, default "awareness"
        Pool the items of these codebook domains; None: every domain.
    items : str or list of str, optional
        Pool only these items (of ``domain``). Items with no positive answer are left out
        unless named here (then an error).
    weight : None, False or str, default None
        None uses the ``weight`` column when present (an all-empty one counts as absent), else
        equal weights; False ignores weights; a string names the weight column. As in
        :func:`awareness_rates`.
    method : str, default "wilson"
        Interval method, see :func:`proportion_ci`.
    level : float, default 0.95
        Confidence level.
    settings : Settings, optional
        ``[survey]`` negative answers for items whose codebook row lists none, as in
        :func:`awareness_rates`; default ``pufa.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per group with at least one valid answer, sorted by ``by`` (categories in their
        order): ``[*by, n_respondents, n_answers, n_clusters, rate, se, deff, n_eff, ci_low,
        ci_high, design, n_unclassified, status]``.

        - ``n_respondents``: respondents with at least one valid answer; ``n_answers``: valid
          answers (unweighted, unclassified ones included); ``n_clusters``: m.
        - ``n_unclassified``: the group's answers in no class; ``status``: ``"ok"`` or
          ``"needs_codebook"`` (then the rate and its interval are NaN).
        - ``se``: sqrt(var(R)) above (``"cluster"`` rows; what ``svymean`` prints), or
          sqrt(R(1 − R) / n_eff) in ``"srs"`` rows.
        - ``deff`` = var(R) / var_srs with var_srs = R(1 − R) / n_w, n_w = (Σ w)² / Σ w² over the
          group's answers (the Kish n of answers, = ``n_answers`` without weights): the design
          effect of clustering *and* weighting relative to treating every answer as an
          independent draw. NaN when m < 2 or R is 0 or 1.

    Raises
    ------
    TypeError
        When an argument has the wrong type.
    ValueError
        When a column or item is missing, the codebook is inconsistent, a weight is missing or
        not positive, or a respondent with a valid answer has no cluster.

    Notes
    -----
    Each group is computed as its own survey (its clusters only). When clusters are nested in
    the groups (villages in counties or towns) this equals R's design stratified by the group;
    for groups that cut across clusters (e.g. gender) it is the usual conditional
    approximation.

    Examples
    --------
    >>> responses = pd.DataFrame({
    ...     "county": ["甲县"] * 6,
    ...     "village_id": ["A", "A", "A", "B", "B", "B"],
    ...     "q1": ["知道", "知道", "知道", "知道", "不知道", "不清楚"],
    ...     "q2": ["知道", "听说过", "不知道", "不知道", "不知道", "不清楚"],
    ... })
    >>> codebook = pd.DataFrame({
    ...     "item": ["q1", "q2"], "text": ["宪法日", "民法典"], "domain": ["awareness"] * 2,
    ...     "positive": [("知道", "听说过")] * 2, "missing": [("不清楚",)] * 2,
    ... })
    >>> out = pooled_rates(responses, codebook, by="county")
    >>> out[["county", "n_respondents", "n_answers", "n_clusters", "design"]].values.tolist()
    [['甲县', 5, 10, 2, 'cluster']]
    >>> out[["rate", "se", "deff", "n_eff"]].round(3).values.tolist()
    [[0.6, 0.28, 3.267, 3.061]]
    """
    _check_frame(responses, "responses")
    _check_frame(codebook, "codebook")
    by_cols = _by_columns(by)
    _check_columns(responses, "responses", by_cols)
    clash = [c for c in by_cols if c in _POOLED_COLUMNS]
    if clash:
        raise ValueError(f"'by' may not use the output column names {clash}")
    if cluster is not None and not isinstance(cluster, str):
        raise TypeError(f"'cluster' should be a column name or None, got {cluster!r}")
    if cluster is not None:
        _check_columns(responses, "responses", [cluster])
    _ci_method(method)  # check early, before any work
    level = _check_level(level)
    _check_settings(settings)
    rules = _select_rules(
        _codebook_rules(codebook, settings), domain=domain, items=items, responses=responses
    )
    overlap = [i for i in rules["item"] if i in by_cols or i == cluster]
    if overlap:
        raise ValueError(f"items {overlap} are also grouping columns ('by' or 'cluster')")
    w = _resolve_weights(responses, weight, "responses")

    # Per respondent: valid answers (a) and positive answers (s) over the pooled items.
    n_rows = len(responses)
    a = np.zeros(n_rows, dtype=np.int32)
    s = np.zeros(n_rows, dtype=np.int32)
    u = np.zeros(n_rows, dtype=np.int32)
    per_item = np.zeros(len(rules), dtype=np.int64)
    for j, (item, positive, missing, negative, keyed) in enumerate(zip(
        rules["item"], rules["positive"], rules["missing"], rules["negative"], rules["keyed"]
    )):  # a handful of items
        classes = _answer_classes(responses[item], positive, missing, negative, keyed)
        a += classes > 0
        s += classes == _POSITIVE
        u += classes == _UNCLASSIFIED
        per_item[j] = int((classes == _UNCLASSIFIED).sum())
    assessed = not per_item.any()  # any unclassified answer of a pooled item, in any group
    keep = a > 0
    for column in by_cols:  # a missing area forms no group
        keep &= responses[column].notna().to_numpy()

    codes, keys = _group_codes(responses, by_cols)
    n_groups = len(keys)
    if cluster is None:
        c_codes = np.arange(n_rows, dtype=np.int64)
        n_c = max(n_rows, 1)
    else:
        c_codes, c_uniques = pd.factorize(responses[cluster], use_na_sentinel=True)
        n_c = max(len(c_uniques), 1)
        no_cluster = keep & (c_codes < 0)
        if no_cluster.any():
            raise ValueError(
                f"{int(no_cluster.sum())} respondents with a valid answer have no {cluster!r} "
                f"('cluster'), e.g. row {int(np.flatnonzero(no_cluster)[0])}; fill it or drop "
                f"them（{int(no_cluster.sum())} 名受访者缺少所属村（抽样单位））"
            )
    idx = np.flatnonzero(keep)
    g = codes[idx].astype(np.int64)
    wk = np.ones(len(idx)) if w is None else w[idx]
    ak = a[idx].astype("float64")
    wa = wk * ak
    ws = wk * s[idx]

    # Respondent-level sums per group.
    n_resp = np.bincount(g, minlength=n_groups)
    n_ans = np.bincount(g, weights=ak, minlength=n_groups)
    n_pos = np.bincount(g, weights=s[idx].astype("float64"), minlength=n_groups)
    sw_r = np.bincount(g, weights=wk, minlength=n_groups)
    sw2_r = np.bincount(g, weights=np.square(wk), minlength=n_groups)
    sw2_a = np.bincount(g, weights=np.square(wk) * ak, minlength=n_groups)
    sw_a = np.bincount(g, weights=wa, minlength=n_groups)
    swy = np.bincount(g, weights=ws, minlength=n_groups)

    # (group, cluster) sums: one sort of a composite int64 key, then bincounts.
    pair_keys, pair = np.unique(g * n_c + c_codes[idx], return_inverse=True)
    pair_group = pair_keys // n_c
    a_pair = np.bincount(pair, weights=wa, minlength=len(pair_keys))
    s_pair = np.bincount(pair, weights=ws, minlength=len(pair_keys))
    m = np.bincount(pair_group, minlength=n_groups)

    present = n_resp > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(present, swy / np.where(present, sw_a, 1.0), np.nan)
        z = s_pair - rate[pair_group] * a_pair
        z2 = np.bincount(pair_group, weights=np.square(z), minlength=n_groups)
        var = np.where(m >= 2, m / np.maximum(m - 1, 1) * z2 / np.square(sw_a), np.nan)
        p_q = rate * (1.0 - rate)
        var_srs = p_q / _kish(sw_a, sw2_a)
        kish_r = _kish(sw_r, sw2_r)
        boundary = (n_pos == 0) | (n_pos == n_ans)
        deff = np.where((m >= 2) & ~boundary, var / var_srs, np.nan)
        srs = (m < 2) | boundary | ~(deff > _ZERO_DEFF)
        n_eff = np.where(srs, kish_r, np.minimum(p_q / var, kish_r))
        se = np.where(srs, np.sqrt(p_q / kish_r), np.sqrt(var))
    ci_low, ci_high = proportion_ci(
        np.where(present, rate * n_eff, np.nan), n_eff, method=method, level=level
    )

    rows = np.flatnonzero(present)
    out = keys.iloc[rows].reset_index(drop=True)
    out["n_respondents"] = n_resp[rows].astype(np.int64)
    out["n_answers"] = n_ans[rows].astype(np.int64)
    out["n_clusters"] = m[rows].astype(np.int64)
    out["rate"] = rate[rows]
    out["se"] = se[rows]
    out["deff"] = deff[rows]
    out["n_eff"] = n_eff[rows]
    out["ci_low"] = ci_low[rows]
    out["ci_high"] = ci_high[rows]
    # each respondent its own unit (cluster=None) is no cluster design: independent respondents
    out["design"] = pd.array(np.where(srs[rows] | (cluster is None), "srs", "cluster"),
                             dtype="str")
    out["n_unclassified"] = np.bincount(g, weights=u[idx].astype("float64"),
                                        minlength=n_groups)[rows].astype(np.int64)
    out["status"] = pd.array([STATUS_OK if assessed else NEEDS_CODEBOOK] * len(rows),
                             dtype="str")
    if not assessed:  # not assessed: no rate and nothing derived from it
        out[["rate", "se", "deff", "n_eff", "ci_low", "ci_high"]] = np.nan
        odd = per_item > 0
        out.attrs["not_assessed"] = _needs_codebook_reasons(
            rules["item"][odd].tolist(), rules["text"][odd].tolist(), per_item[odd].tolist()
        )
    return out


def pooled_from_rates(
    rates: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    cluster: str = "village_id",
    domain: str | None = "awareness",
    method: str = "wilson",
    level: float = 0.95,
) -> pd.DataFrame:
    """:func:`pooled_rates` from per-village rates, when the answers themselves are not at hand.

    Villages are the clusters, and every answer of a village lies in it, so the Taylor
    variance of :func:`pooled_rates` needs only each village's sums over its items: with
    x_j = Σ_items rate·n_eff and a_j = Σ_items n_eff of village j, R = Σx / Σa,
    z_j = x_j − R·a_j and var(R) = m / (m − 1) · Σ z_j² / (Σa)². Without weights this *is*
    :func:`pooled_rates` (``n_eff = n``), except that the Kish cap on ``n_eff`` uses the
    largest item count per village for the number of respondents; with weights it treats each
    item's Kish effective n as its answers. Use it for a town or county rate shown next to
    per-village rates (the brief's headline), never a Wilson interval on all answers as if
    they were independent.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`awareness_rates` by village: ``cluster``, ``item``, ``n``, ``rate`` and
        optionally ``n_eff``, ``domain``, ``status`` and the ``by`` columns.
    by : str, list of str or None
        Area columns; None pools all rows into one.
    cluster : str, default "village_id"
        The village column (the primary sampling unit).
    domain : str or None, default "awareness"
        Pool the rows of this domain (when ``rates`` has a ``domain`` column); None: all.
    method, level
        As in :func:`proportion_ci`.

    Returns
    -------
    pandas.DataFrame
        One row per area: ``[*by, n_answers, n_clusters, rate, se, deff, n_eff, ci_low,
        ci_high, design, status]`` as in :func:`pooled_rates`; ``status`` is
        ``"needs_codebook"`` (and the figures NaN) when a pooled item is not assessed.

    Examples
    --------
    Two villages, two items each; A answers 10/10 and 9/10, B 6/10 and 5/10: R = 30/40 = 0.75,
    z = (19 − 15, 11 − 15) = (4, −4), var = 2/1 · 32 / 40² = 0.04:

    >>> rates = pd.DataFrame({"village_id": ["A", "A", "B", "B"], "item": ["q1", "q2"] * 2,
    ...                       "n": 10, "rate": [1.0, 0.9, 0.6, 0.5]})
    >>> out = pooled_from_rates(rates)
    >>> out[["n_answers", "n_clusters", "rate", "se", "design"]].values.tolist()
    [[40, 2, 0.75, 0.2, 'cluster']]
    """
    _check_frame(rates, "rates")
    by_cols = _by_columns(by)
    if not isinstance(cluster, str):
        raise TypeError(f"'cluster' should be a column name, got {cluster!r}")
    _check_columns(rates, "rates", [*by_cols, cluster, "n", "rate"])
    _ci_method(method)
    level = _check_level(level)
    rows = rates
    if domain is not None and "domain" in rows.columns:
        rows = rows[rows["domain"] == domain]
    n = pd.to_numeric(rows["n"], errors="coerce").fillna(0).astype("float64")
    weight = (pd.to_numeric(rows["n_eff"], errors="coerce").astype("float64").fillna(0)
              if "n_eff" in rows.columns else n)
    judged = (rows["status"].eq(STATUS_OK).fillna(False) if "status" in rows.columns
              else pd.Series(True, index=rows.index)).astype(bool)
    rate = pd.to_numeric(rows["rate"], errors="coerce").astype("float64")
    use = (n > 0) & rate.notna()
    area_cols = by_cols or ["_area"]
    parts = rows[[*by_cols, cluster]].assign(
        _area=0, _x=(rate * weight).where(use, 0.0), _a=weight.where(use, 0.0),
        _n=n.where(use, 0.0), _bad=~judged & (n > 0),
    )
    per_cluster = parts.groupby([*area_cols, cluster], sort=True, dropna=False,
                                observed=True).agg(
        _x=("_x", "sum"), _a=("_a", "sum"), _n=("_n", "sum"), _resp=("_a", "max"),
        _bad=("_bad", "any")).reset_index()
    per_cluster = per_cluster[(per_cluster["_a"] > 0) | per_cluster["_bad"]]
    grouped = per_cluster.groupby(area_cols, sort=True, dropna=False, observed=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r_cluster = grouped["_x"].transform("sum") / grouped["_a"].transform("sum")
    per_cluster = per_cluster.assign(
        _z2=np.square(per_cluster["_x"] - r_cluster * per_cluster["_a"]),
        _m=(per_cluster["_a"] > 0).astype("float64"))
    area = per_cluster.groupby(area_cols, sort=True, dropna=False, observed=True).agg(
        x=("_x", "sum"), a=("_a", "sum"), n=("_n", "sum"), z2=("_z2", "sum"),
        m=("_m", "sum"), cap=("_resp", "sum"), bad=("_bad", "any"))
    a, m = area["a"].to_numpy(), area["m"].to_numpy()
    cap = area["cap"].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        rr = area["x"].to_numpy() / np.where(a > 0, a, np.nan)
        var = np.where(m >= 2, m / np.maximum(m - 1, 1) * area["z2"].to_numpy() / np.square(a),
                       np.nan)
        p_q = rr * (1 - rr)
        deff = np.where((m >= 2) & (p_q > 0), var / (p_q / a), np.nan)
        srs = (m < 2) | ~(p_q > 0) | ~(deff > _ZERO_DEFF)
        n_eff = np.where(srs, cap, np.minimum(p_q / var, cap))
        se = np.where(srs, np.sqrt(p_q / cap), np.sqrt(var))
    ci_low, ci_high = proportion_ci(rr * n_eff, n_eff, method=method, level=level)
    out = area.index.to_frame(index=False)[by_cols] if by_cols else \
        pd.DataFrame(index=range(len(area)))
    out["n_answers"] = area["n"].round().astype("int64").to_numpy()
    out["n_clusters"] = m.astype("int64")
    out["rate"] = rr
    out["se"] = se
    out["deff"] = deff
    out["n_eff"] = n_eff
    out["ci_low"] = ci_low
    out["ci_high"] = ci_high
    out["design"] = pd.array(np.where(srs, "srs", "cluster"), dtype="str")
    # as pooled_rates: an item not assessed anywhere leaves no area figure
    bad = np.full(len(area), bool(area["bad"].any()))
    out["status"] = pd.array(np.where(bad, NEEDS_CODEBOOK, STATUS_OK), dtype="str")
    out.loc[bad, ["rate", "se", "deff", "n_eff", "ci_low", "ci_high"]] = np.nan
    return out


# --------------------------------------------------------------------------------------------
# Raking
# --------------------------------------------------------------------------------------------


def rake_weights(
    responses: pd.DataFrame,
    margins: Mapping[str, pd.Series | Mapping[Any, float]],
    *,
    weight: str | bool | None = None,
    max_iter: int = 100,
    tol: float = 1e-8,
) -> pd.DataFrame:
    """Rake survey weights to population margins by iterative proportional fitting.

    Starting from the base weights, each sweep rescales the weights so that the weighted
    distribution of each margin column matches its target, one column after another, until
    every margin is matched to ``tol``.

    Parameters
    ----------
    responses : pandas.DataFrame
        The survey; must contain every margin column, with no missing values there.
    margins : dict
        ``{column: Series}`` of population shares or counts indexed by category (e.g.
        ``{"gender": pd.Series({"男": 0.49, "女": 0.51}), "age_group": ...}``). Counts are
        rescaled to the sample total (the sum of the base weights).
    weight : None, False or str, default None
        Base weights: None uses ``weight`` when present (else 1), False uses 1, a string names
        a column.
    max_iter : int, default 100
        Maximum number of sweeps over the margins.
    tol : float, default 1e-8
        Convergence when every category's weighted share differs from its target share by at
        most ``tol``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``responses`` with the raked weights in column ``weight``.

    Raises
    ------
    ValueError
        When a margin category has no respondent, a respondent's category has no margin, a
        margin column has missing values, a target is not positive, or the fit does not
        converge within ``max_iter`` sweeps (the message gives the largest discrepancy).

    Examples
    --------
    >>> r = pd.DataFrame({"gender": ["男", "男", "男", "女"]})
    >>> out = rake_weights(r, {"gender": pd.Series({"男": 0.5, "女": 0.5})})
    >>> out["weight"].tolist()  # 4 people: 2 per gender, i.e. 2/3 per man and 2 for the woman
    [0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 2.0]
    """
    _check_frame(responses, "responses")
    if not isinstance(margins, Mapping) or not margins:
        raise TypeError(
            f"'margins' should be a non-empty dict {{column: Series of shares}}, got {margins!r}"
        )
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"'max_iter' should be a positive integer, got {max_iter!r}")
    if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not tol > 0:
        raise ValueError(f"'tol' should be a positive number, got {tol!r}")
    _check_columns(responses, "responses", list(margins))
    w0 = _resolve_weights(responses, weight, "responses")
    w = np.ones(len(responses)) if w0 is None else w0.copy()
    if len(w) == 0:
        raise ValueError("'responses' is empty: there is nothing to rake（问卷为空）")
    total = float(w.sum())

    prepared: list[tuple[str, np.ndarray, np.ndarray]] = []
    for column, target in margins.items():  # a handful of margin columns
        if isinstance(target, Mapping):
            target = pd.Series(target, dtype="float64")
        if not isinstance(target, pd.Series):
            raise TypeError(
                f"margin {column!r} should be a Series of shares indexed by category, "
                f"got {type(target).__name__}"
            )
        if not pd.api.types.is_numeric_dtype(target.dtype):
            raise TypeError(f"margin {column!r} should hold numbers, got dtype {target.dtype}")
        if target.index.has_duplicates:
            dup = target.index[target.index.duplicated()].tolist()
            raise ValueError(f"margin {column!r} lists categories twice: {dup}")
        values = target.to_numpy(dtype="float64", na_value=np.nan)
        bad = ~(np.isfinite(values) & (values > 0))
        if bad.any():
            raise ValueError(
                f"margin {column!r} should be positive for every category; "
                f"{target.index[bad].tolist()} are not（人口比例须为正数）"
            )
        series = responses[column]
        if series.isna().any():
            raise ValueError(
                f"column {column!r} of 'responses' is missing in {int(series.isna().sum())} rows; "
                f"raking needs every respondent's {column}（{column} 有缺失值，无法加权）"
            )
        codes, uniques = pd.factorize(series, sort=True)
        not_in_sample = [c for c in target.index if c not in set(uniques)]
        if not_in_sample:
            raise ValueError(
                f"margin {column!r} has categories with no respondent: {not_in_sample}; "
                f"the sample has {list(uniques)}（样本中没有该类别：{not_in_sample}）"
            )
        not_in_margin = [c for c in uniques if c not in set(target.index)]
        if not_in_margin:
            raise ValueError(
                f"column {column!r} has respondents in categories the margin does not list: "
                f"{not_in_margin}; the margin has {target.index.tolist()}"
                f"（人口结构中缺少类别：{not_in_margin}）"
            )
        t = target.reindex(uniques).to_numpy(dtype="float64")
        prepared.append((column, codes, t / t.sum() * total))

    discrepancy = np.inf
    for _ in range(max_iter):  # sweeps of the fit, each vectorised over respondents
        for _column, codes, t in prepared:
            current = np.bincount(codes, weights=w, minlength=len(t))
            w = w * (t / current)[codes]
        discrepancy = max(
            float(np.max(np.abs(np.bincount(codes, weights=w, minlength=len(t)) - t))) / total
            for _column, codes, t in prepared
        )
        if discrepancy <= tol:
            break
    else:
        raise ValueError(
            f"raking did not converge in {max_iter} sweeps: a weighted share still differs from "
            f"its target by {discrepancy:.3g}. The margins may be inconsistent with the sample "
            f"(e.g. empty gender × age cells); merge categories or raise 'max_iter'"
            f"（加权迭代未收敛，最大偏差 {discrepancy:.3g}）"
        )
    out = responses.copy()
    out["weight"] = w
    return out


# --------------------------------------------------------------------------------------------
# LQAS
# --------------------------------------------------------------------------------------------


class LQASRule(NamedTuple):
    """An LQAS decision rule and its risks.

    Attributes
    ----------
    n : int
        Answers per supervision area (village).
    target : float
        Coverage target (upper threshold).
    lower : float
        Lower threshold; a village at this coverage should be flagged.
    d : int or None
        Decision rule: the village reaches the target when at least ``d`` answers are positive;
        None when no rule exists (N/A in the published tables).
    alpha : float
        Provider risk P(X < d | p = target): a village at the target is wrongly flagged.
    beta : float
        Consumer risk P(X ≥ d | p = lower): a village at the lower threshold wrongly passes.
    """

    n: int
    target: float
    lower: float
    d: int | None
    alpha: float
    beta: float


def _check_n(n: object, name: str = "n") -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name!r} should be a positive whole number of answers, got {n!r}")
    return int(n)


def lqas_decision_rule(
    n: int, target: float, *, lower: float | None = None, alpha_max: float = 0.10
) -> LQASRule:
    """The LQAS decision rule for ``n`` answers and a coverage ``target``, with α and β.

    Convention (Valadez; docs/indicators.md): a village reaches the
    target when at least ``d`` of ``n`` answers are positive; α = P(X < d | p = target),
    β = P(X ≥ d | p = lower), lower = target − 0.30 by default. When lower ≤ 0, ``d`` is the
    largest rule with α ≤ ``alpha_max`` (None if that is 0, i.e. no rule); otherwise ``d``
    minimises α + β, ties going to the larger ``d``. This reproduces the published n = 12 table
    and the n = 19, 80 % rule of 13 (``reference/lqas_published.csv``).

    Parameters
    ----------
    n : int
        Number of answers in a village.
    target : float
        Coverage target, strictly between 0 and 1.
    lower : float, optional
        Lower threshold; default ``target - 0.30``.
    alpha_max : float, default 0.10
        Largest acceptable α when the lower threshold is ≤ 0.

    Returns
    -------
    LQASRule
        ``(n, target, lower, d, alpha, beta)``; with ``d`` None, α and β are NaN. When
        lower ≤ 0, β = 0 (no village can have negative coverage).

    Raises
    ------
    ValueError
        When ``n`` is not a positive integer, ``target`` or ``alpha_max`` is not in (0, 1), or
        ``lower`` is not below ``target``.

    Examples
    --------
    >>> rule = lqas_decision_rule(19, 0.80)
    >>> rule.d, round(rule.alpha, 3), round(rule.beta, 3)
    (13, 0.068, 0.084)
    >>> lqas_decision_rule(12, 0.10).d is None
    True
    """
    n = _check_n(n)
    target = _check_probability(target, "target")
    alpha_max = _check_probability(alpha_max, "alpha_max")
    if lower is None:
        lower = round(target - LQAS_LOWER_GAP, 12)  # 0.30 − 0.30 must be 0, not ±5e-17
    elif isinstance(lower, bool) or not isinstance(lower, (int, float, np.floating)):
        raise TypeError(f"'lower' should be a number below 'target', got {lower!r}")
    lower = float(lower)
    if not lower < target:
        raise ValueError(f"'lower' should be below 'target' ({target}), got {lower}")
    from scipy import stats  # imported on first use: `import pufa_metrics` stays cheap

    d = np.arange(0, n + 1)
    alpha = stats.binom.cdf(d - 1, n, target)  # P(X < d) = P(X ≤ d − 1)
    if lower <= 0:
        ok = d[alpha <= alpha_max + 1e-12]
        best = int(ok.max())
        if best == 0:
            return LQASRule(n, target, lower, None, float("nan"), float("nan"))
        return LQASRule(n, target, lower, best, float(alpha[best]), 0.0)
    beta = stats.binom.sf(d - 1, n, lower)  # P(X ≥ d)
    total = (alpha + beta)[1:]
    candidates = d[1:][total <= total.min() + 1e-12]
    best = int(candidates.max())  # ties go to the larger d
    return LQASRule(n, target, lower, best, float(alpha[best]), float(beta[best]))


def lqas_classify(
    rates: pd.DataFrame,
    *,
    target: float,
    n: int = 19,
    lower: float | None = None,
    alpha_max: float = 0.10,
) -> pd.DataFrame:
    """Label each row (village × item) ``reaches``, ``below`` or ``too_few`` by LQAS.

    A row with fewer answers than the plan's ``n`` is ``too_few``. Otherwise the rule for the
    row's own number of answers is used (computed once per distinct n): ``reaches`` when
    ``n_positive >= d``, else ``below``. Counts are the unweighted ``n`` and ``n_positive``.
    A row whose ``status`` (when the column is there) is not ``"ok"`` is ``not_assessed``:
    its item needs a codebook decision (:func:`awareness_rates`), so it is neither judged
    below nor reaching the target.

    Parameters
    ----------
    rates : pandas.DataFrame
        Output of :func:`awareness_rates` (needs ``n`` and ``n_positive``).
    target : float
        Coverage target, e.g. 0.9.
    n : int, default 19
        The plan's sample size per village.
    lower : float, optional
        Lower threshold; default ``target - 0.30``.
    alpha_max : float, default 0.10
        See :func:`lqas_decision_rule`.

    Returns
    -------
    pandas.DataFrame
        A copy of ``rates`` with ``lqas_d`` (Int64; NA for ``too_few`` and ``not_assessed``;
        0 when no rule exists at that n, so every village reaches) and ``lqas`` (str).

    Raises
    ------
    ValueError
        When a column is missing or an option is out of range.

    Examples
    --------
    >>> rates = pd.DataFrame({"village_id": ["A", "B", "C"], "n": [19, 19, 8],
    ...                       "n_positive": [13, 12, 8]})
    >>> out = lqas_classify(rates, target=0.8)
    >>> out["lqas_d"].tolist(), out["lqas"].tolist()
    ([13, 13, <NA>], ['reaches', 'below', 'too_few'])
    >>> flagged = rates.assign(status=["ok", "needs_codebook", "ok"])
    >>> lqas_classify(flagged, target=0.8)["lqas"].tolist()
    ['reaches', 'not_assessed', 'too_few']
    """
    _check_frame(rates, "rates")
    _check_columns(rates, "rates", ["n", "n_positive"])
    plan = lqas_decision_rule(n, target, lower=lower, alpha_max=alpha_max)  # checks options
    counts = rates["n"].to_numpy(dtype="float64", na_value=np.nan)
    positives = rates["n_positive"].to_numpy(dtype="float64", na_value=np.nan)
    enough = np.isfinite(counts) & (counts >= plan.n)
    d_row = np.full(len(rates), -1, dtype=np.int64)
    if enough.any():
        sizes = counts[enough].astype(np.int64)
        distinct = np.unique(sizes)
        rules = np.array(
            [  # one rule per distinct sample size, not per row
                lqas_decision_rule(int(m), target, lower=lower, alpha_max=alpha_max).d or 0
                for m in distinct
            ],
            dtype=np.int64,
        )
        d_row[enough] = rules[np.searchsorted(distinct, sizes)]
    label = np.where(~enough, "too_few", np.where(positives >= d_row, "reaches", "below"))
    if "status" in rates.columns:
        judged = rates["status"].eq(STATUS_OK).fillna(False).to_numpy(dtype=bool)
        label = np.where(judged, label, "not_assessed")
        enough = enough & judged
    out = rates.copy()
    lqas_d = pd.array(np.where(enough, d_row, 0), dtype="Int64")
    lqas_d[~enough] = pd.NA
    out["lqas_d"] = lqas_d
    out["lqas"] = pd.array(label, dtype="str")
    return out


# --------------------------------------------------------------------------------------------
# The awareness verdict per village (decided once: follow-up list, dot plot, brief)
# --------------------------------------------------------------------------------------------

#: Verdict codes, strongest first, with their Chinese and English labels.
VERDICTS: dict[str, tuple[str, str]] = {
    "low": ("低于目标", "below target"),
    "not_assessed": ("未评估（需核定答案分类）", "not assessed (codebook decision needed)"),
    "insufficient": ("样本不足", "too few answers"),
    "uncertain": ("无法判定", "undecided"),
    "reached_lqas": ("LQAS判定达标", "reaches target (LQAS)"),
    "reached": ("达标", "reaches target"),
}

#: Spellings of an ``lqas`` verdict column → reaches (True) / below (False); others: unknown.
_LQAS_SPELLINGS: dict[Any, bool] = {
    True: True, False: False,
    "reaches": True, "reached": True, "reach": True, "pass": True, "passed": True, "met": True,
    "high": True, "达标": True, "达到目标": True, "合格": True,
    "below": False, "low": False, "not reached": False, "not_reached": False, "fail": False,
    "failed": False, "not met": False, "not_met": False,
    "未达标": False, "未达到目标": False, "不合格": False,
}


def awareness_verdict(
    rates: pd.DataFrame,
    *,
    settings: Any = None,
    target: float | None = None,
    min_respondents: int | None = None,
    pool_items: bool = False,
    by: str | Sequence[str] = "village_id",
) -> pd.DataFrame:
    """The verdict on each rate against its target: 达标, LQAS判定达标, 无法判定, 低于目标 ….

    This is the one rule behind the follow-up list's ``low_awareness`` and
    ``unknown_awareness`` reasons (:func:`~pufa_metrics.blindspots.find_blind_spots`), the
    colours of :func:`~pufa_metrics.plots.awareness_dotplot` and the brief's counts. Per row
    (village × item), in this order:

    - ``not_assessed`` (未评估): the item has answers but ``status`` is not ``"ok"`` (an answer
      the codebook does not class, see :func:`awareness_rates`);
    - ``insufficient`` (样本不足): fewer than ``min_respondents`` answers;
    - ``low`` (低于目标): the interval's upper limit is below the target, or the LQAS rule fails
      (``lqas`` is ``below``, from :func:`lqas_classify`);
    - ``reached`` (达标): the interval's lower limit reaches the target;
    - ``reached_lqas`` (LQAS判定达标): the interval straddles the target but LQAS passes;
    - ``uncertain`` (无法判定): otherwise.

    With ``pool_items=True`` the items of each group of ``by`` and domain are combined into one
    verdict, as the follow-up list does: ``low`` when any item is low; else ``not_assessed``
    when any item is; else ``insufficient`` when no item has enough answers; else ``reached``
    when every item with enough answers is reached, ``reached_lqas`` when each is reached
    either way, and ``uncertain`` otherwise.

    Parameters
    ----------
    rates : pandas.DataFrame
        :func:`awareness_rates` output (``n``, ``ci_low``, ``ci_high``; optionally ``domain``,
        ``status``, ``lqas``, and ``rate``/``rate_shrunk``/``lqas_d``, which are averaged or
        kept with ``pool_items``).
    settings : Settings, optional
        The target of each row's domain (``[targets]``) and ``min_respondents``; default
        ``pufa.toml``.
    target : float, optional
        One target for every row instead of the domain's.
    min_respondents : int, optional
        Default ``[targets] min_respondents``.
    pool_items : bool, default False
        One verdict per group of ``by`` (and domain) instead of one per row.
    by : str or list of str, default "village_id"
        Group columns for ``pool_items`` (the column naming the village in your frame).

    Returns
    -------
    pandas.DataFrame
        Without ``pool_items``: a copy of ``rates`` with ``target``, ``verdict`` (code),
        ``verdict_zh`` and ``verdict_en``. With it: one row per group and domain,
        ``[*by, domain, n, n_items, rate, ci_low, ci_high, low_items, lqas_d_min, lqas_d_max,
        target, verdict, verdict_zh, verdict_en]`` (``n`` the largest item count; ``rate`` and
        bounds the means over items with answers, plus ``rate_shrunk`` when present;
        ``low_items`` a tuple; the ``lqas_d`` range over LQAS-reached items).

    Raises
    ------
    TypeError, ValueError
        When ``rates`` is not a frame with the needed columns, or an option is out of range.

    Examples
    --------
    Target 0.9, at least 10 answers. V1 reaches (lower limit 0.91), V2 is below (upper 0.75),
    V3 has 4 answers, V4 straddles the target and V5 straddles it but passes LQAS:

    >>> rates = pd.DataFrame({"village_id": ["V1", "V2", "V3", "V4", "V5"], "item": "q1",
    ...                       "n": [60, 30, 4, 20, 20],
    ...                       "ci_low": [0.91, 0.42, 0.5, 0.7, 0.7],
    ...                       "ci_high": [0.99, 0.75, 1.0, 0.98, 0.98],
    ...                       "lqas": ["reaches", "below", "too_few", "too_few", "reaches"]})
    >>> out = awareness_verdict(rates, target=0.9, min_respondents=10)
    >>> out["verdict"].tolist()
    ['reached', 'low', 'insufficient', 'uncertain', 'reached_lqas']
    >>> out["verdict_zh"].tolist()
    ['达标', '低于目标', '样本不足', '无法判定', 'LQAS判定达标']

    Pooled over items, one low item makes the village low:

    >>> two = pd.DataFrame({"village_id": ["A", "A"], "item": ["q1", "q2"], "n": [20, 20],
    ...                     "rate": [0.95, 0.70], "ci_low": [0.91, 0.48],
    ...                     "ci_high": [0.99, 0.86]})
    >>> v = awareness_verdict(two, target=0.9, min_respondents=10, pool_items=True)
    >>> v[["village_id", "n_items", "low_items", "verdict"]].values.tolist()
    [['A', 2, ('q2',), 'low']]
    """
    _check_frame(rates, "rates")
    _check_columns(rates, "rates", ["n", "ci_low", "ci_high"])
    if not isinstance(pool_items, bool):
        raise TypeError(f"'pool_items' should be True or False, got {pool_items!r}")
    _check_settings(settings)
    if target is not None:
        target = _check_probability(target, "target")
    if min_respondents is not None and (
        isinstance(min_respondents, bool) or not isinstance(min_respondents, (int, np.integer))
        or min_respondents < 0
    ):
        raise ValueError(
            f"'min_respondents' should be a whole number ≥ 0, got {min_respondents!r}"
        )
    need_settings = min_respondents is None or target is None
    if need_settings and settings is None:
        from .config import Settings

        settings = Settings.load()
    min_n = int(settings.targets["min_respondents"]) if min_respondents is None \
        else int(min_respondents)

    out = rates.copy()
    if target is not None:
        goal = np.full(len(out), float(target))
    else:
        targets = settings.targets
        default = float(targets["awareness"])
        domains = (out["domain"].astype("object") if "domain" in out.columns
                   else pd.Series("awareness", index=out.index, dtype="object"))
        known = {d: float(targets[d]) for d in pd.unique(domains.dropna())
                 if isinstance(targets.get(d), (int, float)) and not isinstance(targets[d], bool)}
        goal = domains.map(known).fillna(default).to_numpy(dtype="float64")
    n = pd.to_numeric(out["n"], errors="coerce").fillna(0).to_numpy(dtype="float64")
    lo = pd.to_numeric(out["ci_low"], errors="coerce").to_numpy(dtype="float64")
    hi = pd.to_numeric(out["ci_high"], errors="coerce").to_numpy(dtype="float64")
    lqas = (out["lqas"].map(lambda v: _LQAS_SPELLINGS.get(v, pd.NA) if isinstance(v, Hashable)
                            else pd.NA).astype("boolean")
            if "lqas" in out.columns else pd.Series(pd.NA, index=out.index, dtype="boolean"))
    lqas_below = lqas.eq(False).fillna(False).to_numpy(dtype=bool)
    lqas_reach = lqas.eq(True).fillna(False).to_numpy(dtype=bool)
    decided = (out["status"].eq(STATUS_OK).fillna(False).to_numpy(dtype=bool)
               if "status" in out.columns else np.ones(len(out), dtype=bool))
    with np.errstate(invalid="ignore"):
        code = np.select(
            [~decided & (n > 0), ~decided | (n < min_n), (hi < goal) | lqas_below,
             lo >= goal, lqas_reach],
            ["not_assessed", "insufficient", "low", "reached", "reached_lqas"],
            "uncertain",
        )
    out["target"] = goal
    if not pool_items:
        return _with_verdict_labels(out, code)

    by_cols = _by_columns(by, "by")
    if not by_cols:
        raise ValueError("'by' should name the village column when pool_items=True")
    _check_columns(out, "rates", by_cols)
    keys = [*by_cols, "domain"] if "domain" in out.columns else by_cols
    answered = n > 0
    rank = {c: i for i, c in enumerate(VERDICTS)}
    code_rank = pd.Series(code).map(rank).to_numpy()
    is_low = code == "low"
    item_col = out["item"].astype("str") if "item" in out.columns else pd.Series("", out.index)
    frame = out[keys].assign(
        _n=n, _rate=pd.to_numeric(out["rate"], errors="coerce").where(answered)
        if "rate" in out.columns else np.nan,
        _lo=np.where(answered, lo, np.nan), _hi=np.where(answered, hi, np.nan),
        _rank=code_rank,
        _eligible=(code != "insufficient") & (code != "not_assessed"),
        _worst_eligible=np.where((code != "insufficient") & (code != "not_assessed"),
                                 code_rank, len(rank)),
        _d=(pd.to_numeric(out["lqas_d"], errors="coerce").astype("float64")
            .where(code == "reached_lqas")
            if "lqas_d" in out.columns else np.nan),
        _low_item=item_col.where(is_low),
        _item=1, _goal=goal,
    )
    if "rate_shrunk" in out.columns:
        frame["_shrunk"] = pd.to_numeric(out["rate_shrunk"], errors="coerce").where(answered)
    grouped = frame.groupby(keys, sort=False, dropna=False)
    agg = {"n": ("_n", "max"), "n_items": ("_item", "sum"), "rate": ("_rate", "mean"),
           "ci_low": ("_lo", "mean"), "ci_high": ("_hi", "mean"),
           "lqas_d_min": ("_d", "min"), "lqas_d_max": ("_d", "max"),
           "target": ("_goal", "first"), "_best": ("_rank", "min"),
           "_eligible": ("_eligible", "any"), "_worst": ("_worst_eligible", "min")}
    if "_shrunk" in frame.columns:
        agg["rate_shrunk"] = ("_shrunk", "mean")
    pooled = grouped.agg(**agg)
    lows = frame.dropna(subset=["_low_item"])
    low_items = lows.groupby(keys, sort=False, dropna=False)["_low_item"].agg(tuple)
    pooled["low_items"] = low_items.reindex(pooled.index)
    pooled["low_items"] = pooled["low_items"].map(lambda t: t if isinstance(t, tuple) else ())
    best = pooled.pop("_best").to_numpy()
    eligible = pooled.pop("_eligible").to_numpy(dtype=bool)
    worst = pooled.pop("_worst").to_numpy()  # smallest rank = strongest verdict among eligible
    names = np.array(list(VERDICTS), dtype=object)
    # low (rank 0) and not_assessed (rank 1) come first by the ranking itself
    pooled_code = np.where(
        best <= rank["not_assessed"], names[np.minimum(best, len(names) - 1)],
        np.where(~eligible, "insufficient", names[np.minimum(worst, len(names) - 1)]))
    pooled["n"] = pooled["n"].round().astype("int64")
    pooled["n_items"] = pooled["n_items"].astype("int64")
    pooled = pooled.reset_index()
    return _with_verdict_labels(pooled, pooled_code.astype(str))


def _with_verdict_labels(frame: pd.DataFrame, code: np.ndarray) -> pd.DataFrame:
    frame["verdict"] = pd.array(code, dtype="str")
    frame["verdict_zh"] = pd.array([VERDICTS[c][0] for c in code], dtype="str")
    frame["verdict_en"] = pd.array([VERDICTS[c][1] for c in code], dtype="str")
    return frame


# --------------------------------------------------------------------------------------------
# Beta-binomial empirical Bayes
# --------------------------------------------------------------------------------------------

_LOGIT_BOUND = 15.0  # prior mean between expit(−15) ≈ 3e−7 and 1 − 3e−7
_LOG_S_BOUNDS = (np.log(1e-2), np.log(1e7))  # a + b between 0.01 and 10 million


def _moments_prior(x: np.ndarray, m: np.ndarray) -> tuple[float, float]:
    """Method-of-moments (mean, a + b) of a beta-binomial with unequal n (start / fallback)."""
    p = float(x.sum() / m.sum())
    k = len(x)
    s_max = float(np.exp(_LOG_S_BOUNDS[1]))
    if k < 2 or p <= 0 or p >= 1:
        return p, s_max
    r = x / m
    spread = float((m * (r - p) ** 2).sum())
    denom = float(m.sum() - (m**2).sum() / m.sum() - (k - 1))
    if denom <= 0:
        return p, s_max
    rho = (spread / (p * (1 - p)) - (k - 1)) / denom  # intra-village correlation 1 / (a + b + 1)
    rho = min(max(rho, 1.0 / (s_max + 1.0)), 0.99)
    return p, 1.0 / rho - 1.0


def _fit_prior(x: np.ndarray, m: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood Beta(a, b) prior of a beta-binomial, vectorised over villages.

    The log-likelihood's (a, b) part, Σ [ln B(x + a, m − x + b) − ln B(a, b)], is that of
    ``scipy.stats.betabinom`` for whole counts and extends it to the non-integer effective
    counts of weighted surveys.
    """
    from scipy import optimize, special  # imported on first use

    mu0, s0 = _moments_prior(x, m)
    if mu0 <= 0 or mu0 >= 1:
        mu0 = min(max(mu0, 1e-6), 1 - 1e-6)
    k = float(len(x))
    # Villages sharing (x, n) contribute identical terms: evaluate each distinct pair once,
    # weighted by its count (unweighted surveys have few distinct pairs, even nationally).
    pairs, count = np.unique(np.column_stack([x, m]), axis=0, return_counts=True)
    x, m = pairs[:, 0], pairs[:, 1]
    y = m - x

    def negloglik(theta: np.ndarray) -> tuple[float, np.ndarray]:
        mu = special.expit(theta[0])
        s = np.exp(theta[1])
        a, b = mu * s, (1 - mu) * s
        ll = count @ special.betaln(x + a, y + b) - k * special.betaln(a, b)
        common = -(count @ special.digamma(m + s)) + k * special.digamma(s)
        da = count @ special.digamma(x + a) - k * special.digamma(a) + common
        db = count @ special.digamma(y + b) - k * special.digamma(b) + common
        grad0 = (da - db) * s * mu * (1 - mu)
        grad1 = da * a + db * b
        return -float(ll), -np.array([grad0, grad1])

    # Start inside the informative range: at a + b ≈ 1e7 the likelihood is flat to rounding.
    start = np.array(
        [special.logit(mu0), float(np.clip(np.log(s0), _LOG_S_BOUNDS[0], np.log(1e4)))],
        dtype="float64",
    )
    bounds = [(-_LOGIT_BOUND, _LOGIT_BOUND), _LOG_S_BOUNDS]
    with np.errstate(all="ignore"):
        res = optimize.minimize(negloglik, start, jac=True, method="L-BFGS-B", bounds=bounds)
    f_start = negloglik(start)[0]
    theta = res.x if np.all(np.isfinite(res.x)) and np.isfinite(res.fun) else None
    if theta is None or res.fun > f_start + 1e-8 * max(1.0, abs(f_start)):
        warnings.warn(
            "beta-binomial maximum likelihood did not converge; using the method-of-moments "
            "prior instead",
            RuntimeWarning,
            stacklevel=3,
        )
        theta = start
    mu = float(special.expit(theta[0]))
    s = float(np.exp(theta[1]))
    return mu * s, (1 - mu) * s


def shrink_rates(
    rates: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = "item",
    level: float = 0.95,
    prior: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Beta-binomial empirical Bayes rates: small villages move toward the pooled rate.

    Within each group of ``by`` (default: each item, pooling the villages), a Beta(a, b) prior
    is fitted by maximum likelihood to the villages' counts (method of moments as start and
    fallback). Each row's posterior is Beta(x + a, n_eff − x + b) with x = rate · n_eff, so
    survey weights enter through Kish's effective sample size (for an unweighted survey,
    x = n_positive and n_eff = n). With no over-dispersion between villages the prior
    concentrates (a + b large) and every village moves to the pooled rate.

    Parameters
    ----------
    rates : pandas.DataFrame
        Output of :func:`awareness_rates` (needs ``rate`` and ``n_eff``, plus the ``by``
        columns).
    by : str, list of str or None, default "item"
        Groups that get their own prior; None fits one prior to all rows.
    level : float, default 0.95
        Level of the equal-tailed credible interval.
    prior : tuple of (a, b), optional
        A fixed prior for every group instead of the fitted one.

    Returns
    -------
    pandas.DataFrame
        A copy of ``rates`` with ``rate_shrunk`` = (x + a) / (n_eff + a + b),
        ``shrink_weight`` = n_eff / (n_eff + a + b) (the weight on the village's own rate),
        ``cred_low``, ``cred_high`` (posterior quantiles), ``prior_a`` and ``prior_b``. Rows with
        ``n_eff == 0`` get the prior mean, weight 0 and the prior's quantiles. A group with
        fewer than two villages with answers cannot estimate a prior: its rows keep their rate
        (weight 1), a Jeffreys interval and NaN prior. Rows whose ``status`` (when the column
        is there) is not ``"ok"`` are not assessed (:func:`awareness_rates`): they take no part
        in the prior and get NaN ``rate_shrunk``, ``shrink_weight`` and bounds.

    Raises
    ------
    ValueError
        When a column is missing, a rate is outside [0, 1] or ``prior`` is not positive.

    Examples
    --------
    >>> rates = pd.DataFrame({"item": ["q1", "q1", "q1"], "village_id": ["A", "B", "C"],
    ...                       "rate": [0.5, 0.5, np.nan], "n_eff": [10.0, 90.0, 0.0]})
    >>> out = shrink_rates(rates, prior=(2.0, 8.0))
    >>> out["rate_shrunk"].round(3).tolist(), out["shrink_weight"].round(3).tolist()
    ([0.35, 0.47, 0.2], [0.5, 0.9, 0.0])
    """
    _check_frame(rates, "rates")
    by_cols = _by_columns(by)
    _check_columns(rates, "rates", ["rate", "n_eff", *by_cols])
    level = _check_level(level)
    if prior is not None:
        if (
            not isinstance(prior, (tuple, list))
            or len(prior) != 2
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v > 0
                for v in prior
            )
        ):
            raise ValueError(f"'prior' should be a pair (a, b) of positive numbers, got {prior!r}")
    rate = _as_float_array(rates["rate"], "rate")
    m = _as_float_array(rates["n_eff"], "n_eff")
    bad = np.isfinite(rate) & ((rate < -1e-12) | (rate > 1 + 1e-12))
    if bad.any():
        raise ValueError(f"column 'rate' should lie in [0, 1]; {int(bad.sum())} values do not")
    bad = ~np.isfinite(m) | (m < 0)
    if bad.any():
        raise ValueError(
            f"column 'n_eff' should be a non-negative number; {int(bad.sum())} values are not"
        )
    judged = (
        rates["status"].eq(STATUS_OK).fillna(False).to_numpy(dtype=bool)
        if "status" in rates.columns else np.ones(len(rates), dtype=bool)
    )
    informative = (m > 0) & np.isfinite(rate) & judged
    m = np.where(informative, m, 0.0)
    x = np.where(informative, np.clip(np.nan_to_num(rate) * m, 0.0, m), 0.0)

    a_row = np.full(len(rates), np.nan)
    b_row = np.full(len(rates), np.nan)
    if by_cols:
        groups = rates.groupby(by_cols, sort=False, dropna=False).indices.values()
    else:
        groups = [np.arange(len(rates))]
    for idx in groups:  # one prior per group (item), each fit vectorised over its villages
        use = idx[informative[idx]]
        if prior is not None:
            a, b = float(prior[0]), float(prior[1])
        elif len(use) < 2:
            continue
        else:
            a, b = _fit_prior(x[use], m[use])
        a_row[idx] = a
        b_row[idx] = b

    has_prior = np.isfinite(a_row)
    # No prior (fewer than two villages): own rate, Jeffreys posterior Beta(x + ½, n − x + ½).
    pa = np.where(has_prior, a_row, 0.5)
    pb = np.where(has_prior, b_row, 0.5)
    post_a = x + pa
    post_b = m - x + pb
    with np.errstate(invalid="ignore", divide="ignore"):
        shrunk = np.where(has_prior, post_a / (m + pa + pb), rate)
        weight = np.where(has_prior, m / (m + pa + pb), np.where(informative, 1.0, np.nan))
        tail = (1 - level) / 2
        from scipy import stats  # imported on first use

        cred_low = stats.beta.ppf(tail, post_a, post_b)
        cred_high = stats.beta.isf(tail, post_a, post_b)
    no_info = (~has_prior & ~informative) | ~judged
    cred_low[no_info] = np.nan
    cred_high[no_info] = np.nan
    shrunk = np.where(judged, shrunk, np.nan)
    weight = np.where(judged, weight, np.nan)
    out = rates.copy()
    out["rate_shrunk"] = shrunk
    out["shrink_weight"] = weight
    out["cred_low"] = cred_low
    out["cred_high"] = cred_high
    out["prior_a"] = a_row
    out["prior_b"] = b_row
    return out
