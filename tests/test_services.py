"""Tests for pufa_metrics.services on hand-made frames.

Every expected figure is worked out by hand in a comment from the tables below (calendar days
counted month by month), or computed a second way with plain pandas groupby for the larger
random check; none is copied from the function's own output.
"""

import numpy as np
import pandas as pd
import pytest

from pufa_metrics.config import Settings
from pufa_metrics.services import SERVICE_COLUMNS, period_months, service_coverage, service_window

S = Settings()  # targets.legal_literates_per_village 3; [services] 1 lecture a quarter,
# 2 days a month, 90 days without the adviser, sites stale after 12 months

START, END, AS_OF = "2025-01-01", "2025-06-30", "2025-07-31"  # 6 months = 2 quarters


@pytest.fixture
def villages():
    return pd.DataFrame({
        "village_id": ["A", "B", "C", "D"],
        "village_name": ["甲村", "乙村", "丙社区", "丁村"],
        "town": "水寨镇",
        "kind": ["village", "village", "community", "village"],
    })


@pytest.fixture
def roster():
    return pd.DataFrame({
        "person_id": ["p1", "p2", "p3", "p4", "p1", "p5", "p6", "p7", "q1"],
        "village_id": ["A", "A", "A", "A", "A", "B", "B", "B", "C"],
        "group": ["村干部", "党员、网格员", "人民调解员", "五老", "村干部",
                  "村两委干部", "驻村辅警", "乡村教师", "网格员"],
        "trained_hours": [12.0, np.nan, 0.0, 10.0, 12.0, 8.0, 16.0, 6.0, 20.0],
        "year": pd.array([2024, 2023, 2025, 2026, 2025, 2022, 2023, 2024, 2025], dtype="Int64"),
    })


@pytest.fixture
def visits():
    return pd.DataFrame({
        "date": pd.to_datetime(["2025-01-10", "2025-01-10", "2025-03-05", "2025-07-02",
                                "2024-12-20", "2025-02-01"]).astype("datetime64[us]"),
        "village_id": ["A", "A", "A", "A", "A", "B"],
        "service": ["讲座、咨询", "调解", "法治讲座、咨询", "咨询", "咨询", "咨询"],
        "lectures": pd.array([1, None, None, None, None, 0], dtype="Int64"),
        "consultations": pd.array([5, None, 3, 4, 9, 2], dtype="Int64"),
        "mediations": pd.array([None, 1, None, None, None, None], dtype="Int64"),
    })


@pytest.fixture
def sites():
    return pd.DataFrame({
        "site_name": ["镇法治广场", "甲村宣传栏", "甲村长廊", "乙村宣传栏", "丁村书屋"],
        "level": ["town", "village", "village", "village", "village"],
        "village_id": [None, "A", "A", "B", "D"],
        "last_updated": pd.to_datetime(["2020-01-01", "2024-07-31", "2024-07-30", None,
                                        "2025-05-01"]).astype("datetime64[us]"),
    })


def run(villages, roster=None, visits=None, sites=None, **kw):
    kw = {"start": START, "end": END, "as_of": AS_OF, "settings": S, **kw}
    return service_coverage(villages, legal_literates=roster, adviser_visits=visits,
                            sites=sites, **kw)


# ---- 法律明白人 --------------------------------------------------------------------------------


def test_trained_legal_literates_and_target(villages, roster):
    out = run(villages, roster)
    # A: p1 (twice on the roster: one person), p2 (hours blank: counts); p3 has 0 hours (not
    #    trained), p4 was trained in 2026, after the period → 2 people; 2 < 3
    # B: p5, p6, p7 → 3 ≥ 3;  C: a community, not held to the 行政村 target;  D: nobody
    assert out["n_legal_literates"].tolist() == [2, 3, 1, 0]
    assert out["literates_target"].tolist() == [3, 3, pd.NA, 3]
    assert out["literates_met"].tolist() == [False, True, pd.NA, False]
    assert out["n_legal_literates"].dtype == "Int64" and out["literates_met"].dtype == "boolean"


