"""Many towns' ledger folders → one county-partitioned Parquet dataset (``pufa partition``).

多个乡镇的台账文件夹 → 一个按县分区的 Parquet 数据集（``pufa partition``）。

This is ingest, not computation: it reads ledgers (through :mod:`pufa_metrics.io`) and writes
the layout that :mod:`pufa_metrics.distributed` (the Dask engine) and
:mod:`pufa_metrics.national` (the county report) read::

    root/villages/county=<county>/part-0.parquet     the register (village_id, village_name,
                                                     town, population, …)
    root/events/county=<county>/…                    events (date, village_id, topic, …)
    root/event_topics/county=<county>/…              every topic of every event (optional)
    root/responses/county=<county>/…                 survey responses (optional)
    root/sites/county=<county>/…                     publicity sites (阵地; optional)
    root/legal_literates/county=<county>/…           the 法律明白人 roster (optional)
    root/adviser_visits/county=<county>/…            the village legal adviser's log (optional)
    root/codebook.parquet                            the survey codebook (optional)

- :func:`write_partitioned`: canonical tables (a Dataset or a dict of frames) → that layout.
- :func:`from_towns`: many towns' ledger folders, each loaded on its own, stacked and written.
"""

from __future__ import annotations

import os
import re
import shutil
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ._common import check_frame, register_ids

if TYPE_CHECKING:
    from .config import Settings
    from .io import Dataset

__all__ = [
    "PARTITIONED_TABLES",
    "PARTITION_KEY",
    "SERVICE_TABLES",
    "from_towns",
    "write_partitioned",
]

#: Optional tables of the standing services (阵地, 法律明白人, 法律顾问): a dataset holds one when
#: its folder exists (``pufa report --engine dask`` then assesses the reasons that need it).
SERVICE_TABLES: tuple[str, ...] = ("sites", "legal_literates", "adviser_visits")
#: Tables kept one folder per county (hive layout ``county=<value>``).
PARTITIONED_TABLES: tuple[str, ...] = ("villages", "events", "event_topics", "responses",
                                       *SERVICE_TABLES)
#: The partition column: every village belongs to exactly one county.
PARTITION_KEY = "county"
_KEY = PARTITION_KEY
_PART_FILE = "part-0.parquet"
#: Tables every Dataset has (the others of :data:`PARTITIONED_TABLES` are optional).
_CORE_TABLES: tuple[str, ...] = ("villages", "events", "event_topics", "responses")
#: Optional tables written as an empty folder when given with no rows: an empty roster or log
#: still says "none on record" (``workflow.analyse`` assesses it), while an empty site register
#: is read as no register at all (Dataset.sites is an empty frame by default).
_EMPTY_KEPT: tuple[str, ...] = ("legal_literates", "adviser_visits")


# --------------------------------------------------------------------------------------------
# Writing the layout
# --------------------------------------------------------------------------------------------


def _county_of_rows(
    frame: pd.DataFrame, table: str, village_county: pd.Series, single: str | None
) -> np.ndarray:
    """The county of each row: its own ``county`` column, else its village's county."""
    if table == "villages":
        own = frame[_KEY].astype("str").to_numpy(dtype=object)
    elif _KEY in frame.columns:
        own = frame[_KEY].astype("str").to_numpy(dtype=object)
    else:
        own = np.full(len(frame), np.nan, dtype=object)
    if table != "villages" and "village_id" in frame.columns:
        via = village_county.reindex(frame["village_id"].astype("str")).to_numpy(dtype=object)
        own = np.where(pd.isna(own), via, own)
        unknown = frame["village_id"].notna().to_numpy() & pd.isna(via)
        if unknown.any():
            bad = frame.loc[unknown, "village_id"].astype("str").unique()[:10].tolist()
            raise ValueError(
                f"`{table}` has {int(unknown.sum())} row(s) whose village_id is not in the "
                f"register `villages`, e.g. {bad}（{table} 中有村编码不在村居名册中）"
            )
    if single is not None:
        own = np.where(pd.isna(own), single, own)
    lost = pd.isna(own)
    if lost.any():
        rows = {"sites": "town-level sites"}.get(table, "town-wide events")
        raise ValueError(
            f"`{table}` has {int(lost.sum())} row(s) with no village and no `county` column, so "
            f"they cannot be placed in a county partition ({rows} of a multi-county "
            f"dataset); add a `county` column（{table} 中有行既无村编码也无所属县，无法分区）"
        )
    return own.astype(str)


def _county_of_topics(frame: pd.DataFrame, event_county: pd.Series) -> np.ndarray:
    """The county of each ``event_topics`` row: its event's."""
    if "event_id" not in frame.columns:
        raise ValueError(
            "`event_topics` needs an `event_id` column（event_topics 缺少 event_id 列）"
        )
    county = event_county[~event_county.index.duplicated()].reindex(
        frame["event_id"].astype("str")).to_numpy(dtype=object)
    lost = pd.isna(county)
    if lost.any():
        bad = frame.loc[lost, "event_id"].astype("str").unique()[:10].tolist()
        raise ValueError(
            f"`event_topics` has {int(lost.sum())} row(s) whose event_id is not an event of "
            f"`events`, e.g. {bad}（event_topics 中有活动编号不在活动台账中）"
        )
    return county.astype(str)


