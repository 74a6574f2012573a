"""village_coverage, town_events, topic_matrix and organizer_summary on a table small enough to
check by hand, plus a randomized comparison against a slow per-village loop written here."""

import numpy as np
import pandas as pd
import pytest

from pufa_metrics.coverage import (
    organizer_summary,
    topic_matrix,
    town_events,
    village_coverage,
)

START, END = "2024-01-01", "2024-12-31"  # 2024 is a leap year: END − START = 365 days
REQUIRED = ["宪法", "禁毒", "反诈"]  # 反诈 is an alias of 反电信网络诈骗


@pytest.fixture
def villages():
    return pd.DataFrame(
        {
            "village_id": ["A", "B", "C", "D"],
            "village_name": ["河尾村", "罗湖村", "犁滩村", "协和村"],
            "town": ["水寨镇"] * 4,
            "population": pd.array([1000, 500, 0, 200], dtype="Int64"),  # C: population 0
            "registered_population": pd.array([2000, 800, 300, None], dtype="Int64"),
        }
    )


@pytest.fixture
def events():
    # day offsets from START: 03-01 → 31+29 = 60; 06-26 → 152+25 = 177; 09-01 → 244; 12-31 → 365
    return pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(1, 11)],
            "date": pd.to_datetime(
                [
                    "2024-01-01",  # e1 A, exactly on start
                    "2024-03-01",  # e2 A
                    "2024-03-01",  # e3 A, same day as e2
                    "2024-12-31",  # e4 B, exactly on end
                    "2024-06-26",  # e5 B
                    "2024-05-20",  # e6 town-wide
                    "2023-12-31",  # e7 A, the day before start
                    "2025-01-01",  # e8 C, the day after end
                    "2024-09-01",  # e9 C
                    "2024-12-04",  # e10 town-wide
                ]
            ).astype("datetime64[us]"),
            "village_id": ["A", "A", "A", "B", "B", None, "A", "C", "C", None],
            "topic": ["宪法", "禁毒", "禁毒", "民法典", "禁毒", "民法典", "宪法", "宪法",
                      "反电信网络诈骗", "宪法"],
            "organizer": ["司法所", "司法所", "派出所", "司法所", "派出所", "司法所", "司法所",
                          "市场监管所", "派出所", "司法所"],
            "attendees": pd.array([50, None, 30, 20, 100, 300, 999, 999, 10, 80], dtype="Int64"),
        }
    ).astype({"village_id": "str"})


@pytest.fixture
def event_topics(events):
    extra = pd.DataFrame(
        {"event_id": ["e2", "e3", "e4"], "topic": ["民法典", "反电信网络诈骗", "婚姻家庭"]}
    )
    return pd.concat([events[["event_id", "topic"]], extra], ignore_index=True)


def test_counts_attendance_and_rates_by_hand(events, villages):
    cov = village_coverage(events, villages, start=START, end=END)
    assert list(cov.index) == ["A", "B", "C", "D"]  # register order, D has no event
    assert cov.index.name == "village_id"
    # A: e1, e2, e3 (e7 is before start); B: e4 (on end), e5; C: e9 (e8 after end); D: none
    assert cov["n_events"].tolist() == [3, 2, 1, 0]
    # A: 50 + 30 (e2 unknown); B: 20 + 100; C: 10; town-wide e6/e10 are nobody's
    assert cov["attendance"].tolist() == [80, 120, 10, 0]
    assert cov["attendance_unknown"].tolist() == [1, 0, 0, 0]
    # per 100: 80/1000×100 = 8; 120/500×100 = 24; C population 0 → NaN; 0/200×100 = 0
    np.testing.assert_allclose(cov["attendance_per_100"], [8.0, 24.0, np.nan, 0.0])
    # per 1000: 3/1000×1000 = 3; 2/500×1000 = 4; NaN; 0
    np.testing.assert_allclose(cov["events_per_1000"], [3.0, 4.0, np.nan, 0.0])
    assert cov["covered"].tolist() == [True, True, True, False]
    assert cov["population"].tolist() == [1000, 500, 0, 200]
    assert (cov["population_basis"] == "population").all()
    assert cov["village_name"].tolist() == ["河尾村", "罗湖村", "犁滩村", "协和村"]
    assert not np.isinf(cov[["attendance_per_100", "events_per_1000"]].to_numpy()).any()


