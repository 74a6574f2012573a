"""Tests for pufa_metrics.survey.

Expected values come from: the published reference tables in shared/reference (R ``binom`` via
statsmodels' test results; LQAS tables), statsmodels / scipy as second implementations, and
tables small enough to check by hand (the arithmetic is written next to each number).
"""

import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats
from statsmodels.stats.proportion import proportion_confint

from pufa_metrics.survey import (
    LQASRule,
    awareness_rates,
    kish_effective_n,
    lqas_classify,
    lqas_decision_rule,
    proportion_ci,
    rake_weights,
    shrink_rates,
)


def _reference_dir() -> Path:
    """The published values: tests/data/reference, a verbatim copy of the team's
    shared/reference (tests/test_reference_copy.py checks the copy when shared/ is beside the repo).
    """
    return Path(__file__).resolve().parent / "data" / "reference"


# --------------------------------------------------------------------------------------------
# proportion_ci
# --------------------------------------------------------------------------------------------


def _ci_rows():
    path = _reference_dir() / "proportion_ci_published.csv"
    return pd.read_csv(path).to_dict("records")


@pytest.mark.parametrize("row", _ci_rows(), ids=lambda r: f"{r['method']}-{r['k']}/{r['n']}")
def test_proportion_ci_reproduces_published_values(row):
    low, high = proportion_ci(row["k"], row["n"], method=row["method"], level=row["level"])
    assert abs(low - row["ci_low"]) < 1e-9
    assert abs(high - row["ci_high"]) < 1e-9


# our name -> statsmodels' name, written out here independently of the module's table
SM_NAMES = {
    "wilson": "wilson",
    "clopper-pearson": "beta",
    "jeffreys": "jeffreys",
    "agresti-coull": "agresti_coull",
    "normal": "normal",
}


@pytest.mark.parametrize("method", sorted(SM_NAMES))
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_proportion_ci_agrees_with_statsmodels_on_a_grid(method, level):
    n = np.array([1, 2, 5, 7.5, 10, 19, 20, 33.3, 100, 1000, 2.6666666666666665])
    frac = np.array([0, 0.1, 0.25, 0.5, 0.77, 1])
    kk = (n[:, None] * frac[None, :]).ravel()  # non-integer k and n included
    nn = np.repeat(n, len(frac))
    low, high = proportion_ci(kk, nn, method=method, level=level)
    sm_low, sm_high = proportion_confint(kk, nn, alpha=1 - level, method=SM_NAMES[method])
    if method == "jeffreys":  # Brown-Cai-DasGupta boundaries (test below): 0 at k=0, 1 at k=n
        sm_low = np.where(kk == 0, 0.0, sm_low)
        sm_high = np.where(kk == nn, 1.0, sm_high)
    np.testing.assert_allclose(low, sm_low, rtol=0, atol=1e-12)
    np.testing.assert_allclose(high, sm_high, rtol=0, atol=1e-12)


def test_proportion_ci_shapes_scalars_and_n_zero():
    low, high = proportion_ci(4, 20)
    assert isinstance(low, float) and isinstance(high, float)
    low, high = proportion_ci(pd.Series([4, 0, 3]), pd.Series([20, 0, 3]))
    assert isinstance(low, np.ndarray) and low.shape == (3,)
    assert np.isnan(low[1]) and np.isnan(high[1])  # n = 0 -> NaN, no warning
    assert high[2] == 1.0  # 3/3: Wilson upper bound clipped to 1
    assert all(np.isnan(proportion_ci(0, 0)))
    # aliases
    assert proportion_ci(4, 20, method="beta") == proportion_ci(4, 20, method="clopper-pearson")
    assert proportion_ci(4, 20, method="agresti_coull") == proportion_ci(
        4, 20, method="agresti-coull"
    )


