"""pufa_metrics.distributed: the Dask path equals the pandas functions on data that fits.

The reference for every distributed result is the pandas function of this package run on the
whole (small, seeded) dataset in memory; those functions are themselves checked against
hand-computed tables in tests/test_coverage.py, test_frequency.py and test_survey.py. One test
here also checks a two-county table by hand.

Dask runs on a LocalCluster with threads (processes=False), so the whole file takes seconds.
"""

from __future__ import annotations

import urllib.parse

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

pytest.importorskip("dask.dataframe", reason="needs the [scale] extra: dask[dataframe]")
distributed_pkg = pytest.importorskip("distributed", reason="needs the [scale] extra: distributed")

from pufa_metrics import _common, ingest  # noqa: E402
from pufa_metrics import coverage as cov_mod  # noqa: E402
from pufa_metrics import distributed as dist  # noqa: E402
from pufa_metrics.coverage import village_coverage  # noqa: E402
from pufa_metrics.frequency import event_counts  # noqa: E402
from pufa_metrics.survey import awareness_rates  # noqa: E402

REQUIRED = ["宪法", "民法典", "反电信网络诈骗", "禁毒"]
TOPICS = ["宪法", "民法典", "反电信网络诈骗", "禁毒", "婚姻家庭", "安全生产"]
# 12-digit codes 县(6) + 镇(3) + 村(3): sorting by id is sorting by county, as in the national data
COUNTIES = ["441424", "441481", "445122", "445281"]


def _national(seed: int = 9) -> dict[str, pd.DataFrame]:
    """A seeded miniature country: 4 counties, 26 villages, 500 events, 300 responses.

    County 445281 has villages but no event and no survey answer; a few villages in the others
    have none either; 5% of events are town-wide (no village, their county given).
    """
    rng = np.random.default_rng(seed)
    per_county = [8, 7, 6, 5]
    county = np.repeat(COUNTIES, per_county)
    number = np.concatenate([np.arange(1, n + 1) for n in per_county])
    ids = np.array([f"{c}100{200 + k:03d}" for c, k in zip(county, number)])
    population = rng.integers(300, 3000, ids.size).astype(float)
    population[3] = 0  # rates → NaN
    population[9] = np.nan
    villages = pd.DataFrame({
        "village_id": pd.array(ids, dtype="str"),
        "village_name": pd.array([f"{i}村" for i in range(ids.size)], dtype="str"),
        "town": pd.array([f"镇{c[-2:]}" for c in county], dtype="str"),
        "county": pd.array(county, dtype="str"),
        "population": pd.array(population, dtype="Int64"),
    })
    # events only in the first three counties, and never in each county's last village
    active = np.flatnonzero((county != COUNTIES[3]) & (number < np.repeat(per_county, per_county)))
    n = 500
    town_wide = rng.random(n) < 0.05
    vid = ids[rng.choice(active, n)].astype(object)
    vid[town_wide] = None
    days = rng.integers(0, 728, n)  # 2023-01-03 … 2024-12-30: 24 months
    events = pd.DataFrame({
        "event_id": pd.array([f"E{i:04d}" for i in range(n)], dtype="str"),
        "date": (np.datetime64("2023-01-03", "D") + days).astype("datetime64[us]"),
        "village_id": pd.array(vid, dtype="str"),
        "county": pd.array(np.where(town_wide, rng.choice(COUNTIES[:3], n), None), dtype="str"),
        "topic": pd.array(rng.choice(TOPICS, n), dtype="str"),
        "attendees": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(5, 200, n)),
                              dtype="Int64"),
    })
    m = 300
    surveyed = np.flatnonzero(county != COUNTIES[3])[:-2]
    aware = np.array(["知道", "听说过", "不知道", "不清楚", None], dtype=object)
    support = np.array(["支持", "比较支持", "不支持", "说不清"], dtype=object)
    responses = pd.DataFrame({
        "response_id": pd.array([f"R{i:04d}" for i in range(m)], dtype="str"),
        "village_id": pd.array(ids[rng.choice(surveyed, m)], dtype="str"),
        "weight": np.round(rng.lognormal(0, 0.5, m), 3),
        "q1": pd.array(rng.choice(aware, m, p=[0.4, 0.2, 0.25, 0.1, 0.05]), dtype="str"),
        "q2": pd.array(rng.choice(aware, m, p=[0.2, 0.2, 0.5, 0.05, 0.05]), dtype="str"),
        "q3": pd.array(rng.choice(support, m), dtype="str"),
    })
    codebook = pd.DataFrame({
        "item": ["q1", "q2", "q3"],
        "text": ["是否知道国家宪法日", "是否听说过民法典", "是否支持以案释法进村"],
        "domain": ["awareness", "awareness", "support"],
        "positive": [("知道", "听说过"), ("知道", "听说过"), ("支持", "比较支持")],
        "missing": [("不清楚",), ("不清楚",), ("说不清",)],
    })
    return {"villages": villages, "events": events, "responses": responses,
            "codebook": codebook}