def write_partitioned(
    tables: Any, root: str | os.PathLike, *, overwrite: bool = False
) -> Path:
    """Write canonical tables as a county-partitioned Parquet dataset (one file per county).

    Parameters
    ----------
    tables : Dataset or mapping
        A :class:`pufa_metrics.io.Dataset`, or ``{"villages": …, "events": …,
        "responses": …, "codebook": …}`` (villages required). The register needs a ``county``
        column; events, responses and the optional service tables (:data:`SERVICE_TABLES`:
        ``sites``, ``legal_literates``, ``adviser_visits``) take their village's county. A
        town-wide event or a town-level site (no village) needs its own ``county`` column,
        unless the register has a single county. ``event_topics`` (every topic of every event)
        follows its event by ``event_id``. A table that is None, or ``sites`` with no rows, is
        not written (the dataset then lacks it); a ``legal_literates`` roster or
        ``adviser_visits`` log given with no rows is written as an empty table, because it
        still says something: no village has a 法律明白人 or an adviser visit on record (as
        :func:`pufa_metrics.workflow.analyse` reads it).
    root : str or path
        The output folder; it must not exist yet, or be empty, unless ``overwrite``.
    overwrite : bool, default False
        Replace an existing dataset in ``root``.

    Returns
    -------
    pathlib.Path
        ``root``.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["A1", "B1"], "village_name": ["甲村", "乙村"],
    ...                          "population": [900, 700], "county": ["甲县", "乙县"]})
    >>> root = write_partitioned({"villages": villages}, tmp.name)
    >>> sorted(p.name for p in (root / "villages").iterdir())
    ['county=%E4%B9%99%E5%8E%BF', 'county=%E7%94%B2%E5%8E%BF']

    A village site goes with its village; a town-level site (no village) with its ``county``:

    >>> sites = pd.DataFrame({"site_id": ["S1", "S2"], "site_name": ["乙村宣传栏", "甲镇长廊"],
    ...                       "village_id": ["B1", None], "level": ["village", "town"],
    ...                       "county": [None, "甲县"]})
    >>> root = write_partitioned({"villages": villages, "sites": sites}, tmp.name,
    ...                          overwrite=True)
    >>> from pufa_metrics.distributed import read_partitioned
    >>> read_partitioned(root, "sites", columns=["site_id", "county"],
    ...                  categorical=False).values.tolist()
    [['S1', '乙县'], ['S2', '甲县']]
    >>> tmp.cleanup()
    """
    frames = _tables_of(tables)
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(f"`root` should be a folder path, got {type(root).__name__} {root!r}")
    path = Path(root)
    if path.exists() and any(path.iterdir()) and not overwrite:
        raise ValueError(
            f"`root` {str(path)!r} is not empty; pass overwrite=True to replace it"
            f"（输出目录非空）"
        )
    villages = frames["villages"]
    check_frame(villages, "villages", ("village_id", _KEY))
    if villages[_KEY].isna().any():
        raise ValueError(
            f"`villages['county']` is empty in {int(villages[_KEY].isna().sum())} row(s); every "
            "village needs its county（村居名册中有村缺少所属县）"
        )
    register = register_ids(villages)
    village_county = pd.Series(villages[_KEY].astype("str").to_numpy(),
                               index=register.astype("str"))
    distinct = village_county.unique()
    single = str(distinct[0]) if len(distinct) == 1 else None
    # every row's county first: a table that cannot be placed stops the run before anything of
    # an existing dataset is removed
    placed: list[tuple[str, pd.DataFrame | None, np.ndarray | None]] = []
    event_county = pd.Series(dtype="str")
    for table in PARTITIONED_TABLES:
        frame = frames.get(table)
        if frame is None:
            continue
        if table != "villages" and len(frame) == 0:
            if table in _EMPTY_KEPT:  # an empty roster or log: the table is there, no rows
                placed.append((table, None, None))
            continue
        if table == "event_topics":  # every topic of an event goes where its event went
            county = _county_of_topics(frame, event_county)
        else:
            county = _county_of_rows(frame, table, village_county, single)
        if table == "events" and "event_id" in frame.columns:
            event_county = pd.Series(county, index=frame["event_id"].astype("str").to_numpy())
        placed.append((table, frame, county))
    if overwrite and path.exists():
        for name in (*PARTITIONED_TABLES, "codebook.parquet", ".synthetic"):
            target = path / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    for table, frame, county in placed:  # a few tables
        if frame is None:
            (path / table).mkdir(parents=True, exist_ok=True)
            continue
        data = frame.drop(columns=[_KEY]) if _KEY in frame.columns else frame
        codes, names = pd.factorize(county, sort=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(names) + 1))
        arrow = pa.Table.from_pandas(data.iloc[order], preserve_index=False)
        for i, name in enumerate(names):  # one file per county
            folder = path / table / f"{_KEY}={urllib.parse.quote(str(name), safe='')}"
            folder.mkdir(parents=True, exist_ok=True)
            pq.write_table(arrow.slice(bounds[i], bounds[i + 1] - bounds[i]),
                           folder / _PART_FILE)
    if getattr(tables, "meta", {}).get("synthetic"):  # the sample town's marker travels along
        path.mkdir(parents=True, exist_ok=True)
        (path / ".synthetic").write_text("synthetic / 合成数据\n", encoding="utf-8")
    codebook = frames.get("codebook")
    if codebook is not None and len(codebook):
        path.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pandas(codebook, preserve_index=False),
                       path / "codebook.parquet")
    return path


