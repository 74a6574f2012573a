"""Does the publicity work? Exposure to events on a law and awareness of that law (普法实效).

The survey says what residents know; the ledgers say what publicity their village received. This
module links the two and asks whether more events on a law go with higher awareness of *that*
law, with honest uncertainty:

- :func:`item_topics`: the law (canonical topic) each survey item asks about, from the
  codebook's ``topic`` column (法律 / 主题 / 所涉法律) or else found in the item's text with the
  reader's topic finder (:func:`pufa_metrics.schema.split_topics`);
- :func:`exposure_answers`: one row per respondent × item with a law topic: the answer (positive
  or not, as :func:`~pufa_metrics.survey.awareness_rates` classes it), the events on the item's
  topic in the respondent's village (town-wide events count for every village) in the
  ``window_months`` before the answer date, and the days since the last such event;
- :func:`exposure_effect`: logistic regressions of the answer on exposure. The **topic-matched**
  design has village and item fixed effects: the comparison is within villages, across topics,
  so a village that is simply more active *and* better informed does not pass for an effect.
  The **between-village** design drops the village fixed effects (labelled as such: anything
  that differs between villages is mixed into it). Standard errors are cluster-robust by village,
  intervals use Student's t with (villages − 1) degrees of freedom, survey weights are honoured
  (pseudo-likelihood);
- :func:`effect_sentences`: the result in two or three sentences, in Chinese or English.

This is observational data: a topic-matched association is evidence, not proof, that publicity
raises awareness (a village may, for instance, hold events on the law its residents already
ask about).
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._common import check_frame as _check_frame
from ._common import check_lang as _check_lang
from ._common import day_numbers as _day_numbers
from ._common import fmt_number as _fmt_number
from ._common import resolve_settings as _resolve_settings
from ._common import topic_pairs as _topic_pairs
from .schema import TOPICS, split_topics

__all__ = [
    "DESIGNS",
    "TERMS",
    "effect_sentences",
    "exposure_answers",
    "exposure_effect",
    "item_topics",
]

#: Model designs: code → (Chinese label, English label).
DESIGNS: dict[str, tuple[str, str]] = {
    "topic_matched": (
        "同村跨主题比较（村、题固定效应）",
        "within villages, across topics (village and item fixed effects)",
    ),
    "between": (
        "村间比较（无村固定效应，村与村之间的其他差别会混入）",
        "between villages (no village fixed effects: whatever else differs between villages "
        "is mixed in)",
    ),
}

#: Exposure terms: code → (Chinese, English) of what the odds ratio is per.
TERMS: dict[str, tuple[str, str]] = {
    "events": ("每多一场该主题活动", "per extra event on the topic"),
    "log1p_events": ("log(1+场次)每增加1", "per unit of log(1 + events)"),
}

#: Survey domains whose items can name a law.
DEFAULT_DOMAINS: tuple[str, ...] = ("awareness", "knowledge")

_RESULT_COLUMNS: dict[str, str] = {
    "design": "str", "term": "str", "topic": "str",
    "odds_ratio": "float64", "ci_low": "float64", "ci_high": "float64",
    "coef": "float64", "se": "float64", "p_value": "float64",
    "n_respondents": "int64", "n_answers": "int64", "n_villages": "int64", "n_items": "int64",
    "n_topics": "int64", "mean_events": "float64", "window_months": "int64", "weighted": "bool",
}

_ANSWER_COLUMNS: dict[str, str] = {
    "response_id": "str", "village_id": "str", "item": "str", "topic": "str",
    "date": "datetime64[us]", "weight": "float64", "positive": "int64", "events": "int64",
    "events_village": "int64", "events_town": "int64", "days_since_last": "float64",
}

_CAVEAT = (
    "观察性数据：活动与知晓率相关不等于活动提高了知晓率；同村跨主题比较排除了村与村之间的差别，"
    "但不能排除各村按群众需要安排主题等其他原因。",
    "Observational data: an association between events and awareness does not prove that the "
    "events raised awareness; the within-village comparison rules out differences between "
    "villages, not other reasons (a village may choose topics by what residents already ask).",
)


# --------------------------------------------------------------------------------------------
# Arguments
# --------------------------------------------------------------------------------------------


def _window(window_months: object, settings: Any) -> int:
    if window_months is None:
        window_months = _resolve_settings(settings).effect["window_months"]
    if isinstance(window_months, bool) or not isinstance(window_months, (int, np.integer)) \
            or window_months < 1:
        raise ValueError(
            f"'window_months' should be a whole number of months ≥ 1, got {window_months!r}"
            "（时间窗应为不少于1的整月数）"
        )
    return int(window_months)


def _domains(domain: object) -> tuple[str, ...]:
    if isinstance(domain, str):
        return (domain,)
    if isinstance(domain, Sequence) and all(isinstance(d, str) for d in domain) and domain:
        return tuple(domain)
    raise TypeError(f"'domain' should be a domain name or a list of them, got {domain!r}")


def _designs(by: object) -> tuple[str, ...]:
    chosen = (by,) if isinstance(by, str) else tuple(by) if isinstance(by, Sequence) else ()
    bad = [b for b in chosen if b not in DESIGNS]
    if not chosen or bad:
        raise ValueError(
            f"'by' should be one of {list(DESIGNS)} or a list of them, got {by!r}"
            "（by 应为 topic_matched 或 between）"
        )
    return tuple(dict.fromkeys(chosen))


def _terms(terms: object) -> tuple[str, ...]:
    chosen = (terms,) if isinstance(terms, str) else tuple(terms) \
        if isinstance(terms, Sequence) else ()
    bad = [t for t in chosen if t not in TERMS]
    if not chosen or bad:
        raise ValueError(f"'terms' should be some of {list(TERMS)}, got {terms!r}")
    return tuple(dict.fromkeys(chosen))


def _weights(responses: pd.DataFrame, weight: object) -> np.ndarray:
    """Survey weights per respondent (1.0 without), checked positive and finite."""
    if weight is False:
        return np.ones(len(responses))
    if weight is None:
        if "weight" not in responses.columns or responses["weight"].isna().all():
            return np.ones(len(responses))
        column = "weight"
    elif isinstance(weight, str):
        _check_frame(responses, "responses", [weight])
        column = weight
    else:
        raise TypeError(f"'weight' should be None, False or a column name, got {weight!r}")
    series = responses[column]
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        raise TypeError(f"weight column {column!r} should be numeric, got dtype {series.dtype}")
    w = series.to_numpy(dtype="float64", na_value=np.nan)
    bad = ~(np.isfinite(w) & (w > 0))
    if bad.any():
        raise ValueError(
            f"weight column {column!r} should be positive and finite in every row; "
            f"{int(bad.sum())} of {len(w)} rows are not（{int(bad.sum())} 行权重缺失或不为正数）"
        )
    return w


# --------------------------------------------------------------------------------------------
# Items and their laws
# --------------------------------------------------------------------------------------------


def _first_law(value: object, aliases: dict[str, str]) -> str | None:
    """The first canonical topic (other than 其他) a text names, or None."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    found = [t for t in split_topics(str(value), aliases=aliases) if t in TOPICS and t != "其他"]
    return found[0] if found else None