def test_priority_groups_counted_once_with_aliases(villages, roster):
    out = run(villages, roster)
    # A (trained p1, p2): 村干部, 党员, 网格员 → 3 of 10
    # B: 村两委干部 → 村干部, 驻村辅警, 乡村教师 → 其他 → 3;  C: 网格员 → 1;  D: 0
    assert out["priority_groups"].tolist() == [3, 3, 1, 0]
    assert out["priority_group_share"].tolist() == pytest.approx([0.3, 0.3, 0.1, 0.0])


def test_communities_can_be_held_to_the_target(villages, roster):
    out = run(villages, roster, literates_kinds=None)
    assert out["literates_target"].tolist() == [3, 3, 3, 3]
    assert out["literates_met"].tolist() == [False, True, False, False]  # C: 1 < 3
    low = Settings.from_dict({"targets": {"legal_literates_per_village": 2}})
    assert run(villages, roster, settings=low)["literates_met"].tolist() == [True, True, pd.NA,
                                                                           False]



# ---- a roster with one row per person per year (法律明白人 re-certified each year) -------------


@pytest.fixture
def yearly_roster():
    return pd.DataFrame({
        "person_id": ["p1", "p1", "p1", "p2", "p3", "p3", "p4", "p5", "p5"],
        "village_id": ["A", "A", "A", "A", "B", "B", "B", "B", "B"],
        "trained_hours": [12.0, 10.0, 8.0, 6.0, 8.0, 8.0, 6.0, 0.0, 8.0],
        "year": pd.array([2023, 2024, 2025, 2024, 2023, 2024, 2026, 2024, 2025], dtype="Int64"),
    })


def test_a_person_on_the_roster_in_several_years_counts_once(villages, yearly_roster):
    out = run(villages, yearly_roster, end="2025-06-30")
    # A: p1 (2023, 2024, 2025: one person), p2 → 2
    # B: p3 (2023, 2024: one person); p4 only in 2026, after the period's year 2025 → no;
    #    p5 untrained (0 h) in 2024 but trained in 2025 → counts once → 2
    assert out["n_legal_literates"].tolist() == [2, 2, 0, 0]
    # before 2025 ends: p1's and p5's 2025 rows do not count yet, p1's 2023 row does
    # A: p1, p2 → 2;  B: p3 (p5 only untrained in 2024) → 1
    early = run(villages, yearly_roster, start="2024-01-01", end="2024-12-31", as_of="2024-12-31")
    assert early["n_legal_literates"].tolist() == [2, 1, 0, 0]


ROSTER_CSV = (
    "姓名,所属村,身份类别,培训学时,年度\n"
    "张三,甲村,村干部,12,2023\n"  # row 2
    "张三,甲村,村干部,10,2024\n"  # row 3: re-certified in 2024: a new (person, year), kept
    "李四,甲村,党员,8,2023\n"  # row 4
    "李四,甲村,党员,8,2023\n"  # row 5: same person, same year: duplicate of row 4
    "王五,乙村,网格员,6,\n"  # row 6: no year
    "王五,乙村,网格员,6,\n"  # row 7: no year again: duplicate of row 6
    "赵六,乙村,五老,6,2024\n"  # row 8
)


def test_roster_key_is_person_and_year(tmp_path, villages):
    from pufa_metrics.io import read_ledger

    path = tmp_path / "法律明白人名册.csv"
    path.write_text(ROSTER_CSV, encoding="utf-8-sig")
    frame, rejected = read_ledger(path, table="legal_literates", villages=villages,
                                  settings=S)
    # 7 data rows: rows 5 and 7 repeat (person, year) → 5 loaded, 2 rejected
    assert frame["source_row"].tolist() == [2, 3, 4, 6, 8]
    assert rejected["source_row"].tolist() == [5, 7]
    assert rejected["reason"].str.startswith("duplicate person_id + year").all()
    assert [r.rsplit(": ", 1)[1] for r in rejected["reason"]] == ["same as row 4",
                                                                   "same as row 6"]
    # 张三's two years are one person: A (甲村): 张三, 李四 → 2;  B (乙村): 王五, 赵六 → 2
    out = run(villages, frame, start="2024-01-01", end="2024-12-31", as_of="2024-12-31")
    assert out["n_legal_literates"].tolist() == [2, 2, 0, 0]


