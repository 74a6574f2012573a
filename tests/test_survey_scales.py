"""Answer scales as 问卷星 offers them, and unclassified answers never silently "not aware".

Issue #15: with the old ``[survey]`` lists the common top answer 非常了解 counted as *not aware*
(a town where 86% answered 非常/比较了解 got about half that, with no warning). Here:

1. the top-2 rule of docs/domain.md per item (:func:`classify_levels`) on the usual scales;
2. the reader fills each item's positive answers by it (and warns when the top level may be
   missing from the answers seen);
3. an answer in no class is listed by :func:`unclassified_answers` with its count, and its
   item's rates are NA with ``status = "needs_codebook"`` in every rate function.

Every expected number is counted by hand from the small tables written out in each test; the
comments say how.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pufa_metrics import unclassified_answers
from pufa_metrics.config import DEFAULTS, Settings
from pufa_metrics.io.survey import (
    classify_levels,
    read_codebook,
    read_survey_result,
    write_codebook,
)
from pufa_metrics.survey import (
    NEEDS_CODEBOOK,
    STATUS_LABELS,
    awareness_rates,
    lqas_classify,
    pooled_rates,
    shrink_rates,
)

S = Settings()  # the built-in defaults (= pufa.toml's [survey], checked below)
REAL_TOWN = Path(__file__).resolve().parent / "data" / "real_town"

# --------------------------------------------------------------------------------------------
# 1. The top-2 rule, per item, on the scales 问卷星 offers
# --------------------------------------------------------------------------------------------

#: (domain, the item's levels as offered, the levels that count as positive). The positive
#: ones are the two highest of positive_<domain> the item offers (docs/domain.md).
SCALES = {
    "six_level": ("awareness", ["非常了解", "比较了解", "了解", "一般", "不太了解", "不了解"],
                  ["非常了解", "比较了解"]),  # 了解 is the third level: not positive
    "five_level": ("awareness", ["非常了解", "比较了解", "一般", "不太了解", "完全不了解"],
                   ["非常了解", "比较了解"]),
    "three_level": ("awareness", ["了解", "不太了解", "不了解"], ["了解"]),  # 了解 is the top
    "heard_of": ("awareness", ["知道", "听说过", "不知道"], ["知道", "听说过"]),
    "basic": ("awareness", ["完全了解", "基本了解", "不太清楚", "完全不了解"],
              ["完全了解", "基本了解"]),
    "very_basic": ("awareness", ["很了解", "了解", "基本了解", "没听说过"], ["很了解", "了解"]),
    "heard_yes_no": ("awareness", ["听说过", "没听说过"], ["听说过"]),
    "yes_no": ("awareness", ["是", "否"], ["是"]),
    "have": ("awareness", ["有", "没有"], ["有"]),
    "satisfaction_5": ("satisfaction", ["非常满意", "满意", "一般", "不满意", "非常不满意"],
                       ["非常满意", "满意"]),
    "satisfaction_5b": ("satisfaction", ["非常满意", "比较满意", "一般", "不太满意", "非常不满意"],
                        ["非常满意", "比较满意"]),
    "satisfaction_phone": ("satisfaction", ["满意", "比较满意", "不太满意", "不满意"],
                           ["满意", "比较满意"]),  # docs/domain.md's 12340 scale
    "satisfaction_basic": ("satisfaction", ["满意", "基本满意", "不满意"], ["满意", "基本满意"]),
    "support_5": ("support", ["非常支持", "支持", "一般", "不支持", "非常不支持"],
                  ["非常支持", "支持"]),
    "support_4": ("support", ["支持", "比较支持", "不太支持", "不支持"], ["支持", "比较支持"]),
    "support_agree": ("support", ["非常同意", "比较同意", "无所谓", "不同意"],
                      ["非常同意", "比较同意"]),
}


def _levels(scales: dict) -> pd.DataFrame:
    return pd.DataFrame(
        [(item, domain, a) for item, (domain, offered, _) in scales.items() for a in offered],
        columns=["item", "domain", "answer"],
    )


def test_top_two_rule_on_the_usual_scales_in_one_call():
    out = classify_levels(_levels(SCALES), settings=S)  # every item at once (vectorised)
    got = out[out["level_class"] == "positive"].groupby("item", sort=False)["answer"].agg(list)
    assert got.to_dict() == {item: pos for item, (_, _, pos) in SCALES.items()}
    # every other level of these scales is a known negative: nothing left unclassified
    assert set(out["level_class"]) == {"positive", "negative"}
    assert out["level_class"].dtype == "str"


def test_levels_below_the_top_two_count_as_negative_and_order_does_not_matter():
    # the six-level scale given bottom-up: the result is the same
    levels = pd.DataFrame({
        "item": "q1", "domain": "awareness",
        "answer": ["不了解", "不太了解", "一般", "了解", "比较了解", "非常了解"],
    })
    out = classify_levels(levels, settings=S).set_index("answer")
    assert out["level_class"].to_dict() == {
        "不了解": "negative", "不太了解": "negative", "一般": "negative",
        "了解": "negative", "比较了解": "positive", "非常了解": "positive",
    }
    # 了解, 比较了解, 非常了解 are positive_awareness levels 11, 7 and 1; the item's ranks 3, 2, 1
    assert out.loc[["非常了解", "比较了解", "了解"], "ladder_rank"].tolist() == [1, 7, 11]
    assert out.loc[["非常了解", "比较了解", "了解"], "item_rank"].tolist() == [1, 2, 3]
    assert out.loc["一般", "item_rank"] is pd.NA  # not a positive level at all


def test_missing_and_unknown_levels():
    levels = pd.DataFrame({"item": "q1", "domain": "awareness",
                           "answer": ["知道", "不知道", "不清楚", "说不好"]})
    out = classify_levels(levels, settings=S)
    # 不清楚 is in [survey] missing; 说不好 is in no list
    assert out["level_class"].tolist() == ["positive", "negative", "missing", "unclassified"]


def test_top_levels_is_configurable():
    three = Settings.from_dict({"survey": {"top_levels": 3}})
    six = {"six_level": SCALES["six_level"]}
    out = classify_levels(_levels(six), settings=three)
    assert out.loc[out["level_class"] == "positive", "answer"].tolist() == [
        "非常了解", "比较了解", "了解"]


def test_classify_levels_checks_its_input():
    with pytest.raises(ValueError, match="no column"):
        classify_levels(pd.DataFrame({"item": ["q1"], "answer": ["知道"]}), settings=S)
    with pytest.raises(TypeError, match="'levels' should be a DataFrame"):
        classify_levels([("q1", "awareness", "知道")], settings=S)


# --------------------------------------------------------------------------------------------
# 2. Settings: the defaults, the shipped pufa.toml and the checks
# --------------------------------------------------------------------------------------------


def test_pufa_toml_survey_section_matches_the_defaults():
    assert Settings.load().survey == DEFAULTS["survey"]
    for domain in ("awareness", "support", "satisfaction"):
        assert S.negative_answers(domain), domain  # every rate scale has a negative list
    assert S.top_levels == 2


@pytest.mark.parametrize(
    ("survey", "message"),
    [
        ({"negative_awareness": ["知道"]}, "both list"),
        ({"positive_support": ["支持", "不清楚"]}, "both list"),
        ({"negative_satisfaction": ["不满意", "拒答"]}, "both list"),
        ({"top_levels": 0}, "top_levels should be a whole number"),
        ({"top_levels": 1.5}, "top_levels should be a whole number"),
        ({"negative_awareness": "不知道"}, "should be a list"),
    ],
    ids=["pos-neg", "pos-missing", "neg-missing", "top-0", "top-float", "not-a-list"],
)
def test_settings_refuse_an_answer_counted_two_ways(survey, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_dict({"survey": survey})


def test_settings_accept_a_new_domain_list():
    s = Settings.from_dict({"survey": {"negative_participation": ["没有参与过"]}})
    assert s.negative_answers("participation") == ("没有参与过",)


# --------------------------------------------------------------------------------------------
# 3. The reader: positive answers by the rule, 否定答案 in the codebook file
# --------------------------------------------------------------------------------------------

VILLAGES = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["大岭村", "罗湖村"]})
HEADER = "序号,提交答卷时间,来自IP,1、您所在的村（社区）：,2、您对《民法典》的了解程度：," \
         "3、您对本镇普法工作是否满意？\n"


def _export(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = [HEADER] + [
        f"{i},2025/11/03 10:{i:02d}:00,203.0.113.{i}(广东-梅州),{v},{a},{b}\n"
        for i, (v, a, b) in enumerate(rows, start=1)
    ]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_reader_counts_the_top_two_levels_and_rates_follow(tmp_path):
    rows = [  # village, 民法典 了解程度, 满意度
        ("大岭村", "非常了解", "满意"), ("大岭村", "比较了解", "比较满意"),
        ("大岭村", "了解", "一般"), ("大岭村", "不了解", "不满意"),
        ("罗湖村", "非常了解", "非常满意"), ("罗湖村", "比较了解", "满意"),
        ("罗湖村", "一般", "不清楚"), ("罗湖村", "比较了解", "非常满意"),
    ]
    r = read_survey_result(_export(tmp_path / "问卷.csv", rows), villages=VILLAGES, settings=S)
    cb = r.codebook.set_index("item")
    # q2 offers 非常了解/比较了解/了解/不了解/一般: the top two are 非常了解, 比较了解
    assert cb.loc["q2", ["domain", "positive", "negative"]].tolist() == [
        "awareness", ("非常了解", "比较了解"), ()]
    # q3 offers 非常满意 (1st of positive_satisfaction), 满意 (4th), 比较满意 (5th): top two
    assert cb.loc["q3", ["domain", "positive"]].tolist() == ["satisfaction", ("非常满意", "满意")]
    assert "scale_top_unseen" not in set(r.warnings["code"])
    out = awareness_rates(r.responses, r.codebook, settings=S).set_index(["village_id", "item"])
    # V1 q2: 非常了解 + 比较了解 of 4 = 0.5; V2 q2: 非常了解, 比较了解, 比较了解 of 4 = 0.75
    assert out.loc[("V1", "q2"), ["n", "n_positive"]].tolist() == [4, 2]
    assert out.loc[("V2", "q2"), "rate"] == 0.75
    # V1 q3: only 满意 of 满意/比较满意/一般/不满意 = 1/4; V2 q3: 不清楚 is no answer → 3 of 3
    assert out.loc[("V1", "q3"), "rate"] == 0.25
    assert out.loc[("V2", "q3"), ["n", "n_positive"]].tolist() == [3, 3]
    assert (out["status"] == "ok").all() and (out["n_unclassified"] == 0).all()
    assert unclassified_answers(r.responses, r.codebook, settings=S).empty


def test_reader_warns_when_the_top_level_may_be_unseen(tmp_path):
    rows = [("大岭村", "比较了解", "满意"), ("大岭村", "了解", "满意"),
            ("罗湖村", "不了解", "满意")]
    path = _export(tmp_path / "问卷.csv", rows)
    r = read_survey_result(path, villages=VILLAGES, settings=S)
    # nobody chose 非常了解: from the answers alone 比较了解 and 了解 are the top two, and the
    # reader says so for q2 (and only q2)
    assert r.codebook.set_index("item").loc["q2", "positive"] == ("比较了解", "了解")
    w = r.warnings
    assert w.loc[w["code"] == "scale_top_unseen", "column"].tolist() == ["q2"]
    assert "非常了解" in w.loc[w["code"] == "scale_top_unseen", "reason"].iloc[0]
    # the codebook's options (选项) give the whole scale: the rule then takes 非常了解, 比较了解
    book = pd.DataFrame({"item": ["2"], "options": ["非常了解、比较了解、了解、不了解"]})
    r = read_survey_result(path, codebook=book, villages=VILLAGES, settings=S)
    assert r.codebook.set_index("item").loc["q2", "positive"] == ("非常了解", "比较了解")
    assert "scale_top_unseen" not in set(r.warnings["code"])


def test_codebook_file_negative_column_round_trip(tmp_path):
    path = tmp_path / "编码表.csv"
    path.write_text("题号,类别,肯定答案,否定答案\n4,知晓,知道、听说过,不知道、没听说过\n",
                    encoding="utf-8")
    book = read_codebook(path)
    assert book.loc[0, ["positive", "negative"]].tolist() == [("知道", "听说过"),
                                                             ("不知道", "没听说过")]
    back = read_codebook(write_codebook(book, tmp_path / "编码表.xlsx"))
    pd.testing.assert_frame_equal(back, book)


# --------------------------------------------------------------------------------------------
# 4. Unclassified answers: listed with counts, the item not assessed everywhere
# --------------------------------------------------------------------------------------------


@pytest.fixture
def odd():
    """Two villages, two awareness items; q1 has two answers no list classes.

    A: q1 知道(+) 非常了解(?) 不知道(-)         q2 知道(+) 不知道(-) 知道(+)
    B: q1 听说过(+) 说不好(?) 非常了解(?) 不清楚(none)   q2 不知道(-) 知道(+) 知道(+) 不知道(-)

    The codebook lists positive 知道/听说过 and missing 不清楚, no negative answers, so these come
    from pufa.toml: 不知道 is in negative_awareness. 非常了解 ranks *above* the item's positive
    levels (it is not implied negative) and 说不好 is in no list: both unclassified.
    """
    responses = pd.DataFrame({
        "response_id": [f"r{i}" for i in range(1, 8)],
        "village_id": ["A", "A", "A", "B", "B", "B", "B"],
        "q1": ["知道", "非常了解", "不知道", "听说过", "说不好", "非常了解", "不清楚"],
        "q2": ["知道", "不知道", "知道", "不知道", "知道", "知道", "不知道"],
    })
    codebook = pd.DataFrame({
        "item": ["q1", "q2"], "text": ["您是否知道国家宪法日？", "您是否知道民法典？"],
        "domain": ["awareness", "awareness"], "positive": [("知道", "听说过")] * 2,
        "missing": [("不清楚",)] * 2,
    })
    return responses, codebook


def test_unclassified_answers_listed_with_counts(odd):
    responses, codebook = odd
    before = responses.copy()
    out = unclassified_answers(responses, codebook, settings=S)
    # 非常了解: r2 and r6 → 2; 说不好: r5 → 1 (most frequent first)
    expected = pd.DataFrame({
        "item": ["q1", "q1"], "text": ["您是否知道国家宪法日？"] * 2,
        "domain": ["awareness", "awareness"], "answer": ["非常了解", "说不好"], "n": [2, 1],
    }).astype({"item": "str", "text": "str", "domain": "str", "answer": "str"})
    pd.testing.assert_frame_equal(out, expected)
    pd.testing.assert_frame_equal(responses, before)  # nothing mutated


def test_item_with_unclassified_answers_is_not_assessed(odd):
    responses, codebook = odd
    rates = awareness_rates(responses, codebook, settings=S)
    # the package's "not assessed" convention: one (zh, en) sentence per item, 3 answers in q1
    assert rates.attrs["not_assessed"] == ((
        "第q1题（您是否知道国家宪法日？）有3份回答未归入肯定、否定或无效答案，需核定答案分类，未计算比率",
        "item q1: 3 answers in no class (positive, negative or missing): needs a codebook "
        "decision, rate not assessed"),)
    out = rates.set_index(["village_id", "item"])
    # q1 A: 知道, 非常了解, 不知道 → n 3, 1 positive, 1 unclassified; B: 听说过, 说不好,
    # 非常了解 (不清楚 is no answer) → n 3, 1 positive, 2 unclassified. Rate: not assessed.
    q1 = out.xs("q1", level="item")
    assert q1[["n", "n_positive", "n_unclassified"]].values.tolist() == [[3, 1, 1], [3, 1, 2]]
    assert q1["status"].tolist() == [NEEDS_CODEBOOK] * 2
    assert q1[["rate", "ci_low", "ci_high"]].isna().all().all()
    assert STATUS_LABELS[NEEDS_CODEBOOK][0] == "需核定答案分类"
    # q2 is unaffected: A 2 of 3, B 2 of 4
    q2 = out.xs("q2", level="item")
    assert q2["rate"].tolist() == [2 / 3, 0.5] and q2["status"].tolist() == ["ok", "ok"]
    # the old behaviour (every other answer "not aware") would have given q1 A 1/3, B 1/3:
    # here it is NA, never a low rate
    assert not (q1["rate"] < 0.9).any()


def test_pooled_rate_not_assessed_when_a_pooled_item_is(odd):
    responses, codebook = odd
    out = pooled_rates(responses, codebook, by=None)
    # 7 respondents; answers: q1 6 (r7's 不清楚 is none) + q2 7 = 13; unclassified r2, r5, r6
    row = out.iloc[0]
    assert (row["n_respondents"], row["n_answers"], row["n_unclassified"]) == (7, 13, 3)
    assert row["status"] == NEEDS_CODEBOOK
    assert out[["rate", "se", "deff", "n_eff", "ci_low", "ci_high"]].isna().all().all()
    # pooling q2 alone on purpose: 4 positive of 7, assessed
    assert out.attrs["not_assessed"][0][1].startswith("item q1: 3 answers in no class")
    q2 = pooled_rates(responses, codebook, by=None, items="q2")
    assert q2["rate"].item() == pytest.approx(4 / 7) and q2["status"].item() == "ok"
    assert "not_assessed" not in q2.attrs  # fully assessed: no key


def test_lqas_and_shrinkage_see_not_assessed(odd):
    responses, codebook = odd
    rates = awareness_rates(responses, codebook, settings=S)
    lqas = lqas_classify(rates, target=0.8, n=3)
    is_q1 = lqas["item"] == "q1"
    assert lqas.loc[is_q1, "lqas"].tolist() == ["not_assessed"] * 2
    assert lqas.loc[is_q1, "lqas_d"].isna().all()
    assert "not_assessed" not in lqas.loc[~is_q1, "lqas"].tolist()
    # a fixed prior Beta(2, 2): q2 A → (2 + 2) / (3 + 4) = 4/7, B → (2 + 2) / (4 + 4) = 0.5;
    # q1 gets no shrunk rate (the prior mean 0.5 would read as a measured rate)
    for out in (shrink_rates(rates, prior=(2.0, 2.0)), shrink_rates(rates, by=None)):
        assert out.loc[out["item"] == "q1", ["rate_shrunk", "shrink_weight", "cred_low",
                                             "cred_high"]].isna().all().all()
    fixed = shrink_rates(rates, prior=(2.0, 2.0))
    assert fixed.loc[fixed["item"] == "q2", "rate_shrunk"].tolist() == pytest.approx([4 / 7, 0.5])


def test_positive_level_below_the_codebooks_counts_as_negative():
    # positive 非常了解/比较了解 (the top two of the six-level scale), no negative list:
    # 了解 ranks below them on positive_awareness → negative; 一般, 不太了解 are in
    # negative_awareness. 2 positive of 5 = 0.4, nothing unclassified.
    responses = pd.DataFrame({"village_id": ["A"] * 5,
                              "q1": ["非常了解", "了解", "比较了解", "一般", "不太了解"]})
    codebook = pd.DataFrame({"item": ["q1"], "domain": ["awareness"],
                             "positive": [("非常了解", "比较了解")]})
    row = awareness_rates(responses, codebook, settings=S).iloc[0]
    assert (row["n"], row["n_positive"], row["rate"], row["status"]) == (5, 2, 0.4, "ok")
    assert unclassified_answers(responses, codebook, settings=S).empty


def test_explicit_negative_list_is_exact():
    # the codebook's own 否定答案 wins: 没听说过 is not in it, so it is unclassified even
    # though pufa.toml's negative_awareness lists it
    responses = pd.DataFrame({"village_id": ["A"] * 3, "q1": ["知道", "不知道", "没听说过"]})
    codebook = pd.DataFrame({"item": ["q1"], "domain": ["awareness"], "positive": [("知道",)],
                             "negative": [("不知道",)]})
    got = unclassified_answers(responses, codebook, settings=S)
    assert got[["answer", "n"]].values.tolist() == [["没听说过", 1]]
    with pytest.raises(ValueError, match="both as negative and as positive"):
        awareness_rates(responses, codebook.assign(negative=[("知道",)]), settings=S)


def test_answer_key_classes_every_answer():
    # knowledge item 正确/错误 with 正确答案 正确: 不知道 and 错误 are wrong answers → 1 of 4
    responses = pd.DataFrame({"village_id": ["A"] * 4, "q9": ["正确", "错误", "不知道", "错误"]})
    codebook = pd.DataFrame({"item": ["q9"], "domain": ["knowledge"], "positive": [()],
                             "correct": ["正确"]})
    row = awareness_rates(responses, codebook, settings=S).iloc[0]
    assert (row["n"], row["n_positive"], row["rate"], row["status"]) == (4, 1, 0.25, "ok")
    assert unclassified_answers(responses, codebook, settings=S).empty


def test_unclassified_answers_checks_and_skips():
    codebook = pd.DataFrame({"item": ["q1", "q2"], "domain": ["awareness", "other"],
                             "positive": [("知道",), ()]})
    # q1 has no column in responses and q2 is free text: nothing to list, typed empty frame
    out = unclassified_answers(pd.DataFrame({"q2": ["随便写写"]}), codebook, settings=S)
    assert out.empty and list(out.columns) == ["item", "text", "domain", "answer", "n"]
    assert out["n"].dtype == "int64"
    with pytest.raises(TypeError, match="'settings' should be"):
        unclassified_answers(pd.DataFrame({"q1": ["知道"]}), codebook, settings={"a": 1})


# --------------------------------------------------------------------------------------------
# 5. The real-town fixture (issue #15) and the sample town
# --------------------------------------------------------------------------------------------


def test_real_town_survey_counts_very_and_fairly_aware():
    path = next(REAL_TOWN.rglob("普法知晓率问卷_问卷星.xlsx"))  # the fixture's folder
    r = read_survey_result(path, settings=S)
    assert unclassified_answers(r.responses, r.codebook, settings=S).empty
    town = awareness_rates(r.responses, r.codebook, by=None, settings=S).set_index("item")
    # README.md: 394 of 457 answers on 民法典 (q5) are 非常/比较了解 = 86.2% (the old lists
    # counted 非常了解 as not aware: 237 of 457, the 了解 + 比较了解 answers, = 51.9%)
    assert town.loc["q5", ["n", "n_positive"]].tolist() == [457, 394]
    # 横岗村, the planted low-awareness village: 22 of 40
    hg = r.responses[r.responses["village_name"].str.strip() == "横岗村"]
    row = awareness_rates(hg.assign(village_id="HG"), r.codebook, items="q5",
                          settings=S).iloc[0]
    assert (row["n"], row["n_positive"]) == (40, 22)
    assert math.isclose(row["ci_high"], 0.693, abs_tol=5e-4)  # README: Wilson 0.40–0.69


def test_sample_town_codebook_classes_every_answer():
    from pufa_metrics import make_sample

    s = make_sample()
    assert unclassified_answers(s["responses"], s["codebook"], settings=S).empty
    rates = awareness_rates(s["responses"], s["codebook"], settings=S)
    assert (rates["status"] == "ok").all() and (rates["n_unclassified"] == 0).all()
    assert np.isfinite(rates.loc[rates["n"] > 0, "rate"]).all()
