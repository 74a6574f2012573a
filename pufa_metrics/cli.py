"""The ``pufa`` command: validate, build, report, partition, sample and template.

Bad input ends with a one-paragraph message in Chinese and English and a non-zero exit code,
never a traceback (set ``PUFA_DEBUG=1`` to see the traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
import tempfile
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path

from . import config
from ._common import atomic_path

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3


class UserError(Exception):
    """An error the user can fix; its message is printed as is (Chinese and English)."""


def _print_table(frame, *, out=None) -> None:
    import pandas as pd

    out = sys.stdout if out is None else out
    with pd.option_context("display.width", 200, "display.max_columns", 20,
                           "display.max_colwidth", 60, "display.max_rows", 200):
        print(frame.to_string(), file=out)


def _load(path: Path, settings, *, allow_unreadable: bool | None = None):
    """Read a folder of ledgers; stop when a file could not be read, unless allowed.

    ``allow_unreadable`` None: no check (``pufa validate`` lists every file itself); False: a
    file that could not be read, or a table whose data rows were all rejected, is a
    :class:`UserError` naming the files and the fix; True: they are listed on stderr.
    """
    from .io import load_dataset

    if not path.exists():
        raise UserError(
            f"找不到数据文件夹：{path}。请确认路径，或先运行 `pufa sample` 生成示例数据。\n"
            f"No such folder: {path}. Check the path, or run `pufa sample` to write the "
            "sample town."
        )
    ds = load_dataset(path, settings=settings, strict=False)
    if allow_unreadable is not None:
        _check_unreadable(ds.files, allow=allow_unreadable)
    return ds


def _check_unreadable(files, *, allow: bool) -> int:
    """Stop on files whose rows a dataset lacks (:func:`~pufa_metrics.io.dataset.unreadable`).

    When ``allow``, list them on stderr instead; returns how many there are.
    """
    from .io.dataset import unreadable

    missing = unreadable(files)
    if missing and not allow:
        raise UserError(missing.paragraph("--allow-unreadable"))
    if missing:
        print(f"注意：以下 {len(missing.names)} 个文件无法读取或没有读入任何一行，数据集中没有"
              "它们的数据，报告中的数字也不包括它们 / note: these files could not be read or had "
              "no row loaded; the dataset lacks their rows and no figure counts them:",
              file=sys.stderr)
        print("\n".join(missing.listing()), file=sys.stderr)
    return len(missing.names)


def _print_unrecognised_topics(texts) -> None:
    """Topic texts no alias recognises (:func:`validation.unrecognised_topics`): the top 10."""
    if not len(texts):
        return
    top = texts.head(10).rename(columns={"文字": "text 文字", "场数": "rows 行数"})
    print(f"\n未识别的宣传内容 / topics not recognised: {int(texts['场数'].sum())} rows "
          "(kept as written 按原样保留; top 10 texts 前10个). Add aliases in pufa.toml "
          "[topics.aliases], e.g. \"文明新风\" = \"其他\" "
          "可在 pufa.toml [topics.aliases] 中补充别名:")
    _print_table(top)


def _print_columns_hints(rec) -> None:
    """The pufa.toml [columns] lines that files missing a required column ask for."""
    from .io.ledger import columns_hints

    if "status" not in rec or "message" not in rec:
        return
    snippet = columns_hints(rec.loc[rec["status"] == "error", "message"].dropna())
    if snippet:
        print("\n缺少必需的列？若表头其实就是该列，请在 pufa.toml 中加上 / a required column is "
              "missing: if these headers are it (did you mean …), add to pufa.toml:")
        print("\n".join("    " + line for line in snippet.splitlines()))


def _print_part(title: str, frame, *, rows: int | None = None, what: str = "行") -> None:
    """A titled table of the validation report; the rows not printed are counted, never hidden."""
    from .validation import PRINT_ROWS

    rows = PRINT_ROWS if rows is None else rows
    print(f"\n{title}")
    if not len(frame):
        print("  （无 / none）")
        return
    if "原因" in frame and "条数" in frame:  # grouped problems: one line each, long reasons wrap
        for f, sh, why, n, where in frame.head(rows)[["文件", "工作表", "原因", "条数",
                                                         "Excel行号"]].itertuples(index=False):
            rows_text = f"第{where}" + ("" if where.endswith("行") else "行") if where else ""
            place = " · ".join(x for x in (f, sh, rows_text) if x)
            print(f"  {place}（{n}条）：{why}")
    elif list(frame.columns) == ["项目", "内容"]:  # a list of statements, one a line
        for item, text in frame.head(rows).itertuples(index=False):
            print(f"  {item}：{text}")
    else:
        _print_table(frame.head(rows).fillna(""))
    if len(frame) > rows:
        print(f"  ……另有 {len(frame) - rows} {what}未显示（共 {len(frame)}），"
              f"用 --out 校验结果.xlsx 保存全部 / {len(frame) - rows} more not printed "
              f"(of {len(frame)}); --out 校验结果.xlsx saves them all")


def cmd_validate(args: argparse.Namespace) -> int:
    """Print the validation report of a folder of ledgers; ``--out`` saves every row of it.

    Per file 读入/未导入/非数据行, the town's name and its source, the period against the
    ledgers' dates, rejected rows and warnings grouped by file, sheet and reason, town-wide
    events by place, topic texts no alias recognises, columns not used (and, for a file missing
    a required column, the pufa.toml ``[columns]`` lines that map the closest header found), and
    the personal data removed.
    """
    from .validation import town_check, validation_report, write_validation_report

    settings = config.Settings.load(args.config)
    ds = _load(Path(args.dir), settings)
    tables = validation_report(ds, settings=settings)
    rec = ds.reconciliation()
    print(f"数据校验报告 / validation report: {args.dir}")
    print(town_check(ds, settings=settings))
    _print_part("一、各文件读入情况（读入 + 未导入 + 非数据行 = 数据行） / reconciliation per file "
                "(loaded + rejected + non-data = data rows):", tables["各文件读入情况"],
                rows=len(rec))
    _print_part("二、统计期 / period:", tables["统计期"])
    n_rows = int(ds.rejected["source_row"].notna().sum())
    _print_part(f"三、未导入的行 / rejected rows: {n_rows} 行 rows ({len(ds.rejected)} problems), "
                "按文件、工作表、原因 / by file, sheet and reason:",
                tables["未导入的行（按原因）"], what="组")
    _print_part(f"四、提示 / warnings: {len(ds.warnings)} 条, 按文件、工作表、原因归为 "
                f"{len(tables['提示（按原因）'])} 组 / grouped by file, sheet and reason:",
                tables["提示（按原因）"], what="组")
    town = tables["全镇活动地点"]
    _print_part(f"五、未指明村（社区）的活动，计为全镇活动 / town-wide events (no village named): "
                f"{int(town['场数'].sum())} 场 events. 镇级场所与空白地点计为全镇活动；“各村”亦然，"
                "除非 pufa.toml [events] all_villages = \"every\"（每村各计一场） / a town venue "
                "or a blank place is town-wide; so is 各村 unless [events] all_villages = "
                "\"every\":", town)
    gaps = tables["未记录的字段"]
    if len(gaps):
        _print_part("台账未记录的内容（相应原因计为“未评估”，不计为“从未覆盖”） / what the "
                    "ledgers do not record (those reasons are 'not assessed', never 'never "
                    "targeted'):",
                    gaps[["文件", "缺少", "活动场数", "涉及村数"]])
    _print_unrecognised_topics(tables["未识别的宣传内容"])
    odd = tables["未识别的参加对象"]
    if len(odd):
        _print_part(f"未识别的参加对象 / audiences not recognised: {int(odd['场数'].sum())} 场 "
                    "events (kept as written 按原样保留). 可在 pufa.toml [audiences.aliases] 中补充"
                    "别名 / add aliases in pufa.toml [audiences.aliases], e.g. \"务工青年\" = "
                    "\"外出务工人员\":", odd)
    odd = tables["需核定的问卷答案"]
    if len(odd):
        _print_part(f"问卷中未归类的答案 / survey answers neither positive, negative nor missing: "
                    f"{int(odd['份数'].sum())} 份 answers in {odd['题目'].nunique()} 题 items. "
                    "这些题目需核定答案分类，知晓率暂不计算；请在编码表的肯定答案/否定答案/"
                    "无效答案或 pufa.toml [survey] 中归类 / these items need a codebook decision "
                    "(their rates are not computed): classify each answer in the codebook or "
                    "pufa.toml [survey]:", odd)
    unused = tables["未使用的列"]
    cols = getattr(ds, "columns", None)
    print(f"\n未使用的列 / columns not used: {len(unused)} of "
          f"{0 if cols is None else len(cols)} (every other column is read into the dataset "
          "其余各列均已读入)")
    if len(unused):
        _print_part("", unused)
    _print_columns_hints(rec)
    removed = ds.removed_personal_data()
    if len(removed):
        print(f"\n已移除的个人信息 / personal data removed: {int(removed['cells'].sum())} cells in "
              f"{removed['source_file'].nunique()} files (values never kept / 原值未保留)")
        _print_table(removed[["source_file", "column", "kind_zh", "kind", "action_zh", "action",
                              "cells"]])
    if args.out:
        path = write_validation_report(tables, args.out)
        print(f"\n校验结果已全部写入 / the whole report (every row) written to {path}")
    if args.rejected:
        out = Path(args.rejected)
        with atomic_path(out) as tmp:
            ds.rejected.to_csv(tmp, index=False, encoding="utf-8-sig")
        print(f"\n未导入的行已写入 / rejected rows written to {out}")
    bad = rec[rec["loaded"] + rec["rejected"] + rec["non_data"] != rec["data_rows"]]
    if len(bad):
        print("\n核对不平衡 / reconciliation does not balance for:", list(bad["source_file"]))
        return EXIT_INTERNAL
    failed = rec[rec.get("status", "ok") != "ok"] if "status" in rec else rec.iloc[0:0]
    return EXIT_BAD_INPUT if len(failed) else EXIT_OK


def _print_period_notes(events, settings, **dates) -> None:
    """Say (stderr) when the period reaches well beyond the ledgers' records, with the dates."""
    from .workflow import resolve_period

    try:
        period = resolve_period(settings, events=events, **dates)
    except ValueError:  # no period and no dated event: the notebooks explain
        return
    for zh, en in period.notes:
        print(f"注意 / note: {zh} / {en}", file=sys.stderr)


