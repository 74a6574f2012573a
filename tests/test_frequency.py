"""event_counts on the full group × period grid, the campaign calendar and campaign_share."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pufa_metrics.frequency import (
    autumn_equinox,
    campaign_calendar,
    campaign_share,
    event_counts,
)

START, END = "2024-01-01", "2024-12-31"


@pytest.fixture
def villages():
    return pd.DataFrame({"village_id": ["A", "B", "C", "D"],
                         "village_name": ["河尾村", "罗湖村", "犁滩村", "协和村"],
                         "population": pd.array([1000, 500, 0, 200], dtype="Int64")})


@pytest.fixture
def events():
    return pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(1, 11)],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-03-01", "2024-03-01", "2024-12-31", "2024-06-26",
                 "2024-05-20", "2023-12-31", "2025-01-01", "2024-09-01", "2024-12-04"]
            ).astype("datetime64[us]"),
            "village_id": pd.array(["A", "A", "A", "B", "B", None, "A", "C", "C", None],
                                   dtype="str"),
            "topic": ["宪法", "禁毒", "禁毒", "民法典", "禁毒", "民法典", "宪法", "宪法",
                      "反电信网络诈骗", "宪法"],
            "organizer": ["司法所", "司法所", "派出所", "司法所", "派出所", "司法所", "司法所",
                          "市场监管所", "派出所", "司法所"],
            "form": ["讲座", "摆摊设点", "讲座", "以案释法", "摆摊设点", "讲座", "讲座", "讲座",
                     "新媒体线上", "展板宣传栏"],
        }
    )


@pytest.fixture
def event_topics(events):
    extra = pd.DataFrame(
        {"event_id": ["e2", "e3", "e4"], "topic": ["民法典", "反电信网络诈骗", "婚姻家庭"]}
    )
    return pd.concat([events[["event_id", "topic"]], extra], ignore_index=True)


def test_monthly_grid_has_every_village_and_month(events, villages):
    long = event_counts(events, villages=villages, start=START, end=END)
    assert long.columns.tolist() == ["village_id", "period", "n_events"]
    assert len(long) == 4 * 12  # V × P, zeros included
    assert long["period"].dtype == "datetime64[us]"
    months = pd.date_range("2024-01-01", "2024-12-01", freq="MS")
    assert long["period"].iloc[:12].tolist() == months.tolist()
    grid = long["n_events"].to_numpy().reshape(4, 12)
    expected = np.zeros((4, 12), dtype=int)
    expected[0, [0, 2]] = [1, 2]  # A: e1 in Jan, e2 + e3 in Mar (e7 is before start)
    expected[1, [5, 11]] = 1  # B: e5 Jun, e4 Dec 31 (on end)
    expected[2, 8] = 1  # C: e9 Sep (e8 is after end)
    np.testing.assert_array_equal(grid, expected)  # D: all zeros; town-wide e6, e10 excluded
    assert long["n_events"].sum() == 6


def test_grid_matches_slow_groupby_reference(events, villages):
    long = event_counts(events, villages=villages, start=START, end=END)
    inside = events[(events["date"] >= START) & (events["date"] <= END)
                    & events["village_id"].notna()]
    ref = inside.groupby(
        [inside["village_id"], inside["date"].dt.to_period("M").dt.start_time]
    ).size()
    full = pd.MultiIndex.from_product(
        [villages["village_id"], pd.date_range("2024-01-01", "2024-12-01", freq="MS")]
    )  # slow reference is fine in a test
    ref = ref.reindex(full, fill_value=0)
    assert long["n_events"].tolist() == ref.tolist()


@pytest.mark.parametrize("by", ["village_id", "organizer", "form", "topic"])
def test_wide_is_long_pivoted(events, villages, event_topics, by):
    kwargs = {"by": by, "villages": villages, "start": START, "end": END,
              "event_topics": event_topics, "freq": "QS"}
    long = event_counts(events, **kwargs)
    wide = event_counts(events, wide=True, **kwargs)
    pivot = long.astype({by: "str"}).pivot(index=by, columns="period", values="n_events")
    pivot = pivot.reindex(index=wide.index)
    np.testing.assert_array_equal(wide.to_numpy(), pivot.to_numpy())
    assert wide.columns.tolist() == pivot.columns.tolist()
    assert wide.index.name == by and wide.columns.name == "period"


def test_quarters_and_years(events, villages):
    wide = event_counts(events, villages=villages, freq="QS", start=START, end=END, wide=True)
    # A Q1: e1, e2, e3; B Q2: e5, Q4: e4; C Q3: e9
    assert wide.to_numpy().tolist() == [[3, 0, 0, 0], [0, 1, 0, 1], [0, 0, 1, 0], [0, 0, 0, 0]]
    yearly = event_counts(events, villages=villages, freq="YS", wide=True)
    # default period 2023-12-31 .. 2025-01-01 → years 2023, 2024, 2025 (first/last partial)
    assert [p.year for p in yearly.columns] == [2023, 2024, 2025]
    assert yearly.to_numpy().tolist() == [[1, 3, 0], [0, 2, 0], [0, 1, 1], [0, 0, 0]]


def test_period_start_inside_a_month(events, villages):
    wide = event_counts(events, villages=villages, start="2024-03-01", end="2024-06-26",
                        wide=True)
    # periods Mar..Jun labelled by the first day; e1 (Jan) is outside
    assert wide.columns.tolist() == list(pd.date_range("2024-03-01", "2024-06-01", freq="MS"))
    assert wide.loc["A"].tolist() == [2, 0, 0, 0]
    assert wide.loc["B"].tolist() == [0, 0, 0, 1]  # e5 on 06-26 = end, included


def test_by_topic_counts_each_topic_of_an_event(events, event_topics):
    wide = event_counts(events, by="topic", freq="YS", start=START, end=END,
                        event_topics=event_topics, wide=True)
    # 2024 events (town-wide included): e1 宪法; e2 禁毒+民法典; e3 禁毒+反诈; e4 民法典+婚姻家庭;
    # e5 禁毒; e6 民法典; e9 反诈; e10 宪法 → 11 topic mentions from 8 events
    counts = wide.iloc[:, 0].to_dict()
    assert counts == {"宪法": 2, "民法典": 3, "婚姻家庭": 1, "反电信网络诈骗": 2, "禁毒": 3}
    assert list(counts) == ["宪法", "民法典", "婚姻家庭", "反电信网络诈骗", "禁毒"]  # vocabulary
    first_only = event_counts(events, by="topic", freq="YS", start=START, end=END, wide=True)
    assert first_only.iloc[:, 0].sum() == 8


def test_categories_fix_the_groups(events):
    long = event_counts(events, by="organizer", freq="YS", start=START, end=END,
                        categories=["派出所", "司法所", "妇联"])
    # 妇联 has no event: zeros; 市场监管所 is not asked for: not counted
    assert long["organizer"].astype("str").tolist() == ["派出所", "司法所", "妇联"]
    assert long["n_events"].tolist() == [3, 5, 0]
    topics = event_counts(events, by="topic", freq="YS", start=START, end=END,
                          categories=["反诈", "消防"], wide=True)
    assert topics.index.tolist() == ["反电信网络诈骗", "消防"]  # mapped to canonical names
    assert topics.iloc[:, 0].tolist() == [1, 0]


def test_form_groups_follow_the_vocabulary(events):
    wide = event_counts(events, by="form", freq="YS", wide=True, start=START, end=END)
    assert wide.index.tolist() == ["讲座", "摆摊设点", "以案释法", "新媒体线上", "展板宣传栏"]
    # 讲座: e1, e3, e6 (e7, e8 outside); 摆摊设点: e2, e5; 以案释法 e4; 新媒体线上 e9; 展板 e10
    assert wide.iloc[:, 0].tolist() == [3, 2, 1, 1, 1]


def test_without_register_the_villages_seen_are_the_groups(events):
    wide = event_counts(events, wide=True, start=START, end=END)
    assert wide.index.tolist() == ["A", "B", "C"]  # C has an event outside the period only too


def test_unknown_village_with_register(events, villages):
    with pytest.raises(ValueError, match=r"not in the register.*'C'"):
        event_counts(events, villages=villages[villages["village_id"] != "C"])


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"freq": "M"}, ValueError, r"`freq` should be one of \['MS', 'QS', 'YS'\].*got 'M'"),
        ({"by": "county"}, ValueError, r"'events' has no column 'county'"),
        ({"by": ["village_id"]}, TypeError, r"`by` should be a column name"),
        ({"categories": "司法所", "by": "organizer"}, TypeError, r"`categories` should be a list"),
        ({"categories": ["A", "A"]}, ValueError, r"`categories` should not repeat"),
    ],
)
def test_event_counts_checks(events, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        event_counts(events, **kwargs)


# --------------------------------------------------------------------------------------------
# Campaign calendar
# --------------------------------------------------------------------------------------------


def _window(cal, name, year):
    row = cal[(cal["name_zh"] == name) & (cal["start"].dt.year == year)]
    assert len(row) == 1, (name, year)
    return row["start"].iloc[0].date(), row["end"].iloc[0].date()


@pytest.mark.parametrize(
    ("year", "day"),
    # 秋分 dates (the lead's list, 2020–2025; 2018 is the first 丰收节, held on 秋分 09-23)
    [(2018, 23), (2019, 23), (2020, 22), (2021, 23), (2022, 23), (2023, 23), (2024, 22),
     (2025, 23)],
)
def test_harvest_festival_on_the_autumn_equinox(year, day):
    assert autumn_equinox(year) == dt.date(year, 9, day)
    cal = campaign_calendar(year)
    assert _window(cal, "中国农民丰收节", year) == (dt.date(year, 9, day),) * 2


def test_school_safety_day_is_the_monday_of_the_last_week_of_march():
    # published: 2019-03-25 (24th), 2022-03-28 (27th), 2023-03-27 (28th), 2025-03-31 (30th)
    cal = campaign_calendar([2019, 2022, 2023, 2025])
    for day in (dt.date(2019, 3, 25), dt.date(2022, 3, 28), dt.date(2023, 3, 27),
                dt.date(2025, 3, 31)):
        assert _window(cal, "全国中小学生安全教育日", day.year) == (day, day)


def test_cyber_security_week():
    cal = campaign_calendar(range(2020, 2027))
    # announced national weeks (press releases: 郑州, 西安, 合肥, 福州, 广州, 昆明)
    announced = {
        2020: ((9, 14), (9, 20)), 2021: ((10, 11), (10, 17)), 2022: ((9, 5), (9, 11)),
        2023: ((9, 11), (9, 17)), 2024: ((9, 9), (9, 15)), 2025: ((9, 15), (9, 21)),
    }
    for year, (a, b) in announced.items():
        assert _window(cal, "国家网络安全宣传周", year) == (dt.date(year, *a), dt.date(year, *b))
    # 2026: approximation. 2026-09-01 is a Tuesday (2026-01-01 is a Thursday, + 243 days ≡ +5),
    # first full week Mon 7 – Sun 13, second Mon 14 – Sun 20
    assert _window(cal, "国家网络安全宣传周", 2026) == (dt.date(2026, 9, 14), dt.date(2026, 9, 20))


def test_fixed_days_weeks_and_months():
    cal = campaign_calendar(2024)
    single = {
        "国家宪法日": (12, 4), "全民国家安全教育日": (4, 15), "国际禁毒日": (6, 26),
        "消费者权益日": (3, 15), "妇女节": (3, 8), "儿童节": (6, 1), "全国土地日": (6, 25),
        "消防日": (11, 9), "全国交通安全日": (12, 2),
    }
    for name, (month, day) in single.items():
        assert _window(cal, name, 2024) == (dt.date(2024, month, day),) * 2, name
    assert _window(cal, "宪法宣传周", 2024) == (dt.date(2024, 12, 1), dt.date(2024, 12, 7))
    assert _window(cal, "民法典宣传月", 2024) == (dt.date(2024, 5, 1), dt.date(2024, 5, 31))
    assert _window(cal, "安全生产月", 2024) == (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    topics = dict(zip(cal["name_zh"], cal["topic"]))
    assert topics["国家宪法日"] == "宪法" and topics["国际禁毒日"] == "禁毒"
    assert topics["全国土地日"] == "土地管理" and topics["国家网络安全宣传周"] == "网络安全"
    assert cal.columns.tolist() == ["name_zh", "name_en", "start", "end", "topic"]
    assert cal["start"].is_monotonic_increasing
    assert (cal["start"] <= cal["end"]).all()


def test_campaigns_start_in_their_first_year():
    names_2020 = set(campaign_calendar(2020)["name_zh"])
    assert "民法典宣传月" not in names_2020  # first held in May 2021
    assert "民法典宣传月" in set(campaign_calendar(2021)["name_zh"])
    assert "宪法宣传周" not in set(campaign_calendar(2017)["name_zh"])  # since 2018
    assert "国家宪法日" in set(campaign_calendar(2017)["name_zh"])  # since 2014


def test_calendar_checks():
    with pytest.raises(ValueError, match=r"`years` should be between 2000 and 2099, got 1990"):
        campaign_calendar(1990)
    with pytest.raises(TypeError, match=r"`years` should be a year or a list of years"):
        campaign_calendar("2024")
    with pytest.raises(TypeError, match=r"whole years"):
        campaign_calendar([2024.5])


def test_campaign_share_by_hand(events, event_topics):
    cal = campaign_calendar([2023, 2024, 2025])
    share = campaign_share(events, cal)
    # 2023: e7 12-31 → outside. 2025: e8 01-01 → outside.
    # 2024 (8 events): e1 01-01 no; e2, e3 03-01 no; e4 12-31 no; e5 06-26 yes (禁毒日, June);
    # e6 05-20 yes (民法典宣传月); e9 09-01 no; e10 12-04 yes (宪法日) → 3 of 8
    assert share.index.tolist() == [2023, 2024, 2025]
    assert share["n_events"].tolist() == [1, 8, 1]
    assert share["n_in_campaign"].tolist() == [0, 3, 0]
    np.testing.assert_allclose(share["share"], [0.0, 3 / 8, 0.0])
    # window_days=1: nothing new (e9 09-01 is 8 days before the 09-09 cyber week)
    assert campaign_share(events, cal, window_days=1)["n_in_campaign"].tolist() == [0, 3, 0]
    # window_days=8: e9 09-01 = 09-09 − 8 joins; e2, e3 03-01 = 03-08 − 8 (2024-02-29 + 1) join;
    # e1 01-01, e4 12-31 and e7 2023-12-31 stay out (12-07 + 8 = 12-15) → 6 of 8 in 2024
    assert campaign_share(events, cal, window_days=8)["n_in_campaign"].tolist() == [0, 6, 0]
    # match_topic: e5 禁毒 on 6·26 禁毒日 yes; e6 民法典 in 民法典宣传月 yes; e10 宪法 on 12·4 yes
    assert campaign_share(events, cal, match_topic=True)["n_in_campaign"].tolist() == [0, 3, 0]


def test_campaign_share_match_topic_needs_the_right_topic():
    events = pd.DataFrame({
        "event_id": ["a", "b", "c"],
        "date": pd.to_datetime(["2024-06-26", "2024-06-26", "2024-04-14"]),
        "topic": ["宪法", "禁毒", "国家安全"],
    })
    cal = campaign_calendar(2024)
    # all three are in a window (June is 安全生产月; 04-14 is one day before 4·15 when widened)
    assert campaign_share(events, cal, window_days=1)["n_in_campaign"].tolist() == [3]
    # by topic: a (宪法 on 6·26) no; b (禁毒 on 6·26) yes; c (国家安全 on 4·14) only widened
    assert campaign_share(events, cal, match_topic=True)["n_in_campaign"].tolist() == [1]
    assert campaign_share(events, cal, match_topic=True,
                          window_days=1)["n_in_campaign"].tolist() == [2]
    # a second topic listed in event_topics makes "a" match 安全生产月
    et = pd.DataFrame({"event_id": ["a", "a", "b", "c"],
                       "topic": ["宪法", "安全生产", "禁毒", "国家安全"]})
    assert campaign_share(events, cal, match_topic=True,
                          event_topics=et)["n_in_campaign"].tolist() == [2]


def test_campaign_share_checks(events):
    cal = campaign_calendar(2024)
    with pytest.raises(ValueError, match=r"no campaign in year\(s\) \[2023, 2025\]"):
        campaign_share(events, cal)
    cal3 = campaign_calendar([2023, 2024, 2025])
    with pytest.raises(ValueError, match=r"`window_days` should be 0 or more, got -1"):
        campaign_share(events, cal3, window_days=-1)
    with pytest.raises(TypeError, match=r"`window_days` should be a whole number"):
        campaign_share(events, cal3, window_days=1.5)
    with pytest.raises(ValueError, match=r"'calendar' has no column 'topic'"):
        campaign_share(events, cal3.drop(columns="topic"), match_topic=True)