def test_jeffreys_boundaries_follow_brown_cai_dasgupta():
    # BCD (2001): at k = 0 the lower bound is 0, the upper the Beta(1/2, n + 1/2) quantile;
    # symmetrically at k = n. In between, the equal-tailed posterior quantiles (statsmodels).
    low, high = proportion_ci(0, 30, method="jeffreys")
    assert low == 0.0
    assert high == pytest.approx(stats.beta.isf(0.025, 0.5, 30.5), abs=1e-15)
    low, high = proportion_ci(30, 30, method="jeffreys")
    assert high == 1.0
    assert low == pytest.approx(stats.beta.ppf(0.025, 30.5, 0.5), abs=1e-15)


def test_proportion_ci_input_errors():
    with pytest.raises(ValueError, match="'k' should lie between 0 and n"):
        proportion_ci(21, 20)
    with pytest.raises(ValueError, match="'n' should not be negative"):
        proportion_ci(0, -1)
    with pytest.raises(ValueError, match="'method' was 'logit'"):
        proportion_ci(4, 20, method="logit")
    with pytest.raises(ValueError, match="'level' should be between 0 and 1"):
        proportion_ci(4, 20, level=95)
    with pytest.raises(TypeError, match="'k' should be a number"):
        proportion_ci("4", 20)
    with pytest.raises(ValueError, match="same length"):
        proportion_ci([1, 2], [3, 4, 5])


# --------------------------------------------------------------------------------------------
# kish_effective_n
# --------------------------------------------------------------------------------------------


def test_kish_effective_n_by_hand():
    assert kish_effective_n([2.0, 2.0, 2.0]) == 3.0  # 6² / 12
    assert kish_effective_n([1, 2, 1]) == pytest.approx(16 / 6)  # 4² / (1 + 4 + 1)
    assert kish_effective_n([]) == 0.0
    with pytest.raises(ValueError, match="non-negative and finite"):
        kish_effective_n([1.0, np.nan])


# --------------------------------------------------------------------------------------------
# awareness_rates on a hand-checkable table
# --------------------------------------------------------------------------------------------


@pytest.fixture
def responses():
    return pd.DataFrame(
        {
            "response_id": ["r1", "r2", "r3", "r4", "r5", "r6", "r7"],
            "village_id": ["A", "A", "A", "A", "B", "B", "B"],
            "gender": pd.array(["男", "女", "女", "男", "男", "女", None], dtype="str"),
            "weight": [1.0, 2.0, 1.0, 4.0, 2.0, 1.0, 1.0],
            "q1": pd.array(
                ["知道", "听说过", "不知道", "不清楚", "知道", None, "未作答"], dtype="str"
            ),
            "q2": pd.array(["18岁", "不知道", "16岁", "18岁", None, None, " "], dtype="str"),
        }
    )


@pytest.fixture
def codebook():
    return pd.DataFrame(
        {
            "item": ["q1", "q2"],
            "text": ["您是否知道国家宪法日？", "法定婚龄/成年年龄是几岁？"],
            "domain": ["awareness", "knowledge"],
            "positive": [("知道", "听说过"), ()],
            "missing": [("不清楚", "未作答"), ("不清楚",)],
            "correct": [np.nan, "18岁"],
        }
    )


