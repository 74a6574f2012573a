"""The awareness verdict is decided once (issue #16 point 4).

Hand counts: target 0.9 and min_respondents 10 throughout unless said otherwise.
"""

import numpy as np
import pandas as pd
import pytest

from pufa_metrics.blindspots import find_blind_spots
from pufa_metrics.config import Settings
from pufa_metrics.survey import VERDICTS, awareness_verdict


def _rates(**columns):
    base = {"village_id": ["V1"], "item": ["q1"], "domain": ["awareness"]}
    base.update(columns)
    return pd.DataFrame(base)


@pytest.mark.parametrize(
    ("n", "lo", "hi", "lqas", "status", "expected"),
    [
        (60, 0.91, 0.99, None, "ok", "reached"),  # lower limit 0.91 ≥ 0.90
        (60, 0.90, 0.99, None, "ok", "reached"),  # at the target counts as reaching it
        (30, 0.42, 0.89, None, "ok", "low"),  # upper limit 0.89 < 0.90
        (30, 0.80, 0.98, "below", "ok", "low"),  # CI straddles, LQAS fails
        (19, 0.80, 0.98, "reaches", "ok", "reached_lqas"),  # straddles, LQAS passes
        (19, 0.80, 0.98, "too_few", "ok", "uncertain"),
        (9, 0.10, 0.20, "below", "ok", "insufficient"),  # 9 < 10 answers: never low
        (10, 0.10, 0.20, None, "ok", "low"),  # 10 answers is enough
        (30, np.nan, np.nan, "not_assessed", "needs_codebook", "not_assessed"),
        (0, np.nan, np.nan, None, "needs_codebook", "insufficient"),  # no answers at all
    ],
)
def test_one_row(n, lo, hi, lqas, status, expected):
    rates = _rates(n=[n], ci_low=[lo], ci_high=[hi], lqas=[lqas], status=[status])
    out = awareness_verdict(rates, target=0.9, min_respondents=10)
    assert out["verdict"].tolist() == [expected]
    assert out["verdict_zh"].tolist() == [VERDICTS[expected][0]]
    assert out["target"].tolist() == [0.9]
    assert "verdict" not in rates.columns  # nothing mutated


def test_pooled_items():
    rates = pd.DataFrame({
        "village_id": ["A", "A", "B", "B", "C", "C", "D", "D", "E"],
        "item": ["q1", "q2"] * 4 + ["q1"],
        "n": [20, 20, 20, 20, 5, 6, 20, 20, 20],
        "rate": [0.95, 0.70, 0.96, 0.94, 1.0, 1.0, 0.95, 0.9, 0.95],
        "ci_low": [0.91, 0.48, 0.92, 0.80, 0.5, 0.6, 0.91, 0.7, 0.91],
        "ci_high": [0.99, 0.86, 0.99, 0.98, 1.0, 1.0, 0.99, 0.97, 0.99],
        "lqas": ["reaches", "below", "reaches", "reaches", "too_few", "too_few", "reaches",
                 "too_few", "reaches"],
    })
    out = awareness_verdict(rates, target=0.9, min_respondents=10, pool_items=True)
    got = out.set_index("village_id")
    # A: q2's upper limit 0.86 < 0.9 → low; B: q1 reached, q2 by LQAS → reached_lqas;
    # C: 5 and 6 answers → insufficient; D: q2 straddles without LQAS → uncertain; E reached
    assert got["verdict"].to_dict() == {"A": "low", "B": "reached_lqas", "C": "insufficient",
                                        "D": "uncertain", "E": "reached"}
    assert got.loc["A", "low_items"] == ("q2",)
    assert got.loc["B", "low_items"] == ()
    assert got["n_items"].tolist() == [2, 2, 2, 2, 1]
    assert got.loc["A", "rate"] == pytest.approx((0.95 + 0.70) / 2)
    assert got.loc["C", "n"] == 6  # the largest item count


def test_village_column_is_an_argument():
    rates = pd.DataFrame({"村": ["甲", "甲"], "item": ["q1", "q2"], "n": [20, 20],
                          "ci_low": [0.91, 0.48], "ci_high": [0.99, 0.86]})
    out = awareness_verdict(rates, target=0.9, min_respondents=10, pool_items=True, by="村")
    assert out[["村", "verdict"]].values.tolist() == [["甲", "low"]]
    with pytest.raises(ValueError, match="village_id"):
        awareness_verdict(rates, target=0.9, min_respondents=10, pool_items=True)