def item_topics(codebook: pd.DataFrame, *, settings: Any = None) -> pd.DataFrame:
    """The law (canonical topic) each survey item asks about.

    The codebook's ``topic`` column wins (法律 / 主题 / 所涉法律 in a codebook file, mapped to
    the canonical topic with ``[topics] aliases``); else the topic is found in the item's text
    with the reader's topic finder (:func:`~pufa_metrics.schema.split_topics`: 《民法典》 →
    民法典, 反诈 → 反电信网络诈骗). An item naming several laws gets the first; one naming none
    gets NA (it cannot be matched to events).

    Parameters
    ----------
    codebook : pandas.DataFrame
        Columns ``item`` and ``text`` (or ``topic``), optionally ``domain``.
    settings : Settings, optional
        ``[topics] aliases``; default ``pufa.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per item, codebook order: ``item, domain, topic, topic_source`` (``"codebook"``,
        ``"text"``, or NA when no law is named).

    Examples
    --------
    >>> from pufa_metrics import Settings
    >>> codebook = pd.DataFrame({
    ...     "item": ["q1", "q2", "q3"], "domain": ["awareness"] * 3,
    ...     "text": ["您是否知道《中华人民共和国民法典》？", "您对普法工作是否满意？", "第3题"],
    ...     "topic": [None, None, "反诈"]})
    >>> item_topics(codebook, settings=Settings()).values.tolist()
    [['q1', 'awareness', '民法典', 'text'], ['q2', 'awareness', nan, nan], ['q3', 'awareness', \
'反电信网络诈骗', 'codebook']]
    """
    _check_frame(codebook, "codebook", ["item"])
    if "text" not in codebook.columns and "topic" not in codebook.columns:
        raise ValueError("'codebook' needs a 'text' or a 'topic' column to find each item's law"
                         "（问卷编码表须有题目或所涉法律列）")
    aliases = _resolve_settings(settings).topic_aliases
    n = len(codebook)
    given = codebook["topic"] if "topic" in codebook.columns else pd.Series([None] * n)
    text = codebook["text"] if "text" in codebook.columns else pd.Series([None] * n)
    # one lookup per codebook row (a survey has a handful of items, not one per respondent)
    from_codebook = [_first_law(v, aliases) for v in given]
    from_text = [_first_law(v, aliases) for v in text]
    topic = [c or t for c, t in zip(from_codebook, from_text)]
    source = ["codebook" if c else "text" if t else None for c, t in zip(from_codebook, from_text)]
    domain = codebook["domain"] if "domain" in codebook.columns else pd.Series([None] * n)
    return pd.DataFrame({
        "item": pd.array(codebook["item"].astype("str").to_numpy(), dtype="str"),
        "domain": pd.array(np.asarray(domain, dtype=object), dtype="str"),
        "topic": pd.array(topic, dtype="str"),
        "topic_source": pd.array(source, dtype="str"),
    })


