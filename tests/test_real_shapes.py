"""The reader on ledgers shaped like real ones (tests/data/real_shapes/).

Each file of the corpus reproduces a layout or a wording seen in real government tables
(statistics-yearbook registers, WPS .xls, free-text topics, monthly sheets, problem rows …);
its README says where each pattern was seen. ``truth.toml`` holds the hand-counted truth of
every file — which Excel rows load, which are non-data, which are rejected, the village of each
event, population totals — counted from the rows the generator writes and re-checked against the
raw cells by ``check_truth.py`` (openpyxl/xlrd/csv, never this package). These tests compare the
reader's result with that truth: an independent source, file by file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd
import pytest

from pufa_metrics import cli, schema
from pufa_metrics.config import Settings
from pufa_metrics.io.ledger import read_table

DATA = Path(__file__).resolve().parent / "data" / "real_shapes"
TRUTH = tomllib.loads((DATA / "truth.toml").read_text(encoding="utf-8"))
FILES = TRUTH["files"]
TODAY = pd.Timestamp("2026-12-06")
LEDGER_KINDS = ("villages", "events", "sites", "cadres")


def _files(*kinds: str) -> list[str]:
    return [name for name, truth in FILES.items() if truth["kind"] in kinds]


@pytest.fixture(scope="module")
def register() -> pd.DataFrame:
    return read_table(DATA / TRUTH["corpus"]["register"], table="villages", today=TODAY,
                      settings=Settings()).frame


def _read(name: str, register: pd.DataFrame):
    kind = FILES[name]["kind"]
    villages = None if kind in ("villages", "cadres") else register
    return read_table(DATA / name, table=kind, villages=villages, today=TODAY,
                      settings=Settings())


def _by_sheet(truth: dict, key: str) -> dict[str | None, set[int]]:
    """{sheet: rows} from a truth entry that is a list (one sheet) or a table per sheet."""
    value = truth.get(key, [])
    if isinstance(value, dict):
        return {sheet: {_row(r) for r in rows} for sheet, rows in value.items()}
    return {truth.get("sheet"): {_row(r) for r in value}}


def _row(entry) -> int:
    return entry["row"] if isinstance(entry, dict) else int(entry)


def _loaded_rows(result) -> dict[str | None, set[int]]:
    frame = result.frame
    if len(result.sheets) <= 1:
        return {result.sheets[0]["sheet"] if result.sheets else None:
                set(frame["source_row"].astype(int))}
    # several sheets: generated event ids are "stem:sheet:row"
    sheet = frame["event_id"].str.split(":").str[-2]
    return {s: set(frame.loc[sheet == s, "source_row"].astype(int)) for s in sheet.unique()}


@pytest.mark.parametrize("name", _files(*LEDGER_KINDS))
def test_rows_loaded_rejected_and_non_data_are_the_hand_counted_ones(name, register):
    truth = FILES[name]
    result = _read(name, register)
    loaded = _loaded_rows(result)
    expected = {k: v for k, v in _by_sheet(truth, "load").items() if v}
    assert {k: v for k, v in loaded.items() if v} == expected
    rejected = set(result.rejected["source_row"].dropna().astype(int))
    assert rejected == set().union(*_by_sheet(truth, "reject").values())
    # the reconciliation holds, and its counts are the truth's
    stats = result.stats
    assert stats["loaded"] + stats["rejected"] + stats["non_data"] == stats["data_rows"]
    assert stats["loaded"] == sum(len(v) for v in expected.values())
    header_end = {s: max(rows) for s, rows in _by_sheet(truth, "header_rows").items()}
    non_data = truth.get("non_data", [])
    n_below = sum(1 for r in non_data
                  if _row(r) > header_end[r.get("sheet", truth.get("sheet"))])
    assert stats["non_data"] == n_below


@pytest.mark.parametrize("name", _files("villages"))
def test_register_totals(name, register):
    truth = FILES[name]
    frame = _read(name, register).frame
    assert len(frame) == truth["units"]
    assert frame["village_id"].notna().all() and frame["village_id"].is_unique
    assert int(frame["population"].sum()) == truth["population_total"]
    if "registered_total" in truth:  # the 合计 sub-column, never 合计 + 男 + 女
        assert int(frame["registered_population"].sum()) == truth["registered_total"]
    if "households_total" in truth:
        assert int(frame["households"].sum()) == truth["households_total"]
    names = dict(zip(frame["village_name"], frame["population"], strict=True))
    assert {n: int(v) for n, v in names.items()} == truth.get("population", names) or (
        # registers writing the committee's full name: compare through the derived ids
        {i: int(v) for i, v in zip(frame["village_id"], frame["population"], strict=True)}
        == truth["population"])


def test_registers_without_codes_give_the_same_ids(register):
    ids = {}
    for name in _files("villages"):
        frame = _read(name, register).frame
        if "codes" in FILES[name]:  # a register with codes keeps them
            assert sorted(frame["village_id"]) == sorted(FILES[name]["codes"].values())
            continue
        ids[name] = sorted(frame["village_id"])
    assert len(ids) >= 4
    first = next(iter(ids.values()))
    assert all(v == first for v in ids.values()), ids
    assert first == sorted(TRUTH["corpus"]["units"])


@pytest.mark.parametrize("name", _files("events"))
def test_each_event_is_in_its_village(name, register):
    truth = FILES[name]
    frame = _read(name, register).frame
    got = {}
    multi = frame["event_id"].str.count(":") >= 2
    for row in frame.itertuples():  # a few rows
        sheet = row.event_id.split(":")[-2] if multi.any() else None
        got[(sheet, int(row.source_row))] = ("" if pd.isna(row.village_id)
                                             else row.village_name)
    want = {(e.get("sheet") if multi.any() else None, e["row"]): e["village"]
            for e in truth["events"]}
    assert got == want
    n_villages = frame["village_id"].dropna().nunique()
    assert n_villages == truth["villages"]
    assert int(frame["attendees"].sum()) == truth["attendees_total"]


@pytest.mark.parametrize("name", _files(*LEDGER_KINDS))
def test_every_column_is_accounted_for(name, register):
    truth = FILES[name]
    result = _read(name, register)
    cols = result.columns
    assert len(cols) and cols["source_file"].eq(name).all()
    # each column is used, or not used with a reason
    either = (cols["used_as"] != "") ^ (cols["reason"] != "")
    assert (either | cols["used_as"].str.startswith("person_id")).all(), cols.to_string()
    headers = cols["header"].str.replace("\n", "")
    spec = schema.TABLES[truth["kind"]].columns
    for canonical, header in truth.get("columns", {}).items():
        written = {header.replace("\n", ""), header.replace("\n", "").replace("/", "")}
        row = cols[headers.isin(written)]
        assert len(row) == max(1, len(truth.get("sheets", []))), (canonical, cols.to_string())
        assert row["used_as"].nunique() == 1  # read alike in every sheet
        used_as = row["used_as"].iloc[0]
        if canonical == "name":  # 姓名: hashed into person_id, then dropped
            assert used_as.startswith("person_id")
        elif canonical in spec:
            assert used_as == canonical, (canonical, row.to_dict("records"))
        else:  # no column of this table: either a second column of the same meaning, or
            # reported as not used with the reason
            assert used_as in spec or row["reason"].iloc[0], row.to_dict("records")


def test_a_yearbook_register_reports_the_parts_of_a_total_as_not_used(register):
    cols = _read("02_人口统计表_年鉴式.xlsx", register).columns.set_index("header")
    assert cols.loc["户籍人口合计", "used_as"] == "registered_population"
    for part in ("户籍人口男", "户籍人口女"):
        assert cols.loc[part, "used_as"] == ""
        assert "合计" in cols.loc[part, "reason"]


@pytest.mark.parametrize("name", _files(*LEDGER_KINDS, "responses"))
def test_pufa_validate_reads_each_corpus_file_without_a_traceback(name, tmp_path, capsys):
    folder = tmp_path / "raw"
    folder.mkdir()
    kind = FILES[name]["kind"]
    if kind != "villages":  # with its register, named so the reader knows it
        register_file = DATA / TRUTH["corpus"]["register"]
        (folder / "村居基本信息.xlsx").write_bytes(register_file.read_bytes())
    target = {"villages": "村居基本信息", "events": "普法活动台账", "sites": "阵地",
              "cadres": "学法", "responses": "问卷"}[kind]
    (folder / f"{target}_{name}").write_bytes((DATA / name).read_bytes())
    code = cli.main(["validate", str(folder)])
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "Traceback" not in out.out + out.err
    assert "读入" in out.out  # the reconciliation
    assert "未使用的列 / columns not used" in out.out  # and the columns not read, with why


def test_a_town_column_before_the_names_does_not_make_every_row_a_total(tmp_path):
    # 所属镇 first: each row's first cell is the town's name; only the name cell decides
    # (by hand: 2 villages, the 全镇 row and the 其中 row are non-data)
    path = tmp_path / "村居.csv"
    path.write_text("所属镇,村（社区）,常住人口\n河口镇,大布村,1800\n河口镇,石龙村,1320\n"
                    "河口镇,全镇,3120\n河口镇,其中：居委会,100\n", encoding="utf-8")
    result = read_table(path, table="villages", today=TODAY, settings=Settings())
    assert result.frame["village_id"].tolist() == ["河口镇/大布村", "河口镇/石龙村"]
    assert result.stats["non_data"] == 2 and result.stats["rejected"] == 0


def test_when_the_village_column_cannot_be_told_the_rows_are_rejected(tmp_path, register):
    # two columns with unknown headers each name a register village in 1 of 4 cells (less
    # than half): the reader cannot tell where the events were, so no row loads as town-wide
    path = tmp_path / "台账.csv"
    path.write_text("日期,宣传内容,单位甲,单位乙\n"
                    "2024-01-02,宪法,大布村,司法所\n2024-01-03,禁毒,妇联,石龙村\n"
                    "2024-01-04,禁毒,团委,综治办\n2024-01-05,宪法,工会,派出所\n",
                    encoding="utf-8")
    result = read_table(path, table="events", villages=register, today=TODAY,
                        settings=Settings())
    assert result.frame.empty
    assert result.stats["rejected"] == 4
    assert result.rejected["reason"].str.contains("未识别出村（社区）列").all()