def cmd_build(args: argparse.Namespace) -> int:
    """Read data/raw, validate, write data/processed as Parquet (atomically)."""
    settings = config.Settings.load(args.config)
    if args.engine == "dask":
        return _build_dask(args, settings)
    ds = _load(Path(args.dir), settings, allow_unreadable=args.allow_unreadable)
    _print_period_notes(ds.events, settings)
    out = Path(args.out)
    ds.to_parquet(out, settings=settings)
    rec = ds.reconciliation()
    n_unread = int((rec["status"] == "error").sum())
    unread = f", {n_unread} not read 未读入" if n_unread else ""
    print(f"已写入 / written: {out}  —  {len(rec)} files, "
          f"{int(rec['loaded'].sum())} rows loaded, {int(rec['rejected'].sum())} rejected"
          f"{unread} (see `pufa validate {args.dir}`).")
    return EXIT_OK


def _quiet_local(scheduler: str | None) -> dict:
    """A local cluster's workers log failed tasks with tracebacks; the CLI explains them itself."""
    import logging

    return {} if scheduler else {"silence_logs": logging.CRITICAL}


def _build_dask(args: argparse.Namespace, settings) -> int:
    """``pufa build --engine dask``: per-county metrics of a county-partitioned Parquet dataset."""
    from . import distributed

    with distributed.connect(args.scheduler, **_quiet_local(args.scheduler)):
        summary = distributed.build_metrics(
            args.dir, args.out, start=settings.start, end=settings.end, as_of=settings.as_of,
            required_topics=settings.required_topics,
            counties_per_partition=args.counties_per_partition,
        )
    rows = summary.groupby("metric")["rows"].sum().to_dict()
    print(f"已写入 / written: {args.out} — {rows}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Run every notebook with papermill and write reports/."""
    from .report import run_report

    if args.engine == "dask":
        return _report_dask(args)

    with _report_data(Path(args.data), args) as data_dir:
        if (data_dir / "events.parquet").is_file():
            import pandas as pd

            _print_period_notes(pd.read_parquet(data_dir / "events.parquet", columns=["date"]),
                                config.Settings.load(args.config), start=args.start,
                                end=args.end, as_of=args.as_of)
        run_report(
            data_dir=data_dir,
            out_dir=Path(args.out),
            start=args.start,
            end=args.end,
            as_of=args.as_of,
            lang=args.lang,
            config_path=args.config,
            notebooks=args.notebook or None,
        )
    return EXIT_OK


@contextlib.contextmanager
def _report_data(data: Path, args: argparse.Namespace) -> Iterator[Path]:
    """The dataset the notebooks read: ``--data`` itself, or a raw folder built as `pufa build`.

    A folder of raw ledgers is read once here, and stops (as ``pufa build`` does) when a file
    could not be read, unless ``--allow-unreadable``; the notebooks then read it from a temporary
    Parquet copy. A dataset already built names the files it lacks on stderr.
    """
    import pandas as pd

    if not data.is_dir():  # run_report explains
        yield data
    elif any(data.glob("*.parquet")):  # written by `pufa build` (see workflow.open_dataset)
        if (data / "files.parquet").is_file():
            _check_unreadable(pd.read_parquet(data / "files.parquet"), allow=True)
        yield data
    else:
        settings = config.Settings.load(args.config)
        ds = _load(data, settings, allow_unreadable=args.allow_unreadable)
        with tempfile.TemporaryDirectory(prefix="pufa-report-") as tmp:
            yield ds.to_parquet(Path(tmp) / "processed", settings=settings)


def _report_dask(args: argparse.Namespace) -> int:
    """``pufa report --engine dask``: the county/town summary report of a partitioned dataset."""
    from . import distributed, national
    from ._common import optional_date as _date

    if args.notebook:
        raise UserError(
            "--notebook 只适用于乡镇报告（pandas）；--engine dask 生成县/乡镇汇总报告。\n"
            "--notebook applies to the town report (pandas); --engine dask writes the county and "
            "town summary report."
        )
    settings = config.Settings.load(args.config)
    period = dict(settings.period)
    for key in ("start", "end", "as_of"):  # three options
        if getattr(args, key) is not None:
            period[key] = _date(getattr(args, key), key)
    settings = dataclasses.replace(settings, period=period)
    with distributed.connect(args.scheduler, **_quiet_local(args.scheduler)):
        out = national.national_report(
            args.data, args.out, settings=settings, lang=args.lang, top_n=args.top_n,
            counties_per_partition=args.counties_per_partition,
        )
    print(f"已写入 / written: {out} (summary.xlsx, brief.html, figures/, data/)")
    return EXIT_OK


def _county_option(values: list[str] | None) -> str | dict[str, str] | None:
    """``--county 五华县`` (every folder) or ``--county 水寨镇=五华县`` (repeatable, per folder)."""
    if not values:
        return None
    pairs = [v.split("=", 1) for v in values if "=" in v]
    plain = [v for v in values if "=" not in v]
    if plain and (pairs or len(plain) > 1):
        raise UserError(
            "--county 请给出一个县名（适用于所有文件夹），或逐个写成 文件夹=县名。\n"
            "--county takes either one county for every folder, or FOLDER=COUNTY for each "
            f"folder, not both; got {values}."
        )
    return plain[0] if plain else {k.strip(): v.strip() for k, v in pairs}


def cmd_partition(args: argparse.Namespace) -> int:
    """Many towns' ledger folders → one county-partitioned Parquet dataset."""
    import pandas as pd

    from . import ingest
    from .io import LedgerError
    from .io.dataset import unreadable

    for folder in args.dirs:  # a handful of towns
        if not Path(folder).is_dir():
            raise UserError(
                f"找不到乡镇台账文件夹：{folder}。请确认路径（每个乡镇一个文件夹）。\n"
                f"No such folder of town ledgers: {folder}. Check the path (one folder per town)."
            )
    settings = config.Settings.load(args.config)
    try:
        ds = ingest.from_towns(args.dirs, args.out, county=_county_option(args.county),
                               settings=settings, overwrite=args.overwrite,
                               allow_unreadable=args.allow_unreadable)
    except LedgerError as exc:  # files that could not be read: the paragraph names them all
        raise UserError(f"{exc.zh}\n{exc.en}" if exc.file in exc.zh else str(exc)) from exc
    rec = ds.reconciliation()
    sums = rec.groupby("folder", sort=False)[["loaded", "rejected", "non_data", "data_rows"]].sum()
    towns = pd.DataFrame(ds.meta["towns"]).set_index("folder")
    table = towns[["county", "villages"]].join(sums).assign(
        files=rec.groupby("folder", sort=False).size())
    print("每个乡镇文件夹（读入 + 未导入 + 非数据行 = 数据行） / per town folder "
          "(loaded + rejected + non-data = data rows):")
    _print_table(table)
    warn = ds.warnings
    if len(warn):
        # the merge's own notes (ids prefixed by folder, a table other towns keep) in full; the
        # ledgers' warnings counted per folder (`pufa validate FOLDER` lists them)
        source = warn["source_file"].fillna("").astype("str").str.rstrip("/")
        merged = (source == "") | (source == warn["folder"].astype("str"))  # no file: the merge
        if merged.any():
            print("\n合并提示 / notes on the merge:")
            for folder, reason in warn.loc[merged, ["folder", "reason"]].itertuples(index=False):
                print(f"- {folder}: {reason}")
        counts = warn[~merged].groupby("folder", sort=False).size()
        if len(counts):
            listed = ", ".join(f"{f} {n}" for f, n in counts.items())
            print(f"\n台账提示 / ledger warnings: {listed} (see `pufa validate FOLDER`)")
    n_rejected = int(rec["rejected"].sum())
    where = f"{args.out}/rejected.csv" if len(ds.rejected) else "none / 无"
    print(f"\n已写入 / written: {args.out} — {len(towns)} towns, "
          f"{ds.villages['county'].nunique()} counties, {len(ds.villages)} villages, "
          f"{len(ds.events)} events, {len(ds.responses)} survey answers; "
          f"rejected rows 未导入行: {n_rejected} ({where}).")
    missing = unreadable(rec)
    if missing:
        print("\n以下文件无法读取或没有读入任何一行，其数据未进入数据集 / these files could not be "
              "read or had no row loaded, and are not in the dataset (run `pufa validate` on "
              "their folder):", file=sys.stderr)
        print("\n".join(missing.listing()), file=sys.stderr)
        return EXIT_BAD_INPUT
    if (rec["loaded"] + rec["rejected"] + rec["non_data"] != rec["data_rows"]).any():
        print("核对不平衡 / reconciliation does not balance; see reconciliation.csv",
              file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    """Write the synthetic sample town."""
    from .sample import write_sample

    paths = write_sample(Path(args.out), seed=args.seed)
    print(f"示例数据已写入 / sample town written: {args.out} ({len(paths)} files)")
    return EXIT_OK


def cmd_template(args: argparse.Namespace) -> int:
    """Write blank ledger templates (pufa_metrics.io.template.write_templates)."""
    from .io.template import write_templates

    if args.register is not None and not Path(args.register).is_file():
        raise UserError(
            f"找不到村居基本信息文件：{args.register}。\n"
            f"No such register file: {args.register}."
        )
    try:
        written = write_templates(args.out, register=args.register, overwrite=args.overwrite,
                                  settings=config.Settings.load(args.config))
    except FileExistsError as exc:
        raise UserError(
            f"{exc}\n文件夹中已有同名台账，为免覆盖已填写的内容，未写入任何文件；请换一个文件夹，"
            "或加 --overwrite。\nNothing was written: choose another folder or add --overwrite."
        ) from exc
    for path in written["path"]:
        print(path)
    lists = "，下拉列表含村居基本信息中的村（社区）" if args.register else ""
    print(f"已写入 {len(written)} 个空白台账模板{lists}：{args.out}"
          "（填表要求见各文件“填表说明”工作表）"
          f"\n{len(written)} blank ledger templates written to {args.out} (each has a 填表说明 "
          "sheet saying how to fill it in)")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pufa``."""
    parser = argparse.ArgumentParser(
        prog="pufa",
        description="普法覆盖评估工具 / pufa_metrics: legal-education coverage and blind spots.",
    )
    parser.add_argument("--config", default=None, help="pufa.toml to use (default: the project's)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check the ledgers in a folder / 检查台账")
    p.add_argument("dir", nargs="?", default=str(config.RAW_DIR))
    p.add_argument("--rejected", help="also write the rejected rows to this CSV file")
    p.add_argument("--out", help="save the whole report, every row, to this .xlsx "
                   "/ 将全部校验结果保存为 Excel，如 校验结果.xlsx")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("build", help="data/raw -> data/processed (Parquet) / 生成处理后数据")
    p.add_argument("dir", nargs="?", default=str(config.RAW_DIR))
    p.add_argument("--out", default=str(config.PROCESSED_DIR))
    p.add_argument("--engine", choices=("pandas", "dask"), default="pandas",
                   help="dask: DIR is a county-partitioned Parquet dataset "
                   "/ 按县分区数据用 dask 计算")
    p.add_argument("--scheduler", default=None,
                   help="dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: local cluster)")
    p.add_argument("--counties-per-partition", type=int, default=None,
                   help="counties per dask task (a village is never split; default: the "
                   "counties in about 32 tasks)")
    p.add_argument("--allow-unreadable", action="store_true",
                   help="write the dataset even if some ledger file cannot be read "
                   "/ 部分台账无法读取时仍写出数据")
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("report", help="run the notebooks, write reports/ / 生成报告")
    p.add_argument("--data", default=str(config.PROCESSED_DIR),
                   help="data/processed (Parquet) or a folder of raw ledgers")
    p.add_argument("--out", default=str(config.REPORTS_DIR))
    p.add_argument("--start", default=None, help="period start, YYYY-MM-DD")
    p.add_argument("--end", default=None, help="period end, YYYY-MM-DD")
    p.add_argument("--as-of", dest="as_of", default=None, help="reference date, YYYY-MM-DD")
    p.add_argument("--lang", choices=("zh", "en"), default="zh")
    p.add_argument("--notebook", action="append",
                   help="run only this notebook (repeatable), adding to the report in --out "
                   "/ 只运行该笔记本，结果补入已有报告")
    p.add_argument("--engine", choices=("pandas", "dask"), default="pandas",
                   help="dask: --data is a county-partitioned Parquet dataset; writes the county "
                   "and town summary report / 按县分区数据生成县、乡镇汇总报告")
    p.add_argument("--scheduler", default=None,
                   help="dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: local cluster)")
    p.add_argument("--counties-per-partition", type=int, default=None,
                   help="counties per dask task (a village is never split; default: the "
                   "counties in about 32 tasks)")
    p.add_argument("--top-n", type=int, default=20,
                   help="villages per county in the follow-up sheet (dask engine)")
    p.add_argument("--allow-unreadable", action="store_true",
                   help="with a folder of raw ledgers: report even if some ledger file cannot "
                   "be read / 部分台账无法读取时仍生成报告")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("partition", help="town ledger folders -> one county-partitioned dataset "
                       "/ 多个乡镇台账生成按县分区数据")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="one folder of ledgers per town")
    p.add_argument("--out", required=True, help="the dataset folder to write")
    p.add_argument("--county", action="append", default=None,
                   help="county of villages whose register leaves 所属县 empty: one name for "
                   "every folder, or FOLDER=COUNTY (repeatable) / 名册未填所属县时使用")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the dataset in a non-empty --out")
    p.add_argument("--allow-unreadable", action="store_true",
                   help="write the dataset even if some ledger file cannot be read")
    p.set_defaults(func=cmd_partition)

    p = sub.add_parser("sample", help="write the synthetic sample town / 生成示例数据")
    p.add_argument("--out", default=str(config.RAW_DIR))
    p.add_argument("--seed", type=int, default=20210909)
    p.set_defaults(func=cmd_sample)

    p = sub.add_parser("template", help="write blank Excel ledger templates / 生成空白台账模板")
    p.add_argument("--out", default="台账模板", help="folder to write into (default 台账模板)")
    p.add_argument("--register", default=None,
                   help="village register (e.g. data/raw/村居基本信息.xlsx): village columns get "
                   "a drop-down of its names / 村居基本信息文件，用于村（社区）下拉列表")
    p.add_argument("--overwrite", action="store_true",
                   help="replace templates already in --out / 覆盖已有文件")
    p.set_defaults(func=cmd_template)
    return parser


def _explain(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    if isinstance(exc, UserError):
        return text
    if exc.__class__.__name__ == "ReportError":
        return (
            f"{text}\n请打开上面指出的笔记本单元检查输入数据或参数"
            "（设置 PUFA_DEBUG=1 可显示详细信息）。\n"
            "Open the notebook cell named above to see which input or option fails "
            "(set PUFA_DEBUG=1 for the traceback)."
        )
    if isinstance(exc, (ValueError, TypeError, KeyError, OSError)):
        return (
            f"无法完成：{text}\n请按提示修改输入文件或参数后重试。\n"
            f"Could not finish: {text}\nFix the input or the option named above and run again."
        )
    return (
        f"程序内部错误：{exc.__class__.__name__}: {text}\n请将此信息反馈给维护者"
        f"（设置 PUFA_DEBUG=1 可显示详细信息）。\n"
        f"Internal error: {exc.__class__.__name__}: {text}\n"
        f"Please report it (set PUFA_DEBUG=1 to see the traceback)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pufa`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - the CLI never shows a traceback
        if os.environ.get("PUFA_DEBUG"):
            traceback.print_exc()
        print(_explain(exc), file=sys.stderr)
        internal = not isinstance(exc, (UserError, ValueError, TypeError, KeyError, OSError))
        return EXIT_INTERNAL if internal else EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
