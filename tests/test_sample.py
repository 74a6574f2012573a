"""The synthetic sample town (pufa_metrics.sample) and the committed files in data/raw.

Every figure checked here is counted with plain pandas / shapely / statsmodels / esda in the
test, independently of the library's metric modules; the expected numbers are the town report's
(docs/domain.md: 24 + 55 events 2020-01-01..2021-09-09, 41 examined, 49 certificates, 2 + 28 sites,
167,046 people, 47,620 households, 453 villager groups) and the planted blind spots named in
SAMPLE_TRUTH.
"""

import csv
import io as stdio
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from openpyxl import load_workbook
from statsmodels.stats.proportion import proportion_confint

from pufa_metrics import config, sample, schema
from pufa_metrics.io import load_dataset
from pufa_metrics.sample import SAMPLE_FILES, SAMPLE_TRUTH, make_sample, write_sample

RAW = config.RAW_DIR
WINDOW = ("2020-01-01", "2021-09-09")
AS_OF = pd.Timestamp("2025-12-31")
REQUIRED = ["宪法", "民法典", "反电信网络诈骗", "禁毒"]
# docs/domain.md: the 23 villages named in 2011 and the 4 communities
DOMAIN_VILLAGES = ["员瑾", "河尾", "罗湖", "犁滩", "协和", "良美", "黄井", "大岭", "大布", "上坝",
                   "坝美", "大沙", "高车", "善坑", "平湖", "中洞", "榕树", "岗阳", "坝心", "澄湖",
                   "大湖", "七都", "莲洞"]
DOMAIN_COMMUNITIES = ["府前社区", "西河社区", "公园社区", "大坝社区"]


@pytest.fixture(scope="module")
def truth():
    return make_sample()


@pytest.fixture(scope="module")
def dataset():
    return load_dataset(RAW)


def _window_counts(events: pd.DataFrame, event_topics: pd.DataFrame) -> tuple[int, int]:
    """(events with a 禁毒 / 反电信网络诈骗 topic, other events) dated inside the report window."""
    ids = events.loc[events["date"].between(*WINDOW), "event_id"]
    topics = event_topics[event_topics["event_id"].isin(ids)]
    drug_fraud = topics.loc[topics["topic"].isin(["禁毒", "反电信网络诈骗"]), "event_id"].nunique()
    return drug_fraud, ids.nunique() - drug_fraud


def _village_names(villages: pd.DataFrame) -> dict[str, str]:
    return dict(zip(villages["village_id"], villages["village_name"], strict=True))


# ------------------------------------------------------------------------------------------
# Reproducibility and input checks
# ------------------------------------------------------------------------------------------


def test_same_seed_gives_identical_frames_and_other_seed_differs(truth):
    again = make_sample()
    for name, frame in truth.items():
        if name == "geometry":
            assert frame.geometry.geom_equals_exact(again[name].geometry, 0).all()
            pd.testing.assert_frame_equal(frame.drop(columns="geometry"),
                                          again[name].drop(columns="geometry"))
        else:
            pd.testing.assert_frame_equal(frame, again[name], obj=name)
    other = make_sample(seed=1)
    assert not other["villages"]["population"].equals(truth["villages"]["population"])
    assert not other["events"]["date"].equals(truth["events"]["date"])
    # ... but the calibration does not depend on the seed
    assert _window_counts(other["events"], other["event_topics"]) == (24, 55)
    assert other["villages"]["registered_population"].sum() == 167_046


@pytest.mark.parametrize("seed", ["1", 1.5, True])
def test_seed_must_be_an_int(seed):
    with pytest.raises(TypeError, match="seed should be an int"):
        make_sample(seed=seed)


def test_negative_seed_is_rejected():
    with pytest.raises(ValueError, match="non-negative int, got -1"):
        make_sample(seed=-1)


def test_write_sample_refuses_a_file_as_folder(tmp_path):
    target = tmp_path / "not_a_folder.txt"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="should be a folder"):
        write_sample(target)
    with pytest.raises(TypeError, match="folder path"):
        write_sample(42)


