"""A ledger that cannot be read stops `load_dataset`, `pufa build` and `pufa report`.

Found by review: `pufa build` on a folder whose events ledger had no date column exited 0, wrote a
dataset without events ("0 rejected"), and `pufa report` then called every village a blind spot.
"""

from pathlib import Path

import pandas as pd
import pytest

from pufa_metrics import cli
from pufa_metrics.io import Dataset, LedgerError, load_dataset
from pufa_metrics.io.dataset import unreadable

REGISTER = "村编码,村（社区）,常住人口\nV01,大岭村,1200\nV02,公园社区,3400\n"
EVENTS = "日期,村（社区）,宣传内容\n2021-09-09,大岭村,宪法\n2021-09-10,公园社区,禁毒\n"
NO_DATE = "村（社区）,宣传内容\n大岭村,宪法\n公园社区,禁毒\n"
UNKNOWN_VILLAGES = "日期,村（社区）,宣传内容\n2021-09-09,无此村,宪法\n2021-09-10,别的村,禁毒\n"


def _town(folder: Path, events: str = EVENTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "villages.csv").write_text(REGISTER, encoding="utf-8")
    (folder / "events_2021.csv").write_text(events, encoding="utf-8")
    return folder


def _previous(out: Path) -> Path:
    """A dataset already built in ``out`` (from a town that reads)."""
    cli.main(["build", str(_town(out.parent / "good_town")), "--out", str(out)])
    return out


def _bilingual_naming(err: str, name: str, fix: str = "--allow-unreadable") -> None:
    assert "Traceback" not in err
    assert name in err and fix in err
    assert "无法读取" in err and "could not be read" in err  # Chinese and English


# -- load_dataset --------------------------------------------------------------------------------


def test_a_ledger_without_a_date_column_raises_naming_the_file(tmp_path):
    folder = _town(tmp_path / "town", NO_DATE)
    with pytest.raises(LedgerError) as info:
        load_dataset(folder)
    err = info.value
    assert err.file == "events_2021.csv"
    assert "events_2021.csv" in err.zh and "日期" in err.zh and "strict=False" in err.zh
    assert "events_2021.csv" in err.en and "strict=False" in err.en
    assert "'date'" in str(err)


def test_strict_false_returns_the_dataset_with_the_error_row(tmp_path):
    folder = _town(tmp_path / "town", NO_DATE)
    ds = load_dataset(folder, strict=False)
    files = ds.files.set_index("source_file")
    assert files.loc["events_2021.csv", "status"] == "error"
    assert "日期" in files.loc["events_2021.csv", "message"]
    assert files.loc["villages.csv", ["status", "loaded"]].tolist() == ["ok", 2]
    assert ds.events.empty and len(ds.villages) == 2
    assert unreadable(ds.files).names == ["events_2021.csv"]


