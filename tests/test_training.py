"""Tests for pufa_metrics.training on cadre tables small enough to check by hand."""

import numpy as np
import pandas as pd
import pytest

from pufa_metrics.config import Settings
from pufa_metrics.training import collective_study, training_compliance


@pytest.fixture
def cadres():
    # person  dept    year hours req  taken  score passed cert
    # p1      司法所  2020  45    -    yes    85    -      yes   hours met (45 >= 40), pass (85>=80)
    # p1      司法所  2021  30    -    yes    95    no     yes   hours not met, recorded fail wins
    # p2      司法所  2020  -     -    no     -     -      no    hours unknown, no exam
    # p2      司法所  2021  20    16   -      70    -      no    met (own requirement 16), fail
    # p3      综治办  2021  40    -    yes    -     -      yes   met (40 >= 40), result unknown
    # p4      综治办  2022  50    -    yes    90    -      yes
    return pd.DataFrame(
        {
            "person_id": pd.array(["p1", "p1", "p2", "p2", "p3", "p4"], dtype="str"),
            "department": pd.array(
                ["司法所", "司法所", "司法所", "司法所", "综治办", "综治办"], dtype="str"
            ),
            "year": pd.array([2020, 2021, 2020, 2021, 2021, 2022], dtype="Int64"),
            "required_hours": [np.nan, np.nan, np.nan, 16.0, np.nan, np.nan],
            "online_hours": [45.0, 30.0, np.nan, 20.0, 40.0, 50.0],
            "exam_taken": pd.array([True, True, False, None, True, True], dtype="boolean"),
            "exam_score": [85.0, 95.0, np.nan, 70.0, np.nan, 90.0],
            "exam_passed": pd.array([None, False, None, None, None, None], dtype="boolean"),
            "enforcement_cert": pd.array([True, True, False, False, True, True], dtype="boolean"),
        }
    )


def test_total_over_two_years_by_hand(cadres):
    before = cadres.copy()
    out = training_compliance(cadres, year=[2020, 2021], by=None)
    pd.testing.assert_frame_equal(cadres, before)
    assert out.index.tolist() == ["全部"]
    row = out.iloc[0]
    # person-years: p1·2020, p1·2021, p2·2020, p2·2021, p3·2021 -> 5 records, 3 people
    assert (row["n_staff"], row["n_person_years"]) == (3, 5)
    # hours known for 4: met p1·2020, p2·2021, p3·2021; not met p1·2021 -> 3/4
    assert row["hours_met_rate"] == pytest.approx(0.75)
    # exam taken: p1·2020, p1·2021, p2·2021 (score recorded), p3·2021 -> 4/5; people p1 p2 p3
    assert row["exam_taken_rate"] == pytest.approx(0.8)
    assert row["n_examined"] == 3
    # results known: p1·2020 pass, p1·2021 fail (recorded), p2·2021 fail (70 < 80) -> 1/3
    assert row["pass_rate"] == pytest.approx(1 / 3)
    # certificates: p1 (both years, counted once) and p3 -> 2 of 3 people
    assert row["cert_holders"] == 2
    assert row["cert_rate"] == pytest.approx(2 / 3)


def test_by_department_single_year(cadres):
    out = training_compliance(cadres, year=2021)
    assert out.index.tolist() == ["司法所", "综治办"]
    assert list(out.columns) == [
        "n_staff",
        "n_person_years",
        "hours_met_rate",
        "exam_taken_rate",
        "n_examined",
        "pass_rate",
        "cert_holders",
        "cert_rate",
    ]
    s = out.loc["司法所"].to_dict()  # row access mixes Int64 counts with rates
    # p1 (30 < 40, fail recorded, cert) and p2 (20 >= 16, 70 < 80, no cert)
    assert (s["n_staff"], s["hours_met_rate"], s["exam_taken_rate"]) == (2, 0.5, 1.0)
    assert (s["n_examined"], s["pass_rate"], s["cert_holders"], s["cert_rate"]) == (2, 0.0, 1, 0.5)
    # 综治办: p3 only: hours met, exam taken with no result -> pass rate NaN
    assert out.loc["综治办", ["n_staff", "n_examined", "cert_holders"]].tolist() == [1, 1, 1]
    assert out.loc["综治办", "hours_met_rate"] == 1.0
    assert np.isnan(out.loc["综治办", "pass_rate"])