# --------------------------------------------------------------------------------------------
# Linking answers to events
# --------------------------------------------------------------------------------------------


def _event_keys(
    events: pd.DataFrame, event_topics: pd.DataFrame | None, villages: pd.Index,
    topics: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """(village-topic key, day) of every event × topic; town-wide events have village V."""
    days = _day_numbers(events["date"], "events.date")
    keep = days != np.iinfo(np.int64).min
    pos, code, labels = _topic_pairs(events, keep, event_topics)
    to_item = pd.Index(topics).get_indexer(pd.Index(labels, dtype="str")) if labels \
        else np.empty(0, np.int64)
    t = to_item[code] if len(code) else np.empty(0, np.int64)
    if "village_id" in events.columns:
        vid = events["village_id"]
        v = villages.get_indexer(vid.astype("str").where(vid.notna(), None))
        town = vid.isna().to_numpy()
    else:
        v = np.full(len(events), -1)
        town = np.ones(len(events), dtype=bool)
    v = np.where(town, len(villages), v)[pos]
    ok = (t >= 0) & (v >= 0)
    key = v[ok].astype(np.int64) * len(topics) + t[ok]
    return key, days[pos][ok]


def _window_counts(
    ev_key: np.ndarray, ev_day: np.ndarray, key: np.ndarray, lo: np.ndarray, hi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Per answer: events of ``key`` with lo ≤ day < hi, and the last event day before hi.

    One sort of the events by (key, day) and three binary searches: no loop over answers.
    """
    if not len(ev_key):  # no event on any law asked about: no exposure, no last event
        return np.zeros(len(key), np.int64), np.full(len(key), np.iinfo(np.int64).min)
    base = min(ev_day.min(initial=0), lo.min(initial=0))
    span = max(ev_day.max(initial=0), hi.max(initial=0)) - base + 2
    comp = np.sort(ev_key * span + (ev_day - base))
    start = np.searchsorted(comp, key * span + (lo - base), side="left")
    stop = np.searchsorted(comp, key * span + (hi - base), side="left")
    last = stop - 1
    found = (last >= 0) & (comp[np.maximum(last, 0)] // span == key)
    last_day = np.where(found, comp[np.maximum(last, 0)] % span + base, np.iinfo(np.int64).min)
    return (stop - start).astype(np.int64), last_day


def exposure_answers(
    responses: pd.DataFrame,
    codebook: pd.DataFrame,
    events: pd.DataFrame,
    *,
    event_topics: pd.DataFrame | None = None,
    villages: pd.DataFrame | None = None,
    window_months: int | None = None,
    domain: str | Sequence[str] = DEFAULT_DOMAINS,
    weight: str | bool | None = None,
    settings: Any = None,
) -> pd.DataFrame:
    """Each respondent's answer to each item on a law, with the events on that law before it.

    For respondent r (village v, answer date d) and item i asking about law t, ``events`` counts
    the events on topic t held in village v or town-wide (no village) on days
    ``d − window_months ≤ day < d`` (the answer's own day is not before it); a multi-topic event
    counts for each of its topics (``event_topics``, canonical). ``days_since_last`` is the days
    from the last such event, at any time before d, to d (NaN if none).

    Only answered items count (the codebook's ``missing`` answers and blanks are left out), as
    :func:`~pufa_metrics.survey.awareness_rates` classes them; items whose answers the codebook
    does not class, items naming no law, respondents with no date or village are left out and
    counted in ``attrs["not_assessed"]``.

    Parameters
    ----------
    responses : pandas.DataFrame
        ``response_id`` (unique), ``village_id``, ``date`` and one column per item; optional
        ``weight``.
    codebook : pandas.DataFrame
        As for :func:`~pufa_metrics.survey.awareness_rates`; ``text`` or ``topic`` names the law
        (:func:`item_topics`).
    events : pandas.DataFrame
        ``date``, ``topic``, ``village_id`` (empty = town-wide); ``event_id`` with
        ``event_topics``.
    event_topics : pandas.DataFrame, optional
        ``(event_id, topic)``: every topic of every event.
    villages : pandas.DataFrame, optional
        The register (``village_id``): respondents of villages not in it are left out.
    window_months : int, optional
        Months before the answer in which events count; default ``[effect] window_months``
        of ``pufa.toml`` (12).
    domain : str or list of str, default ("awareness", "knowledge")
        Survey domains whose items are used.
    weight : None, False or str
        As for :func:`~pufa_metrics.survey.awareness_rates`.
    settings : Settings, optional
        Default ``pufa.toml``.

    Returns
    -------
    pandas.DataFrame
        ``response_id, village_id, item, topic, date, weight, positive (0/1), events,
        events_village, events_town, days_since_last``; ``attrs["window_months"]``.

    Examples
    --------
    Village A heard of the Civil Code on 2025-03-01 and town-wide on 2025-05-01; the 2024-01-10
    event is more than 12 months before the answer (2025-06-01):

    >>> from pufa_metrics import Settings
    >>> events = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-01-10", "2025-03-01", "2025-05-01", "2025-04-01"]),
    ...     "village_id": ["A", "A", None, "B"], "topic": ["民法典", "民法典", "民法典", "禁毒"]})
    >>> responses = pd.DataFrame({"response_id": ["1", "2"], "village_id": ["A", "B"],
    ...     "date": pd.to_datetime(["2025-06-01", "2025-06-01"]), "q1": ["知道", "不知道"]})
    >>> codebook = pd.DataFrame({"item": ["q1"], "text": ["是否知道民法典"],
    ...     "domain": ["awareness"], "positive": [("知道",)]})
    >>> out = exposure_answers(responses, codebook, events, settings=Settings())
    >>> columns = ["village_id", "positive", "events_village", "events_town", "days_since_last"]
    >>> out[columns].values.tolist()
    [['A', 1, 1, 1, 31.0], ['B', 0, 0, 1, 31.0]]
    """
    from .survey import awareness_rates

    _check_frame(responses, "responses", ["response_id", "village_id", "date"])
    _check_frame(events, "events", ["date", "topic"])
    if event_topics is not None:
        _check_frame(event_topics, "event_topics", ["event_id", "topic"])
        _check_frame(events, "events", ["event_id"])
    settings = _resolve_settings(settings)
    months = _window(window_months, settings)
    domains = _domains(domain)
    w_all = _weights(responses, weight)
    if responses["response_id"].duplicated().any():
        dup = responses.loc[responses["response_id"].duplicated(), "response_id"].head(5).tolist()
        raise ValueError(f"'responses' repeats response_id {dup}（答卷编号重复）")
    notes: list[tuple[str, str]] = []

    topics = item_topics(codebook, settings=settings)
    in_domain = topics["domain"].isin(domains).to_numpy()
    no_law = topics.loc[in_domain & topics["topic"].isna().to_numpy(), "item"].tolist()
    if no_law:
        notes.append((f"{len(no_law)}道题未涉及具体法律，未纳入：{'、'.join(no_law)}",
                      f"{len(no_law)} item(s) name no law and are left out: {', '.join(no_law)}"))
    topics = topics[in_domain & topics["topic"].notna().to_numpy()]
    topics = topics[topics["item"].isin(responses.columns)]

    resp = responses
    ok = resp["village_id"].notna().to_numpy() & resp["date"].notna().to_numpy()
    if villages is not None:
        _check_frame(villages, "villages", ["village_id"])
        ok &= resp["village_id"].isin(villages["village_id"]).to_numpy()
    if not ok.all():
        notes.append((f"{int((~ok).sum())}份答卷缺少村或日期（或村不在名册中），未纳入",
                      f"{int((~ok).sum())} response(s) with no village or date (or a village not "
                      "in the register) are left out"))
    resp = resp[ok]
    w_all = w_all[ok]

    out = pd.DataFrame({c: pd.Series(dtype=d) for c, d in _ANSWER_COLUMNS.items()})
    out.attrs["window_months"] = months
    if topics.empty or resp.empty:
        out.attrs["not_assessed"] = (*notes, (
            "没有可与活动主题对应的已作答题目，未评估普法实效",
            "No answered item can be matched to an event topic: effect not assessed"))
        return out
    rates = awareness_rates(resp, codebook, by="response_id", items=topics["item"].tolist(),
                            weight=False, settings=settings)
    unclassed = rates.loc[rates["status"] != "ok", "item"].unique().tolist()
    if unclassed:
        notes.append((f"题目{'、'.join(unclassed)}有未归类的回答，需核定答案分类，未纳入",
                      f"item(s) {', '.join(unclassed)} have answers in no class (needs a "
                      "codebook decision) and are left out"))
    rates = rates[(rates["status"] == "ok").to_numpy() & (rates["n"] == 1).to_numpy()]

    row = pd.Index(resp["response_id"].astype("str")).get_indexer(
        rates["response_id"].astype("str"))
    item_pos = pd.Index(topics["item"]).get_indexer(rates["item"])
    law = topics["topic"].to_numpy(dtype=object)[item_pos]
    laws = list(dict.fromkeys(topics["topic"]))
    t_code = pd.Index(laws).get_indexer(law)
    village = resp["village_id"].astype("str").to_numpy()[row]
    register = pd.Index(pd.unique(village))
    v_code = register.get_indexer(village)
    dates = resp["date"]
    day = _day_numbers(dates, "responses.date")[row]
    lo = _day_numbers((dates.dt.normalize() - pd.DateOffset(months=months)).astype(
        "datetime64[us]"), "responses.date")[row]

    ev_key, ev_day = _event_keys(events, event_topics, register, laws)
    key_v = v_code.astype(np.int64) * len(laws) + t_code
    key_t = len(register) * len(laws) + t_code.astype(np.int64)
    n_v, last_v = _window_counts(ev_key, ev_day, key_v, lo, day)
    n_t, last_t = _window_counts(ev_key, ev_day, key_t, lo, day)
    last = np.maximum(last_v, last_t)
    since = np.where(last == np.iinfo(np.int64).min, np.nan, (day - last).astype("float64"))

    out = pd.DataFrame({
        "response_id": pd.array(rates["response_id"].astype("str").to_numpy(), dtype="str"),
        "village_id": pd.array(village, dtype="str"),
        "item": pd.array(rates["item"].to_numpy(), dtype="str"),
        "topic": pd.array(law, dtype="str"),
        "date": dates.to_numpy()[row].astype("datetime64[us]"),
        "weight": w_all[row],
        "positive": rates["n_positive"].to_numpy().astype(np.int64),
        "events": n_v + n_t,
        "events_village": n_v,
        "events_town": n_t,
        "days_since_last": since,
    })
    out.attrs["window_months"] = months
    if notes:
        out.attrs["not_assessed"] = tuple(notes)
    return out


# --------------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------------


def _drop_constant(answers: pd.DataFrame, fixed_villages: bool) -> pd.DataFrame:
    """Drop villages (with village fixed effects) and items whose answers are all alike.

    Their fixed effect would be infinite (perfect prediction); they say nothing about the
    exposure's effect within villages. Repeated until none is left (two passes at most in
    practice).
    """
    while True:
        before = len(answers)
        groups = ["item", "village_id"] if fixed_villages else ["item"]
        for column in groups:
            mean = answers.groupby(column, observed=True)["positive"].transform("mean")
            answers = answers[(mean > 0).to_numpy() & (mean < 1).to_numpy()]
        if len(answers) == before:
            return answers


def _design_matrix(
    answers: pd.DataFrame, term: str, fixed_villages: bool, per_topic: bool,
) -> tuple[np.ndarray, list[str], int]:
    """Exposure column(s), intercept, item dummies and (optionally) village dummies."""
    x = answers["events"].to_numpy(dtype="float64")
    if term == "log1p_events":
        x = np.log1p(x)
    n = len(answers)
    if per_topic:
        t_code, t_labels = pd.factorize(answers["topic"], sort=False)
        labels = list(t_labels)
        exposure = np.zeros((n, len(labels)))
        exposure[np.arange(n), t_code] = x
    else:
        labels = [""]
        exposure = x[:, None]
    blocks = [exposure, np.ones((n, 1))]
    for column in (["item", "village_id"] if fixed_villages else ["item"]):
        code, uniques = pd.factorize(answers[column], sort=True)
        dummies = np.zeros((n, len(uniques)))
        dummies[np.arange(n), code] = 1.0
        blocks.append(dummies[:, 1:])  # the first level is the reference
    return np.hstack(blocks), labels, exposure.shape[1]


def _one_blas_thread() -> contextlib.AbstractContextManager:
    """BLAS on one thread while fitting, when threadpoolctl is installed.

    threadpoolctl comes with the geo extra's scikit-learn. The design matrices are a few
    thousand rows by a few dozen columns: threads gain nothing,
    and on a busy machine OpenBLAS's threads made each fit 30 times slower (0.16 s against
    0.006 s for one least-squares step, measured at load 6 on 2 cores).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - optional
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _fit(answers: pd.DataFrame, term: str, fixed_villages: bool, per_topic: bool,
         level: float) -> list[dict[str, Any]]:
    """One GLM fit: a row per exposure column (the topic, or "" for all topics)."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import SpecificationWarning

    X, labels, k = _design_matrix(answers, term, fixed_villages, per_topic)
    keep = np.ones(X.shape[1], dtype=bool)
    if per_topic:  # a law whose exposure never varies (no event on it) has no slope of its
        # own; it is left out of the fit so that the other laws' slopes are still estimated
        code = pd.factorize(answers["topic"], sort=False)[0]
        own = pd.Series(X[np.arange(len(X)), code]).groupby(code)
        keep[:k] = (own.max() > own.min()).to_numpy()
    X, fitted = X[:, keep], np.flatnonzero(keep[:k])
    y = answers["positive"].to_numpy(dtype="float64")
    w = answers["weight"].to_numpy(dtype="float64")
    groups = pd.factorize(answers["village_id"])[0]
    identified = len(fitted) > 0 and np.linalg.matrix_rank(X) == X.shape[1]
    coef, se, p, lo, hi = (np.full(k, np.nan) for _ in range(5))
    if identified and len(np.unique(groups)) >= 2:
        model = sm.GLM(y, X, family=sm.families.Binomial(), var_weights=w / w.mean())
        with warnings.catch_warnings():
            # statsmodels warns that robust covariances are "not fully supported" with
            # var_weights; the cluster sandwich it computes is the pseudo-likelihood one
            # (checked against the formula in tests/test_effect.py)
            warnings.simplefilter("ignore", SpecificationWarning)
            res = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        n = len(fitted)
        coef[fitted], se[fitted], p[fitted] = res.params[:n], res.bse[:n], res.pvalues[:n]
        ci = res.conf_int(alpha=1 - level)[:n]
        lo[fitted], hi[fitted] = ci[:, 0], ci[:, 1]
    rows = []
    for j, topic in enumerate(labels):  # one row per exposure column (all topics, or each)
        sub = answers if not per_topic else answers[answers["topic"] == topic]
        rows.append({
            "term": term, "topic": topic or None,
            "odds_ratio": float(np.exp(coef[j])), "ci_low": float(np.exp(lo[j])),
            "ci_high": float(np.exp(hi[j])), "coef": float(coef[j]), "se": float(se[j]),
            "p_value": float(p[j]),
            "n_respondents": int(sub["response_id"].nunique()), "n_answers": len(sub),
            "n_villages": int(sub["village_id"].nunique()),
            "n_items": int(sub["item"].nunique()), "n_topics": int(sub["topic"].nunique()),
            "mean_events": float(sub["events"].mean()) if len(sub) else np.nan,
        })
    return rows


def _design_rows(answers: pd.DataFrame, design: str, terms: tuple[str, ...], per_topic: bool,
                 level: float, notes: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """The rows of one design: each term, all topics together and (``per_topic``) each."""
    fixed = design == "topic_matched"
    used = _drop_constant(answers, fixed)
    if len(used) < len(answers):
        left = answers["village_id"].nunique() - used["village_id"].nunique()
        notes.append((
            f"{DESIGNS[design][0]}：{left}个村（或题）的回答全为肯定或全为否定，不提供信息，"
            f"未纳入（{len(answers) - len(used)}个回答）",
            f"{DESIGNS[design][1]}: {left} village(s) (or items) whose answers are all "
            f"alike carry no information and are left out ({len(answers) - len(used)} "
            "answers)"))
    if used.empty:
        return []
    return [{"design": design, **r}
            for term in terms
            for split in ((False, True) if per_topic else (False,))
            for r in _fit(used, term, fixed, split, level)]


def exposure_effect(
    responses: pd.DataFrame,
    codebook: pd.DataFrame,
    events: pd.DataFrame,
    *,
    event_topics: pd.DataFrame | None = None,
    villages: pd.DataFrame | None = None,
    window_months: int | None = None,
    by: str | Sequence[str] = ("topic_matched", "between"),
    terms: str | Sequence[str] = ("events", "log1p_events"),
    domain: str | Sequence[str] = DEFAULT_DOMAINS,
    weight: str | bool | None = None,
    per_topic: bool = True,
    level: float = 0.95,
    settings: Any = None,
) -> pd.DataFrame:
    """Odds ratio of a positive answer per extra event on the item's law, with its 95% CI.

    Answers are linked to events by :func:`exposure_answers`. Each design is a logistic
    regression (statsmodels GLM, Binomial, logit link) of the answer (positive or not) on
    exposure, fitted twice: on the number of events (odds ratio per extra event) and on
    log(1 + events) (diminishing returns):

    - ``topic_matched``: village and item fixed effects. Exposure differs between the laws
      within a village, and the odds ratio compares a village's residents' awareness of the
      laws it publicised more with the laws it publicised less. Villages (and items) whose
      answers are all positive or all negative carry no information and are left out.
    - ``between``: item fixed effects only: villages with more events are compared with
      villages with fewer. Labelled as such: a village that is more active and better informed
      for other reasons makes this estimate too large.

    Standard errors are cluster-robust by village (sandwich with the usual small-sample factor
    G/(G−1)·(N−1)/(N−K)); intervals use Student's t with G − 1 degrees of freedom, G villages.
    Survey weights enter as variance weights, normalised to mean 1 (pseudo-likelihood: the
    point estimates are the weighted ones, the sandwich is the design-based one).

    Parameters
    ----------
    responses, codebook, events, event_topics, villages, window_months, domain, weight
        As for :func:`exposure_answers`.
    by : str or list of str, default ("topic_matched", "between")
        Designs to fit.
    terms : str or list of str, default ("events", "log1p_events")
        Exposure terms (:data:`TERMS`): the number of events, log(1 + events).
    per_topic : bool, default True
        Also fit one exposure slope per law (rows with ``topic`` set), for the chart.
    level : float, default 0.95
        Confidence level.
    settings : Settings, optional
        Default ``pufa.toml``.

    Returns
    -------
    pandas.DataFrame
        One row per design × term (× topic): ``design, term, topic`` (NA for all topics
        together), ``odds_ratio, ci_low, ci_high, coef, se, p_value, n_respondents, n_answers,
        n_villages, n_items, n_topics, mean_events, window_months, weighted``. An estimate that
        is not identified (exposure does not vary within villages, or one village only) is NaN.
        ``attrs``: ``design`` (the labels of :data:`DESIGNS`), ``caveat`` (zh, en), and
        ``not_assessed`` with what was left out.

    Examples
    --------
    Two villages, two laws, 20 residents each: village A held 4 events on the Civil Code and
    none on drugs; village B the other way round. Residents know the law their village
    publicised better (16 of 20 against 8 of 20 in each village):

    >>> from pufa_metrics import Settings
    >>> events = pd.DataFrame({
    ...     "date": pd.to_datetime(["2025-03-01"] * 8),
    ...     "village_id": ["A"] * 4 + ["B"] * 4, "topic": ["民法典"] * 4 + ["禁毒"] * 4})
    >>> know = ["知道"] * 16 + ["不知道"] * 4
    >>> half = ["知道"] * 8 + ["不知道"] * 12
    >>> responses = pd.DataFrame({
    ...     "response_id": [str(i) for i in range(40)], "village_id": ["A"] * 20 + ["B"] * 20,
    ...     "date": pd.to_datetime(["2025-06-01"] * 40),
    ...     "q1": know + half, "q2": half + know})
    >>> codebook = pd.DataFrame({"item": ["q1", "q2"], "domain": ["awareness"] * 2,
    ...     "text": ["是否知道民法典", "是否了解禁毒法"], "positive": [("知道",)] * 2})
    >>> out = exposure_effect(responses, codebook, events, by="topic_matched",
    ...                       per_topic=False, settings=Settings())
    >>> row = out.iloc[0]
    >>> row["term"], round(float(row["odds_ratio"]), 3), int(row["n_answers"])
    ('events', 1.565, 80)

    The odds ratio per event is (16/4 ÷ 8/12) ** (1/4) = 6 ** 0.25 = 1.565.
    """
    level_ok = isinstance(level, float) and 0 < level < 1
    if not level_ok:
        raise ValueError(f"'level' should be a number between 0 and 1, got {level!r}")
    designs = _designs(by)
    terms = _terms(terms)
    answers = exposure_answers(
        responses, codebook, events, event_topics=event_topics, villages=villages,
        window_months=window_months, domain=domain, weight=weight, settings=settings,
    )
    months = int(answers.attrs["window_months"])
    weighted = bool(len(answers) and not np.allclose(answers["weight"].to_numpy(), 1.0))
    rows: list[dict[str, Any]] = []
    notes = list(answers.attrs.get("not_assessed", ()))
    with _one_blas_thread():
        for design in designs:  # two designs × two terms × (all topics, per topic): ≤ 8 fits
            rows += _design_rows(answers, design, terms, per_topic, level, notes)
    out = pd.DataFrame(rows, columns=list(_RESULT_COLUMNS)[:-2]) if rows else \
        pd.DataFrame(columns=list(_RESULT_COLUMNS)[:-2])
    out["window_months"] = months
    out["weighted"] = weighted
    out = out.astype(_RESULT_COLUMNS)
    out.attrs["design"] = {d: DESIGNS[d] for d in designs}
    out.attrs["caveat"] = _CAVEAT
    if notes or out.empty:
        if out.empty and not notes:
            notes.append(("没有足够的回答拟合模型，未评估普法实效",
                          "Too few answers to fit the model: effect not assessed"))
        out.attrs["not_assessed"] = tuple(dict.fromkeys(notes))
    return out


# --------------------------------------------------------------------------------------------
# In words
# --------------------------------------------------------------------------------------------


def _or_text(row: pd.Series, lang: str) -> str:
    value, lo, hi = _fmt_number(np.array([row["odds_ratio"], row["ci_low"], row["ci_high"]]), 2)
    if lang == "zh":
        return f"{value}倍（95%CI {lo}–{hi}）"
    return f"{value} (95% CI {lo}–{hi})"


def _verdict(row: pd.Series, lang: str) -> str:
    if not np.isfinite(row["ci_low"]):
        return "无法估计" if lang == "zh" else "cannot be estimated"
    if row["ci_low"] > 1:
        return "正相关明确" if lang == "zh" else "a clear positive association"
    if row["ci_high"] < 1:
        return "负相关明确" if lang == "zh" else "a clear negative association"
    return "不能排除没有关联" if lang == "zh" else "no association cannot be ruled out"


def effect_sentences(result: pd.DataFrame, *, lang: str = "zh") -> tuple[str, ...]:
    """The result of :func:`exposure_effect` in a few sentences, and the caveat.

    One sentence per design: the odds ratio per extra event (all laws together), its interval's
    verdict and the sizes.

    A verdict is read from the interval, never from the point estimate alone: "clear" when the
    whole interval is above (below) 1.

    Examples
    --------
    >>> result = pd.DataFrame({"design": ["topic_matched"], "term": ["events"], "topic": [None],
    ...     "odds_ratio": [1.08], "ci_low": [1.02], "ci_high": [1.15], "n_respondents": [812],
    ...     "n_answers": [3200], "n_villages": [28], "window_months": [12]})
    >>> print(effect_sentences(result, lang="en")[0])  # doctest: +NORMALIZE_WHITESPACE
    Within villages, across topics (village and item fixed effects): each extra event on a law
    in the 12 months before the survey goes with odds of knowing that law 1.08 (95% CI
    1.02–1.15) times as high: a clear positive association (28 villages, 812 respondents, 3200
    answers).
    """
    _check_frame(result, "result", ["design", "term", "topic", "odds_ratio", "ci_low",
                                    "ci_high", "n_respondents", "n_answers", "n_villages"])
    lang = _check_lang(lang)
    pooled = result[(result["term"] == "events").to_numpy() & result["topic"].isna().to_numpy()]
    lines = []
    for _, row in pooled.iterrows():  # one row per design (two at most)
        label = DESIGNS.get(row["design"], (row["design"], row["design"]))
        months = int(row["window_months"]) if "window_months" in row.index else 12
        n = _fmt_number(np.array([row["n_villages"], row["n_respondents"], row["n_answers"]]), 0)
        if lang == "zh":
            lines.append(
                f"{label[0]}：调查前{months}个月内某法律的宣传活动每多一场，群众知晓该法律的几率"
                f"为原来的{_or_text(row, lang)}，{_verdict(row, lang)}（{n[0]}个村、{n[1]}人、"
                f"{n[2]}个回答）。")
        else:
            lines.append(
                f"{label[1][0].upper()}{label[1][1:]}: each extra event on a law in the {months} "
                f"months before the survey goes with odds of knowing that law "
                f"{_or_text(row, lang)} times as high: {_verdict(row, lang)} ({n[0]} villages, "
                f"{n[1]} respondents, {n[2]} answers).")
    if pooled.empty:
        reasons = result.attrs.get("not_assessed", ())
        lines.append(reasons[-1][0 if lang == "zh" else 1] if reasons else
                     ("未评估普法实效" if lang == "zh" else "Effect not assessed"))
    lines.append(_CAVEAT[0] if lang == "zh" else _CAVEAT[1])
    return tuple(lines)