@pytest.fixture(scope="module")
def national():
    return _national()


@pytest.fixture(scope="module")
def root(national, tmp_path_factory):
    return ingest.write_partitioned(national, tmp_path_factory.mktemp("national"))


@pytest.fixture(scope="module")
def client():
    cluster = distributed_pkg.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                           dashboard_address=":0")
    with distributed_pkg.Client(cluster) as c:
        yield c
    cluster.close()


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------


def test_layout_one_folder_per_county(root, national):
    assert dist.counties(root) == COUNTIES
    assert sorted(p.name for p in (root / "events").iterdir()) == [
        f"county={c}" for c in COUNTIES[:3]  # the fourth county has no event
    ]
    villages = dist.read_partitioned(root, "villages", categorical=False)
    expected = national["villages"]
    assert_frame_equal(villages, expected[[c for c in expected if c != "county"] + ["county"]])


def test_read_partitioned_categorical_ids_and_key(root, national):
    ev = dist.read_partitioned(root, "events", columns=["village_id", "topic", "county"])
    assert isinstance(ev["village_id"].dtype, pd.CategoricalDtype)
    assert isinstance(ev["county"].dtype, pd.CategoricalDtype)
    # every event lands in its county: its village's, or its own for town-wide events
    reg = national["villages"].set_index("village_id")["county"]
    expect = national["events"]["village_id"].map(reg).fillna(national["events"]["county"])
    got = ev.groupby("county", observed=True).size().sort_index()
    want = expect.value_counts().sort_index()
    assert got.to_dict() == want.to_dict()
    some = dist.read_partitioned(root, "events", columns=["date"], counties=[COUNTIES[1]])
    assert len(some) == int((expect == COUNTIES[1]).sum())


def test_read_partitioned_chosen_categoricals(root, national):
    got = dist.read_partitioned(root, "responses", columns=["village_id", "q1", "q3"],
                                categorical=["q1"])
    assert isinstance(got["q1"].dtype, pd.CategoricalDtype)
    assert got["village_id"].dtype == "str" and got["q3"].dtype == "str"
    # categories sorted, as astype("category") makes them
    assert got["q1"].cat.categories.tolist() == ["不清楚", "不知道", "听说过", "知道"]
    assert got["q1"].isna().sum() == national["responses"]["q1"].isna().sum()
    with pytest.raises(TypeError, match="`categorical`"):
        dist.read_partitioned(root, "responses", categorical="q1")
    with pytest.raises(ValueError, match="not in table 'responses'"):
        dist.read_partitioned(root, "responses", columns=["q9"])


def test_read_partitioned_county_without_rows(root):
    out = dist.read_partitioned(root, "responses", counties=[COUNTIES[3]])
    assert len(out) == 0
    assert {"village_id", "weight", "q1"} <= set(out.columns)


# --------------------------------------------------------------------------------------------
# The three metrics equal the pandas functions
# --------------------------------------------------------------------------------------------