def test_every_unreadable_file_is_listed(tmp_path):
    folder = _town(tmp_path / "town", NO_DATE)
    (folder / "sites_阵地.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(LedgerError) as info:
        load_dataset(folder)
    err = info.value
    assert err.file == "2 files"
    for name in ("events_2021.csv", "sites_阵地.xlsx"):
        assert name in err.zh and name in err.en


def test_a_table_whose_rows_were_all_rejected_stops_too(tmp_path):
    folder = _town(tmp_path / "town", UNKNOWN_VILLAGES)
    with pytest.raises(LedgerError) as info:
        load_dataset(folder)
    assert info.value.file == "events_2021.csv"
    assert "没有读入任何一行" in info.value.zh and "no row of table events" in info.value.zh
    ds = load_dataset(folder, strict=False)
    row = ds.files.set_index("source_file").loc["events_2021.csv"]
    assert row[["status", "data_rows", "loaded", "rejected"]].tolist() == ["ok", 2, 0, 2]


def test_a_folder_that_reads_is_unaffected(tmp_path):
    folder = _town(tmp_path / "town")
    ds = load_dataset(folder)
    assert len(ds.events) == 2 and (ds.files["status"] == "ok").all()
    assert not unreadable(ds.files)
    strict, lenient = ds, load_dataset(folder, strict=False)
    pd.testing.assert_frame_equal(strict.events, lenient.events)
    pd.testing.assert_frame_equal(strict.files, lenient.files)


def test_rejected_rows_alone_do_not_stop(tmp_path):
    # one unknown village among known ones: a rejected row, not a missing table
    events = EVENTS + "2021-09-11,无此村,禁毒\n"
    ds = load_dataset(_town(tmp_path / "town", events))
    assert len(ds.events) == 2 and ds.files["rejected"].sum() == 1


# -- pufa build ----------------------------------------------------------------------------------


def test_build_stops_with_exit_2_and_keeps_the_previous_output(tmp_path, capsys):
    out = _previous(tmp_path / "processed")
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    capsys.readouterr()
    folder = _town(tmp_path / "town", NO_DATE)
    code = cli.main(["build", str(folder), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == cli.EXIT_BAD_INPUT
    _bilingual_naming(captured.err, "events_2021.csv")
    assert "日期" in captured.err and "'date'" in captured.err
    assert "已写入" not in captured.out
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert len(Dataset.from_parquet(out).events) == 2  # the previous dataset, intact


def test_build_writes_nothing_to_a_new_out(tmp_path, capsys):
    out = tmp_path / "processed"
    code = cli.main(["build", str(_town(tmp_path / "town", NO_DATE)), "--out", str(out)])
    assert code == cli.EXIT_BAD_INPUT and not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_build_allow_unreadable_writes_and_says_what_was_not_read(tmp_path, capsys):
    out = tmp_path / "processed"
    folder = _town(tmp_path / "town", NO_DATE)
    code = cli.main(["build", str(folder), "--out", str(out), "--allow-unreadable"])
    captured = capsys.readouterr()
    assert code == cli.EXIT_OK
    assert "events_2021.csv" in captured.err and "Traceback" not in captured.err
    assert "1 not read" in captured.out
    back = Dataset.from_parquet(out)
    assert back.files.set_index("source_file").loc["events_2021.csv", "status"] == "error"
    assert back.events.empty and len(back.villages) == 2


def test_build_stops_when_every_event_row_is_rejected(tmp_path, capsys):
    out = tmp_path / "processed"
    folder = _town(tmp_path / "town", UNKNOWN_VILLAGES)
    code = cli.main(["build", str(folder), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BAD_INPUT and not out.exists()
    assert "events_2021.csv" in err and "没有读入任何一行" in err and "no row of table" in err
    assert "--allow-unreadable" in err and "Traceback" not in err


def test_build_of_a_folder_that_reads_is_unaffected(tmp_path, capsys):
    out = tmp_path / "processed"
    code = cli.main(["build", str(_town(tmp_path / "town")), "--out", str(out)])
    captured = capsys.readouterr()
    # stderr holds no unreadable file (only the note that the period was cut to the ledgers)
    assert code == cli.EXIT_OK and "无法读取" not in captured.err
    assert all(line.startswith("注意 / note: 统计期") for line in captured.err.splitlines())
    assert "4 rows loaded, 0 rejected (" in captured.out and "not read" not in captured.out
    assert len(Dataset.from_parquet(out).events) == 2


def test_validate_still_lists_the_file_and_exits_2(tmp_path, capsys):
    code = cli.main(["validate", str(_town(tmp_path / "town", NO_DATE))])
    out = capsys.readouterr().out
    assert code == cli.EXIT_BAD_INPUT and "events_2021.csv" in out


# -- pufa report ---------------------------------------------------------------------------------


def test_report_on_a_raw_folder_stops_before_any_notebook(tmp_path, capsys):
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "brief.html").write_text("previous report", encoding="utf-8")
    folder = _town(tmp_path / "town", NO_DATE)
    code = cli.main(["report", "--data", str(folder), "--out", str(reports)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BAD_INPUT
    _bilingual_naming(err, "events_2021.csv")
    assert "日期" in err
    assert (reports / "brief.html").read_text(encoding="utf-8") == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports", "town"]


def test_report_on_a_raw_folder_whose_rows_were_all_rejected_stops(tmp_path, capsys):
    folder = _town(tmp_path / "town", UNKNOWN_VILLAGES)
    code = cli.main(["report", "--data", str(folder), "--out", str(tmp_path / "reports")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BAD_INPUT and "events_2021.csv" in err and "Traceback" not in err
    assert not (tmp_path / "reports").exists()


@pytest.mark.slow
@pytest.mark.notebook
def test_report_allow_unreadable_on_a_raw_folder_runs_and_names_the_file(tmp_path, capsys):
    reports = tmp_path / "reports"
    folder = _town(tmp_path / "town", NO_DATE)
    code = cli.main(["report", "--data", str(folder), "--out", str(reports), "--allow-unreadable",
                     "--notebook", "0-data-quality", "--start", "2021-01-01",
                     "--end", "2021-12-31"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_OK, err
    assert "events_2021.csv" in err and "Traceback" not in err
    status = pd.read_excel(reports / "data_quality.xlsx", sheet_name="核对", engine="openpyxl")
    assert "error" in status.astype("str").to_numpy()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


@pytest.mark.slow
@pytest.mark.notebook
def test_report_on_a_dataset_built_with_allow_unreadable_says_what_was_not_read(tmp_path, capsys):
    processed = tmp_path / "processed"
    folder = _town(tmp_path / "town", NO_DATE)
    assert cli.main(["build", str(folder), "--out", str(processed), "--allow-unreadable"]) == 0
    capsys.readouterr()
    code = cli.main(["report", "--data", str(processed), "--out", str(tmp_path / "reports"),
                     "--notebook", "0-data-quality", "--start", "2021-01-01",
                     "--end", "2021-12-31"])
    err = capsys.readouterr().err
    assert code == cli.EXIT_OK, err
    assert "events_2021.csv" in err and "could not be read" in err
    assert (tmp_path / "reports" / "data_quality.xlsx").is_file()