def _tables_of(tables: Any) -> dict[str, pd.DataFrame]:
    if isinstance(tables, Mapping):
        frames = dict(tables)
    elif all(hasattr(tables, t) for t in _CORE_TABLES):
        # the service tables are optional attributes (None when the town keeps no such ledger)
        frames = {t: getattr(tables, t, None) for t in (*PARTITIONED_TABLES, "codebook")}
    else:
        raise TypeError(
            "`tables` should be a pufa_metrics Dataset or a dict of DataFrames "
            f"{{'villages': …, 'events': …}}, got {type(tables).__name__}"
            "（输入应为数据集或表格字典）"
        )
    unknown = sorted(set(frames) - {*PARTITIONED_TABLES, "codebook"})
    if unknown:
        raise ValueError(
            f"`tables` has unknown table names {unknown}; expected among "
            f"{[*PARTITIONED_TABLES, 'codebook']}"
        )
    if frames.get("villages") is None:
        raise ValueError("`tables` needs the village register `villages`（缺少村居名册）")
    for name, frame in frames.items():
        if frame is not None and not isinstance(frame, pd.DataFrame):
            raise TypeError(f"`tables[{name!r}]` should be a DataFrame, got {type(frame).__name__}")
    return frames


# --------------------------------------------------------------------------------------------
# From town folders: many towns' ledger folders → one county-partitioned dataset
# --------------------------------------------------------------------------------------------

#: Id columns made unique across town folders (``<folder>/<id>`` in every folder) when an id of
#: one folder repeats in another.
_TOWN_IDS: dict[str, str] = {"events": "event_id", "responses": "response_id",
                             "sites": "site_id"}
#: Tables of each town's Dataset that :func:`from_towns` stacks (the register comes first).
_TOWN_TABLES: tuple[str, ...] = ("villages", "events", "event_topics", "sites", "responses",
                                 "cadres", "legal_literates", "adviser_visits")
#: The lists of problems and files, each given a ``folder`` column.
_TOWN_LISTS: tuple[str, ...] = ("files", "rejected", "warnings")
#: What :func:`from_towns` writes in its output folder (other entries of an old folder stay).
_TOWN_OUTPUTS: frozenset[str] = frozenset(
    {*PARTITIONED_TABLES, "codebook.parquet", ".synthetic", "rejected.csv", "reconciliation.csv"}
)