def test_coverage_equals_pandas_default_period(root, national, client):
    got = dist.lazy_village_coverage(root, required_topics=REQUIRED).compute()
    want = village_coverage(national["events"], national["villages"], required_topics=REQUIRED)
    assert_frame_equal(got, want)
    assert len(got) == 26  # every village of the register, zero-event villages included
    assert got.loc[got.index.str.startswith(COUNTIES[3]), "n_events"].eq(0).all()


def test_coverage_equals_pandas_explicit_period_and_grouping(root, national, client):
    kw = {"start": "2023-07-01", "end": "2024-06-30", "as_of": "2024-12-31",
          "required_topics": ["宪法", "禁毒"], "population": "population"}
    want = village_coverage(national["events"], national["villages"], **kw)
    for per in (1, 3):
        got = dist.lazy_village_coverage(root, counties_per_partition=per, **kw)
        assert got.npartitions == -(-4 // per)
        assert_frame_equal(got.compute(), want)


def test_coverage_by_hand(tmp_path, client):
    # County A: V1 has events on 2024-01-01 (40 people) and 2024-03-01 (attendees unknown);
    # V2 none. County B: V3 has one event on 2024-12-31 (30 people). Period = 2024-01-01 …
    # 2024-12-31 (366 days in 2024, so end − start = 365).
    villages = pd.DataFrame({"village_id": ["A01", "A02", "B01"],
                             "village_name": ["一", "二", "三"],
                             "population": [1000, 500, 300], "county": ["A", "A", "B"]})
    events = pd.DataFrame({
        "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-12-31"]),
        "village_id": ["A01", "A01", "B01"], "topic": ["宪法", "禁毒", "宪法"],
        "attendees": pd.array([40, None, 30], dtype="Int64")})
    root = ingest.write_partitioned({"villages": villages, "events": events}, tmp_path)
    got = dist.lazy_village_coverage(root).compute()
    assert got["n_events"].tolist() == [2, 0, 1]
    assert got["attendance"].tolist() == [40, 0, 30]
    assert got["attendance_unknown"].tolist() == [1, 0, 0]
    # V1: gaps 0 (start→01-01), 60 (01-01→03-01), 305 (03-01→12-31) → 305; V2: 365; V3: 365
    assert got["longest_gap_days"].tolist() == [305, 365, 365]
    # 40 / 1000 × 100 = 4.0; 0 / 500 × 100 = 0; 30 / 300 × 100 = 10.0
    assert got["attendance_per_100"].tolist() == [4.0, 0.0, 10.0]
    assert got["days_since_last"].tolist()[::2] == [305.0, 0.0]


@pytest.mark.parametrize("wide", [False, True])
def test_event_counts_equal_pandas(root, national, client, wide):
    want = event_counts(national["events"], villages=national["villages"], wide=wide)
    got = dist.lazy_event_counts(root, wide=wide, counties_per_partition=2).compute()
    if not wide:  # the index restarts in every partition (dask); the rows are the same
        got = got.reset_index(drop=True)
        assert len(got) == 26 * 24  # every village × every month of 2023–2024, zeros included
    assert_frame_equal(got, want)


def test_event_counts_quarters(root, national, client):
    kw = {"freq": "QS", "start": "2023-02-15", "end": "2024-05-31"}
    want = event_counts(national["events"], villages=national["villages"], **kw)
    got = dist.lazy_event_counts(root, **kw).compute().reset_index(drop=True)
    assert_frame_equal(got, want)


@pytest.mark.parametrize("weight", ["weight", False])
def test_awareness_equals_pandas_by_village(root, national, client, weight):
    want = awareness_rates(national["responses"], national["codebook"], weight=weight)
    got = dist.lazy_awareness_rates(root, weight=weight).compute().reset_index(drop=True)
    assert_frame_equal(got, want)