def test_awareness_rates_weighted_by_hand(responses, codebook):
    before = responses.copy()
    out = awareness_rates(responses, codebook)
    pd.testing.assert_frame_equal(responses, before)  # input untouched
    assert list(out.columns) == [
        "village_id",
        "item",
        "domain",
        "n",
        "n_positive",
        "rate",
        "n_eff",
        "ci_low",
        "ci_high",
        "n_unclassified",
        "status",
    ]
    out = out.set_index(["village_id", "item"])
    # A q1: answered 知道(w1,+) 听说过(w2,+) 不知道(w1,-); 不清楚 is no answer.
    #   n = 3, n_pos = 2, rate = (1 + 2) / (1 + 2 + 1) = 0.75, n_eff = 4² / (1 + 4 + 1) = 16/6
    a1 = out.loc[("A", "q1")]
    assert (a1["n"], a1["n_positive"], a1["domain"]) == (3, 2, "awareness")
    assert a1["rate"] == pytest.approx(0.75)
    assert a1["n_eff"] == pytest.approx(16 / 6)
    # B q1: 知道(w2,+); NaN and 未作答 are no answer -> n = 1, rate 1, n_eff = 2²/2² = 1
    b1 = out.loc[("B", "q1")]
    assert (b1["n"], b1["n_positive"], b1["rate"], b1["n_eff"]) == (1, 1, 1.0, 1.0)
    # A q2 (knowledge, correct 18岁): 18岁(w1,+) 不知道(w2, answered, wrong) 16岁(w1,-) 18岁(w4,+)
    #   n = 4, n_pos = 2, rate = (1 + 4) / 8 = 0.625, n_eff = 8² / (1 + 4 + 1 + 16) = 64/22
    a2 = out.loc[("A", "q2")]
    assert (a2["n"], a2["n_positive"]) == (4, 2)
    assert a2["rate"] == pytest.approx(0.625)
    assert a2["n_eff"] == pytest.approx(64 / 22)
    # B q2: NaN, NaN, blank -> nobody answered: row kept with n = 0 and NaN rate / bounds
    b2 = out.loc[("B", "q2")]
    assert b2["n"] == 0 and b2["n_eff"] == 0
    assert np.isnan(b2["rate"]) and np.isnan(b2["ci_low"]) and np.isnan(b2["ci_high"])
    # The interval is statsmodels' Wilson on the effective counts.
    for row in (a1, b1, a2):
        low, high = proportion_confint(row["rate"] * row["n_eff"], row["n_eff"], method="wilson")
        assert row["ci_low"] == pytest.approx(low, abs=1e-12)
        assert row["ci_high"] == pytest.approx(high, abs=1e-12)


def test_awareness_rates_method_and_level(responses, codebook):
    out = awareness_rates(responses, codebook, method="clopper-pearson", level=0.9, items="q1")
    a1 = out[out["village_id"] == "A"].iloc[0]
    low, high = proportion_confint(0.75 * 16 / 6, 16 / 6, alpha=0.1, method="beta")
    assert (a1["ci_low"], a1["ci_high"]) == pytest.approx((low, high), abs=1e-12)


def test_awareness_rates_unweighted_and_by_none(responses, codebook):
    out = awareness_rates(responses, codebook, weight=False, by=None, items="q1")
    assert list(out.columns)[0] == "item" and len(out) == 1
    # answered: 知道 听说过 不知道 (A) + 知道 (B) -> 3 of 4; n_eff = n without weights
    row = out.iloc[0]
    assert (row["n"], row["n_positive"], row["rate"], row["n_eff"]) == (4, 3, 0.75, 4.0)
    low, high = proportion_confint(3, 4, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)
    weighted = awareness_rates(responses, codebook, by=None, items="q1").iloc[0]
    # weights 1, 2, 1 (A) and 2 (B): rate = (1 + 2 + 2) / 6, n_eff = 6² / (1 + 4 + 1 + 4) = 3.6
    assert weighted["rate"] == pytest.approx(5 / 6)
    assert weighted["n_eff"] == pytest.approx(3.6)


def test_awareness_rates_several_group_columns_keep_missing_keys(responses, codebook):
    out = awareness_rates(responses, codebook, by=["village_id", "gender"], items=["q1"])
    got = out[["village_id", "gender", "n", "n_positive"]].astype(object)
    got = got.where(got.notna(), None).values.tolist()
    # A男: 知道 (+), 不清楚 (none); A女: 听说过 (+), 不知道; B男: 知道; B女: NaN; B<NA>: 未作答
    assert got == [
        ["A", "女", 2, 1],
        ["A", "男", 1, 1],
        ["B", "女", 0, 0],
        ["B", "男", 1, 1],
        ["B", None, 0, 0],
    ]
    a_female = out[(out["village_id"] == "A") & (out["gender"] == "女")].iloc[0]
    assert a_female["rate"] == pytest.approx(2 / 3)  # weights 2 (+) and 1 (-)