def test_roster_without_a_year_is_keyed_by_person_alone(tmp_path, villages):
    from pufa_metrics.io import read_ledger

    path = tmp_path / "法律明白人名册.csv"
    lines = ROSTER_CSV.splitlines()
    path.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n",
                    encoding="utf-8-sig")
    frame, rejected = read_ledger(path, table="legal_literates", villages=villages,
                                  settings=S)
    # no year column: 张三 (row 3), 李四 (row 5), 王五 (row 7) each repeat a person
    assert "year" not in frame.columns or frame["year"].isna().all()
    assert frame["source_row"].tolist() == [2, 4, 6, 8]
    assert rejected["source_row"].tolist() == [3, 5, 7]


# ---- the village legal adviser -------------------------------------------------------------------


def test_adviser_visits_days_and_services_in_the_period(villages, visits):
    out = run(villages, visits=visits)
    # In 2025-01-01..2025-06-30, A has 3 rows (01-10 twice, 03-05) on 2 distinct days; the
    # 2024-12-20 and 2025-07-02 rows are outside.  Lectures: 1 (01-10) + 1 (03-05: 讲座场次
    # blank, 服务事项 names 讲座) = 2; consultations 5 + 3 = 8; mediations 1.  B: one row.
    assert out["adviser_visits"].tolist() == [3, 1, 0, 0]
    assert out["adviser_days"].tolist() == [2, 1, 0, 0]
    assert out["lectures"].tolist() == [2, 0, 0, 0]
    assert out["consultations"].tolist() == [8, 2, 0, 0]
    assert out["mediations"].tolist() == [1, 0, 0, 0]


def test_adviser_norm_over_the_period(villages, visits):
    out = run(villages, visits=visits)
    # 6 months = 2 quarters: 1 lecture a quarter → 2 expected; 2 days a month → 12 expected
    assert out["expected_lectures"].tolist() == [2.0] * 4
    assert out["expected_days"].tolist() == [12.0] * 4
    assert out["lectures_met"].tolist() == [True, False, False, False]  # 2 ≥ 2
    assert out["days_met"].tolist() == [False] * 4  # 2 < 12
    easy = Settings.from_dict({"services": {"adviser_days_per_month": 0.2}})
    # 0.2 × 6 = 1.2 expected days: A (2) meets it, B (1) does not
    assert run(villages, visits=visits, settings=easy)["days_met"].tolist() == [True, False,
                                                                                False, False]


def test_days_since_the_adviser_last_came(villages, visits):
    out = run(villages, visits=visits)
    # A: last visit 2025-07-02 (after the period, before as_of 2025-07-31) → 29 days
    # B: 2025-02-01 → 27 (rest of Feb) + 31 + 30 + 31 + 30 + 31 = 180 days
    assert out["last_adviser_visit"].tolist()[:2] == [pd.Timestamp("2025-07-02"),
                                                      pd.Timestamp("2025-02-01")]
    assert out["last_adviser_visit"].isna().tolist() == [False, False, True, True]
    assert out["days_since_adviser"].tolist()[:2] == [29.0, 180.0]
    assert out["days_since_adviser"].isna().tolist()[2:] == [True, True]
    # as_of defaults to end (2025-06-30): the 07-02 visit is in the future then, so A's last
    # visit is 2025-03-05 → 26 (rest of Mar) + 30 + 31 + 30 = 117 days
    default = run(villages, visits=visits, as_of=None)
    assert default.loc["A", "last_adviser_visit"] == pd.Timestamp("2025-03-05")
    assert default.loc["A", "days_since_adviser"] == 117.0


# ---- sites --------------------------------------------------------------------------------------