def _town_folders(folders: Any) -> list[tuple[str, Path]]:
    """``[(name, path)]`` of the town folders; the names (folder names) must all differ."""
    if isinstance(folders, (str, os.PathLike)):
        folders = [folders]
    if isinstance(folders, Mapping) or not isinstance(folders, Iterable):
        raise TypeError(
            "`folders` should be a list of town folders (paths), got "
            f"{type(folders).__name__} {folders!r}（folders 应为乡镇台账文件夹的列表）"
        )
    towns = []
    for item in folders:  # a handful of towns
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(
                f"`folders` should hold folder paths, got {type(item).__name__} {item!r}"
                "（folders 中应为文件夹路径）"
            )
        path = Path(item)
        if not path.is_dir():
            state = "is a file" if path.exists() else "does not exist"
            raise ValueError(
                f"`folders`: {str(path)!r} {state}; each item should be one town's folder of "
                f"ledgers（{path} 不是乡镇台账文件夹）"
            )
        towns.append((path.resolve().name, path))
    if not towns:
        raise ValueError(
            "`folders` is empty; give at least one town's folder of ledgers（未指定乡镇台账文件夹）"
        )
    names = [name for name, _ in towns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        paths = [str(p) for n, p in towns if n == repeated[0]]
        raise ValueError(
            f"`folders`: {len(paths)} folders are named {repeated[0]!r} ({paths}); the folder name "
            "labels each town's rows and prefixes its ids, so every town needs a folder of its "
            f"own name（乡镇文件夹重名：{repeated[0]}，请给每个乡镇的文件夹起不同的名字）"
        )
    return towns


def _county_fallback(county: Any, towns: list[tuple[str, Path]]) -> dict[str, str | None]:
    """The county given for each folder (used where its register has none), or None."""
    if county is None:
        return {name: None for name, _ in towns}
    if isinstance(county, str):
        if not county.strip():
            raise ValueError("`county` is empty; give the county's name, e.g. '五华县'（县名为空）")
        return {name: county.strip() for name, _ in towns}
    if not isinstance(county, Mapping):
        raise TypeError(
            "`county` should be a county name (str) or a mapping {folder: county}, got "
            f"{type(county).__name__} {county!r}（county 应为县名或“文件夹→县名”的映射）"
        )
    out: dict[str, str | None] = {name: None for name, _ in towns}
    for key, value in county.items():  # one entry per town
        if not isinstance(value, str) or not value.strip():
            raise ValueError(
                f"`county[{key!r}]` should be a county name, got {value!r}（县名无效）"
            )
        hits = [name for name, path in towns
                if isinstance(key, (str, os.PathLike))
                and (str(key) == name or Path(key).resolve() == path.resolve())]
        if not hits:
            raise ValueError(
                f"`county` names the folder {key!r}, which is not among `folders` "
                f"{[name for name, _ in towns]}（county 中的文件夹不在 folders 中：{key}）"
            )
        out[hits[0]] = value.strip()
    return out


def _check_out(out: Any, towns: list[tuple[str, Path]], overwrite: bool) -> Path:
    """The output folder: not a file, not in or above a town folder, empty unless overwrite."""
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"`out` should be a folder path, got {type(out).__name__} {out!r}")
    if not isinstance(overwrite, bool):
        raise TypeError(f"`overwrite` should be True or False, got {overwrite!r}")
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise ValueError(
            f"`out` should be a folder, got the file {str(target)!r}（输出路径是文件）"
        )
    where = target.resolve()
    for name, path in towns:  # a handful of towns
        town = path.resolve()
        if where == town or where in town.parents or town in where.parents:
            raise ValueError(
                f"`out` {str(target)!r} is, holds or lies inside the town folder {name!r}; write "
                "the dataset outside the ledger folders"
                "（输出目录不能是乡镇台账文件夹，也不能在其中）"
            )
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ValueError(
            f"`out` {str(target)!r} is not empty; pass overwrite=True (--overwrite) to replace "
            f"the dataset in it（输出目录非空，如需覆盖请使用 --overwrite）"
        )
    return target


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A text column, stripped, empty → NaN (all NaN when the column is absent)."""
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="str")
    values = frame[column].astype("str").str.strip()
    return values.where(values != "")


def _town_register(ds: Any, name: str, path: Path, fallback: str | None) -> pd.DataFrame:
    """A town's register with ``county`` (register, else ``fallback``) and ``town`` filled."""
    villages = ds.villages
    if villages is None or len(villages) == 0:
        raise ValueError(
            f"folder {name!r} ({path}): no village register was read, so its villages cannot be "
            "placed in a county; add the register (村编码, 村（社区）, 常住人口, 所属县, e.g. "
            f"villages.csv or 村居基本信息.xlsx) and check it with `pufa validate {path}`"
            f"（乡镇文件夹「{name}」中未读取到村（社区）基本信息表，无法确定各村所属县）"
        )
    county = _text(villages, _KEY)
    if fallback is not None:
        county = county.fillna(fallback)
    if county.isna().any():
        lost = villages[county.isna()]
        examples = "、".join((lost["village_id"].astype("str") + " "
                             + lost["village_name"].fillna("").astype("str")).head(3).tolist())
        raise ValueError(
            f"folder {name!r} ({path}): {len(lost)} of {len(villages)} villages have no county in "
            f"the register (e.g. {examples}); fill the register's 所属县 (county) column, or pass "
            "county='<name>' (for every folder whose register has none) or a mapping "
            "{folder: county}; on the command line: --county <name>"
            f"（乡镇文件夹「{name}」的村居名册中有 {len(lost)} 个村未填所属县：请在名册中填写"
            "“所属县”列，或用 county 参数 / --county 指定县名）"
        )
    town = _text(villages, "town").fillna(name)
    return villages.assign(**{_KEY: county.astype("str"), "town": town.astype("str")})


def _check_shared_villages(villages: pd.DataFrame, name: str, owner: pd.Series) -> pd.Series:
    """Refuse a village id already in another folder's register; returns the owners so far."""
    ids = villages["village_id"].astype("str")
    shared = ids[ids.isin(owner.index)]
    if len(shared):
        first = shared.iloc[0]
        other = owner[first]
        raise ValueError(
            f"village_id {first!r} is in the registers of both {other!r} and {name!r} "
            f"({len(shared)} shared id(s), e.g. {shared.head(5).tolist()}); a village belongs to "
            "one town: correct the code in one of the registers"
            f"（村编码 {first} 同时出现在「{other}」和「{name}」的村居名册中，同一个村不能属于"
            "两个乡镇，请更正其中一个名册的村编码）"
        )
    return pd.concat([owner, pd.Series(name, index=ids.to_numpy(), dtype="str")])