def test_recency_and_gaps_by_hand(events, villages):
    cov = village_coverage(events, villages, start=START, end=END)
    assert cov["last_event"].tolist() == [
        pd.Timestamp("2024-03-01"), pd.Timestamp("2024-12-31"), pd.Timestamp("2024-09-01"),
        pd.NaT,
    ]
    assert cov["last_event"].dtype == "datetime64[us]"
    # as_of = end: A 365 − 60 = 305; B 0; C 365 − 244 = 121; D NaN
    np.testing.assert_allclose(cov["days_since_last"], [305, 0, 121, np.nan])
    # A dates 0, 60, 60: gaps 0 (from start), 60, 0 (same day), 305 (to end) → 305, to end
    # B dates 177, 365: gaps 177 (from start), 188 (between events), 0 (to end) → 188, between
    # C date 244: gaps 244 (from start), 365 − 244 = 121 (to end) → 244, from start
    # D no event: end − start = 365
    assert cov["longest_gap_days"].tolist() == [305, 188, 244, 365]


def test_as_of_later_than_end(events, villages):
    cov = village_coverage(events, villages, start=START, end=END, as_of="2025-03-01")
    # 2024-03-01 → 2025-03-01: 365 days (no 29 Feb in between); 2024-12-31 → 2025-03-01:
    # 1 + 31 + 28 = 60; 2024-09-01 → 2025-01-01: 30 + 31 + 30 + 31 = 122, + 31 + 28 = 181
    np.testing.assert_allclose(cov["days_since_last"], [365, 60, 181, np.nan])
    assert cov.attrs["as_of"] == "2025-03-01"


def test_period_defaults_to_event_span(events, villages):
    cov = village_coverage(events, villages)
    # first event 2023-12-31 (e7), last 2025-01-01 (e8), all events counted
    assert cov.attrs["start"] == "2023-12-31"
    assert cov.attrs["end"] == "2025-01-01"
    assert cov["n_events"].tolist() == [4, 2, 2, 0]
    # span = 367 days; D has no event
    assert cov.loc["D", "longest_gap_days"] == 367


def test_topics_first_topic_and_multi_topic(events, villages, event_topics):
    cov = village_coverage(events, villages, start=START, end=END, required_topics=REQUIRED)
    # first topics only: A {宪法, 禁毒}; B {民法典, 禁毒}; C {反电信网络诈骗}; D {}
    assert cov["n_topics"].tolist() == [2, 2, 1, 0]
    assert cov["missing_topics"].tolist() == [
        ("反电信网络诈骗",),
        ("宪法", "反电信网络诈骗"),
        ("宪法", "禁毒"),
        ("宪法", "禁毒", "反电信网络诈骗"),
    ]
    cov = village_coverage(
        events, villages, start=START, end=END, event_topics=event_topics,
        required_topics=REQUIRED,
    )
    # with every topic: A {宪法, 禁毒, 民法典, 反电信网络诈骗}; B {民法典, 婚姻家庭, 禁毒}
    assert cov["n_topics"].tolist() == [4, 3, 1, 0]
    assert cov.loc["A", "missing_topics"] == ()


def test_no_required_topics_gives_empty_tuples(events, villages):
    cov = village_coverage(events, villages, start=START, end=END)
    assert cov["missing_topics"].tolist() == [(), (), (), ()]


def test_registered_population_basis(events, villages):
    cov = village_coverage(events, villages, start=START, end=END,
                           population="registered_population")
    # 80/2000×100 = 4; 120/800×100 = 15; 10/300×100 = 3.33…; D registered NA → NaN
    np.testing.assert_allclose(cov["attendance_per_100"], [4.0, 15.0, 10 / 3, np.nan])
    assert cov["population"].tolist()[:3] == [2000, 800, 300]
    assert pd.isna(cov.loc["D", "population"])
    assert (cov["population_basis"] == "registered_population").all()


def test_has_site_only_when_sites_given(events, villages):
    assert "has_site" not in village_coverage(events, villages).columns
    sites = pd.DataFrame(
        {
            "site_id": ["s1", "s2", "s3", "s4"],
            "village_id": ["A", None, "C", "B"],
            "level": ["village", "town", "village", "town"],  # B only has a town-level site
        }
    )
    cov = village_coverage(events, villages, sites=sites)
    assert cov["has_site"].tolist() == [True, False, True, False]


def test_inputs_not_mutated(events, villages, event_topics):
    before = (events.copy(), villages.copy(), event_topics.copy())
    village_coverage(events, villages, event_topics=event_topics, required_topics=REQUIRED)
    town_events(events, event_topics=event_topics)
    topic_matrix(events, villages, event_topics=event_topics)
    organizer_summary(events, event_topics=event_topics, responsibilities={"司法所": ["宪法"]})
    for a, b in zip(before, (events, villages, event_topics)):
        pd.testing.assert_frame_equal(a, b)