def test_awareness_equals_pandas_by_county_and_item_subset(root, national, client):
    responses = national["responses"].copy()
    county = national["villages"].set_index("village_id")["county"]
    responses["county"] = responses["village_id"].map(county)
    kw = {"by": "county", "domain": "awareness", "method": "clopper-pearson", "level": 0.9}
    want = awareness_rates(responses, national["codebook"], **kw)
    got = dist.lazy_awareness_rates(root, counties_per_partition=4, **kw).compute()
    assert_frame_equal(got.reset_index(drop=True), want)


def test_build_and_load_metrics_equal_pandas(root, national, client, tmp_path):
    summary = dist.build_metrics(root, tmp_path / "metrics", required_topics=REQUIRED,
                                 weight="weight", counties_per_partition=2)
    assert summary.groupby("metric")["rows"].sum().to_dict() == {
        "awareness": len(awareness_rates(national["responses"], national["codebook"])),
        "coverage": 26,
        "event_counts": 26 * 24,
    }
    loaded = dist.load_metrics(tmp_path / "metrics")
    want = village_coverage(national["events"], national["villages"], required_topics=REQUIRED)
    assert_frame_equal(loaded["coverage"], want)
    grid = event_counts(national["events"], villages=national["villages"])
    assert_frame_equal(loaded["event_counts"], grid)
    rates = awareness_rates(national["responses"], national["codebook"], weight="weight")
    assert_frame_equal(loaded["awareness"], rates)


def test_runs_on_a_cluster_given_its_address(root, national):
    cluster = distributed_pkg.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                           dashboard_address=":0")
    try:
        with dist.connect(cluster.scheduler_address) as c:
            assert c.scheduler.address == cluster.scheduler_address
            got = dist.lazy_village_coverage(root).compute()
    finally:
        cluster.close()
    assert_frame_equal(got, village_coverage(national["events"], national["villages"]))


def test_connect_local_cluster_and_checks(root, national):
    with dist.connect(n_workers=1, threads_per_worker=1, processes=False) as c:
        got = dist.lazy_event_counts(root, wide=True).compute()
    assert c.cluster.status.name == "closed"  # the client owned its cluster
    assert_frame_equal(got, event_counts(national["events"], villages=national["villages"],
                                         wide=True))
    with pytest.raises(ValueError, match="LocalCluster options"):
        dist.connect("tcp://127.0.0.1:1", n_workers=2)
    with pytest.raises(TypeError, match="address"):
        dist.connect(8786)


def test_strings_stay_pandas_str(root, client):
    got = dist.lazy_village_coverage(root).compute()
    assert got["village_name"].dtype == "str"  # not dask's string[pyarrow] (NA semantics)
    assert got.index.dtype == "str"


# --------------------------------------------------------------------------------------------
# The fast representations the readers produce give the same results (scale paths)
# --------------------------------------------------------------------------------------------


def test_categorical_ids_give_the_same_results(national):
    events = national["events"].copy()
    events["village_id"] = events["village_id"].astype("category")
    events["topic"] = events["topic"].astype("category")
    villages = national["villages"]
    assert_frame_equal(village_coverage(events, villages, required_topics=REQUIRED),
                       village_coverage(national["events"], villages, required_topics=REQUIRED))
    assert_frame_equal(event_counts(events, villages=villages),
                       event_counts(national["events"], villages=villages))


def test_categorical_id_not_in_register_is_refused(national):
    events = national["events"].copy()
    events.loc[0, "village_id"] = "999999999999"
    events["village_id"] = events["village_id"].astype("category")
    with pytest.raises(ValueError, match="not in the register"):
        village_coverage(events, national["villages"])


def test_unused_category_outside_register_is_fine(national):
    # a category no row uses (e.g. left over after filtering) is not an unknown village
    events = national["events"].copy()
    cats = [*events["village_id"].dropna().unique(), "999999999999"]
    events["village_id"] = pd.Categorical(events["village_id"], categories=cats)
    want = village_coverage(national["events"], national["villages"])
    assert_frame_equal(village_coverage(events, national["villages"]), want)