def test_targets_and_counts_come_from_settings():
    settings = Settings.load()
    rates = _rates(n=[settings.targets["min_respondents"] - 1], ci_low=[0.1], ci_high=[0.2])
    assert awareness_verdict(rates, settings=settings)["verdict"].tolist() == ["insufficient"]
    support = _rates(domain=["support"], n=[50], ci_low=[0.5], ci_high=[0.6])
    out = awareness_verdict(support, settings=settings)
    assert out["target"].tolist() == [settings.targets["support"]]


def test_bad_arguments():
    rates = _rates(n=[10], ci_low=[0.1], ci_high=[0.2])
    with pytest.raises(TypeError, match="rates"):
        awareness_verdict(rates.to_dict())
    with pytest.raises(ValueError, match="ci_high"):
        awareness_verdict(rates.drop(columns="ci_high"), target=0.9, min_respondents=1)
    with pytest.raises(ValueError, match="min_respondents"):
        awareness_verdict(rates, target=0.9, min_respondents=-1)
    with pytest.raises(TypeError, match="target"):
        awareness_verdict(rates, target="90%", min_respondents=1)


def test_agrees_with_the_follow_up_list_on_the_sample():
    """Every village find_blind_spots flags low_awareness is 'low' here, and only those; every
    unknown_awareness village is 'insufficient' (the sample's rates, pufa.toml settings)."""
    from pufa_metrics.coverage import village_coverage
    from pufa_metrics.sample import make_sample
    from pufa_metrics.workflow import village_rates

    t = make_sample()
    settings = Settings.load()
    cov = village_coverage(t["events"], t["villages"], start=settings.start, end=settings.end)
    rates = village_rates(t["responses"], t["codebook"], settings=settings, shrink=False)
    follow = find_blind_spots(cov, rates=rates, settings=settings, include_all=True,
                              codebook=t["codebook"])
    aware = rates[rates["domain"] == "awareness"]
    verdict = awareness_verdict(aware, settings=settings, pool_items=True).set_index(
        "village_id")["verdict"]
    has = follow["reasons"].map(lambda r: "low_awareness" in r)
    unknown = follow["reasons"].map(lambda r: "unknown_awareness" in r)
    surveyed = follow.index.intersection(verdict.index)
    assert has.sum() > 0 and (verdict == "low").sum() > 0  # the test can fail both ways
    assert set(follow.index[has]) == set(verdict.index[verdict == "low"])
    assert set(follow.index[unknown]) == (
        set(verdict.index[verdict == "insufficient"]) | set(follow.index.difference(surveyed)))


def _clustered_survey():
    # villages A (4 of 5 aware on q1, 3 of 5 on q2) and B (1 of 5, 2 of 5): hand-countable
    responses = pd.DataFrame({
        "area": ["甲"] * 10,
        "village_id": ["A"] * 5 + ["B"] * 5,
        "q1": ["知道"] * 4 + ["不知道"] + ["知道"] + ["不知道"] * 4,
        "q2": ["知道"] * 3 + ["不知道"] * 2 + ["知道"] * 2 + ["不知道"] * 3,
    })
    codebook = pd.DataFrame({"item": ["q1", "q2"], "text": ["a", "b"],
                             "domain": ["awareness"] * 2, "positive": [("知道",)] * 2,
                             "missing": [()] * 2})
    return responses, codebook


def test_pooled_rates_without_clusters_is_not_labelled_cluster():
    from pufa_metrics.survey import pooled_rates

    responses, codebook = _clustered_survey()
    assert pooled_rates(responses, codebook, by=None)["design"].tolist() == ["cluster"]
    assert pooled_rates(responses, codebook, by=None, cluster=None)["design"].tolist() == ["srs"]


def test_pooled_from_rates_equals_pooled_rates_without_weights():
    from pufa_metrics.survey import awareness_rates, pooled_from_rates, pooled_rates

    responses, codebook = _clustered_survey()
    direct = pooled_rates(responses, codebook, by="area")
    rates = awareness_rates(responses, codebook, by=["area", "village_id"])
    via = pooled_from_rates(rates, by="area")
    # 10 of 20 answers positive: R = 0.5; z = (7 − 5, 3 − 5); var = 2 × 8 / 20² = 0.04
    assert via["rate"].tolist() == [0.5] and via["se"].tolist() == pytest.approx([0.2])
    for column in ("rate", "se", "n_eff", "ci_low", "ci_high", "deff"):
        assert via[column].tolist() == pytest.approx(direct[column].tolist()), column
    # the village column is an argument
    renamed = pooled_from_rates(rates.rename(columns={"village_id": "村"}), by="area",
                                cluster="村")
    assert renamed["se"].tolist() == pytest.approx([0.2])