def test_unknown_village_is_a_contract_breach(events, villages):
    bad = events.copy()
    bad.loc[0, "village_id"] = "Z9"
    with pytest.raises(ValueError, match=r"not in the register.*Z9"):
        village_coverage(bad, villages)


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"population": "residents"}, ValueError, r"`population` should be one of"),
        ({"start": "2024-12-31", "end": "2024-01-01"}, ValueError, r"`start` .* is after `end`"),
        ({"start": "not a date"}, ValueError, r"`start` should be a date"),
        ({"as_of": "2024-06-30", "end": "2024-12-31"}, ValueError, r"`as_of`.*before `end`"),
        ({"required_topics": "宪法"}, TypeError, r"`required_topics` should be a list"),
    ],
)
def test_option_checks_name_the_argument(events, villages, kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        village_coverage(events, villages, **kwargs)


def test_frame_checks_name_the_argument(events, villages):
    with pytest.raises(TypeError, match=r"'events' should be a pandas DataFrame, got list"):
        village_coverage([1, 2], villages)
    with pytest.raises(ValueError, match=r"'villages' has no column 'village_name'"):
        village_coverage(events, villages.drop(columns="village_name"))
    with pytest.raises(TypeError, match=r"`events\['date'\]` should hold dates.*got dtype str"):
        village_coverage(events.astype({"date": "str"}), villages)
    with pytest.raises(ValueError, match=r"registered_population"):
        village_coverage(events, villages.drop(columns="registered_population"),
                         population="registered_population")
    dup = pd.concat([villages, villages.iloc[[0]]])
    with pytest.raises(ValueError, match=r"should be unique.*'A'"):
        village_coverage(events, dup)


def test_empty_events_need_a_period(villages, events):
    empty = events.iloc[:0]
    with pytest.raises(ValueError, match="give both"):
        village_coverage(empty, villages)
    cov = village_coverage(empty, villages, start=START, end=END)
    assert cov["n_events"].tolist() == [0, 0, 0, 0]
    assert cov["longest_gap_days"].tolist() == [365] * 4


def test_time_of_day_is_ignored(events, villages):
    late = events.copy()
    late["date"] = late["date"] + pd.Timedelta(hours=23)  # 2024-12-31 23:00 is still in
    cov = village_coverage(late, villages, start=START, end=END)
    assert cov["n_events"].tolist() == [3, 2, 1, 0]


def test_town_events_are_listed_by_date(events, event_topics):
    out = town_events(events, start=START, end=END)
    assert out["event_id"].tolist() == ["e6", "e10"]  # 05-20 before 12-04
    assert out["village_id"].isna().all()
    out = town_events(events, start=START, end=END, event_topics=event_topics)
    assert out["topics"].tolist() == [("民法典",), ("宪法",)]
    assert town_events(events, start="2024-06-01", end=END)["event_id"].tolist() == ["e10"]


def test_topic_matrix_by_hand(events, villages, event_topics):
    m = topic_matrix(events, villages, event_topics=event_topics, start=START, end=END)
    # vocabulary order of the topics seen in village events of 2024
    assert m.columns.tolist() == ["宪法", "民法典", "婚姻家庭", "反电信网络诈骗", "禁毒"]
    assert m.loc["A"].tolist() == [1, 1, 0, 1, 2]  # e1 宪法; e2 禁毒+民法典; e3 禁毒+反诈
    assert m.loc["B"].tolist() == [0, 1, 1, 0, 1]  # e4 民法典+婚姻家庭; e5 禁毒
    assert m.loc["C"].tolist() == [0, 0, 0, 1, 0]  # e9
    assert m.loc["D"].tolist() == [0, 0, 0, 0, 0]
    chosen = topic_matrix(events, villages, topics=["禁毒", "消防"], start=START, end=END)
    assert chosen.columns.tolist() == ["禁毒", "消防"]
    assert chosen["禁毒"].tolist() == [2, 1, 0, 0]
    assert chosen["消防"].tolist() == [0, 0, 0, 0]


def test_topic_matrix_matches_slow_crosstab(events, villages, event_topics):
    m = topic_matrix(events, villages, event_topics=event_topics, start=START, end=END)
    inside = events[(events["date"] >= START) & (events["date"] <= END)].dropna(
        subset=["village_id"]
    )
    pairs = inside[["event_id", "village_id"]].merge(event_topics, on="event_id")
    ref = pd.crosstab(pairs["village_id"], pairs["topic"])  # slow reference is fine here
    ref = ref.reindex(index=villages["village_id"], columns=m.columns, fill_value=0)
    np.testing.assert_array_equal(m.to_numpy(), ref.to_numpy())


def test_organizer_summary_by_hand(events, event_topics):
    fields = {"司法所": ["宪法", "民法典", "人民调解"], "派出所": ["禁毒", "反诈"],
              "妇联": ["妇女权益"]}
    s = organizer_summary(events, start=START, end=END, responsibilities=fields)
    # organizers seen (sorted), then listed departments without events
    assert s.index.tolist() == ["司法所", "市场监管所", "派出所", "妇联"]
    # 司法所: e1 (A 宪法), e2 (A 禁毒), e4 (B 民法典), e6 and e10 town-wide
    # 派出所: e3 (A 禁毒), e5 (B 禁毒), e9 (C 反诈); 市场监管所: e8 is after end
    assert s["n_events"].tolist() == [5, 0, 3, 0]
    assert s["n_villages"].tolist() == [2, 0, 3, 0]
    assert s["topics"].tolist() == [("宪法", "民法典", "禁毒"), (), ("反电信网络诈骗", "禁毒"), ()]
    assert s["n_topics"].tolist() == [3, 0, 2, 0]
    # 司法所: 4 of 5 events in its fields (e2 禁毒 is not); 派出所 3/3; no events/fields → NaN
    np.testing.assert_allclose(s["in_field_share"], [0.8, np.nan, 1.0, np.nan])
    assert s["fields_never_covered"].tolist() == [("人民调解",), (), (), ("妇女权益",)]
    # with every topic, e2 (禁毒 + 民法典) is inside 司法所's fields: 5 of 5
    s = organizer_summary(events, start=START, end=END, responsibilities=fields,
                          event_topics=event_topics)
    assert s.loc["司法所", "in_field_share"] == 1.0
    assert s.loc["司法所", "topics"] == ("宪法", "民法典", "婚姻家庭", "禁毒")


def test_organizer_summary_accepts_a_frame(events):
    frame = pd.DataFrame({"department": ["司法所", "司法所"], "topic": ["宪法", "人民调解"]})
    s = organizer_summary(events, start=START, end=END, responsibilities=frame)
    # 司法所 events in {宪法, 人民调解}: e1 and e10 → 2 of 5
    assert s.loc["司法所", "in_field_share"] == pytest.approx(0.4)
    assert s.loc["司法所", "fields_never_covered"] == ("人民调解",)
    with pytest.raises(TypeError, match="`responsibilities` should be a dict"):
        organizer_summary(events, responsibilities=["司法所"])


# --------------------------------------------------------------------------------------------
# Randomized: fast composite-key code against an obviously correct per-village loop
# --------------------------------------------------------------------------------------------


def _slow_reference(events, event_topics, village_ids, start, end):
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    rows = {}
    for vid in village_ids:
        ev = events[(events["village_id"] == vid) & (events["date"] >= start)
                    & (events["date"] <= end)]
        dates = sorted(set(ev["date"]))
        if dates:
            points = [start, *dates, end]
            longest = max((b - a).days for a, b in zip(points[:-1], points[1:]))
            last = dates[-1]
        else:
            longest, last = (end - start).days, pd.NaT
        topics = set(ev["topic"]) | set(
            event_topics.loc[event_topics["event_id"].isin(ev["event_id"]), "topic"]
        )
        attendance = sum(int(a) for a in ev["attendees"] if not pd.isna(a))
        rows[vid] = (len(ev), attendance, last, longest, len(topics))
    return rows


@pytest.mark.parametrize("numeric_ids", [False, True], ids=["text-ids", "numeric-ids"])
def test_random_against_slow_loop(numeric_ids):
    rng = np.random.default_rng(20240415)
    n_villages, n_events = 50, 2000
    if numeric_ids:  # 12-digit codes take the Arrow int64 path
        ids = [str(441424100000 + i) for i in range(n_villages)]
    else:
        ids = [f"村{i:02d}" for i in range(n_villages)]
    villages = pd.DataFrame({"village_id": ids, "village_name": ids,
                             "population": pd.array(rng.integers(0, 3000, n_villages),
                                                    dtype="Int64")})
    # a few villages get most events; ids[-5:] get none
    weights = rng.random(n_villages - 5) ** 3
    vid = rng.choice(ids[:-5], size=n_events, p=weights / weights.sum()).astype(object)
    vid[rng.random(n_events) < 0.05] = None  # town-wide
    topics = np.array(["宪法", "民法典", "禁毒", "反电信网络诈骗", "消防", "婚姻家庭"])
    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(n_events)],
            "date": (pd.Timestamp("2023-11-01")
                     + pd.to_timedelta(rng.integers(0, 500, n_events), unit="D")
                     + pd.to_timedelta(rng.integers(0, 24, n_events), unit="h")),
            "village_id": pd.array(vid, dtype="str"),
            "topic": rng.choice(topics, n_events),
            "attendees": pd.array(
                np.where(rng.random(n_events) < 0.2, None, rng.integers(0, 200, n_events)),
                dtype="Int64",
            ),
        }
    )
    second = rng.random(n_events) < 0.3
    event_topics = pd.concat(
        [events[["event_id", "topic"]],
         pd.DataFrame({"event_id": events["event_id"][second],
                       "topic": rng.choice(topics, int(second.sum()))})],
        ignore_index=True,
    )
    start, end = "2024-01-01", "2024-12-31"
    cov = village_coverage(events, villages, start=start, end=end, event_topics=event_topics)
    day_events = events.assign(date=events["date"].dt.normalize())
    ref = _slow_reference(day_events, event_topics, ids, start, end)
    ref = pd.DataFrame.from_dict(
        ref, orient="index",
        columns=["n_events", "attendance", "last_event", "longest_gap_days", "n_topics"],
    )
    assert (ref["n_events"] == 0).sum() >= 5  # zero-event villages are part of the check
    for column in ref.columns:
        assert cov[column].tolist() == ref[column].tolist(), column