def test_awareness_rates_domain_items_and_codebook_text(responses, codebook):
    out = awareness_rates(responses, codebook, domain="knowledge")
    assert out["item"].unique().tolist() == ["q2"]
    text_codebook = codebook.assign(
        positive=["知道、听说过", ""], missing=["不清楚|未作答", "不清楚"]
    )
    pd.testing.assert_frame_equal(
        awareness_rates(responses, text_codebook), awareness_rates(responses, codebook)
    )
    # A placeholder weight column that is entirely empty counts as "no weights".
    empty_w = responses.assign(weight=np.nan)
    pd.testing.assert_frame_equal(
        awareness_rates(empty_w, codebook), awareness_rates(responses, codebook, weight=False)
    )


def test_awareness_rates_dtypes(responses, codebook):
    out = awareness_rates(responses, codebook)
    assert out["village_id"].dtype == "str" and out["item"].dtype == "str"
    assert out["n"].dtype == "int64" and out["n_positive"].dtype == "int64"
    assert out["rate"].dtype == "float64"


def test_awareness_rates_input_errors(responses, codebook):
    with pytest.raises(ValueError, match=r"weight column 'weight'.*1 of 7 rows"):
        awareness_rates(responses.assign(weight=[1, 1, 1, 0, 1, 1, 1.0]), codebook)
    with pytest.raises(ValueError, match=r"1 of 7 rows"):
        awareness_rates(responses.assign(weight=[1, 1, 1, np.nan, 1, 1, 1.0]), codebook)
    with pytest.raises(ValueError, match=r"no column for codebook items \['q2'\]"):
        awareness_rates(responses.drop(columns="q2"), codebook)
    with pytest.raises(ValueError, match="both as positive and as missing"):
        awareness_rates(responses, codebook.assign(missing=[("知道",), ()]))
    with pytest.raises(ValueError, match="has no column 'town'"):
        awareness_rates(responses, codebook, by="town")
    with pytest.raises(ValueError, match="'domain' \\['support'\\] has no item"):
        awareness_rates(responses, codebook, domain="support")
    with pytest.raises(ValueError, match="'items' \\['q9'\\] are not in the codebook"):
        awareness_rates(responses, codebook, items=["q9"])
    with pytest.raises(ValueError, match="'weight' names column 'w'"):
        awareness_rates(responses, codebook, weight="w")
    with pytest.raises(TypeError, match="'responses' should be a pandas DataFrame"):
        awareness_rates([1, 2], codebook)
    with pytest.raises(ValueError, match="'method' was"):
        awareness_rates(responses, codebook, method="bogus")


# --------------------------------------------------------------------------------------------
# rake_weights
# --------------------------------------------------------------------------------------------


def test_rake_independent_two_by_two_by_hand():
    # One respondent per gender × age cell; the sample is "independent", so each weight is
    # total × share(gender) × share(age) with total = 4:
    #   男/young 4·0.6·0.7 = 1.68, 男/old 4·0.6·0.3 = 0.72, 女/young 4·0.4·0.7 = 1.12,
    #   女/old 4·0.4·0.3 = 0.48
    r = pd.DataFrame({"gender": ["男", "男", "女", "女"], "age_group": ["y", "o", "y", "o"]})
    margins = {"gender": pd.Series({"男": 0.6, "女": 0.4}), "age_group": {"y": 0.7, "o": 0.3}}
    out = rake_weights(r, margins)
    np.testing.assert_allclose(out["weight"], [1.68, 0.72, 1.12, 0.48], rtol=1e-9)
    assert "weight" not in r.columns  # input untouched