def test_thresholds_from_keywords_and_settings(cadres):
    # pass mark 60: p2·2021 (70) now passes; p1·2021 stays a recorded fail -> 2/3
    low_mark = training_compliance(cadres, year=[2020, 2021], by=None, pass_mark=60)
    assert low_mark["pass_rate"].iloc[0] == pytest.approx(2 / 3)
    via_settings = training_compliance(
        cadres,
        year=[2020, 2021],
        by=None,
        settings=Settings.from_dict({"training": {"pass_mark": 60}}),
    )
    pd.testing.assert_frame_equal(low_mark, via_settings)
    # 25 hours required: p1·2021 (30) now meets it; p2·2021 keeps its own 16 -> 4/4
    hours = training_compliance(cadres, year=[2020, 2021], by=None, required_hours=25)
    assert hours["hours_met_rate"].iloc[0] == 1.0


def test_all_years_and_missing_columns(cadres):
    out = training_compliance(cadres, by=None)
    assert out["n_staff"].iloc[0] == 4  # p4 (2022) included
    bare = training_compliance(cadres[["person_id", "department", "year"]], by=None)
    assert np.isnan(bare["hours_met_rate"].iloc[0]) and np.isnan(bare["pass_rate"].iloc[0])
    assert pd.isna(bare["n_examined"].iloc[0]) and pd.isna(bare["cert_holders"].iloc[0])
    assert np.isnan(bare["exam_taken_rate"].iloc[0])


def test_text_yes_no_and_certificate_numbers(cadres):
    text = cadres.assign(
        enforcement_cert=pd.array(["是", "粤执0012345", "否", None, "有", "无"], dtype="str")
    )
    out = training_compliance(text, year=[2020, 2021], by=None)
    # p1 (是, a certificate number), p3 (有) -> 2 holders
    assert out["cert_holders"].iloc[0] == 2
    with pytest.raises(ValueError, match="column 'exam_passed' should be yes/no"):
        training_compliance(cadres.assign(exam_passed=["maybe"] * 6))


def test_town_scale_counts_constructed_like_the_article():
    # 60 cadres. Exams: people 0-29 in 2020 and 20-40 in 2021 -> distinct examined 0-40 = 41.
    # Certificates in 2021: people 0-48 -> 49 holders (docs/domain.md: 41 examined, 49).
    people = [f"c{i:02d}" for i in range(60)]
    rows = []
    for year in (2020, 2021):
        for i, pid in enumerate(people):
            took = i < 30 if year == 2020 else 20 <= i <= 40
            rows.append(
                {
                    "person_id": pid,
                    "department": "镇直" if i % 2 else "司法所",
                    "year": year,
                    "exam_taken": took,
                    "enforcement_cert": year == 2021 and i < 49,
                }
            )
    c = pd.DataFrame(rows)
    assert training_compliance(c, year=[2020, 2021], by=None)["n_examined"].iloc[0] == 41
    assert training_compliance(c, year=2021, by=None)["cert_holders"].iloc[0] == 49