def test_coverage_frame_can_be_written_to_parquet(tmp_path):
    # attrs travel into the Parquet metadata as JSON: dates are ISO strings, not Timestamps
    villages = pd.DataFrame({"village_id": ["A"], "village_name": ["甲村"], "population": [100]})
    events = pd.DataFrame({"event_id": ["1"], "date": pd.to_datetime(["2024-05-01"]),
                           "village_id": ["A"], "topic": ["禁毒"]})
    cov = village_coverage(events, villages, start="2024-01-01", end="2024-12-31")
    cov.to_parquet(tmp_path / "c.parquet")
    assert pd.read_parquet(tmp_path / "c.parquet")["n_events"].tolist() == [1]


def test_topic_cells_split_the_same_with_or_without_event_topics():
    # issue #16: "民法典、反诈" is two topics (民法典, 反电信网络诈骗), not one unknown topic
    events = pd.DataFrame({"event_id": ["e1", "e2"], "village_id": ["V1", "V2"],
                           "date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                           "topic": ["民法典、反诈", "宪法"]})
    villages = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["甲村", "乙村"],
                             "population": [100, 200]})
    required = ["宪法", "民法典", "反电信网络诈骗", "禁毒"]
    alone = village_coverage(events, villages, required_topics=required)
    topics = pd.DataFrame({"event_id": ["e1", "e1", "e2"],
                           "topic": ["民法典", "反电信网络诈骗", "宪法"]})
    given = village_coverage(events.assign(topic=["民法典", "宪法"]), villages,
                             required_topics=required, event_topics=topics)
    assert alone.loc["V1", "missing_topics"] == ("宪法", "禁毒")
    assert alone.loc["V1", "n_topics"] == 2
    assert alone[["n_topics", "missing_topics"]].equals(given[["n_topics", "missing_topics"]])


def test_one_rule_for_a_village_level_site():
    from pufa_metrics.config import Settings
    from pufa_metrics.coverage import village_level_sites
    from pufa_metrics.services import service_coverage

    villages = pd.DataFrame({"village_id": ["V1", "V2", "V3"], "village_name": ["甲", "乙", "丙"],
                             "population": [100, 200, 300]})
    sites = pd.DataFrame({"site_id": ["s1", "s2", "s3"], "site_name": ["a", "b", "c"],
                          "village_id": ["V1", "V2", "V3"], "level": ["village", "村级", "town"]})
    assert village_level_sites(sites).tolist() == [True, True, False]
    events = pd.DataFrame({"village_id": ["V1"], "date": pd.to_datetime(["2024-01-01"])})
    cov = village_coverage(events, villages, sites=sites)
    svc = service_coverage(villages, sites=sites, start="2024-01-01", end="2024-12-31",
                           settings=Settings())
    # V2's 村级 site counts in both; V3's town site in neither
    assert cov["has_site"].tolist() == [True, True, False]
    assert (svc["n_sites"] > 0).tolist() == [True, True, False]