def test_stale_sites_against_as_of(villages, sites):
    out = run(villages, sites=sites)
    # as_of 2025-07-31 − 12 months = 2024-07-31: 甲村宣传栏 updated that day is current,
    # 甲村长廊 (2024-07-30) is stale, 乙村宣传栏 has no date (stale); the town site is ignored
    assert out["n_sites"].tolist() == [2, 1, 0, 1]
    assert out["stale_sites"].tolist() == [1, 1, 0, 0]
    assert out["stale_site_names"].fillna("").tolist() == ["甲村长廊", "乙村宣传栏", "", ""]
    assert out["oldest_site_update"].tolist()[0] == pd.Timestamp("2024-07-30")
    assert out["oldest_site_update"].isna().tolist() == [False, True, True, False]
    six = Settings.from_dict({"services": {"site_stale_months": 6}})
    # cutoff 2025-01-31: 甲村宣传栏 is now stale too; 丁村书屋 (2025-05-01) is not
    six_out = run(villages, sites=sites, settings=six)
    assert six_out["stale_sites"].tolist() == [2, 1, 0, 0]
    # two stale sites of one village are named in sheet order
    assert six_out.loc["A", "stale_site_names"] == "甲村宣传栏、甲村长廊"


def test_sites_without_update_dates_are_not_assessed(villages, sites):
    out = run(villages, sites=sites.assign(last_updated=pd.NaT))
    assert out["n_sites"].tolist() == [2, 1, 0, 1]
    assert out["stale_sites"].isna().all()
    out = run(villages, sites=sites.drop(columns="last_updated"))
    assert out["stale_sites"].isna().all()


# ---- the frame as a whole ------------------------------------------------------------------------


def test_columns_order_and_missing_tables_are_na(villages):
    out = run(villages)
    assert out.index.tolist() == ["A", "B", "C", "D"] and out.index.name == "village_id"
    assert list(out.columns) == ["village_name", "town", "kind", *SERVICE_COLUMNS]
    for col in ("n_legal_literates", "literates_met", "adviser_visits", "lectures_met",
                "n_sites", "stale_sites", "priority_group_share"):
        assert out[col].isna().all(), col
    assert out.attrs["start"] == START and out.attrs["as_of"] == AS_OF
    assert out.attrs["months"] == 6.0


def test_inputs_are_not_mutated(villages, roster, visits, sites):
    before = [f.copy() for f in (villages, roster, visits, sites)]
    run(villages, roster, visits, sites)
    for b, f in zip(before, (villages, roster, visits, sites), strict=True):
        pd.testing.assert_frame_equal(b, f)


def test_input_checks_name_the_argument(villages, roster, visits):
    with pytest.raises(ValueError, match="'legal_literates' has no column"):
        run(villages, roster.drop(columns="person_id"))
    with pytest.raises(ValueError, match="`adviser_visits` has 1 row.*not in the register"):
        run(villages, visits=visits.assign(village_id=["A", "A", "A", "A", "A", "Z"]))
    with pytest.raises(TypeError, match="`adviser_visits\\['date'\\]` should hold dates"):
        run(villages, visits=visits.assign(date=visits["date"].astype("str")))
    with pytest.raises(ValueError, match="`start` .* is after `end`"):
        run(villages, start="2025-07-01")
    with pytest.raises(ValueError, match="`as_of` .* should not be before `end`"):
        run(villages, as_of="2025-06-01")
    with pytest.raises(TypeError, match="'villages' should be a pandas DataFrame"):
        run([1, 2])
    with pytest.raises(TypeError, match="'settings' should be a pufa_metrics.Settings"):
        run(villages, settings={"targets": {}})
    with pytest.raises(TypeError, match="`literates_kinds`"):
        run(villages, literates_kinds="village")
    with pytest.raises(ValueError, match="should be unique"):
        run(pd.concat([villages, villages]))