def _answers(value: Any) -> frozenset[str]:
    """A codebook cell listing answers (tuple, list or text 'a、b|c') as a set."""
    if isinstance(value, str):
        return frozenset(v.strip() for v in re.split(r"[、|]", value) if v.strip())
    if isinstance(value, (tuple, list, np.ndarray)):
        return frozenset(str(v) for v in value)
    return frozenset()


def _coding(codebook: pd.DataFrame) -> pd.Series:
    """How each codebook row codes answers (domain | positive with correct | missing), as text."""
    positive = codebook["positive"].map(_answers)
    if "correct" in codebook.columns:
        correct = codebook["correct"].map(
            lambda v: frozenset({v.strip()}) if isinstance(v, str) and v.strip() else frozenset())
        positive = pd.Series([p | c for p, c in zip(positive, correct, strict=True)],
                             index=codebook.index, dtype=object)
    missing = (codebook["missing"].map(_answers) if "missing" in codebook.columns
               else pd.Series([frozenset()] * len(codebook), index=codebook.index, dtype=object))
    domain = _text(codebook, "domain").fillna("")
    return (domain + " | " + positive.map(lambda v: "、".join(sorted(v))).astype("str")
            + " | " + missing.map(lambda v: "、".join(sorted(v))).astype("str"))


def _union_codebooks(books: list[tuple[str, pd.DataFrame]]) -> pd.DataFrame:
    """The codebooks' union by item (first folder's row, ``options`` merged).

    An item coded differently in two folders is refused.
    """
    parts = [book.assign(_folder=name) for name, book in books if book is not None and len(book)]
    if not parts:
        return next((book for _, book in books if book is not None), None)
    both = pd.concat(parts, ignore_index=True)
    both["_coding"] = _coding(both)
    rules = both.drop_duplicates(["item", "_coding"])
    clash = rules["item"][rules["item"].duplicated()]
    if len(clash):
        item = clash.iloc[0]
        one, two = (rules[rules["item"] == item].iloc[k] for k in (0, 1))
        others = sorted(set(clash) - {item})
        more = f"; also {others[:5]}" if others else ""
        raise ValueError(
            f"codebook item {item!r} is coded differently in {one['_folder']!r} "
            f"(domain | positive | missing: {one['_coding']}) and {two['_folder']!r} "
            f"({two['_coding']}){more}; make the two codebooks agree (or rename one item) so "
            "that one rate means one thing"
            f"（问卷题目 {item} 在「{one['_folder']}」和「{two['_folder']}」的编码表中"
            "类别或肯定答案不同，请统一两个编码表）"
        )
    first = both.drop_duplicates("item").reset_index(drop=True)
    if "options" in both.columns:  # every answer seen in any town, in order of appearance
        seen = both.groupby("item", sort=False)["options"].agg(
            lambda s: tuple(dict.fromkeys(a for v in s if isinstance(v, (tuple, list))
                                          for a in v)))
        first["options"] = first["item"].map(seen).astype(object)
    return first.drop(columns=["_folder", "_coding"])


def _ids_repeat(loaded: list[tuple], table: str, key: str) -> bool:
    """True when an id of ``table`` in one town folder is also an id in another."""
    ids = [getattr(ds, table)[key].dropna().drop_duplicates() for _, _, ds, _, _ in loaded
           if getattr(ds, table) is not None and key in getattr(ds, table).columns]
    return bool(ids) and bool(pd.concat(ids, ignore_index=True).duplicated().any())


def _with_prefix(frame: pd.DataFrame, column: str, name: str) -> pd.DataFrame:
    """``column`` as ``<name>/<value>`` (missing and empty values left as they are)."""
    if column not in frame.columns or frame.empty:
        return frame
    values = frame[column].astype("str")
    filled = values.notna() & (values != "")
    return frame.assign(**{column: (name + "/" + values).where(filled, values)})


def _concat_frames(frames: list[Any]) -> Any:
    """Stack the frames given (None skipped; empty ones too, unless all are empty)."""
    present = [f for f in frames if f is not None]
    if not present:
        return None
    rows = [f for f in present if len(f)]
    if not rows:
        return present[0]
    return rows[0] if len(rows) == 1 else pd.concat(rows, ignore_index=True)


def _prefix_note(table: str, key: str, name: str) -> pd.DataFrame:
    from . import schema

    return schema.coerce(pd.DataFrame({
        "table": [table], "source_file": [""], "source_row": pd.array([pd.NA], dtype="Int64"),
        "column": [key], "value": [np.nan],
        "reason": [f"{key} repeats across town folders; every folder's ids are prefixed with "
                   f"its folder name ({name}/…) "
                   "编号在乡镇文件夹之间重复，各文件夹的编号已加文件夹名前缀"],
    }), "rejected")