def test_rake_dependent_two_by_two_matches_the_quadratic_solution():
    # Cells: 男/y ×2, 男/o ×1, 女/y ×1, 女/o ×1 (N = 5). Targets: 男 60 % -> R1 = 3,
    # y 50 % -> C1 = 2.5. Raking keeps the sample's cross-product ratio
    # T11·T22 / (T12·T21) = (2·1)/(1·1) = 2. With T11 = x: T12 = 3 - x, T21 = 2.5 - x,
    # T22 = 5 - 3 - 2.5 + x = x - 0.5, so x(x - 0.5) = 2(3 - x)(2.5 - x)
    # <=> x² - 10.5x + 15 = 0 <=> x = (10.5 - sqrt(10.5² - 60)) / 2 = (10.5 - sqrt(50.25)) / 2.
    x = (10.5 - math.sqrt(50.25)) / 2  # = 1.70563829...
    r = pd.DataFrame(
        {"gender": ["男", "男", "男", "女", "女"], "age_group": ["y", "y", "o", "y", "o"]}
    )
    out = rake_weights(
        r,
        {"gender": pd.Series({"男": 0.6, "女": 0.4}), "age_group": pd.Series({"y": 0.5, "o": 0.5})},
    )
    expected = [x / 2, x / 2, 3 - x, 2.5 - x, x - 0.5]  # cell total / people in the cell
    np.testing.assert_allclose(out["weight"], expected, rtol=1e-7)
    # margins matched to 1e-6
    shares_g = out.groupby("gender")["weight"].sum() / out["weight"].sum()
    shares_a = out.groupby("age_group")["weight"].sum() / out["weight"].sum()
    assert abs(shares_g["男"] - 0.6) < 1e-6 and abs(shares_a["y"] - 0.5) < 1e-6


def test_rake_counts_are_rescaled_and_base_weights_kept_in_ratio():
    r = pd.DataFrame(
        {"gender": ["男", "男", "女"], "age_group": ["y", "y", "o"], "weight": [1.0, 3.0, 2.0]}
    )
    shares = rake_weights(r, {"gender": pd.Series({"男": 0.5, "女": 0.5})})
    counts = rake_weights(r, {"gender": pd.Series({"男": 5000, "女": 5000})})
    np.testing.assert_allclose(shares["weight"], counts["weight"])
    # Sample total = Σ base weights = 6; 男 gets 3 split 1:3 as in the base weights, 女 gets 3.
    np.testing.assert_allclose(shares["weight"], [0.75, 2.25, 3.0])


def test_rake_errors():
    r = pd.DataFrame({"gender": ["男", "女"], "age_group": ["y", "o"]})
    with pytest.raises(
        ValueError, match=r"margin 'gender' has categories with no respondent: \['其他'\]"
    ):
        rake_weights(r, {"gender": pd.Series({"男": 0.4, "女": 0.4, "其他": 0.2})})
    with pytest.raises(
        ValueError, match=r"column 'gender' has respondents in categories .*\['女'\]"
    ):
        rake_weights(r, {"gender": pd.Series({"男": 1.0})})
    with pytest.raises(ValueError, match="column 'gender' of 'responses' is missing in 1 rows"):
        rake_weights(r.assign(gender=["男", None]), {"gender": pd.Series({"男": 1.0})})
    # Only 男/y and 女/o in the sample: gender 50/50 forces equal weights, age 20/80 does not.
    with pytest.raises(
        ValueError, match=r"did not converge in 100 sweeps.*differs from its target by"
    ):
        rake_weights(
            r,
            {
                "gender": pd.Series({"男": 0.5, "女": 0.5}),
                "age_group": pd.Series({"y": 0.2, "o": 0.8}),
            },
        )
    with pytest.raises(ValueError, match="'max_iter' should be a positive integer"):
        rake_weights(r, {"gender": pd.Series({"男": 0.5, "女": 0.5})}, max_iter=0)
    with pytest.raises(TypeError, match="'margins' should be a non-empty dict"):
        rake_weights(r, {})