def test_agrees_with_plain_pandas_on_a_random_town():
    """A second computation with groupby/nunique, on 300 villages and 5,000 rows."""
    rng = np.random.default_rng(7)
    ids = [f"V{i:03d}" for i in range(300)]
    villages = pd.DataFrame({"village_id": ids, "village_name": ids})
    roster = pd.DataFrame({
        "person_id": rng.integers(0, 900, 2000).astype(str),
        "village_id": rng.choice(ids, 2000),
        "group": rng.choice(["村干部", "党员", "网格员", "五老", "其他"], 2000),
        "trained_hours": rng.choice([0.0, 8.0, np.nan], 2000),
    })
    dates = pd.Timestamp("2024-06-01") + pd.to_timedelta(rng.integers(0, 600, 5000), unit="D")
    log = pd.DataFrame({"date": dates.astype("datetime64[us]"),
                        "village_id": rng.choice(ids[:250], 5000),
                        "lectures": rng.integers(0, 2, 5000)})
    out = service_coverage(villages, legal_literates=roster, adviser_visits=log,
                           start="2025-01-01", end="2025-06-30", as_of="2025-12-31",
                           settings=S)
    trained = roster[roster["trained_hours"].fillna(1) > 0]
    want = trained.groupby("village_id")["person_id"].nunique().reindex(ids, fill_value=0)
    assert out["n_legal_literates"].astype(int).tolist() == want.tolist()
    groups = trained.groupby("village_id")["group"].nunique().reindex(ids, fill_value=0)
    assert out["priority_groups"].astype(int).tolist() == groups.tolist()
    inside = log[log["date"].between("2025-01-01", "2025-06-30")]
    days = inside.groupby("village_id")["date"].nunique().reindex(ids, fill_value=0)
    assert out["adviser_days"].astype(int).tolist() == days.tolist()
    lec = inside.groupby("village_id")["lectures"].sum().reindex(ids, fill_value=0)
    assert out["lectures"].astype(int).tolist() == lec.tolist()
    last = log[log["date"] <= "2025-12-31"].groupby("village_id")["date"].max().reindex(ids)
    pd.testing.assert_series_equal(out["last_adviser_visit"], last, check_names=False,
                                   check_dtype=False)


# ---- period helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(("start", "end", "months"), [
    ("2025-01-01", "2025-12-31", 12.0),  # a calendar year, whatever its length
    ("2024-01-01", "2024-12-31", 12.0),  # leap year
    ("2024-02-01", "2024-02-29", 1.0),
    ("2025-01-01", "2025-06-30", 6.0),
    ("2025-01-16", "2025-01-31", 16 / 31),  # 16 of January's 31 days
    ("2025-12-17", "2026-01-15", 15 / 31 + 15 / 31),  # Dec 17–31 and Jan 1–15
])
def test_period_months(start, end, months):
    assert period_months(start, end) == pytest.approx(months)


def test_service_window_is_the_last_twelve_months_within_the_period():
    assert service_window("2025-12-31", start="2020-01-01") == (pd.Timestamp("2025-01-01"),
                                                                pd.Timestamp("2025-12-31"))
    # 2024-03-01 − 12 months + 1 day = 2023-03-02
    assert service_window("2024-03-01")[0] == pd.Timestamp("2023-03-02")
    assert service_window("2025-12-31", start="2025-10-01")[0] == pd.Timestamp("2025-10-01")
    assert service_window("2025-12-31", months=3)[0] == pd.Timestamp("2025-10-01")
    with pytest.raises(ValueError, match="`months` should be a positive whole number"):
        service_window("2025-12-31", months=0)


# ---- the chart and the brief page --------------------------------------------------------------


def test_service_chart_cells_by_hand(villages, roster, visits, sites):
    from pufa_metrics import plots

    svc = run(villages, roster, visits, sites)
    ax = plots.service_chart(svc, settings=S).axes[0]
    # status 1 met / 0 short / -1 n.a., worked out from the tests above (as of 2025-07-31):
    #          literates  days (≥12)  lectures (≥2)  last visit ≤ 90 d   sites
    # A 甲村    2/3 → 0    2/12 → 0    2/2 → 1        29 d → 1           1 stale → 0
    # B 乙村    3/3 → 1    1/12 → 0    0/2 → 0        180 d → 0          1 stale → 0
    # C 丙社区  1 (n.a.)   0/12 → 0    0/2 → 0        never → 0          no site → n.a.
    # D 丁村    0/3 → 0    0/12 → 0    0/2 → 0        never → 0          current → 1
    # order: shortfalls on literates/adviser/sites first (A 2, B 2, C 1, D 2), then on days
    # and lectures (A 1, B 2, C 2, D 2), then register order → B, D, A, C
    assert [t.get_text() for t in ax.get_yticklabels()] == ["乙村", "丁村", "甲村", "丙社区"]
    assert ax.images[0].get_array().tolist() == [
        [1, 0, 0, 0, 0],
        [0, 0, 0, 0, 1],
        [0, 0, 1, 1, 0],
        [-1, 0, 0, 0, -1],
    ]
    texts = [t.get_text() for t in ax.texts]
    assert texts[:5] == ["3/3", "1/12", "0/2", "180天", "1处过期"]
    assert texts[-4:] == ["1", "0/12", "0/2", "未到村"]  # 丙社区: no target, no site