def test_a_year_without_records_is_not_assessed_not_an_error(cadres):
    # the fixture has records for 2020, 2021 and 2022 only, so 2030 counts nobody
    out = training_compliance(cadres, year=2030)
    assert len(out) == 0 and list(out.columns) == list(training_compliance(cadres).columns)
    assert out.attrs["not_assessed"] == ((
        "学法用法台账无2030年记录（现有2020–2022年），未评估该年度干部学法用法",
        "The cadre law-study records have no record for 2030 (they cover 2020–2022): cadre law "
        "study not assessed for that year",
    ),)
    total = training_compliance(cadres, year=[2030, 2031], by=None)
    assert total.index.tolist() == ["全部"] and total["n_staff"].tolist() == [0]
    assert total[["hours_met_rate", "pass_rate", "cert_rate"]].isna().all(axis=None)
    assert "无2030–2031年记录" in total.attrs["not_assessed"][0][0]
    # a year that has records is assessed: no reason recorded
    assert "not_assessed" not in training_compliance(cadres, year=2021).attrs


def test_training_errors(cadres):
    with pytest.raises(ValueError, match=r"1 repeated \(person_id, year\) records, e.g. 'p1'"):
        training_compliance(pd.concat([cadres, cadres.iloc[[0]]]))
    with pytest.raises(ValueError, match="has no column 'unit'"):
        training_compliance(cadres, by="unit")
    with pytest.raises(TypeError, match="'year' should be a year"):
        training_compliance(cadres, year="2021")
    with pytest.raises(ValueError, match="'pass_mark' should be a non-negative number"):
        training_compliance(cadres, pass_mark=-1)
    with pytest.raises(TypeError, match="'cadres' should be a pandas DataFrame"):
        training_compliance([("p1", 2020)])


# --------------------------------------------------------------------------------------------
# collective_study
# --------------------------------------------------------------------------------------------


@pytest.fixture
def sessions():
    return pd.DataFrame(
        {
            "date": pd.to_datetime(
                ["2020-03-02", "2020-11-20", "2021-06-01", "2022-01-05", "2022-05-05", "2022-09-09"]
            ),
            "department": pd.array(
                ["镇党委", "镇党委", "镇党委", "司法所", "司法所", "司法所"], dtype="str"
            ),
            "topic": ["宪法", "民法典", "宪法", "禁毒", "民法典", "宪法"],
        }
    )


def test_collective_study_full_grid(sessions):
    out = collective_study(sessions, units=["镇党委", "司法所", "综治办"])
    assert out.index.names == ["department", "year"]
    got = out.reset_index().values.tolist()
    # 2020-2022 for every unit, zeros included; target 2 (pufa.toml default)
    assert got == [
        ["司法所", 2020, 0, 2, False],
        ["司法所", 2021, 0, 2, False],
        ["司法所", 2022, 3, 2, True],
        ["综治办", 2020, 0, 2, False],
        ["综治办", 2021, 0, 2, False],
        ["综治办", 2022, 0, 2, False],
        ["镇党委", 2020, 2, 2, True],
        ["镇党委", 2021, 1, 2, False],
        ["镇党委", 2022, 0, 2, False],
    ]
    assert out["n_sessions"].dtype == "int64" and out["met"].dtype == "bool"


def test_collective_study_options(sessions):
    total = collective_study(sessions, by=None, target=1)
    assert total["n_sessions"].tolist() == [2, 1, 3] and total.index.tolist() == [2020, 2021, 2022]
    assert total["met"].all()
    one_year = collective_study(sessions, year=2021)
    assert one_year["n_sessions"].tolist() == [0, 1]  # 司法所 0, 镇党委 1
    by_year_col = collective_study(
        sessions.drop(columns="date").assign(year=[2020, 2020, 2021, 2022, 2022, 2022]), year=2020
    )
    assert by_year_col.loc[("镇党委", 2020), "n_sessions"] == 2
    with pytest.raises(ValueError, match="not dates"):
        collective_study(sessions.assign(date=["not a date"] * 6))
    with pytest.raises(ValueError, match=r"units that 'units' does not list: \['司法所'\]"):
        collective_study(sessions, units=["镇党委"])
    with pytest.raises(ValueError, match="'target' should be a positive whole number"):
        collective_study(sessions, target=0)
    with pytest.raises(ValueError, match="has no column 'date' or 'year'"):
        collective_study(sessions.drop(columns="date"))
