"""`pufa partition` / ingest.from_towns: many towns' ledger folders → one county dataset.

Three towns are copies of tests/data/mini_town (10 villages, 196 events, 12 sites of which 2
town-level, 258 survey answers, 7 codebook items) with the same ledger file names, so their
event, response and site ids collide:

- 水寨镇: the mini town as it is (county 五华县 and town in its register; ids SZ01–SZ10);
- 河东镇: ids HD01–HD10, the **same village names** as 水寨镇, register county and town left
  empty (county given as an option, town = folder name), and its event ledger names villages
  (村（社区）) instead of giving their ids, so the names must resolve in this town's register;
- 新圩镇: ids XW01–XW10, county 兴宁市, plus two bad event rows (an unknown village id and an
  impossible date) that must be rejected, not lost.

Expected counts come from the files themselves (lines − header) and from the rows added here;
per-village metrics of the partitioned dataset are checked against the pandas functions run on
each folder alone (those are checked by hand in test_coverage.py and test_survey.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import pufa_metrics as pm
from pufa_metrics import distributed, ingest
from pufa_metrics.cli import main

dask = pytest.importorskip("dask", reason="needs the [scale] extra: dask[dataframe]")

MINI = Path(__file__).resolve().parent / "data" / "mini_town"
LEDGERS = ("villages.csv", "events.csv", "sites.csv", "survey_responses.csv", "codebook.csv")
REQUIRED = ["宪法", "民法典", "反电信网络诈骗", "禁毒"]
PERIOD = {"start": "2020-01-01", "end": "2025-12-31", "as_of": "2025-12-31"}
# two rows appended to 新圩镇's event ledger: Excel rows 198 and 199 (header = row 1, the 196
# original data rows = rows 2–197)
BAD_EVENTS = (
    "XW-BAD-1,2024-05-01,XW99,宪法,讲座,,,,,,,,,,,\n"  # no village XW99 in the register
    "XW-BAD-2,2024-13-45,XW01,宪法,讲座,,,,,,,,,,,\n"  # month 13
)


def _data_rows(path: Path) -> int:
    """Data rows of a CSV ledger: its lines minus the header line."""
    return len(path.read_text(encoding="utf-8").splitlines()) - 1


def _copy_town(dest: Path, code: str, *, town: str | None, county: str | None,
               names_in_events: bool = False, extra_events: str = "") -> Path:
    """A copy of the mini town with village ids SZnn → <code>nn and the register edited."""
    dest.mkdir(parents=True)
    for name in LEDGERS:  # five files
        text = re.sub(r"\bSZ(\d\d)\b", rf"{code}\1", (MINI / name).read_text(encoding="utf-8"))
        (dest / name).write_text(text, encoding="utf-8")
    villages = pd.read_csv(dest / "villages.csv", dtype="str", keep_default_na=False)
    villages["town"] = town or ""
    villages["county"] = county or ""
    villages.to_csv(dest / "villages.csv", index=False)
    if names_in_events:  # the ledger names villages (村（社区）) instead of giving their ids
        events = pd.read_csv(dest / "events.csv", dtype="str", keep_default_na=False)
        name_of = dict(zip(villages["village_id"], villages["village_name"], strict=True))
        events["village_id"] = events["village_id"].map(name_of).fillna("")
        events.rename(columns={"village_id": "村（社区）"}).to_csv(dest / "events.csv", index=False)
    if extra_events:
        with open(dest / "events.csv", "a", encoding="utf-8") as f:
            f.write(extra_events)
    return dest


@pytest.fixture(scope="module")
def towns(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("towns")
    return {
        "水寨镇": _copy_town(base / "水寨镇", "SZ", town="水寨镇", county="五华县"),
        "河东镇": _copy_town(base / "河东镇", "HD", town=None, county=None, names_in_events=True),
        "新圩镇": _copy_town(base / "新圩镇", "XW", town="新圩镇", county="兴宁市",
                          extra_events=BAD_EVENTS),
    }


@pytest.fixture(scope="module")
def alone(towns) -> dict[str, pm.Dataset]:
    """Each folder loaded on its own (the reference)."""
    return {name: pm.load_dataset(path) for name, path in towns.items()}


@pytest.fixture(scope="module")
def merged(towns, tmp_path_factory):
    out = tmp_path_factory.mktemp("county") / "dataset"
    ds = ingest.from_towns(list(towns.values()), out, county={"河东镇": "五华县"})
    return ds, out


# -- nothing lost ------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_input_row_is_loaded_or_rejected(towns, merged):
    ds, out = merged
    rec = ds.reconciliation()
    assert rec["folder"].unique().tolist() == ["水寨镇", "河东镇", "新圩镇"]
    assert (rec["loaded"] + rec["rejected"] + rec["non_data"] == rec["data_rows"]).all()
    for name, folder in towns.items():  # every ledger file of every folder is accounted for
        for file in ("villages.csv", "events.csv", "sites.csv", "survey_responses.csv"):
            row = rec[(rec["folder"] == name) & (rec["source_file"] == f"{name}/{file}")]
            assert len(row) == 1, (name, file)
            assert int(row["data_rows"].iloc[0]) == _data_rows(folder / file)
    events = rec[rec["table"] == "events"].set_index("folder")
    # 196 rows in each copy; 新圩镇 has 196 + 2 appended rows, both rejected
    assert events["data_rows"].tolist() == [196, 196, 198]
    assert events["loaded"].tolist() == [196, 196, 196]
    assert events["rejected"].tolist() == [0, 0, 2]
    assert len(ds.events) == 3 * 196
    assert len(ds.responses) == 3 * 258 and len(ds.sites) == 3 * 12 and len(ds.villages) == 30


def test_rejected_rows_are_written_with_their_folder(merged):
    ds, out = merged
    written = pd.read_csv(out / "rejected.csv", encoding="utf-8-sig", dtype="str")
    rows = written[written["source_row"].notna()]
    assert rows[["folder", "source_file", "source_row"]].values.tolist() == [
        ["新圩镇", "新圩镇/events.csv", "198"], ["新圩镇", "新圩镇/events.csv", "199"]]
    assert len(written) == len(ds.rejected)
    rec = pd.read_csv(out / "reconciliation.csv", encoding="utf-8-sig")
    assert rec["loaded"].sum() == ds.reconciliation()["loaded"].sum()


# -- ids, counties, towns ----------------------------------------------------------------------


@pytest.mark.slow
def test_colliding_ids_are_prefixed_with_the_folder_in_every_folder(merged, alone):
    ds, _ = merged
    for table, key in (("events", "event_id"), ("responses", "response_id"),
                       ("sites", "site_id")):
        ids = getattr(ds, table)[key]
        assert ids.is_unique, table
        for name, single in alone.items():  # the folder's own ids, each with "<folder>/" before
            own = ids[ids.str.startswith(f"{name}/")].str.removeprefix(f"{name}/")
            assert sorted(own) == sorted(getattr(single, table)[key]), (table, name)
    assert ds.warnings["reason"].str.contains("prefixed with its folder name").sum() == 9


def test_event_topics_still_join_their_events(merged, alone):
    ds, out = merged
    assert ds.event_topics["event_id"].isin(ds.events["event_id"]).all()
    assert len(ds.event_topics) == sum(len(s.event_topics) for s in alone.values())
    # read back: every topic row sits in the county partition of its event
    events = distributed.read_partitioned(out, "events", columns=["event_id", "county"],
                                          categorical=False)
    topics = distributed.read_partitioned(out, "event_topics", columns=["event_id", "county"],
                                          categorical=False)
    joined = topics.merge(events, on="event_id", how="left", suffixes=("", "_event"))
    assert len(topics) == len(ds.event_topics)
    assert joined["county_event"].notna().all()
    assert (joined["county"] == joined["county_event"]).all()


def test_county_and_town_come_from_the_register_or_the_options(merged):
    ds, out = merged
    villages = ds.villages.set_index("village_id").loc[["SZ01", "HD01", "XW01"]]
    assert villages["county"].tolist() == ["五华县", "五华县", "兴宁市"]
    # 河东镇's register leaves town empty: the folder name
    assert villages["town"].tolist() == ["水寨镇", "河东镇", "新圩镇"]
    assert distributed.counties(out) == ["五华县", "兴宁市"]
    # town-wide events (no village) go with their folder's county
    wide = ds.events[ds.events["village_id"].isna()]
    assert set(wide["county"]) == {"五华县", "兴宁市"}


def test_sites_are_written_in_their_villages_county(merged, alone):
    ds, out = merged
    sites = distributed.read_partitioned(out, "sites", columns=["site_id", "village_id", "level",
                                                                "county"], categorical=False)
    assert len(sites) == sum(len(single.sites) for single in alone.values()) == 3 * 12
    # a village site lies in its village's county; a town-level site (2 per folder, no village)
    # in its folder's: 水寨镇 and 河东镇 (county given as an option) 五华县, 新圩镇 兴宁市
    county_of = ds.villages.set_index("village_id")["county"]
    placed = sites[sites["village_id"].notna()]
    assert (placed["county"] == placed["village_id"].map(county_of)).all()
    town = sites[sites["village_id"].isna()]
    assert sorted(zip(town["site_id"].str.split("/").str[0], town["county"], strict=True)) == [
        ("新圩镇", "兴宁市"), ("新圩镇", "兴宁市"), ("水寨镇", "五华县"), ("水寨镇", "五华县"),
        ("河东镇", "五华县"), ("河东镇", "五华县")]
    assert (town["level"] == "town").all()
    # the mini towns keep no 法律明白人 roster or adviser log: those tables are left out
    assert not (out / "legal_literates").exists() and not (out / "adviser_visits").exists()


def _roster(folder: Path, rows: str) -> None:
    (folder / "legal_literates.csv").write_text(
        "person_id,village_id,group,trained_hours,year\n" + rows, encoding="utf-8")


def test_a_roster_some_towns_lack_is_written_and_they_are_warned(tmp_path):
    towns = [_tiny_town(tmp_path / "甲镇", "A"), _tiny_town(tmp_path / "乙镇", "B", "兴宁市")]
    _roster(towns[0], "p1,A1,村干部,8,2025\np2,A1,党员,8,2025\n")
    ds = ingest.from_towns(towns, tmp_path / "dataset")
    roster = distributed.read_partitioned(tmp_path / "dataset", "legal_literates",
                                          categorical=False)
    assert roster["person_id"].tolist() == ["p1", "p2"] and set(roster["county"]) == {"五华县"}
    assert not (tmp_path / "dataset" / "adviser_visits").exists()  # no folder has a log
    # 乙镇 has no roster: in the county report its village has no 法律明白人 on record
    notes = ds.warnings[ds.warnings["table"] == "legal_literates"]
    assert notes["folder"].tolist() == ["乙镇"]
    assert "no 法律明白人 roster while other folders do" in notes["reason"].iloc[0]
    assert "没有法律明白人名册" in notes["reason"].iloc[0]


def test_a_town_level_site_of_a_two_county_register_needs_the_county(tmp_path):
    town = tmp_path / "边界镇"
    town.mkdir()
    (town / "villages.csv").write_text(
        "村编码,村（社区）,所属县,常住人口\nA1,东村,五华县,900\nB1,西村,兴宁市,800\n",
        encoding="utf-8")
    (town / "普法活动台账.csv").write_text("日期,村（社区）,宣传内容\n2024-03-01,东村,宪法\n",
                                       encoding="utf-8")
    (town / "sites.csv").write_text("site_id,site_name,village_id,level\nS1,镇法治长廊,,town\n"
                                    "S2,西村宣传栏,B1,village\n", encoding="utf-8")
    with pytest.raises(ValueError, match="1 town-level site\\(s\\) \\(no village\\) but its "
                                         "register names several counties") as info:
        ingest.from_towns([town], tmp_path / "out")
    assert "镇级阵地" in str(info.value) and not (tmp_path / "out").exists()
    ingest.from_towns([town], tmp_path / "out", county={"边界镇": "五华县"})
    sites = distributed.read_partitioned(tmp_path / "out", "sites", categorical=False)
    assert sites.set_index("site_id")["county"].to_dict() == {"S1": "五华县", "S2": "兴宁市"}


def test_write_partitioned_places_service_rows_or_says_why_not(tmp_path):
    villages = pd.DataFrame({"village_id": ["A1", "B1"], "village_name": ["甲村", "乙村"],
                             "population": [900, 700], "county": ["甲县", "乙县"]})
    town_site = pd.DataFrame({"site_id": ["S1"], "site_name": ["镇长廊"],
                              "village_id": pd.Series([None], dtype="str"), "level": ["town"]})
    with pytest.raises(ValueError, match="town-level sites of a multi-county dataset"):
        ingest.write_partitioned({"villages": villages, "sites": town_site}, tmp_path / "a")
    stray = pd.DataFrame({"date": pd.to_datetime(["2025-03-01"]), "village_id": ["C9"]})
    with pytest.raises(ValueError, match="`adviser_visits` has 1 row\\(s\\) whose village_id "
                                         "is not in the register.*C9"):
        ingest.write_partitioned({"villages": villages, "adviser_visits": stray},
                                      tmp_path / "b")
    visits = pd.DataFrame({"date": pd.to_datetime(["2025-03-01", "2025-04-01", "2025-05-01"]),
                           "village_id": ["B1", "A1", "B1"]})
    root = ingest.write_partitioned({"villages": villages, "adviser_visits": visits},
                                         tmp_path / "c")
    back = distributed.read_partitioned(root, "adviser_visits", columns=["village_id", "county"])
    # county by county in sorted order (乙 U+4E59 before 甲 U+7532), rows in order within one
    assert back.astype("str").values.tolist() == [["B1", "乙县"], ["B1", "乙县"], ["A1", "甲县"]]
    assert back["village_id"].dtype == "category"  # an id, read as the metrics read it fastest


def test_village_names_resolve_in_their_own_town(merged, alone):
    ds, _ = merged
    # 河东镇's ledger names the same villages as 水寨镇's (员瑾村 …): each goes to its own town
    sz = alone["水寨镇"].events["village_id"].dropna().str.replace("SZ", "HD").value_counts()
    hd = ds.events.loc[ds.events["event_id"].str.startswith("河东镇/"), "village_id"]
    assert hd.dropna().value_counts().sort_index().equals(sz.sort_index())


# -- the partitioned dataset gives each folder's own results -----------------------------------


def test_coverage_per_village_equals_each_folder_alone(merged, alone):
    _, out = merged
    with dask.config.set(scheduler="sync"):
        got = distributed.lazy_village_coverage(out, required_topics=REQUIRED, **PERIOD).compute()
    assert len(got) == 30
    for name, single in alone.items():
        want = pm.village_coverage(single.events, single.villages, event_topics=single.event_topics,
                                   required_topics=REQUIRED, **PERIOD)
        cols = [c for c in want.columns if c != "town"]  # 河东镇's register has no town
        pd.testing.assert_frame_equal(got.loc[want.index, cols], want[cols], check_dtype=False)
        assert (got.loc[want.index, "town"] == name).all()


def test_survey_rates_per_village_equal_each_folder_alone(merged, alone):
    _, out = merged
    with dask.config.set(scheduler="sync"):
        got = distributed.lazy_awareness_rates(out).compute()
    cols = ["village_id", "item", "n", "n_positive", "rate", "ci_low", "ci_high"]
    for single in alone.values():
        want = pm.awareness_rates(single.responses, single.codebook)
        part = got[got["village_id"].isin(single.villages["village_id"])]
        pd.testing.assert_frame_equal(part[cols].reset_index(drop=True),
                                      want[cols].reset_index(drop=True), check_dtype=False)


def test_county_summary_has_one_row_per_county(merged, tmp_path):
    from pufa_metrics import national

    _, out = merged
    settings = pm.Settings.from_dict({"period": {"start": "2025-01-01", "end": "2025-12-31"}})
    with dask.config.set(scheduler="sync"):
        summary = national.summarise_partitioned(out, tmp_path / "summary", settings=settings)
    counties = summary["counties"]
    # 五华县 = 水寨镇 + 河东镇 (10 + 10 villages); 兴宁市 = 新圩镇 (10)
    assert counties.index.tolist() == ["五华县", "兴宁市"]
    assert counties["n_villages"].tolist() == [20, 10]
    assert sorted(summary["towns"].index.get_level_values("town")) == ["新圩镇", "水寨镇", "河东镇"]


# -- refusals ----------------------------------------------------------------------------------


def test_a_village_without_county_names_the_folder(towns, tmp_path):
    with pytest.raises(ValueError, match="河东镇.*10 of 10 villages have no county") as info:
        ingest.from_towns([towns["河东镇"]], tmp_path / "out")
    assert "所属县" in str(info.value) and "--county" in str(info.value)
    assert not (tmp_path / "out").exists()


def test_a_village_id_in_two_folders_is_refused(towns, tmp_path):
    twin = _copy_town(tmp_path / "水寨镇二", "SZ", town="水寨镇", county="五华县")
    with pytest.raises(ValueError, match="village_id 'SZ01' is in the registers of both "
                                         "'水寨镇' and '水寨镇二'"):
        ingest.from_towns([towns["水寨镇"], twin], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_codebook_item_coded_differently_is_refused(towns, tmp_path):
    other = _copy_town(tmp_path / "华城镇", "HC", town="华城镇", county="五华县")
    book = (other / "codebook.csv").read_text(encoding="utf-8")
    # q4 counts only 知道 as aware here, 知道|听说过 in 水寨镇
    (other / "codebook.csv").write_text(book.replace("awareness,知道|听说过,不清楚,", "awareness,"
                                                     "知道,不清楚,", 1), encoding="utf-8")
    with pytest.raises(ValueError, match="item 'q4' is coded differently in '水寨镇'.*'华城镇'"):
        ingest.from_towns([towns["水寨镇"], other], tmp_path / "out")


def test_codebooks_are_united_by_item(tmp_path):
    survey = {  # (codebook, answers) of two towns
        "甲镇": ("item,text,domain,positive,missing\n"
                "q1,您是否知道国家宪法日？,awareness,知道|听说过,不清楚\n",
                "response_id,village_id,q1\n1,A1,知道\n2,A1,不知道\n"),
        # the same coding for q1 (answers listed in another order, other wording), and q2
        "乙镇": ("item,text,domain,positive,missing\n"
                "q1,是否知道12月4日是国家宪法日,awareness,听说过|知道,不清楚\n"
                "q2,您是否支持开展法治宣传？,support,支持|比较支持,不清楚\n",
                "response_id,village_id,q1,q2\n1,B1,听说过,支持\n"),
    }
    towns = []
    for k, (name, (book, answers)) in enumerate(survey.items()):
        town = _tiny_town(tmp_path / name, "AB"[k])
        (town / "codebook.csv").write_text(book, encoding="utf-8")
        (town / "survey_responses.csv").write_text(answers, encoding="utf-8")
        towns.append(town)
    ds = ingest.from_towns(towns, tmp_path / "dataset")
    assert ds.codebook["item"].tolist() == ["q1", "q2"]
    assert ds.codebook["text"].iloc[0] == "您是否知道国家宪法日？"  # the first folder's wording
    assert ds.codebook["options"].iloc[0] == ("知道", "不知道", "听说过")  # answers seen anywhere
    # response id 1 is in both towns: prefixed in both
    assert ds.responses["response_id"].tolist() == ["甲镇/1", "甲镇/2", "乙镇/1"]
    written = pd.read_parquet(tmp_path / "dataset" / "codebook.parquet")
    assert written["item"].tolist() == ["q1", "q2"]


def _tiny_town(folder: Path, code: str, county: str = "五华县") -> Path:
    folder.mkdir(parents=True)
    (folder / "villages.csv").write_text(
        f"村编码,村（社区）,所属县,常住人口\n{code}1,新村,{county},900\n", encoding="utf-8")
    (folder / "普法活动台账.csv").write_text(
        "日期,村（社区）,宣传内容\n2024-03-01,新村,宪法\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(("case", "message"), [
    ("same_name", "2 folders are named 'a'"),
    ("unknown_key", "names the folder '乙镇', which is not among"),
    ("mixed_sample", "mixes the synthetic sample town"),
    ("out_inside", "lies inside the town folder"),
    ("not_empty", "is not empty; pass overwrite=True"),
    ("missing", "does not exist"),
])
def test_bad_arguments_are_refused_before_loading(tmp_path, case, message):
    one = _tiny_town(tmp_path / "x" / "a", "A")
    two = _tiny_town(tmp_path / "y" / "a" if case == "same_name" else tmp_path / "b", "B")
    out, kwargs = tmp_path / "out", {}
    if case == "unknown_key":
        kwargs["county"] = {"乙镇": "五华县"}
    if case == "mixed_sample":
        (two / ".synthetic").write_text("synthetic\n", encoding="utf-8")
    if case == "out_inside":
        out = one / "dataset"
    if case == "not_empty":
        out.mkdir()
        (out / "notes.txt").write_text("x", encoding="utf-8")
    if case == "missing":
        two = tmp_path / "nowhere"
    with pytest.raises(ValueError, match=message):
        ingest.from_towns([one, two], out, **kwargs)


# -- writing -----------------------------------------------------------------------------------


def test_a_failure_while_writing_leaves_the_old_dataset(tmp_path, monkeypatch):
    towns = [_tiny_town(tmp_path / "甲镇", "A"), _tiny_town(tmp_path / "乙镇", "B", "兴宁市")]
    out = tmp_path / "dataset"
    ingest.from_towns(towns, out)
    before = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    original = ingest.write_partitioned

    def half_then_fail(tables, root, **kw):
        original(tables, root, **kw)  # everything written … then the disk fills up
        raise OSError("No space left on device")

    monkeypatch.setattr(ingest, "write_partitioned", half_then_fail)
    with pytest.raises(OSError, match="No space"):
        ingest.from_towns(towns[:1], out, overwrite=True)
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*")) == before
    assert distributed.counties(out) == ["五华县", "兴宁市"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers


def test_overwrite_replaces_the_dataset_and_keeps_other_files(tmp_path):
    towns = [_tiny_town(tmp_path / "甲镇", "A"), _tiny_town(tmp_path / "乙镇", "B", "兴宁市")]
    out = tmp_path / "dataset"
    ingest.from_towns(towns, out)
    (out / "说明.txt").write_text("county office notes", encoding="utf-8")
    ingest.from_towns(towns[:1], out, overwrite=True)
    assert distributed.counties(out) == ["五华县"]
    assert (out / "说明.txt").read_text(encoding="utf-8") == "county office notes"
    assert not (out / "rejected.csv").exists()  # no rejected rows this time


def test_the_synthetic_marker_carries_over_when_every_folder_is_synthetic(tmp_path):
    towns = [_tiny_town(tmp_path / "甲镇", "A"), _tiny_town(tmp_path / "乙镇", "B")]
    for town in towns:
        (town / ".synthetic").write_text("synthetic\n", encoding="utf-8")
    ds = ingest.from_towns(towns, tmp_path / "dataset")
    assert ds.meta["synthetic"] is True
    assert (tmp_path / "dataset" / ".synthetic").is_file()
    real = ingest.from_towns([_tiny_town(tmp_path / "丙镇", "C")], tmp_path / "real")
    assert real.meta["synthetic"] is False and not (tmp_path / "real" / ".synthetic").exists()


# -- the command -------------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_partition_prints_each_folder_and_the_output(towns, tmp_path, capsys):
    out = tmp_path / "county"
    code = main(["partition", *map(str, towns.values()), "--out", str(out), "--county", "五华县"])
    printed = capsys.readouterr()
    assert code == 0, printed.err
    assert str(out) in printed.out and "Traceback" not in printed.err
    rows = {line.split()[0]: line.split() for line in printed.out.splitlines()
            if line.split() and line.split()[0] in towns}
    # loaded per folder: 10 villages + 196 events + 12 sites + 258 answers = 476
    assert [rows[name][3:5] for name in towns] == [["476", "0"], ["476", "0"], ["476", "2"]]
    assert distributed.counties(out) == ["五华县", "兴宁市"]


def test_cli_partition_without_county_explains_in_both_languages(towns, tmp_path, capsys):
    code = main(["partition", str(towns["河东镇"]), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2
    assert "河东镇" in err and "所属县" in err and "no county" in err and "--county" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["missing_folder", "not_empty"])
def test_cli_partition_bad_input_exits_2(tmp_path, capsys, case):
    town = _tiny_town(tmp_path / "甲镇", "A")
    out = tmp_path / "out"
    folders = [str(town)]
    if case == "missing_folder":
        folders.append(str(tmp_path / "乙镇"))
    else:
        out.mkdir()
        (out / "x.parquet").write_text("old", encoding="utf-8")
    code = main(["partition", *folders, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    if case == "missing_folder":
        assert "乙镇" in err and "找不到" in err and "No such folder" in err
    else:
        assert "--overwrite" in err and "输出目录非空" in err


@pytest.mark.slow
def test_a_survey_answer_without_village_takes_its_folders_county(tmp_path):
    # found by review: with towns in two counties, an answer with a blank village could not be
    # placed and the whole run failed
    a = _copy_town(tmp_path / "甲镇", "JA", town="甲镇", county="五华县")
    b = _copy_town(tmp_path / "乙镇", "YI", town="乙镇", county="兴宁市")
    with open(b / "survey_responses.csv", "a", encoding="utf-8") as f:
        f.write("9998,,2025-11-01,女,,30-44岁,1.0,知道,知道,知道,知道,比较支持,满意,立即挂断并报警\n")
    ingest.from_towns([a, b], tmp_path / "out")
    back = distributed.read_partitioned(tmp_path / "out", "responses",
                                        columns=["response_id", "village_id", "county"])
    row = back[back["response_id"].astype("str").str.endswith("9998")]
    assert row["county"].tolist() == ["兴宁市"] and row["village_id"].isna().all()


@pytest.mark.slow
def test_an_unreadable_ledger_stops_the_run_unless_allowed(tmp_path, capsys):
    # found by review: a damaged file had its rows missing from a dataset that still replaced
    # the old one
    a = _copy_town(tmp_path / "甲镇", "JA", town="甲镇", county="五华县")
    (a / "普法活动台账2.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    out = tmp_path / "out"
    with pytest.raises(ValueError, match="普法活动台账2.xlsx"):
        ingest.from_towns([a], out)
    assert not out.exists()
    code = main(["partition", str(a), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "--allow-unreadable" in err
    assert not out.exists()
    ds = ingest.from_towns([a], out, allow_unreadable=True)
    assert (out / "villages").is_dir()
    assert (ds.reconciliation()["status"] == "error").sum() == 1


def test_a_town_without_the_survey_others_have_is_warned(tmp_path):
    # found by review: judged once for the dataset, such a town's villages all get
    # unknown_awareness; the merge must say so for that folder
    a = _copy_town(tmp_path / "甲镇", "JA", town="甲镇", county="五华县")
    b = _copy_town(tmp_path / "乙镇", "YI", town="乙镇", county="五华县")
    (b / "survey_responses.csv").unlink()
    ds = ingest.from_towns([a, b], tmp_path / "out")
    notes = ds.warnings[ds.warnings["reason"].str.contains("survey answers", regex=False)]
    assert notes["folder"].tolist() == ["乙镇"]


@pytest.mark.slow
def test_cli_county_per_folder(towns, tmp_path, capsys):
    # 河东镇's register has no county: FOLDER=COUNTY gives it one without touching the others
    out = tmp_path / "county"
    code = main(["partition", *map(str, towns.values()), "--out", str(out),
                 "--county", "河东镇=兴宁市"])
    assert code == 0, capsys.readouterr().err
    villages = distributed.read_partitioned(out, "villages", columns=["village_id", "county"])
    by_prefix = villages.groupby(villages["village_id"].astype("str").str[:2])["county"].unique()
    assert {k: list(v) for k, v in by_prefix.items()} == {
        "HD": ["兴宁市"], "SZ": ["五华县"], "XW": ["兴宁市"]}
    code = main(["partition", *map(str, towns.values()), "--out", str(tmp_path / "x"),
                 "--county", "五华县", "--county", "河东镇=兴宁市"])
    err = capsys.readouterr().err
    assert code == 2 and "FOLDER=COUNTY" in err and "Traceback" not in err