def test_topic_presence_sort_fallback_matches_dense(national, monkeypatch):
    want = village_coverage(national["events"], national["villages"], required_topics=REQUIRED)
    monkeypatch.setattr(cov_mod, "DENSE_CELLS", 0)  # force the sort path
    got = village_coverage(national["events"], national["villages"], required_topics=REQUIRED)
    assert_frame_equal(got, want)


def test_gap_keys_int64_path_matches_int32_path():
    # the composite key code << k | day uses int32 when it fits, int64 otherwise: same answers.
    # Group 0: days 0, 10, 40 → gaps 0, 10, 30 and 100 − 40 = 60 → longest 60, last 40;
    # group 2: day 100 → gap 100 (start) and 0 (end) → 100; group 1: none → span 100, last −1
    codes = np.array([2, 0, 0, 0], dtype=np.int64)
    offsets = np.array([100, 40, 0, 10], dtype=np.int64)
    last, longest = cov_mod.last_and_longest(codes, offsets, 3, 100)
    assert last.tolist() == [40, -1, 100] and longest.tolist() == [60, 100, 100]
    big_last, big_longest = cov_mod.last_and_longest(codes, offsets, 2**25, 100)  # 2^32 keys
    assert big_last[:3].tolist() == [40, -1, 100] and big_longest[:3].tolist() == [60, 100, 100]


def test_day_numbers_any_unit():
    # 2024-03-01 is day 19783 since 1970-01-01 (54 years incl. 13 leap days: 54×365 + 13 + 60)
    for unit in ("s", "ms", "us", "ns"):
        stamps = [pd.Timestamp("2024-03-01 23:59"), pd.NaT, pd.Timestamp("1969-12-31")]
        dates = pd.Series(stamps, dtype=f"datetime64[{unit}]")
        days = _common.day_numbers(dates, "d")
        assert days.tolist() == [19783, _common.NAT_DAY, -1]


def test_categorical_answers_give_the_same_rates(national):
    responses = national["responses"].copy()
    for column in ("village_id", "q1", "q2", "q3"):
        responses[column] = responses[column].astype("category")
    got = awareness_rates(responses, national["codebook"], weight="weight")
    want = awareness_rates(national["responses"], national["codebook"], weight="weight")
    got["village_id"] = got["village_id"].astype("str")
    assert_frame_equal(got, want)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def test_root_that_is_not_a_dataset(tmp_path):
    with pytest.raises(ValueError, match="not a county-partitioned dataset"):
        dist.lazy_village_coverage(tmp_path)
    with pytest.raises(TypeError, match="folder path"):
        dist.counties(42)


def test_awareness_by_must_stay_inside_a_county(root):
    with pytest.raises(ValueError, match="include 'village_id' or 'county'"):
        dist.lazy_awareness_rates(root, by="gender")
    with pytest.raises(ValueError, match="include 'village_id' or 'county'"):
        dist.lazy_awareness_rates(root, by=None)


def test_counties_per_partition_checked(root):
    with pytest.raises(ValueError, match="counties_per_partition"):
        dist.lazy_event_counts(root, counties_per_partition=0)


def test_write_refuses_unplaceable_town_wide_events(national, tmp_path):
    events = national["events"].drop(columns=["county"])
    with pytest.raises(ValueError, match="no village and no `county` column"):
        ingest.write_partitioned({"villages": national["villages"], "events": events}, tmp_path)


def test_write_single_county_places_town_wide_events(national, tmp_path):
    villages = national["villages"][national["villages"]["county"] == COUNTIES[0]]
    events = national["events"].drop(columns=["county"])
    events = events[events["village_id"].isna() | events["village_id"].isin(villages["village_id"])]
    root = ingest.write_partitioned({"villages": villages, "events": events}, tmp_path)
    assert len(dist.read_partitioned(root, "events")) == len(events)