# --------------------------------------------------------------------------------------------
# LQAS
# --------------------------------------------------------------------------------------------


def _lqas_rows():
    return pd.read_csv(_reference_dir() / "lqas_published.csv").to_dict("records")


@pytest.mark.parametrize("row", _lqas_rows(), ids=lambda r: f"n{r['n']}-{r['target']}")
def test_lqas_reproduces_published_rules(row):
    rule = lqas_decision_rule(int(row["n"]), float(row["target"]))
    assert isinstance(rule, LQASRule)
    assert rule.d == int(row["decision_rule"])


def test_lqas_n19_80_risks_and_pmc_table():
    rule = lqas_decision_rule(19, 0.80)
    # docs/indicators.md (computed): alpha 0.068, beta 0.084; PMC3013262 Table 1 prints 0.07 / 0.08.
    assert (rule.lower, rule.d) == (0.5, 13)
    assert round(rule.alpha, 3) == 0.068 and round(rule.beta, 3) == 0.084
    # PMC3013262 Table 1 (d counts UNimmunised: <= 4, 5, 6, 7 -> at least 15, 14, 13, 12 covered):
    # 1-a (provider risk) and 1-b (consumer risk) to two decimals; totals as printed (0.20 for
    # d = 5 is the printed total, 0.1948 unrounded, hence the 0.01 tolerance on totals).
    pmc = {
        15: (0.33, 0.01, 0.34),
        14: (0.16, 0.03, 0.20),
        13: (0.07, 0.08, 0.15),
        12: (0.02, 0.18, 0.20),
    }
    for covered, (risk_a, risk_b, total) in pmc.items():
        r = lqas_decision_rule(19, 0.80, lower=0.5)
        alpha = stats.binom.cdf(covered - 1, 19, 0.8)  # P(X < d | 80 %)
        beta = stats.binom.sf(covered - 1, 19, 0.5)  # P(X >= d | 50 %)
        assert abs(alpha - risk_a) <= 0.005 and abs(beta - risk_b) <= 0.005
        assert abs(alpha + beta - total) <= 0.01
        if covered == r.d:
            assert (r.alpha, r.beta) == pytest.approx((alpha, beta), abs=1e-15)


def test_lqas_low_target_branch_by_hand():
    # n = 12, target 20 %: lower < 0, so the largest d with alpha <= 0.10.
    # alpha(1) = 0.8^12 = 0.0687; alpha(2) = 0.0687 + 12·0.2·0.8^11 = 0.2749 > 0.10 -> d = 1.
    rule = lqas_decision_rule(12, 0.20)
    assert rule.d == 1
    assert rule.alpha == pytest.approx(0.8**12)
    assert rule.beta == 0.0
    # 10 %: alpha(1) = 0.9^12 = 0.282 > 0.10 already -> no rule (N/A in the published table)
    na = lqas_decision_rule(12, 0.10)
    assert na.d is None and math.isnan(na.alpha)


