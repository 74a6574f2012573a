"""pooled_rates: a pooled survey rate with a cluster-robust (village) confidence interval.

Expected values come from statsmodels (cluster-robust WLS, proportion_confint) or from tables
small enough to work out by hand (the arithmetic is in the comments).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.stats.proportion import proportion_confint

from pufa_metrics.config import Settings
from pufa_metrics.survey import pooled_rates

POSITIVE = ("知道", "听说过")
MISSING = ("不清楚", "说不清")


def _codebook(items, domain="awareness"):
    return pd.DataFrame(
        {
            "item": list(items),
            "text": [f"题 {i}" for i in items],
            "domain": [domain] * len(items),
            "positive": [POSITIVE] * len(items),
            "missing": [MISSING] * len(items),
        }
    )


# --------------------------------------------------------------------------------------------
# 1. statsmodels: cluster-robust WLS on the stacked answers
# --------------------------------------------------------------------------------------------


def _synthetic_survey(seed=20240611):
    """12 villages in 2 counties, 30 respondents each, 3 items, lognormal weights.

    A village random effect on the logit scale (sd 1.2) makes answers of one village alike
    (ICC > 0); about 8% of answers are 不清楚 (no answer).
    """
    rng = np.random.default_rng(seed)
    n_vil, per = 12, 30
    village = np.repeat([f"V{v:02d}" for v in range(n_vil)], per)
    county = np.repeat(np.where(np.arange(n_vil) < 6, "东县", "西县"), per)
    effect = np.repeat(rng.normal(0.0, 1.2, n_vil), per)
    frame = pd.DataFrame(
        {
            "response_id": [f"R{i:04d}" for i in range(n_vil * per)],
            "county": pd.array(county, dtype="str"),
            "village_id": pd.array(village, dtype="str"),
            "weight": rng.lognormal(0.0, 0.5, n_vil * per),
        }
    )
    for j, base in enumerate((0.8, 0.2, -0.3)):
        p = 1.0 / (1.0 + np.exp(-(base + effect)))
        positive = rng.random(len(frame)) < p
        answer = np.where(positive, np.where(rng.random(len(frame)) < 0.5, "知道", "听说过"),
                          "不知道")
        answer = np.where(rng.random(len(frame)) < 0.08, "不清楚", answer)
        frame[f"q{j + 1}"] = pd.array(answer, dtype="str")
    return frame


def _stack(frame, items):
    """Valid answers as long rows (y, w, village), coded here independently of the package."""
    long = frame.melt(
        id_vars=["county", "village_id", "weight"], value_vars=list(items), value_name="answer"
    )
    long = long[~long["answer"].isin(MISSING)]
    return long.assign(y=long["answer"].isin(POSITIVE).astype("float64"))


def test_rate_and_se_equal_statsmodels_cluster_robust_wls():
    frame = _synthetic_survey()
    items = ["q1", "q2", "q3"]
    out = pooled_rates(frame, _codebook(items), by="county")
    long = _stack(frame, items)
    assert out["county"].tolist() == ["东县", "西县"]
    for county, row in out.set_index("county").iterrows():
        part = long[long["county"] == county]
        groups = pd.factorize(part["village_id"])[0]
        m = len(np.unique(groups))
        # WLS of y on a constant: beta = Σw·y / Σw = R. statsmodels' cluster covariance is
        # (X'WX)⁻¹ [Σ_g (Σ_{i∈g} x_i·√w_i·√w_i·(y_i − R))²] (X'WX)⁻¹ (wexog·wresid are the
        # scores), i.e. Σ_j z_j² / (Σw)² with z_j = Σ_{i∈j} w_i (y_i − R). With
        # use_correction=False no factor is applied, so multiplying by m/(m−1) gives
        # var(R) = m/(m−1)·Σz²/(Σw)². (use_correction=True multiplies by
        # m/(m−1)·(N−1)/(N−k); with k = 1 parameter that is exactly m/(m−1) too.)
        fit = sm.WLS(part["y"].to_numpy(), np.ones(len(part)), weights=part["weight"]).fit(
            cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}
        )
        se = float(fit.bse[0]) * np.sqrt(m / (m - 1))
        fit_c = sm.WLS(part["y"].to_numpy(), np.ones(len(part)), weights=part["weight"]).fit(
            cov_type="cluster", cov_kwds={"groups": groups, "use_correction": True}
        )
        assert row["rate"] == pytest.approx(float(fit.params[0]), abs=1e-10)
        assert row["se"] == pytest.approx(se, abs=1e-10)
        assert row["se"] == pytest.approx(float(fit_c.bse[0]), abs=1e-10)
        assert row["n_answers"] == len(part)
        assert row["n_clusters"] == m == 6
        assert row["design"] == "cluster"
        # the village effect makes the design effect large (well above 1)
        assert row["deff"] > 1.5
        # n_eff = R(1−R)/var(R) (below the Kish cap here); the CI is Wilson on it
        n_eff = row["rate"] * (1 - row["rate"]) / se**2
        answered = frame.loc[
            (frame["county"] == county) & ~frame[items].isin(MISSING).all(axis=1), "weight"
        ]
        kish = answered.sum() ** 2 / np.square(answered).sum()
        assert row["n_respondents"] == len(answered)
        assert n_eff < kish
        assert row["n_eff"] == pytest.approx(n_eff, rel=1e-10)
        low, high = proportion_confint(row["rate"] * n_eff, n_eff, method="wilson")
        assert row["ci_low"] == pytest.approx(low, abs=1e-10)
        assert row["ci_high"] == pytest.approx(high, abs=1e-10)


def test_deff_is_var_over_kish_srs_variance_of_answers():
    frame = _synthetic_survey()
    items = ["q1", "q2", "q3"]
    out = pooled_rates(frame, _codebook(items), by="county").set_index("county")
    long = _stack(frame, items)
    for county in ("东县", "西县"):
        part = long[long["county"] == county]
        w = part["weight"].to_numpy()
        r = float(np.sum(w * part["y"]) / np.sum(w))
        kish_answers = w.sum() ** 2 / np.square(w).sum()
        var_srs = r * (1 - r) / kish_answers
        assert out.loc[county, "deff"] == pytest.approx(out.loc[county, "se"] ** 2 / var_srs,
                                                        rel=1e-10)


# --------------------------------------------------------------------------------------------
# 2. A hand table
# --------------------------------------------------------------------------------------------


def test_hand_table_two_villages_two_respondents():
    responses = pd.DataFrame(
        {
            "town": ["水寨镇"] * 4,
            "village_id": ["A", "A", "B", "B"],
            "q1": ["知道", "听说过", "知道", "不知道"],
        }
    )
    out = pooled_rates(responses, _codebook(["q1"]), by="town")
    row = out.iloc[0]
    # y = A: 1, 1; B: 1, 0; weights 1.  R = 3/4.
    # z_A = (1 − .75) + (1 − .75) = 0.5; z_B = (1 − .75) + (0 − .75) = −0.5.
    # var = m/(m−1)·Σz²/(Σw)² = 2/1 · 0.5 / 16 = 0.0625, se = 0.25.
    # n_eff = R(1−R)/var = 0.1875 / 0.0625 = 3 (< Kish cap 4).
    # var_srs = 0.1875 / 4 = 0.046875, deff = 0.0625 / 0.046875 = 4/3.
    assert out.columns.tolist() == [
        "town", "n_respondents", "n_answers", "n_clusters", "rate", "se", "deff", "n_eff",
        "ci_low", "ci_high", "design", "n_unclassified", "status",
    ]
    assert (row["n_respondents"], row["n_answers"], row["n_clusters"]) == (4, 4, 2)
    assert row["rate"] == pytest.approx(0.75, abs=1e-12)
    assert row["se"] == pytest.approx(0.25, abs=1e-12)
    assert row["n_eff"] == pytest.approx(3.0, abs=1e-12)
    assert row["deff"] == pytest.approx(4 / 3, abs=1e-12)
    assert row["design"] == "cluster"
    low, high = proportion_confint(2.25, 3.0, method="wilson")  # k = R·n_eff = 0.75·3
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)


def test_kish_cap_when_villages_are_more_alike_than_chance():
    responses = pd.DataFrame(
        {
            "county": ["甲县"] * 5,
            "village_id": ["A", "A", "B", "B", "B"],
            "q1": ["知道", "不知道", "知道", "不知道", "知道"],
        }
    )
    out = pooled_rates(responses, _codebook(["q1"]), by="county")
    row = out.iloc[0]
    # R = 3/5 = 0.6; z_A = 1 − 2·0.6 = −0.2; z_B = 2 − 3·0.6 = 0.2; Σz² = 0.08.
    # var = 2 · 0.08 / 25 = 0.0064; R(1−R)/var = 0.24 / 0.0064 = 37.5 > Kish 5 → n_eff = 5.
    # deff = 0.0064 / (0.24 / 5) = 2/15.
    assert row["se"] == pytest.approx(0.08, abs=1e-12)
    assert row["n_eff"] == pytest.approx(5.0, abs=1e-12)
    assert row["deff"] == pytest.approx(2 / 15, abs=1e-12)
    assert row["design"] == "cluster"
    low, high = proportion_confint(3.0, 5.0, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)


def test_items_pooled_and_respondent_is_one_unit_of_the_kish_cap():
    # Two items. Respondent weights 1, 1, 2, 2 (A, A, B, B).
    responses = pd.DataFrame(
        {
            "county": ["甲县"] * 4,
            "village_id": ["A", "A", "B", "B"],
            "weight": [1.0, 1.0, 2.0, 2.0],
            "q1": ["知道", "知道", "知道", "不知道"],
            "q2": ["不知道", "知道", "不知道", "说不清"],
        }
    )
    row = pooled_rates(responses, _codebook(["q1", "q2"]), by="county").iloc[0]
    # Valid answers (w, y): A1 (1,1),(1,0); A2 (1,1),(1,1); B1 (2,1),(2,0); B2 (2,0).
    # Σw = 4 + 6 = 10; Σw·y = 3 + 2 = 5; R = 0.5.
    # z_A = 3 − 0.5·4 = 1; z_B = 2 − 0.5·6 = −1; var = 2·2/100 = 0.04; se = 0.2.
    # Kish respondents = (1+1+2+2)² / (1+1+4+4) = 36/10 = 3.6; R(1−R)/var = 6.25 → capped: 3.6.
    # Kish answers = 10² / (4·1 + 3·4) = 100/16 = 6.25; deff = 0.04 / (0.25/6.25) = 1.
    assert (row["n_respondents"], row["n_answers"], row["n_clusters"]) == (4, 7, 2)
    assert row["rate"] == pytest.approx(0.5, abs=1e-12)
    assert row["se"] == pytest.approx(0.2, abs=1e-12)
    assert row["n_eff"] == pytest.approx(3.6, abs=1e-12)
    assert row["deff"] == pytest.approx(1.0, abs=1e-12)


# --------------------------------------------------------------------------------------------
# 3. Fallbacks, missing answers, weights, groups, errors
# --------------------------------------------------------------------------------------------


def test_one_cluster_falls_back_to_srs_with_kish_n():
    responses = pd.DataFrame(
        {
            "county": ["甲县"] * 4,
            "village_id": ["A"] * 4,
            "weight": [1.0, 1.0, 1.0, 3.0],
            "q1": ["知道", "不知道", "知道", "知道"],
        }
    )
    row = pooled_rates(responses, _codebook(["q1"]), by="county").iloc[0]
    # m = 1: no cluster variance. Kish n = 6²/12 = 3; R = (1 + 1 + 3)/6 = 5/6.
    assert row["design"] == "srs"
    assert row["n_clusters"] == 1
    assert np.isnan(row["deff"])
    assert row["n_eff"] == pytest.approx(3.0, abs=1e-12)
    assert row["rate"] == pytest.approx(5 / 6, abs=1e-12)
    assert row["se"] == pytest.approx(np.sqrt(5 / 6 * 1 / 6 / 3), abs=1e-12)
    low, high = proportion_confint(2.5, 3.0, method="wilson")  # k = 5/6 · 3
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)


def test_all_positive_falls_back_to_srs():
    responses = pd.DataFrame(
        {
            "county": ["甲县"] * 4,
            "village_id": ["A", "A", "B", "B"],
            "q1": ["知道", "听说过", "知道", "知道"],
        }
    )
    row = pooled_rates(responses, _codebook(["q1"]), by="county").iloc[0]
    assert row["design"] == "srs"
    assert row["rate"] == 1.0
    assert row["n_eff"] == 4.0
    assert row["se"] == 0.0
    low, high = proportion_confint(4, 4, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-12)


def test_equal_village_rates_give_zero_variance_and_srs():
    responses = pd.DataFrame(
        {
            "county": ["甲县"] * 4,
            "village_id": ["A", "A", "B", "B"],
            "q1": ["知道", "不知道", "知道", "不知道"],
        }
    )
    row = pooled_rates(responses, _codebook(["q1"]), by="county").iloc[0]
    # z_A = z_B = 1 − 2·0.5 = 0 → var = 0 → srs with Kish n = 4; deff = 0.
    assert row["design"] == "srs"
    assert row["deff"] == 0.0
    assert row["n_eff"] == 4.0
    assert row["se"] == pytest.approx(0.25, abs=1e-12)  # sqrt(0.25/4)


def test_missing_answers_are_excluded_and_empty_villages_do_not_count():
    hand = pd.DataFrame(
        {
            "town": ["水寨镇"] * 4,
            "village_id": ["A", "A", "B", "B"],
            "q1": ["知道", "听说过", "知道", "不知道"],
        }
    )
    noisy = pd.concat(
        [
            hand,
            pd.DataFrame(
                {  # 不清楚 / 说不清 / empty are no answer; village C has no valid answer at all
                    "town": ["水寨镇"] * 4,
                    "village_id": ["A", "B", "C", "C"],
                    "q1": ["不清楚", None, "说不清", "不清楚"],
                }
            ),
        ],
        ignore_index=True,
    )
    noisy["q1"] = noisy["q1"].astype("str")
    got = pooled_rates(noisy, _codebook(["q1"]), by="town")
    # same figures as the hand table (R = 0.75, se = 0.25, n_eff = 3, m = 2)
    row = got.iloc[0]
    assert (row["n_respondents"], row["n_answers"], row["n_clusters"]) == (4, 4, 2)
    assert (row["rate"], row["se"], row["n_eff"]) == pytest.approx((0.75, 0.25, 3.0), abs=1e-12)


def test_weights_none_uses_column_false_ignores_str_names():
    responses = pd.DataFrame(
        {
            "county": ["甲县"] * 4,
            "village_id": ["A", "A", "B", "B"],
            "weight": [1.0, 3.0, 1.0, 1.0],
            "w2": [2.0, 2.0, 2.0, 2.0],
            "q1": ["知道", "不知道", "知道", "知道"],
        }
    )
    cb = _codebook(["q1"])
    # weight column: Σw = 6, Σw·y = 1 + 1 + 1 = 3 → R = 0.5
    assert pooled_rates(responses, cb, by="county")["rate"].item() == pytest.approx(0.5)
    assert pooled_rates(responses, cb, by="county", weight="weight")["rate"].item() == (
        pytest.approx(0.5)
    )
    # no weights: 3 of 4
    unweighted = pooled_rates(responses, cb, by="county", weight=False)
    assert unweighted["rate"].item() == pytest.approx(0.75)
    # equal weights (w2 = 2) give the unweighted figures
    equal = pooled_rates(responses, cb, by="county", weight="w2")
    cols = ["rate", "se", "deff", "n_eff", "ci_low", "ci_high"]
    np.testing.assert_allclose(equal[cols].to_numpy(float), unweighted[cols].to_numpy(float),
                               rtol=1e-12)
    # and without a weight column None means unweighted
    no_col = pooled_rates(responses.drop(columns="weight"), cb, by="county")
    np.testing.assert_allclose(no_col[cols].to_numpy(float), unweighted[cols].to_numpy(float),
                               rtol=1e-12)


def test_two_by_columns_sorted_each_group_its_own_survey():
    frame = _synthetic_survey()
    frame["town"] = np.where(frame["village_id"].isin(["V00", "V01", "V06", "V07", "V08"]),
                             "北镇", "南镇")
    items = ["q1", "q2", "q3"]
    cb = _codebook(items)
    out = pooled_rates(frame, cb, by=["county", "town"])
    assert out[["county", "town"]].values.tolist() == [
        ["东县", "北镇"], ["东县", "南镇"], ["西县", "北镇"], ["西县", "南镇"],
    ]
    assert out["n_clusters"].tolist() == [2, 4, 3, 3]
    for _, row in out.iterrows():
        part = frame[(frame["county"] == row["county"]) & (frame["town"] == row["town"])]
        alone = pooled_rates(part, cb, by=None).iloc[0]
        for col in ("rate", "se", "n_eff", "ci_low", "ci_high"):
            assert row[col] == pytest.approx(alone[col], abs=1e-12)


def test_categorical_by_and_missing_by_values_form_no_group():
    responses = pd.DataFrame(
        {
            "county": pd.Categorical(["乙县", "乙县", "甲县", "甲县", None],
                                     categories=["乙县", "甲县", "丙县"]),
            "village_id": ["A", "B", "C", "D", "E"],
            "q1": ["知道", "不知道", "知道", "知道", "知道"],
        }
    )
    out = pooled_rates(responses, _codebook(["q1"]), by="county")
    assert out["county"].tolist() == ["乙县", "甲县"]  # category order, no NaN, no empty 丙县
    assert isinstance(out["county"].dtype, pd.CategoricalDtype)
    assert out["n_respondents"].tolist() == [2, 2]


def test_domain_and_items_select_what_is_pooled():
    responses = pd.DataFrame(
        {
            "county": ["甲县"] * 2,
            "village_id": ["A", "B"],
            "q1": ["知道", "不知道"],
            "s1": ["支持", "支持"],
        }
    )
    cb = pd.concat(
        [
            _codebook(["q1"]),
            pd.DataFrame({"item": ["s1"], "text": ["支持"], "domain": ["support"],
                          "positive": [("支持",)], "missing": [()]}),
        ],
        ignore_index=True,
    )
    assert pooled_rates(responses, cb, by="county")["rate"].item() == 0.5
    assert pooled_rates(responses, cb, by="county", domain="support")["rate"].item() == 1.0
    both = pooled_rates(responses, cb, by="county", domain=None)
    assert both["n_answers"].item() == 4 and both["rate"].item() == 0.75
    assert pooled_rates(responses, cb, by="county", domain=None, items=["s1"])[
        "n_answers"
    ].item() == 2


def test_inputs_are_not_mutated_and_settings_accepted():
    frame = _synthetic_survey()
    before = frame.copy()
    cb = _codebook(["q1", "q2", "q3"])
    cb_before = cb.copy()
    a = pooled_rates(frame, cb, by="county", settings=Settings())
    b = pooled_rates(frame, cb, by="county")
    pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(frame, before)
    pd.testing.assert_frame_equal(cb, cb_before)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"by": "province"}, ValueError, "no column 'province'"),
        ({"by": 3}, TypeError, "'by' should be"),
        ({"by": "county", "cluster": "hamlet"}, ValueError, "no column 'hamlet'"),
        ({"by": "county", "cluster": 1}, TypeError, "'cluster' should be"),
        ({"by": "county", "method": "bogus"}, ValueError, "'method' was 'bogus'"),
        ({"by": "county", "level": 95}, ValueError, "'level' should be between"),
        ({"by": "county", "domain": "support"}, ValueError, "'domain'"),
        ({"by": "county", "items": ["q9"]}, ValueError, "'items'"),
        ({"by": "county", "weight": "wt"}, ValueError, "'weight' names column 'wt'"),
        ({"by": "county", "settings": {"targets": {}}}, TypeError, "'settings' should be"),
        ({"by": "rate"}, ValueError, "output column names"),
    ],
)
def test_input_errors_name_the_argument(kwargs, error, match):
    responses = pd.DataFrame(
        {"county": ["甲县"], "rate": [1.0], "village_id": ["A"], "q1": ["知道"]}
    )
    with pytest.raises(error, match=match):
        pooled_rates(responses, _codebook(["q1"]), **kwargs)


def test_bad_frames_and_missing_cluster():
    cb = _codebook(["q1"])
    with pytest.raises(TypeError, match="'responses' should be a pandas DataFrame"):
        pooled_rates([1, 2], cb, by=None)
    responses = pd.DataFrame(
        {"county": ["甲县", "甲县"], "village_id": ["A", None], "q1": ["知道", "知道"]}
    )
    with pytest.raises(ValueError, match="have no 'village_id'"):
        pooled_rates(responses, cb, by="county")
    # a respondent without village but also without a valid answer is fine
    responses.loc[1, "q1"] = "不清楚"
    assert pooled_rates(responses, cb, by="county")["n_respondents"].item() == 1
    with pytest.raises(TypeError):
        pooled_rates(responses, cb, "county")  # options are keyword-only


def test_no_valid_answer_gives_empty_frame_with_columns():
    responses = pd.DataFrame({"county": ["甲县"], "village_id": ["A"], "q1": ["不清楚"]})
    out = pooled_rates(responses, _codebook(["q1"]), by="county")
    assert out.empty
    assert out.columns.tolist()[:2] == ["county", "n_respondents"]


# --------------------------------------------------------------------------------------------
# 4. No clustering: every respondent its own cluster
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cluster", ["response_id", None])
def test_own_cluster_per_respondent_is_wilson_on_n_minus_one(cluster):
    rng = np.random.default_rng(7)
    n = 40
    y = rng.random(n) < 0.7
    k = int(y.sum())
    responses = pd.DataFrame(
        {
            "county": ["甲县"] * n,
            "response_id": [f"R{i}" for i in range(n)],
            "village_id": ["A"] * n,
            "q1": np.where(y, "知道", "不知道"),
        }
    )
    row = pooled_rates(responses, _codebook(["q1"]), by="county", cluster=cluster).iloc[0]
    # Each respondent a cluster, weights 1: z_i = y_i − R, Σz² = k(1−R)² + (n−k)R² = nR(1−R),
    # var = n/(n−1) · nR(1−R) / n² = R(1−R)/(n−1), so n_eff = R(1−R)/var = n − 1, inside the
    # Kish cap n: the with-replacement factor m/(m−1) costs one respondent.
    r = k / n
    assert row["n_clusters"] == n
    assert row["rate"] == pytest.approx(r, abs=1e-12)
    assert row["se"] == pytest.approx(np.sqrt(r * (1 - r) / (n - 1)), abs=1e-12)
    assert row["n_eff"] == pytest.approx(n - 1, abs=1e-9)
    # no cluster column: independent respondents, labelled "srs" (issue #16), same figures
    assert row["design"] == ("cluster" if cluster else "srs")
    low, high = proportion_confint(r * (n - 1), n - 1, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-9)
    # and it is within 0.5 percentage point of the textbook Wilson interval on (k, n)
    low_n, high_n = proportion_confint(k, n, method="wilson")
    assert abs(row["ci_low"] - low_n) < 0.005 and abs(row["ci_high"] - high_n) < 0.005