def test_write_sample_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "raw"
    out.mkdir()
    (out / "mine.xlsx").write_bytes(b"keep me")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sample, "_write_survey", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        write_sample(out)
    # nothing half-written in the target, the user's file untouched, no temp folder left over
    assert sorted(p.name for p in out.iterdir()) == ["mine.xlsx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["raw"]


# ------------------------------------------------------------------------------------------
# The truth frames: calibration to the town report
# ------------------------------------------------------------------------------------------


def test_truth_frames_have_canonical_columns(truth):
    for name in ("villages", "events", "event_topics", "sites", "codebook", "cadres",
                 "legal_literates", "adviser_visits"):
        assert list(truth[name].columns) == list(schema.TABLES[name].columns), name
    items = [f"q{i}" for i in range(4, 11)]
    assert list(truth["responses"].columns) == [*schema.RESPONSES.columns, *items]
    assert truth["geometry"].crs.to_epsg() == 4326


def test_event_calibration_24_drug_fraud_and_55_other(truth):
    assert _window_counts(truth["events"], truth["event_topics"]) == (24, 55)


def test_events_span_six_years_with_campaigns(truth):
    ev = truth["events"]
    assert 350 <= len(ev) <= 600
    assert ev["date"].min() >= pd.Timestamp("2020-01-01")
    assert ev["date"].max() <= AS_OF
    assert ev["village_id"].isna().sum() > 0  # town-wide events exist
    # every year has events around 12·4 (国家宪法日, 12-01..12-07) with topic 宪法
    topics = truth["event_topics"].merge(ev[["event_id", "date"]], on="event_id")
    dec4 = topics[(topics["topic"] == "宪法") & (topics["date"].dt.month == 12)
                  & topics["date"].dt.day.between(1, 7)]
    assert sorted(dec4["date"].dt.year.unique()) == [2020, 2021, 2022, 2023, 2024, 2025]
    # 民法典 was adopted on 2020-05-28: no 民法典 event before
    assert topics.loc[topics["topic"] == "民法典", "date"].min() >= pd.Timestamp("2020-06-01")
    # no two events share date, place and first topic (the reader's duplicate rule)
    key = ev.assign(place=ev["village_id"].fillna("town"))[["date", "place", "topic"]]
    assert not key.duplicated().any()


def test_register_populations_and_names(truth):
    v = truth["villages"]
    assert v["registered_population"].sum() == 167_046
    assert v["households"].sum() == 47_620
    villages = v[v["kind"] == "village"]
    assert len(villages) == 24 and (v["kind"] == "community").sum() == 4
    assert villages["villager_groups"].sum() == 453
    assert v.loc[v["kind"] == "community", "villager_groups"].isna().all()
    assert sorted(villages["village_name"]) == sorted([f"{n}村" for n in DOMAIN_VILLAGES]
                                                      + [sample.PLACEHOLDER_VILLAGE])
    assert sorted(v.loc[v["kind"] == "community", "village_name"]) == sorted(DOMAIN_COMMUNITIES)
    assert v["village_id"].tolist() == [f"SZ{i:02d}" for i in range(1, 29)]
    ratio = v["population"] / v["registered_population"]
    assert ratio[v["kind"] == "village"].between(0.55, 0.75).all()
    assert ratio[v["kind"] == "community"].min() > ratio[v["kind"] == "village"].max()


def test_sites_2_town_level_and_28_village_level(truth):
    s = truth["sites"]
    town, village = s[s["level"] == "town"], s[s["level"] == "village"]
    assert sorted(town["site_name"]) == sorted(["法治宣传一条街", "街心公园法治宣传长廊"])
    assert town["village_id"].isna().all()
    assert len(village) == 28
    assert sorted(village["village_id"]) == sorted(truth["villages"]["village_id"])
    park = village[village["village_name"] == "公园社区"]
    assert park["site_type"].tolist() == ["讲堂"]
    # sites not updated within 12 months of 2025-12-31
    stale = s.loc[s["last_updated"] < AS_OF - pd.DateOffset(months=12), "site_name"]
    assert sorted(stale) == sorted(SAMPLE_TRUTH["stale_sites"])


def test_cadre_calibration_41_examined_and_49_certificates(truth):
    c = truth["cadres"]
    examined = c.loc[c["year"].isin([2020, 2021]) & c["exam_taken"], "person_id"].nunique()
    certs = c.loc[(c["year"] == 2021) & c["enforcement_cert"], "person_id"].nunique()
    assert (examined, certs) == (41, 49)
    assert not c.duplicated(["person_id", "year"]).any()
    assert sorted(c["year"].unique()) == list(range(2020, 2026))
    # the same people come back year after year
    per_person = c.groupby("person_id")["year"].nunique()
    assert (per_person >= 5).mean() > 0.7
    # a result is recorded exactly for those who sat the exam
    assert (c["exam_score"].notna() == c["exam_taken"]).all()
    assert (c["exam_passed"].notna() == c["exam_taken"]).all()


# ------------------------------------------------------------------------------------------
# The truth frames: planted blind spots
# ------------------------------------------------------------------------------------------


def test_stale_villages_have_no_event_in_the_last_365_days(truth):
    ev, names = truth["events"], _village_names(truth["villages"])
    last = ev.dropna(subset=["village_id"]).groupby("village_id")["date"].max()
    days = (AS_OF - last).dt.days.reindex(list(names))
    stale = sorted(names[i] for i in days.index[days.isna() | (days > 365)])
    assert stale == sorted(SAMPLE_TRUTH["stale"])


def test_missing_topics_hold_exactly(truth):
    ev, names = truth["events"], _village_names(truth["villages"])
    topics = truth["event_topics"].merge(ev[["event_id", "village_id"]], on="event_id")
    covered = topics.dropna(subset=["village_id"]).groupby("village_id")["topic"].agg(set)
    found = {}
    for vid, name in names.items():
        missing = [t for t in REQUIRED if t not in covered.get(vid, set())]
        if missing:
            found[name] = missing
    assert found == SAMPLE_TRUTH["missing_topics"]


def test_survey_low_awareness_and_few_answers(truth):
    r, cb = truth["responses"], truth["codebook"]
    aware = cb.loc[cb["domain"] == "awareness"]
    rows = []
    for item, positive, missing in zip(aware["item"], aware["positive"], aware["missing"],
                                       strict=True):
        answered = r[~r[item].isin(missing)]
        g = answered.groupby("village_name")[item].agg(
            n="size", k=lambda s, p=positive: s.isin(p).sum())
        rows.append(g.assign(item=item))
    rates = pd.concat(rows)
    rates["ci_low"], rates["ci_high"] = proportion_confint(rates["k"], rates["n"], method="wilson")
    low = rates.index.isin(SAMPLE_TRUTH["low_awareness"])
    few = rates.index.isin(SAMPLE_TRUTH["few_answers"])
    assert (rates.loc[low, "n"] >= 30).all()
    assert (rates.loc[low, "ci_high"] < 0.90).all()
    assert (rates.loc[low, "k"] / rates.loc[low, "n"]).between(0.45, 0.70).all()
    assert (rates.loc[few, "n"] < 10).all()
    ordinary = rates[~low & ~few]
    assert (ordinary["n"] >= 10).all() and (ordinary["ci_high"] >= 0.90).all()
    per_village = r.groupby("village_name").size()
    assert sorted(per_village.index[per_village < 10]) == sorted(SAMPLE_TRUTH["few_answers"])
    assert 600 <= len(r) <= 900


def test_survey_sample_is_skewed_so_raking_has_work(truth):
    r = truth["responses"]
    margins = SAMPLE_TRUTH["margins"]
    assert r["gender"].eq("女").mean() > margins["gender"]["女"] + 0.05
    assert r["age_group"].eq("60岁及以上").mean() > margins["age_group"]["60岁及以上"] + 0.05
    aware = r[["q4", "q5", "q6", "q7"]].isin(["知道", "听说过"]).mean(axis=1)
    by_age = aware.groupby(r["age_group"]).mean()
    assert by_age["60岁及以上"] < by_age["18-29岁"] - 0.05


def test_few_legal_literates_hold_exactly(truth):
    lit, names = truth["legal_literates"], _village_names(truth["villages"])
    assert lit["person_id"].is_unique
    # trained = more than 0 training hours; counted per village with plain pandas
    trained = lit[lit["trained_hours"] > 0].groupby("village_id")["person_id"].nunique()
    trained = trained.reindex(list(names), fill_value=0).rename(index=names)
    short = trained[trained < 3].to_dict()
    assert short == SAMPLE_TRUTH["few_legal_literates"]
    # 上坝村 lists one more person, a nominee with 0 hours
    listed = lit.groupby("village_name").size()
    assert listed["上坝村"] == SAMPLE_TRUTH["few_legal_literates"]["上坝村"] + 1
    assert (lit["trained_hours"] == 0).sum() == 1
    # groups: the 10 priority groups (several per cell, 、), or the alias 村两委干部
    groups = lit["group"].str.split("、").explode()
    assert set(groups) <= set(schema.LEGAL_LITERATE_GROUPS) | {"村两委干部"}
    assert lit["year"].between(2021, 2025).all()
    # villager groups only in villages (communities have none)
    community = lit["village_name"].str.endswith("社区")
    assert lit.loc[community, "villager_group"].isna().all()
    assert lit.loc[~community, "villager_group"].str.fullmatch(r"\d+组").all()


def test_the_absent_adviser_and_monthly_visits_elsewhere(truth):
    log, names = truth["adviser_visits"], _village_names(truth["villages"])
    assert log["date"].min() >= pd.Timestamp("2024-01-01") and log["date"].max() <= AS_OF
    last = log.groupby("village_id")["date"].max().rename(index=names)
    days = (AS_OF - last).dt.days
    absent = SAMPLE_TRUTH["adviser_absent"]
    assert sorted(days.index[days > 90]) == sorted(absent)
    # 2025-06-27 → 2025-12-31: 3 + 31 + 31 + 30 + 31 + 30 + 31 = 187 days (≥ half a year)
    assert days[absent[0]] == 187
    assert last[absent[0]] == pd.Timestamp(SAMPLE_TRUTH["adviser_absent_last_visit"])
    # every other village: a visit in each of the 24 months of 2024–2025
    months = log.assign(m=log["date"].dt.to_period("M")).groupby("village_id")["m"].nunique()
    months = months.rename(index=names).drop(absent)
    assert (months == 24).all() and len(months) == 27
    # one row per visit and a few extra mediation rows; every row says what was done
    assert log["service"].notna().all()
    assert (log.groupby(["village_id", "date"]).size() <= 2).all()
    # some lectures are written without 讲座场次 (the service column names them)
    no_count = log["service"].str.contains("讲座") & log["lectures"].isna()
    assert 0 < no_count.sum() < (log["lectures"] == 1).sum()


def _edge_graph(geoms: np.ndarray) -> np.ndarray:
    """Adjacency of polygons that share an edge (a boundary of positive length)."""
    inter = shapely.intersection(geoms[:, None], geoms[None, :])
    return (shapely.length(inter) > 0) & ~np.eye(len(geoms), dtype=bool)


def test_geometry_valid_polygons_of_about_99_km2(truth):
    g = truth["geometry"]
    assert g.is_valid.all() and (g.geom_type == "Polygon").all()
    assert g["village_id"].tolist() == truth["villages"]["village_id"].tolist()
    km2 = g.to_crs(32650).area / 1e6  # UTM 50N
    assert 95 < km2.sum() < 103
    communities = (truth["villages"]["kind"] == "community").to_numpy()
    assert km2[communities].max() < km2[~communities].min()  # communities small, central
    centre = shapely.points(115.78, 23.93)
    assert shapely.distance(np.array(g.geometry[communities].to_list()), centre).max() < 0.02
    # cells tile the town: no overlaps
    geoms = np.array(g.geometry.to_list())
    overlap = shapely.area(shapely.intersection(geoms[:, None], geoms[None, :]))
    assert overlap[~np.eye(len(geoms), dtype=bool)].max() < 1e-9
    # each register point lies in its own polygon
    v = truth["villages"]
    assert shapely.contains(geoms, shapely.points(v["lon"], v["lat"])).all()


def test_cold_spot_villages_are_contiguous_in_one_corner(truth):
    g = truth["geometry"]
    cold = g[g["village_name"].isin(SAMPLE_TRUTH["cold_spot"])]
    assert 4 <= len(cold) <= 5
    adj = _edge_graph(np.array(cold.geometry.to_list()))
    reached, frontier = {0}, [0]
    while frontier:  # breadth-first search over shared edges
        nxt = set(np.flatnonzero(adj[frontier.pop()])) - reached
        reached |= nxt
        frontier += list(nxt)
    assert len(reached) == len(cold)
    # north-east of the town centre
    centroid = cold.geometry.union_all().centroid
    assert centroid.x > 115.78 and centroid.y > 23.93


def test_cold_spot_has_the_fewest_events_and_esda_finds_it(truth):
    from esda.getisord import G_Local
    from esda.moran import Moran_Local
    from libpysal.weights import Queen

    v, ev, g = truth["villages"], truth["events"], truth["geometry"]
    n = ev.dropna(subset=["village_id"]).groupby("village_id").size()
    per_1000 = (n.reindex(v["village_id"], fill_value=0).to_numpy()
                / v["population"].to_numpy() * 1000)
    cold = v["village_name"].isin(SAMPLE_TRUTH["cold_spot"]).to_numpy()
    assert per_1000[cold].max() < per_1000[~cold].min()
    w = Queen.from_dataframe(g, use_index=False)
    # Getis-Ord Gi* on binary weights: most of the cluster is significantly cold, and the
    # strongest cold spot is planted (a neighbour of the cluster may spill over at p < 0.05)
    gi = G_Local(per_1000, w, transform="B", star=True, permutations=999, seed=12345)
    assert ((gi.Zs < 0) & (gi.p_sim < 0.05))[cold].sum() >= 3
    assert cold[np.argmin(gi.Zs)]
    # Local Moran low-low (low village among low neighbours): exactly the planted cluster
    lisa = Moran_Local(per_1000, w, transformation="r", permutations=999, seed=12345)
    low_low = (lisa.q == 3) & (lisa.p_sim < 0.05)
    assert sorted(v.loc[low_low, "village_name"]) == sorted(SAMPLE_TRUTH["cold_spot"])


# ------------------------------------------------------------------------------------------
# The written files
# ------------------------------------------------------------------------------------------


def _xlsx_values(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path, read_only=True)
    values = {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    wb.close()  # read-only workbooks keep the file open until closed
    return values


def _file_content(path: Path):
    if path.suffix == ".xlsx":
        return _xlsx_values(path)
    if path.suffix == ".csv":
        return path.read_bytes().decode("gbk")
    if path.suffix == ".geojson":
        return json.loads(path.read_text(encoding="utf-8"))
    return path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_committed_files_equal_what_write_sample_writes_now(tmp_path):
    paths = write_sample(tmp_path)
    assert [p.name for p in paths] == list(SAMPLE_FILES)
    committed = sorted(p.name for p in RAW.iterdir() if p.name != ".gitkeep")
    assert committed == sorted(SAMPLE_FILES)
    for name in SAMPLE_FILES:
        assert _file_content(RAW / name) == _file_content(tmp_path / name), name
    assert sum(p.stat().st_size for p in paths) < 2_000_000


def test_readme_says_synthetic_and_names_the_calibration():
    text = (RAW / "README.md").read_text(encoding="utf-8")
    for phrase in ("合成", "synthetic", "not real", sample.PLACEHOLDER_VILLAGE, "| 24 |", "| 55 |",
                   "| 41 |", "| 49 |", "2 / 28", "167,046", *SAMPLE_TRUTH["cold_spot"],
                   *SAMPLE_TRUTH["few_legal_literates"], *SAMPLE_TRUTH["adviser_absent"],
                   SAMPLE_TRUTH["adviser_absent_last_visit"], sample.F_LITERATES,
                   sample.F_ADVISER):
        assert phrase in text, phrase


def _ledger_rows(file: str) -> pd.DataFrame:
    """Every row below the header of a ledger, with its sheet and Excel row (csv: line)."""
    path = RAW / file
    if path.suffix == ".csv":
        sheets = {"": list(csv.reader(stdio.StringIO(path.read_bytes().decode("gbk"))))}
    else:
        sheets = _xlsx_values(path)
    out = []
    for sheet, rows in sheets.items():
        at = [i for i, r in enumerate(rows) if {"序号", "编号", "活动编号"} & set(r)]
        if not at:  # e.g. the 妇联's 汇总 sheet
            continue
        header = list(rows[at[0]])
        if header[1] == "活动情况":  # 派出所: 活动情况 spans 日期 and 地点 in the next row
            header[1:3] = rows[at[0] + 1][1:3]
        body = pd.DataFrame(rows[at[0] + 1:], columns=header)
        out.append(body.assign(sheet=sheet, source_row=np.arange(len(body)) + at[0] + 2))
    return pd.concat(out, ignore_index=True).assign(source_file=file)


def test_each_truth_event_sits_on_its_source_row(truth):
    ev, et = truth["events"], truth["event_topics"]
    written = pd.concat([_ledger_rows(f) for f in ev["source_file"].unique()], ignore_index=True)
    cols = written.reindex(columns=["宣传内容", "宣传重点", "内容", "涉及法律法规"])
    written["topic_cell"] = cols.bfill(axis=1).iloc[:, 0]
    written["title_cell"] = written.reindex(columns=["活动名称", "活动主题", "宣传主题"]).bfill(
        axis=1).iloc[:, 0]
    merged = written.merge(ev, on=["source_file", "source_row"])
    # the 妇联 workbook has one sheet per year: keep the sheet of the event's year
    by_year = merged["sheet"].str.endswith("年")
    merged = merged[~by_year | (merged["sheet"] == merged["date"].dt.year.astype(str) + "年")]
    assert sorted(merged["event_id"]) == sorted(ev["event_id"])
    assert (merged["title_cell"] == merged["title"]).all()
    topics = et.groupby("event_id")["topic"].agg(list)
    assert merged["topic_cell"].map(schema.split_topics).tolist() == topics.reindex(
        merged["event_id"]).tolist()


def test_written_survey_rows_and_pii_columns(truth):
    rows = _xlsx_values(RAW / "普法知晓率问卷_2025.xlsx")["Sheet1"]
    header, body = rows[0], rows[1:]
    assert header[:6] == ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP")
    assert header[6] == "1、您所在的村（社区）：" and header[-1] == "11、您的联系电话（选填）："
    frame = pd.DataFrame(body, columns=header)
    r = truth["responses"]
    assert frame["序号"].astype(str).tolist() == r["response_id"].tolist()
    assert frame["4、您是否知道《中华人民共和国民法典》？"].tolist() == r["q4"].tolist()
    phones = frame["11、您的联系电话（选填）："].dropna().astype(str)
    assert len(phones) > 0 and phones.str.fullmatch(r"1[358]\d{9}").all()
    assert frame["来自IP"].str.fullmatch(r"\d+\.\d+\.\d+\.\d+\(广东-\S+\)").all()
    assert frame["提交答卷时间"].str.fullmatch(r"2025/11/\d\d \d\d:\d\d:\d\d").all()


def test_bad_rows_and_the_duplicate_are_written_but_not_in_the_truth(truth):
    ev = truth["events"]
    for bad in SAMPLE_TRUTH["bad_rows"]:
        rows = _ledger_rows(bad["file"]).astype(str)
        assert (rows == bad["value"]).any(axis=None), bad
        assert pd.Timestamp(bad["date"]) > pd.Timestamp(WINDOW[1])  # outside the calibration
    assert "外镇某村" not in set(ev["village_name"].dropna())
    assert (ev["attendees"].dropna() >= 0).all()
    assert ev["date"].max() <= AS_OF
    d = SAMPLE_TRUTH["duplicate_event"]
    hit = ev[ev["title"] == d["title"]]
    assert len(hit) == 1 and hit["source_file"].iloc[0] == d["files"][0]
    assert hit["date"].iloc[0] == pd.Timestamp(d["date"]) > pd.Timestamp(WINDOW[1])
    police = _ledger_rows(d["files"][1])
    assert (police["活动主题"] == d["title"]).sum() == 1


# ------------------------------------------------------------------------------------------
# Reading the committed files with the toolkit's reader (pufa_metrics.io)
# ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_load_dataset_reproduces_the_calibration(dataset):
    ds = dataset
    assert _window_counts(ds.events, ds.event_topics) == (24, 55)
    assert ds.sites["level"].value_counts().to_dict() == {"village": 28, "town": 2}
    lit = ds.legal_literates[ds.legal_literates["trained_hours"] > 0]
    per_village = lit.groupby("village_name")["person_id"].nunique()
    assert per_village[per_village < 3].to_dict() == SAMPLE_TRUTH["few_legal_literates"]
    assert ds.adviser_visits.groupby("village_name")["date"].max().min() == pd.Timestamp(
        SAMPLE_TRUTH["adviser_absent_last_visit"])
    c = ds.cadres
    assert c.loc[c["year"].isin([2020, 2021]) & c["exam_taken"], "person_id"].nunique() == 41
    assert c.loc[(c["year"] == 2021) & c["enforcement_cert"], "person_id"].nunique() == 49
    assert ds.villages["registered_population"].sum() == 167_046
    assert len(ds.geometry) == 28


def test_load_dataset_reconciles_every_file(dataset):
    rec = dataset.reconciliation()
    balance = rec["loaded"] + rec["rejected"] + rec["non_data"]
    assert (balance == rec["data_rows"]).all(), rec
    event_files = {sample.F_SFS, sample.F_PCS, sample.F_ZZB, sample.F_FL, sample.F_ZF}
    assert event_files <= set(rec["source_file"])
    # the three bad rows and the second copy of the joint event, nothing else
    assert rec.loc[rec["source_file"].isin(event_files), "rejected"].sum() == 4
    rej = dataset.rejected
    for bad in SAMPLE_TRUTH["bad_rows"]:
        mine = rej[rej["source_file"] == bad["file"]]
        assert mine["value"].astype(str).tolist() == [bad["value"]], bad
    dup = rej[rej["source_file"] == SAMPLE_TRUTH["duplicate_event"]["files"][1]]
    assert dup["value"].tolist() == [SAMPLE_TRUTH["duplicate_event"]["title"]]


def test_load_dataset_gives_back_the_truth(dataset, truth):
    cols = ["event_id", "date", "village_id", "topic", "form", "audience", "attendees",
            "attendees_approx", "materials", "materials_approx", "title", "source_file",
            "source_row"]
    got = dataset.events[cols].sort_values("event_id").reset_index(drop=True)
    want = truth["events"][cols].sort_values("event_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    pairs = {tuple(p) for p in dataset.event_topics[["event_id", "topic"]].to_numpy()}
    assert pairs == {tuple(p) for p in truth["event_topics"][["event_id", "topic"]].to_numpy()}
    for name in ("legal_literates", "adviser_visits"):  # read back exactly, names hashed away
        pd.testing.assert_frame_equal(getattr(dataset, name), truth[name], obj=name)
    # two survey waves: the reader reads 普法知晓率问卷_2024.xlsx first, so the 2025 file's
    # answer numbers (which repeat 2024's 1, 2, …) carry its file name
    prefix = sample.F_SURVEY.rsplit(".", 1)[0] + ":"
    waves = {"responses": dataset.responses[dataset.responses["source_file"] == sample.F_SURVEY]
             .assign(response_id=lambda f: f["response_id"].str.removeprefix(prefix)),
             "responses_2024": dataset.responses[
                 dataset.responses["source_file"] == sample.F_SURVEY_2024]}
    assert len(dataset.responses) == len(truth["responses"]) + len(truth["responses_2024"])
    for name, key in (("villages", ["village_id"]), ("sites", ["site_id"]),
                      ("cadres", ["person_id", "year"]), ("responses", ["response_id"]),
                      ("responses_2024", ["response_id"])):
        got = waves[name] if name in waves else getattr(dataset, name)
        want = truth[name]
        assert len(got) == len(want), name
        merged = got.merge(want, on=key, suffixes=("", "_truth"))
        assert len(merged) == len(want), name