#: What a folder lacking a service table misses (zh, en) and the reason it then gets.
_SERVICE_LABELS: dict[str, tuple[str, str, str]] = {
    "sites": ("普法阵地台账", "site register", "no_site"),
    "legal_literates": ("法律明白人名册", "法律明白人 roster", "few_legal_literates"),
    "adviser_visits": ("法律顾问服务台账", "legal adviser log", "adviser_absent"),
    # not tables of their own, but judged once for the whole dataset in the same way
    "responses": ("问卷", "survey answers", "unknown_awareness"),
    "site_dates": ("阵地更新日期", "site update dates", "stale_site"),
}


def _has_site_dates(ds: Any) -> bool:
    sites = getattr(ds, "sites", None)
    return (sites is not None and "last_updated" in sites.columns
            and bool(sites["last_updated"].notna().any()))


def _has_service_table(ds: Any, table: str) -> bool:
    """Whether a town's Dataset has ``table`` (as ``workflow.analyse`` reads it)."""
    frame = getattr(ds, table, None)
    return frame is not None and (table != "sites" or len(frame) > 0)


def _missing_service_note(table: str, name: str) -> pd.DataFrame:
    """A warning: this folder lacks a table (or site dates) that other folders have."""
    from . import schema

    zh, en, reason = _SERVICE_LABELS[table]
    return schema.coerce(pd.DataFrame({
        "table": [{"site_dates": "sites"}.get(table, table)], "source_file": [""],
        "source_row": pd.array([pd.NA], dtype="Int64"), "column": [np.nan], "value": [np.nan],
        "reason": [f"folder {name!r} has no {en} while other folders do: in the county dataset "
                   f"its villages have none on record ({reason}) "
                   f"乡镇文件夹「{name}」没有{zh}而其他乡镇有：县级数据中该镇各村按“无记录”评估"],
    }), "rejected")


def _merge_towns(loaded: list[tuple], codebook: pd.DataFrame, meta: dict[str, Any]) -> Any:
    """One Dataset from the towns' Datasets (ids made unique, events given their county)."""
    from .io import Dataset

    clash = {table: _ids_repeat(loaded, table, key) for table, key in _TOWN_IDS.items()}
    # a service table some folders have: the others are judged as having none on record
    kept = {t: [_has_service_table(ds, t) for _, _, ds, _, _ in loaded] for t in SERVICE_TABLES}
    kept["responses"] = [len(ds.responses) > 0 for _, _, ds, _, _ in loaded]
    kept["site_dates"] = [_has_site_dates(ds) for _, _, ds, _, _ in loaded]
    partial = [t for t, has in kept.items() if any(has) and not all(has)]
    has = {t: dict(zip([n for n, *_ in loaded], flags, strict=True)) for t, flags in kept.items()}
    parts: dict[str, list] = {t: [] for t in (*_TOWN_TABLES, *_TOWN_LISTS, "geometry")}
    towns = []
    for name, path, ds, villages, home in loaded:  # a handful of towns
        tables = {"villages": villages, **{t: getattr(ds, t) for t in _TOWN_TABLES[1:]}}
        notes = []
        for table, key in _TOWN_IDS.items():  # three tables
            if clash[table]:
                tables[table] = _with_prefix(tables[table], key, name)
                notes.append(_prefix_note(table, key, name))
        if clash["events"]:
            tables["event_topics"] = _with_prefix(tables["event_topics"], "event_id", name)
        notes += [_missing_service_note(t, name) for t in partial if not has[t][name]]
        events = tables["events"]
        county_of = pd.Series(villages[_KEY].to_numpy(),
                              index=villages["village_id"].astype("str").to_numpy())
        # each row's county: its village's; a town-wide event or town-level site: the folder's
        for table, what, what_zh in (("events", "town-wide event(s)", "全镇性活动"),
                                     ("sites", "town-level site(s)", "镇级阵地"),
                                     ("responses", "survey answer(s) with no village",
                                      "未填村的问卷")):
            frame = tables[table]
            if frame is None or not len(frame):
                continue
            ids = (frame["village_id"] if "village_id" in frame.columns
                   else pd.Series(np.nan, index=frame.index, dtype="str"))
            county = pd.Series(county_of.reindex(ids.astype("str")).to_numpy(),
                               index=frame.index, dtype="str")
            wide = ids.isna()
            if wide.any() and home is None:
                raise ValueError(
                    f"folder {name!r} ({path}): {int(wide.sum())} {what} (no village) "
                    f"but its register names several counties {sorted(villages[_KEY].unique())}, "
                    "so they cannot be placed in one; pass county={folder: county} (command line: "
                    f"--county {name}=COUNTY) for this "
                    f"folder（乡镇文件夹「{name}」有{what_zh}，但名册中有多个县，无法确定其所属县）"
                )
            tables[table] = frame.assign(**{_KEY: county.where(~wide, home)})
        for table, frame in tables.items():  # a few tables
            if frame is not None:
                parts[table].append(_with_prefix(frame, "source_file", name))
        for table in _TOWN_LISTS:  # files, rejected, warnings
            frame = getattr(ds, table)
            if table == "warnings" and notes:
                frame = pd.concat([frame, *notes], ignore_index=True)
            frame = _with_prefix(frame, "source_file", name)
            parts[table].append(frame.assign(folder=name)[["folder", *frame.columns]])
        if ds.geometry is not None and len(ds.geometry):
            parts["geometry"].append(ds.geometry)
        towns.append({"folder": name, "path": str(path),
                      "county": "、".join(sorted(villages[_KEY].unique())),
                      "villages": len(villages), "events": len(events),
                      "responses": len(ds.responses)})
    merged = {table: _concat_frames(frames) for table, frames in parts.items()}
    return Dataset(**merged, codebook=codebook, meta={**meta, "towns": towns})