def test_service_chart_in_english_and_without_data(villages):
    from pufa_metrics import plots

    svc = run(villages)  # nothing given: every cell grey and empty
    fig = plots.service_chart(svc, settings=S, lang="en", synthetic=True)
    ax = fig.axes[0]
    assert (ax.images[0].get_array() == -1).all() and len(ax.texts) == 0
    assert [t.get_text() for t in ax.get_xticklabels()][0] == "Legally\nliterate\npersons"
    assert fig.get_suptitle() == "Sample data (synthetic)"
    assert "Norms: at least 3 legally literate persons" in fig.get_supxlabel()
    with pytest.raises(ValueError, match="'services' has no column"):
        plots.service_chart(svc.drop(columns="days_since_adviser"), settings=S)


@pytest.mark.slow
def test_brief_gets_a_services_page(villages, roster, visits, sites, tmp_path):
    from pufa_metrics.brief import brief

    svc = run(villages, roster, visits, sites)
    cov = pd.DataFrame({"village_name": villages["village_name"].to_numpy(), "town": "水寨镇",
                        "n_events": [3, 1, 2, 0], "covered": [True, True, True, False],
                        "attendance_per_100": [12.0, 3.0, 8.0, 0.0],
                        "events_per_1000": [1.5, 0.5, 1.0, 0.0],
                        "days_since_last": [40.0, 100.0, 20.0, np.nan]},
                       index=pd.Index(villages["village_id"], name="village_id"))
    fu = pd.DataFrame({"village_name": ["丁村"], "priority": [1], "reasons": [("no_events",)],
                       "reasons_zh": ["统计期间无普法活动"], "actions_zh": ["安排律师下村讲座"]},
                      index=pd.Index(["D"], name="village_id"))
    without = brief(tmp_path / "a", coverage=cov, follow_up=fu, settings=S)
    with_svc = brief(tmp_path / "b", coverage=cov, follow_up=fu, settings=S, services=svc)
    a = without["html"].read_text(encoding="utf-8")
    b = with_svc["html"].read_text(encoding="utf-8")
    assert b.count("data:image/png;base64,") == a.count("data:image/png;base64,") + 1
    assert "法律服务情况" in b
    # the absent tables in assessed.OPTIONAL_TABLES' words ("not assessed")
    assert "未提供法律明白人名册" in a and "未提供法律明白人名册" not in b


def test_site_updates_recorded_decides_whether_undated_sites_are_stale():
    # one village-level site with no update date: on its own the register "records no
    # updates" (NA, not assessed); told that the wider register does, the site counts as stale
    villages = pd.DataFrame({"village_id": ["A"], "village_name": ["甲村"]})
    sites = pd.DataFrame({"site_id": ["s1"], "level": ["village"], "village_id": ["A"],
                          "site_name": ["甲村法治长廊"]})
    kw = {"sites": sites, "start": "2025-01-01", "end": "2025-12-31", "as_of": "2025-12-31",
          "settings": Settings()}
    alone = service_coverage(villages, **kw)
    assert pd.isna(alone.loc["A", "stale_sites"])
    told = service_coverage(villages, site_updates_recorded=True, **kw)
    assert told.loc["A", "stale_sites"] == 1
    assert told.loc["A", "stale_site_names"] == "甲村法治长廊"