def test_lqas_n19_row_matches_anchors_computed_row():
    # docs/indicators.md candidate n = 19 row (computed by the lead with the same convention, not a
    # published table): a soft cross-check of an independent computation.
    targets = [10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 95]
    expected = [None, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
    assert [lqas_decision_rule(19, t / 100).d for t in targets] == expected


def test_lqas_rule_errors():
    with pytest.raises(ValueError, match="'n' should be a positive whole number"):
        lqas_decision_rule(0, 0.8)
    with pytest.raises(ValueError, match="'target' should be strictly between 0 and 1"):
        lqas_decision_rule(19, 80)
    with pytest.raises(ValueError, match="'lower' should be below 'target'"):
        lqas_decision_rule(19, 0.8, lower=0.9)


def test_lqas_classify():
    rates = pd.DataFrame(
        {
            "village_id": ["A", "B", "C", "D", "E"],
            "n": [12, 12, 11, 24, 24],
            "n_positive": [8, 7, 11, 0, 24],
        },
        index=[10, 11, 12, 13, 14],
    )
    before = rates.copy()
    out = lqas_classify(rates, target=0.80, n=12)
    pd.testing.assert_frame_equal(rates, before)
    # n = 12 at 80 %: published rule 8 -> A (8) reaches, B (7) below; C has 11 < 12 answers.
    d24 = lqas_decision_rule(24, 0.80).d  # rows with 24 answers use the n = 24 rule
    assert out["lqas_d"].dtype == "Int64"
    assert out["lqas_d"].tolist() == [8, 8, pd.NA, d24, d24]
    assert out["lqas"].tolist() == ["reaches", "below", "too_few", "below", "reaches"]
    assert out["lqas"].dtype == "str"
    with pytest.raises(ValueError, match="has no column 'n_positive'"):
        lqas_classify(rates.drop(columns="n_positive"), target=0.8)


# --------------------------------------------------------------------------------------------
# shrink_rates
# --------------------------------------------------------------------------------------------


def test_shrink_with_a_fixed_prior_by_hand():
    # Prior Beta(2, 8): mean 0.2, a + b = 10.
    #   A: n 10, x 5 -> (5 + 2) / (10 + 10) = 0.35, weight 10 / 20 = 0.5, posterior Beta(7, 13)
    #   B: n 90, x 45 -> (45 + 2) / (90 + 10) = 0.47, weight 90 / 100 = 0.9, Beta(47, 53)
    #   C: n 0 -> prior mean 2 / 10 = 0.2, weight 0, posterior = prior Beta(2, 8)
    rates = pd.DataFrame(
        {
            "item": "q1",
            "village_id": ["A", "B", "C"],
            "rate": [0.5, 0.5, np.nan],
            "n_eff": [10.0, 90.0, 0.0],
        }
    )
    out = shrink_rates(rates, prior=(2.0, 8.0))
    np.testing.assert_allclose(out["rate_shrunk"], [0.35, 0.47, 0.2])
    np.testing.assert_allclose(out["shrink_weight"], [0.5, 0.9, 0.0])
    np.testing.assert_allclose(
        out["cred_low"], stats.beta.ppf(0.025, [7, 47, 2], [13, 53, 8]), rtol=1e-12
    )
    np.testing.assert_allclose(
        out["cred_high"], stats.beta.ppf(0.975, [7, 47, 2], [13, 53, 8]), rtol=1e-9
    )
    assert out["prior_a"].tolist() == [2.0] * 3 and out["prior_b"].tolist() == [8.0] * 3
    # A small village (A) moves more toward the prior mean than a large one (B).
    moved = (out["rate_shrunk"] - out["rate"]).abs()
    assert moved.iloc[0] > moved.iloc[1]


def test_shrink_mle_recovers_a_known_prior_and_matches_scipy_fit():
    rng = np.random.default_rng(20240501)
    p = rng.beta(6.0, 4.0, size=400)  # true prior: mean 0.6, a + b = 10
    n = np.full(400, 30)
    x = rng.binomial(n, p)
    rates = pd.DataFrame({"item": "q1", "rate": x / n, "n_eff": n.astype(float)})
    out = shrink_rates(rates)
    a, b = out["prior_a"].iloc[0], out["prior_b"].iloc[0]
    assert abs(a / (a + b) - 0.6) < 0.03
    assert 6 < a + b < 16
    # scipy's own beta-binomial maximum likelihood on the same counts (a second implementation)
    # (differential evolution is stochastic: seed it and polish, so the check is deterministic)
    def optimizer(fun, bounds, *, integrality):
        return optimize.differential_evolution(
            fun, bounds, integrality=integrality, seed=1, tol=1e-10, polish=True
        )

    fit = stats.fit(
        stats.betabinom,
        x,
        bounds={"n": (30, 30), "a": (0.01, 100), "b": (0.01, 100)},
        optimizer=optimizer,
    )
    assert a == pytest.approx(fit.params.a, rel=1e-3)
    assert b == pytest.approx(fit.params.b, rel=1e-3)


def test_shrink_without_overdispersion_pools_villages():
    rng = np.random.default_rng(7)
    n = rng.integers(5, 40, size=300)
    x = rng.binomial(n, 0.7)  # every village has the same true rate
    out = shrink_rates(pd.DataFrame({"item": "q1", "rate": x / n, "n_eff": n.astype(float)}))
    a, b = out["prior_a"].iloc[0], out["prior_b"].iloc[0]
    assert a + b > 100  # the prior concentrates
    assert out["shrink_weight"].max() < 0.3
    assert abs(out["rate_shrunk"] - x.sum() / n.sum()).max() < 0.05


def test_shrink_groups_by_item_and_small_groups():
    rng = np.random.default_rng(3)
    n = np.full(200, 20)
    frames = []
    for item, (a, b) in {"q1": (2.0, 2.0), "q2": (18.0, 2.0)}.items():
        x = rng.binomial(n, rng.beta(a, b, size=200))
        frames.append(pd.DataFrame({"item": item, "rate": x / n, "n_eff": n.astype(float)}))
    frames.append(pd.DataFrame({"item": ["q3"], "rate": [0.25], "n_eff": [4.0]}))
    out = shrink_rates(pd.concat(frames, ignore_index=True))
    means = (out["prior_a"] / (out["prior_a"] + out["prior_b"])).groupby(out["item"]).first()
    assert abs(means["q1"] - 0.5) < 0.05 and abs(means["q2"] - 0.9) < 0.03
    # q3 has a single village: no prior can be estimated; the rate is kept with weight 1 and a
    # Jeffreys interval Beta(1 + 1/2, 3 + 1/2).
    q3 = out[out["item"] == "q3"].iloc[0]
    assert np.isnan(q3["prior_a"]) and q3["rate_shrunk"] == 0.25 and q3["shrink_weight"] == 1.0
    assert q3["cred_low"] == pytest.approx(stats.beta.ppf(0.025, 1.5, 3.5))


def test_shrink_weighted_rates_use_effective_counts():
    # Weighted survey: x = rate · n_eff = 0.5 · 7.5 = 3.75; prior Beta(1, 1):
    # rate_shrunk = (3.75 + 1) / (7.5 + 2) = 0.5 and weight 7.5 / 9.5.
    rates = pd.DataFrame({"item": ["q1"], "rate": [0.5], "n_eff": [7.5]})
    out = shrink_rates(rates, prior=(1.0, 1.0)).iloc[0]
    assert out["rate_shrunk"] == pytest.approx(0.5)
    assert out["shrink_weight"] == pytest.approx(7.5 / 9.5)


def test_shrink_no_warning_and_pipeline(responses, codebook):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rates = awareness_rates(responses, codebook)
        out = shrink_rates(rates, prior=(1.0, 1.0))
    assert {"rate_shrunk", "shrink_weight", "cred_low", "cred_high"} <= set(out.columns)
    assert len(out) == len(rates)


def test_shrink_errors():
    rates = pd.DataFrame({"item": ["q1"], "rate": [0.5], "n_eff": [7.5]})
    with pytest.raises(ValueError, match="'prior' should be a pair"):
        shrink_rates(rates, prior=(0.0, 1.0))
    with pytest.raises(ValueError, match="has no column 'n_eff'"):
        shrink_rates(rates.drop(columns="n_eff"))
    with pytest.raises(ValueError, match="'rate' should lie in \\[0, 1\\]"):
        shrink_rates(rates.assign(rate=[1.5]))