def _write_towns(ds: Any, target: Path, overwrite: bool) -> None:
    """Write into a temporary sibling folder, then swap it in: a failure leaves no half dataset."""
    import uuid

    from .io.dataset import swap_in

    target.parent.mkdir(parents=True, exist_ok=True)
    # a plain mkdir (not mkdtemp's 0700): workers of a cluster may read it as another user
    tmp = target.parent / f".{target.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        write_partitioned(ds, tmp, overwrite=overwrite)
        ds.reconciliation().to_csv(tmp / "reconciliation.csv", index=False,
                                   encoding="utf-8-sig")
        if len(ds.rejected):
            ds.rejected.to_csv(tmp / "rejected.csv", index=False, encoding="utf-8-sig")
        if target.is_dir() and any(target.iterdir()) and not overwrite:  # appeared meanwhile
            raise ValueError(
                f"`out` {str(target)!r} is not empty; pass overwrite=True (--overwrite) to "
                f"replace it（输出目录非空）"
            )
        swap_in(tmp, target, set(_TOWN_OUTPUTS))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def from_towns(
    folders: Sequence[str | os.PathLike] | str | os.PathLike,
    out: str | os.PathLike,
    *,
    county: str | Mapping[str, str] | None = None,
    settings: Settings | None = None,
    overwrite: bool = False,
    allow_unreadable: bool = False,
) -> Dataset:
    r"""Read many towns' ledger folders and write one county-partitioned dataset.

    从多个乡镇的台账文件夹生成一个按县分区的数据集（供 ``pufa report --engine dask`` 使用）。

    Each folder (the layout ``pufa validate``/``pufa build`` read) is loaded on its own with
    :func:`pufa_metrics.io.load_dataset`, so each town's register resolves its own village names
    (two towns may both have a 新村). The towns are then stacked and written with
    :func:`write_partitioned`:

    - **County** of each village: the register's ``county`` (所属县) where filled, else
      ``county``; a village left without one is an error naming the folder.
      **Town**: the register's ``town`` where filled, else the folder's name.
    - **Ids**: ledgers without ids get ``event_id`` from file and row, so two towns'
      ``普法活动台账.xlsx`` give the same ids. When an ``event_id``, ``response_id`` or
      ``site_id`` of one folder repeats in another, that table's ids are prefixed with the folder
      name in **every** folder (``水寨镇/普法活动台账:5``; ``event_topics`` alike, so topics
      still join their events) and a warning says so. ``source_file`` becomes
      ``<folder>/<file>`` in every table. A ``village_id`` in two folders' registers is an
      error naming both folders (a village belongs to one town).
    - **Codebook**: the union of the towns' codebooks by item (first folder's text; ``options``
      merged). An item whose ``domain``, positive answers (with the correct answer) or no-answer
      values differ between two folders is an error naming the item and both folders.
    - **Nothing lost**: the result's :meth:`~pufa_metrics.io.Dataset.reconciliation` is every
      folder's per-file reconciliation (``loaded + rejected + non_data == data_rows``) with a
      leading ``folder`` column, and ``rejected``/``warnings`` carry the folder too. Written next
      to the dataset: ``reconciliation.csv`` and, when any row was rejected, ``rejected.csv``
      (UTF-8 with BOM, for Excel).
    - **Synthetic data**: when every folder is the synthetic sample (``pufa sample``'s marker),
      the dataset is marked synthetic too; mixing sample and real folders is refused.
    - **Atomic**: everything is written into a temporary sibling folder that replaces ``out``
      only when complete; a failure leaves ``out`` as it was. Files in ``out`` that are not part
      of a dataset are kept.

    - **Services**: the publicity sites (阵地), the 法律明白人 roster and the village legal
      adviser's log are written too (``sites``, ``legal_literates``, ``adviser_visits``, each
      row in its village's county; a town-level site in its folder's county, as a town-wide
      event), so that ``pufa report --engine dask`` assesses the reasons that need them. A
      table that no folder has is left out; one that only some folders have covers all of
      them: in a county report, a town without a roster has no 法律明白人 on record.

    Cadre records and village boundaries are stacked in the returned Dataset but not written:
    the county-partitioned layout holds villages, events, event_topics, responses, the three
    service tables and the codebook.

    Parameters
    ----------
    folders : list of str or path
        One folder of ledgers per town (a single path is one town). Folder names must differ.
    out : str or path
        The dataset folder to write; it must not exist, or be empty, unless ``overwrite``.
    county : str or mapping, optional
        The county of villages whose register leaves ``county`` empty: one name for every
        folder, or ``{folder: county}`` (folder name or path).
    settings : Settings, optional
        Passed to ``load_dataset``; default ``Settings.load()``.
    overwrite : bool, default False
        Replace the dataset in a non-empty ``out``.
    allow_unreadable : bool, default False
        Write the dataset even when some ledger file could not be read at all, or a town's
        table had data rows and loaded none (its rows would be missing from every figure). By
        default such a run stops before writing with a :class:`~pufa_metrics.io.LedgerError`
        naming the files (:func:`pufa_metrics.io.dataset.unreadable`), so an existing dataset is
        never replaced by one with a town's ledger missing.

    Returns
    -------
    pufa_metrics.io.Dataset
        The stacked towns as written (events and sites with a ``county`` column), with ``files``,
        ``rejected`` and ``warnings`` per folder; ``meta`` holds ``root`` (the dataset folder),
        ``synthetic`` and ``towns`` (per folder: path, county, villages, events, responses).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp_dir = tempfile.TemporaryDirectory(); tmp = pathlib.Path(tmp_dir.name)
    >>> for town, county, code in [("水寨镇", "五华县", "A"), ("新圩镇", "兴宁市", "B")]:
    ...     folder = tmp / town
    ...     folder.mkdir()
    ...     _ = (folder / "villages.csv").write_text(
    ...         f"村编码,村（社区）,所属县,常住人口\n{code}1,新村,{county},900\n", encoding="utf-8")
    ...     _ = (folder / "普法活动台账.csv").write_text(
    ...         "日期,村（社区）,宣传内容\n2024-03-01,新村,宪法\n2024-05-02,新村,禁毒\n"
    ...         "2024-06-01,旧村,禁毒\n", encoding="utf-8")
    >>> ds = from_towns([tmp / "水寨镇", tmp / "新圩镇"], tmp / "county")
    >>> ds.events[["event_id", "village_id", "county"]].values.tolist()  # ids repeated: prefixed
    [['水寨镇/普法活动台账:2', 'A1', '五华县'], ['水寨镇/普法活动台账:3', 'A1', '五华县'],
     ['新圩镇/普法活动台账:2', 'B1', '兴宁市'], ['新圩镇/普法活动台账:3', 'B1', '兴宁市']]
    >>> ds.reconciliation().query("table == 'events'")[
    ...     ["folder", "data_rows", "loaded", "rejected"]].values.tolist()
    [['水寨镇', 3, 2, 1], ['新圩镇', 3, 2, 1]]
    >>> from pufa_metrics.distributed import counties
    >>> counties(tmp / "county")
    ['五华县', '兴宁市']
    >>> sorted(p.name for p in (tmp / "county").iterdir())
    ['event_topics', 'events', 'reconciliation.csv', 'rejected.csv', 'villages']
    >>> tmp_dir.cleanup()
    """
    from .config import Settings
    from .io.dataset import SYNTHETIC_MARKER, load_dataset, unreadable

    towns = _town_folders(folders)
    fallback = _county_fallback(county, towns)
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(
            f"`settings` should be a Settings object, got {type(settings).__name__}"
            "（settings 应为 Settings 对象）"
        )
    target = _check_out(out, towns, overwrite)
    marked = [(path / SYNTHETIC_MARKER).is_file() for _, path in towns]
    if any(marked) and not all(marked):
        sample = [name for (name, _), m in zip(towns, marked, strict=True) if m]
        real = [name for (name, _), m in zip(towns, marked, strict=True) if not m]
        raise ValueError(
            f"`folders` mixes the synthetic sample town {sample} with real ledgers {real}; leave "
            "the sample out of a real county dataset（示例（合成）数据不能与真实台账混在一起："
            f"{'、'.join(sample)}）"
        )
    settings = settings if settings is not None else Settings.load()
    loaded = []
    owner = pd.Series(dtype="str")  # village_id → folder
    for name, path in towns:  # one town at a time: a bad register fails before the next loads
        ds = load_dataset(path, settings=settings, strict=False)  # unreadable: checked below
        villages = _town_register(ds, name, path, fallback[name])
        owner = _check_shared_villages(villages, name, owner)
        counties_here = villages[_KEY].unique()
        home = str(counties_here[0]) if len(counties_here) == 1 else fallback[name]
        loaded.append((name, path, ds, villages, home))
    codebook = _union_codebooks([(name, ds.codebook) for name, _, ds, _, _ in loaded])
    merged = _merge_towns(loaded, codebook, {"synthetic": all(marked), "root": str(target)})
    missing = unreadable(merged.reconciliation())
    if missing and not allow_unreadable:
        raise missing.error("allow_unreadable=True (--allow-unreadable)")
    _write_towns(merged, target, overwrite)
    return merged