def test_write_refuses_unknown_village_and_non_empty_root(national, tmp_path):
    events = national["events"].copy()
    events.loc[0, "village_id"] = "000000000001"
    with pytest.raises(ValueError, match="not in the register"):
        ingest.write_partitioned({"villages": national["villages"], "events": events},
                               tmp_path / "a")
    ingest.write_partitioned({"villages": national["villages"]}, tmp_path / "b")
    with pytest.raises(ValueError, match="not empty"):
        ingest.write_partitioned({"villages": national["villages"]}, tmp_path / "b")
    ingest.write_partitioned({"villages": national["villages"]}, tmp_path / "b", overwrite=True)


def test_errors_name_the_county(national, tmp_path):
    # a village's events filed under another county: the pandas check fires, naming the county
    root = ingest.write_partitioned(national, tmp_path / "d")
    src = next((root / "events" / f"county={COUNTIES[0]}").glob("*.parquet"))
    src.rename(root / "events" / f"county={COUNTIES[1]}" / "extra.parquet")
    with pytest.raises(ValueError, match=f"counties \\['{COUNTIES[1]}'\\].*not in the register"):
        dist.lazy_village_coverage(root, start="2023-01-01", end="2024-12-31").compute(
            scheduler="sync")


def test_every_topic_of_an_event_travels_with_it(tmp_path, client):
    # e1 (V1 in county A) covered 宪法 and 禁毒 (two rows of event_topics); e2 (V2, county B)
    # only 宪法. By hand: V1 has 2 topics, none missing; V2 has 1, 禁毒 missing.
    villages = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["一", "二"],
                             "population": [100, 100], "county": ["A", "B"]})
    events = pd.DataFrame({"event_id": ["e1", "e2"],
                           "date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                           "village_id": ["V1", "V2"], "topic": ["宪法", "宪法"]})
    topics = pd.DataFrame({"event_id": ["e1", "e1", "e2"], "topic": ["宪法", "禁毒", "宪法"]})
    root = ingest.write_partitioned({"villages": villages, "events": events,
                                   "event_topics": topics}, tmp_path / "d")
    assert sorted(p.name for p in (root / "event_topics").iterdir()) == ["county=A", "county=B"]
    got = dist.lazy_village_coverage(root, required_topics=["宪法", "禁毒"]).compute()
    assert got["n_topics"].tolist() == [2, 1]
    assert got["missing_topics"].tolist() == [(), ("禁毒",)]
    stray = topics.assign(event_id=["e1", "e9", "e2"])
    with pytest.raises(ValueError, match="e9"):
        ingest.write_partitioned({"villages": villages, "events": events, "event_topics": stray},
                               tmp_path / "bad")


def test_county_folders_written_without_percent_encoding_are_read(tmp_path, client):
    # found by review: a dataset written by another tool as county=五华县 read as no rows
    villages = pd.DataFrame({"village_id": ["V1", "V2"], "village_name": ["一", "二"],
                             "population": [100, 100], "county": ["五华县", "兴宁市"]})
    events = pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
                           "village_id": ["V1", "V1"]})
    root = ingest.write_partitioned({"villages": villages, "events": events}, tmp_path / "d")
    for table in ("villages", "events"):  # rename every folder to its plain name
        for folder in (root / table).iterdir():
            folder.rename(folder.with_name(urllib.parse.unquote(folder.name)))
    got = dist.lazy_village_coverage(root).compute()
    assert got["n_events"].to_dict() == {"V2": 0, "V1": 2}  # counties sorted: 五华县 after 兴宁市


def test_overwrite_that_fails_checks_leaves_the_old_dataset(tmp_path):
    villages = pd.DataFrame({"village_id": ["V1"], "village_name": ["一"], "population": [100],
                             "county": ["五华县"]})
    events = pd.DataFrame({"date": pd.to_datetime(["2024-01-01"]), "village_id": ["V1"]})
    root = ingest.write_partitioned({"villages": villages, "events": events}, tmp_path / "d")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    stray = events.assign(village_id=["C9"])  # not in the register
    with pytest.raises(ValueError, match="C9"):
        ingest.write_partitioned({"villages": villages, "events": stray}, root, overwrite=True)
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
