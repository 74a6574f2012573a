"""The national metrics on Dask: one county per partition, any ``dask.distributed`` cluster.

按县分区的全国数据：用 Dask 在集群上计算覆盖、频次和知晓率。

A provincial or national justice department keeps its data as a **county-partitioned Parquet
dataset** (the layout written by :func:`write_partitioned` and ``benchmarks/make_national.py``)::

    root/villages/county=<county>/*.parquet     the register (village_id, village_name, town,
                                                population, …)
    root/events/county=<county>/*.parquet       events (date, village_id, topic, attendees, …)
    root/event_topics/county=<county>/*.parquet every topic of every event (optional)
    root/responses/county=<county>/*.parquet    survey responses (village_id, weight, items…)
    root/sites/county=<county>/*.parquet        publicity sites (阵地; optional)
    root/legal_literates/county=<county>/…      the 法律明白人 roster (optional)
    root/adviser_visits/county=<county>/…       the village legal adviser's log (optional)
    root/codebook.parquet                       the survey codebook (optional)

Every village belongs to exactly one county, so a county's files hold everything its villages'
metrics need: each Dask partition is one county, runs the pandas function of this package on
it (:func:`pufa_metrics.coverage.village_coverage`, :func:`pufa_metrics.frequency.event_counts`,
:func:`pufa_metrics.survey.awareness_rates`) and never needs another county's rows. The dataset
may be far larger than memory: a worker holds one county at a time. Results are identical to the
pandas functions run on the whole dataset, with rows county by county (counties in sorted order).
At national scale (2,800 counties) pass ``counties_per_partition=10…50``: a partition is then
several whole counties, and the per-task overhead drops (a village is still never split).

The period (``start``/``end``) defaults to the first and last event date of the **whole**
dataset, as in the pandas functions; it is read from the Parquet footers' statistics (no data
pass) when they are present.

The functions here return lazy ``dask.dataframe.DataFrame`` objects: ``.compute()`` gives the
pandas frame; :func:`build_metrics` writes all three metrics county by county without collecting
them. Computation runs on the active Dask scheduler: a ``distributed.Client`` made by
:func:`connect` (given a scheduler address, e.g. ``"tcp://10.0.0.5:8786"``, or none for a local
cluster) or any other. The ``root`` folder must be readable from the client and every worker
(a shared file system).
"""

from __future__ import annotations

import os
import re
import shutil
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import coverage as _coverage
from . import frequency as _frequency
from . import survey as _survey

if TYPE_CHECKING:
    from .config import Settings
    from .io import Dataset

__all__ = [
    "awareness_rates",
    "build_metrics",
    "connect",
    "counties",
    "event_counts",
    "from_towns",
    "load_metrics",
    "read_partitioned",
    "village_coverage",
    "write_partitioned",
]

#: Optional tables of the standing services (阵地, 法律明白人, 法律顾问): a dataset holds one when
#: its folder exists (``pufa report --engine dask`` then assesses the reasons that need it).
SERVICE_TABLES: tuple[str, ...] = ("sites", "legal_literates", "adviser_visits")
#: Tables kept one folder per county (hive layout ``county=<value>``).
PARTITIONED_TABLES: tuple[str, ...] = ("villages", "events", "event_topics", "responses",
                                       *SERVICE_TABLES)
#: Columns read as Arrow dictionaries → pandas categoricals (ids and short labels): grouping on
#: their integer codes is 5–10× faster than hashing strings (PERF.md).
CATEGORICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "villages": (),
    "events": ("village_id", "topic", "form", "organizer", "audience"),
    "event_topics": ("topic",),
    "responses": ("village_id",),
    "sites": ("village_id", "level"),
    "legal_literates": ("village_id",),
    "adviser_visits": ("village_id",),
}
#: Tables every Dataset has (the others of :data:`PARTITIONED_TABLES` are optional).
_CORE_TABLES: tuple[str, ...] = ("villages", "events", "event_topics", "responses")
#: Optional tables written as an empty folder when given with no rows: an empty roster or log
#: still says "none on record" (``workflow.analyse`` assesses it), while an empty site register
#: is read as no register at all (Dataset.sites is an empty frame by default).
_EMPTY_KEPT: tuple[str, ...] = ("legal_literates", "adviser_visits")
METRICS: tuple[str, ...] = ("coverage", "event_counts", "awareness")
#: Partitions the counties are split into by default: enough for a small cluster's workers,
#: few enough that the fixed cost of a task (about 0.3 s for the county report) stays small.
TASKS = 32
_KEY = "county"
_PART_FILE = "part-0.parquet"


# --------------------------------------------------------------------------------------------
# Layout: listing, reading and writing county partitions
# --------------------------------------------------------------------------------------------


def _check_root(root: Any, name: str = "root") -> Path:
    if not isinstance(root, (str, os.PathLike)):
        raise TypeError(
            f"`{name}` should be a folder path, got {type(root).__name__} {root!r}"
            f"（{name} 应为文件夹路径）"
        )
    path = Path(root)
    if not (path / "villages").is_dir():
        raise ValueError(
            f"`{name}` {str(path)!r} is not a county-partitioned dataset: it has no "
            "'villages/county=…' folders; write one with write_partitioned() or "
            f"benchmarks/make_national.py（{path} 不是按县分区的数据集，缺少 villages 目录）"
        )
    return path


def _county_dirs(root: Path, table: str) -> dict[str, Path]:
    """``{county: folder}`` of one table (an absent table gives an empty dict)."""
    folder = root / table
    if not folder.is_dir():
        return {}
    out = {}
    for path in folder.iterdir():  # one folder per county (a few thousand at most)
        if path.is_dir() and path.name.startswith(f"{_KEY}="):
            out[urllib.parse.unquote(path.name.split("=", 1)[1])] = path
    return dict(sorted(out.items()))


def counties(root: str | os.PathLike) -> list[str]:
    """The counties of a partitioned dataset (its register's partitions), sorted.

    Parameters
    ----------
    root : str or path
        The dataset folder (see the module docstring for the layout).

    Returns
    -------
    list of str

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> root = write_partitioned({"villages": villages}, tmp.name)
    >>> counties(root)
    ['五华县', '兴宁市']
    >>> tmp.cleanup()
    """
    return list(_county_dirs(_check_root(root), "villages"))


def _damaged(file: Any, exc: BaseException) -> ValueError:
    return ValueError(
        f"{file}: not a readable Parquet file ({exc}); write it again with write_partitioned()"
        f"（无法读取该 Parquet 文件，请重新生成）"
    )


def _read_schema(file: Any) -> pa.Schema:
    """The schema of one Parquet file; a damaged file is named in a ValueError."""
    try:
        return pq.read_schema(file)
    except (pa.ArrowException, OSError) as exc:
        raise _damaged(file, exc) from None


def _files(folder: Path) -> list[str]:
    return sorted(str(p) for p in folder.glob("*.parquet"))


def _code_dtype(n_categories: int) -> type:
    """The integer type pandas uses for the codes of ``n_categories`` categories."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _categorical(column: pa.ChunkedArray) -> pd.Categorical:
    """A dictionary column (one dictionary per file) as one pandas categorical.

    The union of the files' dictionaries is sorted (as ``astype("category")`` sorts), and the
    codes are written straight into one array of pandas' code type: one pass over the rows and
    one allocation, where ``unify_dictionaries`` + ``to_pandas`` make several (at 50M rows each
    fresh GiB costs seconds of page faults on a VM, PERF.md).
    """
    chunks = [c for c in column.chunks if len(c) or len(c.dictionary)]
    if not chunks:
        return pd.Categorical(pd.array([], dtype="str"))
    values = pa.concat_arrays([c.dictionary for c in chunks])
    unified = pc.drop_null(pc.unique(values))
    unified = unified.take(pc.array_sort_indices(unified))
    dtype = _code_dtype(len(unified))
    where = pc.fill_null(pc.index_in(values, value_set=unified), -1).to_numpy().astype(dtype)
    codes = np.empty(len(column), dtype=dtype)
    v = r = 0
    for chunk in chunks:  # one chunk per file: two cheap calls each
        size, n = len(chunk.dictionary), len(chunk)
        indices = chunk.indices
        # the raw index buffer: slots under a null hold any value, clipped here and set to -1
        # below (one pass for the whole column instead of a fill_null per file)
        raw = np.frombuffer(indices.buffers()[1], dtype=indices.type.to_pandas_dtype())
        if size:
            np.take(where[v:v + size], raw[indices.offset:indices.offset + n],
                    out=codes[r:r + n], mode="clip")
        else:  # a file whose values are all empty
            codes[r:r + n] = -1
        v += size
        r += n
    if column.null_count:
        codes[column.is_null().to_numpy()] = -1
    categories = pd.Index(unified.to_pandas())
    return pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(categories), validate=False)


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow → pandas: one categorical per dictionary column, dates as ``datetime64[us]``.

    Categories are sorted (groups then sort as they would on ``str``).
    """
    categoricals = {}
    for i, field in enumerate(table.schema):  # a few columns
        if pa.types.is_dictionary(field.type):
            categoricals[field.name] = _categorical(table.column(i))
        elif pa.types.is_date(field.type):  # cast in Arrow: cheaper than in to_pandas
            table = table.set_column(i, field.name, table.column(i).cast(pa.timestamp("us")))
    names = table.column_names
    rest = table.drop_columns(list(categoricals))
    del table
    # one block per column and Arrow buffers released as converted: no consolidation copy
    frame = rest.to_pandas(split_blocks=True, self_destruct=True)
    for name, values in categoricals.items():  # back in their places
        frame.insert(names.index(name), name, values)
    return frame


def read_partitioned(
    root: str | os.PathLike,
    table: str,
    *,
    columns: Sequence[str] | None = None,
    counties: Sequence[str] | None = None,
    categorical: bool | Sequence[str] = True,
) -> pd.DataFrame:
    """Read one table of a county-partitioned dataset into pandas, in the fast representation.

    Ids and short labels (:data:`CATEGORICAL_COLUMNS`) come back as categoricals, dates as
    datetime64 (Parquet ``date32`` included): the shape the metric functions handle fastest.
    Rows come county by county (counties sorted), each county's files in name order.

    Parameters
    ----------
    root : str or path
        The dataset folder.
    table : str
        The table: one of :data:`PARTITIONED_TABLES` (``villages``, ``events``,
        ``event_topics``, ``responses``, ``sites``, ``legal_literates``, ``adviser_visits``).
    columns : sequence of str, optional
        Columns to read (default all). ``"county"`` adds the partition key as a column.
    counties : sequence of str, optional
        Only these counties (default all). A county with no folder for this table reads as no
        rows.
    categorical : bool or sequence of str, default True
        Columns read as categoricals: True for :data:`CATEGORICAL_COLUMNS`, False for none,
        or a list of names (e.g. the survey item columns, whose answers are a short list).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> events = pd.DataFrame({"date": pd.to_datetime(["2024-03-01", "2024-05-02"]),
    ...                        "village_id": ["441424100201", "441481100201"],
    ...                        "topic": ["宪法", "禁毒"]})
    >>> root = write_partitioned({"villages": villages, "events": events}, tmp.name)
    >>> ev = read_partitioned(root, "events", columns=["village_id", "county"])
    >>> ev["village_id"].dtype.name, ev["county"].tolist()
    ('category', ['五华县', '兴宁市'])
    >>> tmp.cleanup()
    """
    path = _check_root(root)
    if table not in PARTITIONED_TABLES:
        raise ValueError(
            f"`table` should be one of {list(PARTITIONED_TABLES)}, got {table!r}（表名不正确）"
        )
    dirs = _county_dirs(path, table)
    if counties is not None:
        if isinstance(counties, str):
            raise TypeError(
                f"`counties` should be a list of county names, got the text {counties!r}"
            )
        dirs = {c: dirs[c] for c in counties if c in dirs}
    want_key = columns is None or _KEY in columns
    wanted = None if columns is None else [c for c in columns if c != _KEY]
    files = [(c, f) for c, d in dirs.items() for f in _files(d)]
    if not files:
        return _empty(path, table, wanted, want_key)
    schema = _read_schema(files[0][1])
    missing = [c for c in (wanted or []) if c not in schema.names]
    if missing:
        raise ValueError(
            f"`columns` {missing} are not in table {table!r}; it has {schema.names}"
            f"（{table} 表中没有列：{'、'.join(missing)}）"
        )
    dictionary = _dictionary_columns(table, categorical, schema.names)
    key = None if not want_key else ("dictionary" if categorical is not False else "str")
    return _to_pandas(_read_files(files, wanted, dictionary, key))


def _read_files(files: list[tuple[str, str]], columns: list[str] | None,
                dictionary: list[str], key: str | None) -> pa.Table:
    """The files ``[(county, path)]`` as one Arrow table, plus the county column when ``key``.

    A plain loop of ``ParquetFile.read`` (on threads) costs about 0.5 ms per file, a third
    less than a ``pyarrow.dataset`` scan: with one file per county, a national table is 2,800
    files and this overhead is most of the reading time.
    """
    if columns is not None:
        columns = [c for c in columns if c in _read_schema(files[0][1]).names]

    def one(item: tuple[str, str]) -> pa.Table:
        try:
            reader = pq.ParquetFile(item[1], read_dictionary=dictionary, pre_buffer=True)
            return reader.read(columns=columns, use_threads=False)
        except (pa.ArrowException, OSError) as exc:  # a damaged or truncated file
            raise _damaged(item[1], exc) from None

    # decoding releases the GIL; a few more threads than cores also hide the file opening
    with ThreadPoolExecutor(max_workers=min(8, 2 * (os.cpu_count() or 1))) as pool:
        tables = list(pool.map(one, files))  # one file per county
    data = pa.concat_tables(tables, promote_options="default")
    if key is not None:  # the partition key, one value per file, repeated over its rows
        sizes = [t.num_rows for t in tables]
        names, which = np.unique(np.array([c for c, _ in files], dtype=object),
                                 return_inverse=True)
        codes = pa.array(np.repeat(which.astype(np.int32), sizes))
        labels = pa.array(names.tolist(), pa.string())
        column = (pa.DictionaryArray.from_arrays(codes, labels) if key == "dictionary"
                  else labels.take(codes))
        data = data.append_column(_KEY, column)
    return data


def _dictionary_columns(table: str, categorical: Any, names: Sequence[str]) -> list[str]:
    if categorical is True:
        wanted = list(CATEGORICAL_COLUMNS[table])
    elif categorical is False:
        wanted = []
    elif isinstance(categorical, str) or not isinstance(categorical, Sequence):
        raise TypeError(
            f"`categorical` should be True, False or a list of column names, got {categorical!r}"
        )
    else:
        wanted = list(categorical)
    return [c for c in wanted if c in names]


def _empty(root: Path, table: str, columns: list[str] | None, want_key: bool) -> pd.DataFrame:
    """No rows, with the columns (and dtypes) of any file of the table, else of the schema."""
    any_file = next((root / table).rglob("*.parquet"), None) if (root / table).is_dir() else None
    if any_file is not None:
        names = _read_schema(any_file).names
        keep = None if columns is None else [c for c in columns if c in names]
        frame = _to_pandas(pq.read_table(any_file, columns=keep).slice(0, 0))
    else:
        from .schema import empty_frame

        frame = empty_frame(table)
        frame = frame if columns is None else frame.reindex(columns=columns)
    if want_key:
        frame[_KEY] = pd.Series(dtype="str")
    return frame


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
    _coverage._check_frame(villages, "villages", ("village_id", _KEY))
    if villages[_KEY].isna().any():
        raise ValueError(
            f"`villages['county']` is empty in {int(villages[_KEY].isna().sum())} row(s); every "
            "village needs its county（村居名册中有村缺少所属县）"
        )
    register = _coverage._register_ids(villages)
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


# --------------------------------------------------------------------------------------------
# Dask plumbing
# --------------------------------------------------------------------------------------------


def _dd():
    try:
        import dask
        import dask.dataframe as dd
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "pufa_metrics.distributed needs dask: pip install 'pufa_metrics[scale]'"
            "（需要安装 dask：pip install 'pufa_metrics[scale]'）"
        ) from exc
    return dask, dd


def connect(address: str | None = None, **local: Any):
    """A ``distributed.Client``: to the scheduler at ``address``, or to a new local cluster.

    The client becomes Dask's default scheduler, so ``.compute()`` on the frames returned by
    this module runs there.

    Parameters
    ----------
    address : str, optional
        A scheduler address such as ``"tcp://10.0.0.5:8786"``. None starts a
        ``LocalCluster`` on this machine.
    **local
        Options for ``LocalCluster`` (e.g. ``n_workers=2, memory_limit="8GB"``); only without
        ``address``. The dashboard takes any free port unless ``dashboard_address`` is given.

    Returns
    -------
    distributed.Client
    """
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "connect() needs dask.distributed: pip install 'dask[distributed]'"
            "（需要安装 dask.distributed）"
        ) from exc
    if address is not None:
        if not isinstance(address, str):
            raise TypeError(f"`address` should be text such as 'tcp://host:8786', got {address!r}")
        if local:
            raise ValueError(f"LocalCluster options {sorted(local)} make no sense with an address")
        return Client(address)
    local.setdefault("dashboard_address", ":0")  # any free port (see client.dashboard_link)
    return Client(**local)  # the client owns its LocalCluster: closing it closes the cluster


def _from_map(func, items: list, meta: pd.DataFrame, label: str):
    dask, dd = _dd()
    # pandas 3 strings are already Arrow-backed `str`; dask's conversion would turn them into
    # `string[pyarrow]` (NA instead of NaN) and the results would differ from pandas' (STACK.md)
    with dask.config.set({"dataframe.convert-string": False}):
        return dd.from_map(func, items, meta=meta, enforce_metadata=False, label=label)


def _unknown_categories(meta: pd.DataFrame) -> pd.DataFrame:
    """Empty frame for ``meta``: categorical columns differ per county (dask unions them)."""
    meta = meta.iloc[:0].copy()
    for column in meta.columns:
        if isinstance(meta[column].dtype, pd.CategoricalDtype):
            meta[column] = meta[column].cat.set_categories([])
    return meta


def _date_range(root: Path) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """First and last event date of the whole dataset, from the Parquet footers' statistics.

    Files without statistics for ``date`` have their date column read. None when there is no
    dated event.
    """
    lows, highs = [], []
    for _, folder in _county_dirs(root, "events").items():  # one footer per county file
        for file in _files(folder):
            try:
                meta = pq.ParquetFile(file).metadata
            except (pa.ArrowException, OSError) as exc:
                raise _damaged(file, exc) from None
            names = [meta.schema.column(j).name for j in range(meta.num_columns)]
            if "date" not in names:
                continue
            j = names.index("date")
            stats = [meta.row_group(i).column(j).statistics for i in range(meta.num_row_groups)]
            if all(s is not None and s.has_min_max for s in stats):
                lows += [s.min for s in stats]
                highs += [s.max for s in stats]
            else:  # no statistics (or an all-empty row group): read this file's dates
                dates = pq.read_table(file, columns=["date"])["date"]
                if dates.null_count < len(dates):
                    lows.append(pc.min(dates).as_py())
                    highs.append(pc.max(dates).as_py())
    if not lows:
        return None
    return pd.Timestamp(min(lows)), pd.Timestamp(max(highs))


def _has_table(root: str | os.PathLike, table: str) -> bool:
    """Whether the dataset holds ``table`` (its folder exists, rows or not)."""
    return (Path(root) / table).is_dir()


def _any_value(root: str | os.PathLike, table: str, column: str) -> bool:
    """Whether any row of ``table`` in the whole dataset has a value in ``column``.

    Read from the Parquet footers' null counts (no data pass) where present, else from the
    column itself, file by file until a value is found.
    """
    for _, folder in _county_dirs(Path(root), table).items():  # one footer per county file
        for file in _files(folder):
            try:
                meta = pq.ParquetFile(file).metadata
            except (pa.ArrowException, OSError) as exc:
                raise _damaged(file, exc) from None
            names = [meta.schema.column(j).name for j in range(meta.num_columns)]
            if column not in names:
                continue
            j = names.index(column)
            groups = [meta.row_group(i) for i in range(meta.num_row_groups)]
            stats = [g.column(j).statistics for g in groups]  # a row group or two per file
            if all(st is not None and st.has_null_count for st in stats):
                if any(st.null_count < g.num_rows for st, g in zip(stats, groups, strict=True)):
                    return True
            elif pq.read_table(file, columns=[column])[column].null_count < meta.num_rows:
                return True
    return False


def _period(root: Path, start: Any, end: Any) -> tuple[Any, Any]:
    """``start``/``end`` given, or defaulted to the whole dataset's first/last event date."""
    if start is not None and end is not None:
        return start, end
    found = _date_range(root)
    if found is None:
        raise ValueError(
            "`start` and `end` cannot default to the event dates because the dataset has no "
            "dated event; give both（数据集中没有带日期的活动，请指定 start 和 end）"
        )
    return (found[0] if start is None else start), (found[1] if end is None else end)


_EVENT_COLUMNS = ("date", "village_id", "topic", "attendees")


def _read_county(root: str, table: str, group: Sequence[str], columns: Sequence[str] | None,
                 categorical: bool | Sequence[str] = True,
                 with_key: bool = False) -> pd.DataFrame:
    """The rows of a few counties (one partition) of one table."""
    path = Path(root)
    files = []
    for county in group:  # the counties of one partition
        folder = path / table / f"{_KEY}={urllib.parse.quote(county, safe='')}"
        if not folder.is_dir():  # a folder written unencoded (county=五华县) by another tool
            folder = path / table / f"{_KEY}={county}"
        files += [(county, f) for f in (_files(folder) if folder.is_dir() else [])]
    if not files:
        return _empty(path, table, None if columns is None else list(columns), with_key)
    dictionary = _dictionary_columns(table, categorical, _read_schema(files[0][1]).names)
    cols = None if columns is None else list(columns)
    return _to_pandas(_read_files(files, cols, dictionary, "str" if with_key else None))


def _groups(names: list[str], per: int | None) -> list[tuple[str, ...]]:
    """Consecutive counties, ``per`` to a partition (a village is never split).

    ``per=None`` splits the counties into about :data:`TASKS` partitions.
    """
    if per is None:
        per = max(1, -(-len(names) // TASKS))
    if isinstance(per, bool) or not isinstance(per, int) or per < 1:
        raise ValueError(
            f"`counties_per_partition` should be a whole number ≥ 1, got {per!r}"
            "（每个分区的县数应为正整数）"
        )
    return [tuple(names[i:i + per]) for i in range(0, len(names), per)]


def _register_columns(root: Path, population: str) -> list[str]:
    first = next((root / "villages").rglob("*.parquet"))
    names = _read_schema(first).names
    return [c for c in ("village_id", "village_name", "town", population) if c in names]


def _event_topics(root: str, group: Sequence[str]) -> pd.DataFrame | None:
    """The ``event_topics`` rows of a partition, or None when the dataset has no such table."""
    if not (Path(root) / "event_topics").is_dir():
        return None
    return _read_county(root, "event_topics", group, ["event_id", "topic"], False)


class _CoveragePart:
    """One county's :func:`~pufa_metrics.coverage.village_coverage` (picklable task)."""

    def __init__(self, root: str, village_cols: list[str], options: dict[str, Any]):
        self.root, self.village_cols, self.options = root, village_cols, options

    def __call__(self, group: tuple[str, ...]) -> pd.DataFrame:
        villages = _read_county(self.root, "villages", group, self.village_cols, False)
        topics = _event_topics(self.root, group)
        columns = _EVENT_COLUMNS if topics is None else ("event_id", *_EVENT_COLUMNS)
        events = _read_county(self.root, "events", group, columns)
        try:
            out = _coverage.village_coverage(events, villages, event_topics=topics,
                                             **self.options)
        except ValueError as exc:
            raise ValueError(f"counties {list(group)}（县 {'、'.join(group)}）: {exc}") from exc
        out.attrs = {}
        return out


class _CountsPart:
    """One county's :func:`~pufa_metrics.frequency.event_counts` on its village grid."""

    def __init__(self, root: str, options: dict[str, Any]):
        self.root, self.options = root, options

    def __call__(self, group: tuple[str, ...]) -> pd.DataFrame:
        villages = _read_county(self.root, "villages", group, ["village_id"], False)
        events = _read_county(self.root, "events", group, ["date", "village_id"])
        try:
            return _frequency.event_counts(events, villages=villages, **self.options)
        except ValueError as exc:
            raise ValueError(f"counties {list(group)}（县 {'、'.join(group)}）: {exc}") from exc


class _AwarenessPart:
    """One county's :func:`~pufa_metrics.survey.awareness_rates`; ``by`` columns as read."""

    def __init__(self, root: str, codebook: pd.DataFrame, columns: list[str] | None,
                 by: list[str], options: dict[str, Any]):
        self.root, self.codebook, self.columns = root, codebook, columns
        self.by, self.options = by, options

    def __call__(self, group: tuple[str, ...]) -> pd.DataFrame:
        # ids as `str`: a county is small, and the result then equals the pandas function's on
        # canonical frames (same dtype, groups sorted by id)
        responses = _read_county(self.root, "responses", group, self.columns, False,
                                 with_key=_KEY in self.by)
        try:
            out = _survey.awareness_rates(responses, self.codebook, by=self.by, **self.options)
        except ValueError as exc:
            raise ValueError(f"counties {list(group)}（县 {'、'.join(group)}）: {exc}") from exc
        return out


# --------------------------------------------------------------------------------------------
# The three metrics
# --------------------------------------------------------------------------------------------


def village_coverage(
    root: str | os.PathLike,
    *,
    start: _coverage.DateLike | None = None,
    end: _coverage.DateLike | None = None,
    as_of: _coverage.DateLike | None = None,
    required_topics: Sequence[str] | None = None,
    population: str = "population",
    counties_per_partition: int | None = None,
):
    """Per-village coverage of a county-partitioned dataset, one Dask partition per county.

    The same result as :func:`pufa_metrics.coverage.village_coverage` on the whole register and
    all events (every village of the register, zero-event villages included), computed county by
    county. ``n_topics`` and ``missing_topics`` use every topic of an event when the dataset
    has an ``event_topics`` table, else each event's ``topic`` column.

    Parameters
    ----------
    root : str or path
        The dataset folder (``villages/`` and ``events/`` partitioned by county).
    start, end : date-like, optional
        The period, both days included; default the first and last event date of the whole
        dataset (from the Parquet statistics).
    as_of : date-like, optional
        "Today" for ``days_since_last``; default ``end``.
    required_topics : sequence of str, optional
        Topics every village should hear about (e.g. ``Settings().required_topics``).
    population : {"population", "registered_population"}
        The denominator.
    counties_per_partition : int, optional
        Whole counties per Dask partition. Default: the counties split into about
        :data:`TASKS` (32) partitions, at least one county each. One county is a few hundred
        villages; every task has a fixed cost (scheduling, reading, many small pandas steps),
        so one county per task is slow at national scale (2,800 counties).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; index ``village_id``, the columns of the pandas function. ``.compute()`` gives
        the pandas frame, counties in sorted order.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441424100202", "441481100201"],
    ...                          "village_name": ["大岭村", "河尾村", "新圩村"],
    ...                          "population": [1000, 500, 800],
    ...                          "county": ["五华县", "五华县", "兴宁市"]})
    >>> events = pd.DataFrame({
    ...     "date": pd.to_datetime(["2024-01-01", "2024-03-01", "2024-12-31"]),
    ...     "village_id": ["441424100201", "441424100201", "441481100201"],
    ...     "topic": ["宪法", "禁毒", "宪法"]})
    >>> root = write_partitioned({"villages": villages, "events": events}, tmp.name)
    >>> cov = village_coverage(root, required_topics=["宪法", "禁毒"]).compute(
    ...     scheduler="sync")
    >>> cov[["n_events", "longest_gap_days"]]
                  n_events  longest_gap_days
    village_id
    441424100201         2               305
    441424100202         0               365
    441481100201         1               365
    >>> cov["missing_topics"].tolist()
    [(), ('宪法', '禁毒'), ('禁毒',)]
    >>> tmp.cleanup()
    """
    path = _check_root(root)
    start, end = _period(path, start, end)
    options = {"start": start, "end": end, "as_of": as_of, "required_topics": required_topics,
               "population": population}
    part = _CoveragePart(str(path), _register_columns(path, population), options)
    groups = _groups(counties(path), counties_per_partition)
    meta = _unknown_categories(part(groups[0][:1]))
    return _from_map(part, groups, meta, "village_coverage")


def event_counts(
    root: str | os.PathLike,
    *,
    freq: str = "MS",
    start: _coverage.DateLike | None = None,
    end: _coverage.DateLike | None = None,
    wide: bool = False,
    counties_per_partition: int | None = None,
):
    """Events per village and period on the full village × period grid, county by county.

    The same result as ``pufa_metrics.frequency.event_counts(events, villages=villages,
    freq=freq, start=start, end=end, wide=wide)`` on the whole dataset: every (village, period)
    pair, zeros included; town-wide events are not attributed to villages.

    Parameters
    ----------
    root : str or path
        The dataset folder.
    freq : {"MS", "QS", "YS"}
        Month, quarter or year.
    start, end : date-like, optional
        The period; default the first and last event date of the whole dataset.
    wide : bool, default False
        False: long ``[village_id, period, n_events]`` (``village_id`` categorical); True: the
        village × period matrix.
    counties_per_partition : int, optional
        Whole counties per Dask partition (see :func:`village_coverage`).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; ``.compute()`` gives the pandas frame.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> events = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-02-10"]),
    ...                        "village_id": ["441424100201", "441424100201"]})
    >>> root = write_partitioned({"villages": villages, "events": events}, tmp.name)
    >>> event_counts(root, wide=True).compute(scheduler="sync")
    period        2024-01-01  2024-02-01
    village_id
    441424100201           1           1
    441481100201           0           0
    >>> tmp.cleanup()
    """
    path = _check_root(root)
    start, end = _period(path, start, end)
    part = _CountsPart(str(path), {"freq": freq, "start": start, "end": end, "wide": wide})
    groups = _groups(counties(path), counties_per_partition)
    meta = _unknown_categories(part(groups[0][:1]))
    return _from_map(part, groups, meta, "event_counts")


def awareness_rates(
    root: str | os.PathLike,
    codebook: pd.DataFrame | None = None,
    *,
    by: str | Sequence[str] = "village_id",
    items: str | Sequence[str] | None = None,
    domain: str | Sequence[str] | None = None,
    weight: str | bool | None = None,
    method: str = "wilson",
    level: float = 0.95,
    counties_per_partition: int | None = None,
):
    """Survey rates per village (or county) and item with CIs, one Dask partition per county.

    The same result as :func:`pufa_metrics.survey.awareness_rates` on all responses, for groups
    that lie inside one county: ``by`` must include ``"village_id"`` or ``"county"`` (other
    columns such as ``"gender"`` may be added). Rows come county by county, sorted by group
    within a county.

    Parameters
    ----------
    root : str or path
        The dataset folder (``responses/`` partitioned by county).
    codebook : pandas.DataFrame, optional
        The codebook; default ``root/codebook.parquet``.
    by : str or list of str, default "village_id"
        Group columns; ``"county"`` is the partition key.
    items, domain, weight, method, level
        As in :func:`pufa_metrics.survey.awareness_rates`.
    counties_per_partition : int, optional
        Whole counties per Dask partition (see :func:`village_coverage`).

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; ``[*by, item, domain, n, n_positive, rate, n_eff, ci_low, ci_high]``.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> responses = pd.DataFrame({"response_id": ["r1", "r2", "r3"],
    ...                           "village_id": ["441424100201", "441424100201", "441481100201"],
    ...                           "q1": ["知道", "不知道", "听说过"]})
    >>> codebook = pd.DataFrame({"item": ["q1"], "text": ["是否知道宪法日"],
    ...                          "domain": ["awareness"], "positive": [("知道", "听说过")]})
    >>> root = write_partitioned({"villages": villages, "responses": responses,
    ...                           "codebook": codebook}, tmp.name)
    >>> out = awareness_rates(root).compute(scheduler="sync")
    >>> out[["village_id", "n", "n_positive", "rate"]].values.tolist()
    [['441424100201', 2, 1, 0.5], ['441481100201', 1, 1, 1.0]]
    >>> tmp.cleanup()
    """
    path = _check_root(root)
    by_cols = _survey._by_columns(by)
    if by is None or not ({"village_id", _KEY} & set(by_cols)):
        raise ValueError(
            f"`by` should include 'village_id' or 'county' so that every group lies in one "
            f"county partition, got {by!r}; for provincial or national rates aggregate the "
            "county results（分组须包含 village_id 或 county）"
        )
    if codebook is None:
        file = path / "codebook.parquet"
        if not file.is_file():
            raise ValueError(
                f"`codebook` was not given and {str(file)!r} does not exist（缺少问卷编码表）"
            )
        codebook = pd.read_parquet(file)
    _survey._check_frame(codebook, "codebook")
    names = list(_county_dirs(path, "responses"))
    if not names:
        raise ValueError(f"`root` {str(path)!r} has no responses（数据集中没有问卷）")
    options = {"items": items, "domain": domain, "weight": weight, "method": method,
               "level": level}
    part = _AwarenessPart(str(path), codebook, None, by_cols, options)
    groups = _groups(names, counties_per_partition)
    meta = _unknown_categories(part(groups[0][:1]))
    return _from_map(part, groups, meta, "awareness_rates")


# --------------------------------------------------------------------------------------------
# Build: all three metrics written county by county
# --------------------------------------------------------------------------------------------


class _WritePart:
    """Compute one metric for one partition and write it to ``out/<metric>/part-NNNNN``."""

    def __init__(self, part, out: str, metric: str, keep_index: bool, groups: list):
        self.part, self.out, self.metric, self.keep_index = part, out, metric, keep_index
        self.number = {group: i for i, group in enumerate(groups)}

    def __call__(self, group: tuple[str, ...]) -> pd.DataFrame:
        frame = self.part(group)
        if self.keep_index:
            frame = frame.reset_index()
        for column in frame.columns:  # tuples (missing_topics) are stored as lists
            if frame[column].dtype == object:
                frame[column] = frame[column].map(list, na_action="ignore")
        folder = Path(self.out) / self.metric
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / f"part-{self.number[group]:05d}.parquet"
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), file)
        return pd.DataFrame({
            "metric": pd.array([self.metric], dtype="str"),
            "file": pd.array([file.name], dtype="str"),
            "first_county": pd.array([group[0]], dtype="str"),
            "last_county": pd.array([group[-1]], dtype="str"),
            "rows": np.array([len(frame)], dtype=np.int64),
        })


def build_metrics(
    root: str | os.PathLike,
    out: str | os.PathLike,
    *,
    start: _coverage.DateLike | None = None,
    end: _coverage.DateLike | None = None,
    as_of: _coverage.DateLike | None = None,
    required_topics: Sequence[str] | None = None,
    codebook: pd.DataFrame | None = None,
    weight: str | bool | None = None,
    freq: str = "MS",
    counties_per_partition: int | None = None,
    compute: bool = True,
) -> pd.DataFrame:
    """Compute coverage, event counts and awareness rates for every county and write them.

    Each partition's results go to ``out/<metric>/part-NNNNN.parquet`` (metrics ``coverage``,
    ``event_counts``, ``awareness``; files in county order), so nothing is collected in memory:
    this is the path for datasets larger than memory. Runs on the active Dask scheduler (see
    :func:`connect`). Read the results back with :func:`load_metrics`.

    Parameters
    ----------
    root : str or path
        The county-partitioned dataset.
    out : str or path
        The output folder (the three metric folders in it are replaced).
    start, end, as_of, required_topics
        As in :func:`village_coverage` (``start``/``end`` also bound the event counts).
    codebook, weight
        As in :func:`awareness_rates`; awareness is skipped when the dataset has no responses.
    freq : {"MS", "QS", "YS"}
        Period of the event counts.
    counties_per_partition : int, optional
        Whole counties per partition (and per output file); default about :data:`TASKS`
        partitions (see :func:`village_coverage`).
    compute : bool, default True
        False returns the lazy Dask frame of the summary instead of computing it.

    Returns
    -------
    pandas.DataFrame
        ``[metric, file, first_county, last_county, rows]``: one row per file written.

    Examples
    --------
    >>> import tempfile; tmp = tempfile.TemporaryDirectory()
    >>> villages = pd.DataFrame({"village_id": ["441424100201", "441481100201"],
    ...                          "village_name": ["大岭村", "新圩村"], "population": [900, 700],
    ...                          "county": ["五华县", "兴宁市"]})
    >>> events = pd.DataFrame({"date": pd.to_datetime(["2024-01-05", "2024-02-10"]),
    ...                        "village_id": ["441424100201", "441424100201"]})
    >>> root = write_partitioned({"villages": villages, "events": events}, tmp.name)
    >>> out = f"{tmp.name}/metrics"
    >>> import dask
    >>> with dask.config.set(scheduler="sync"):
    ...     summary = build_metrics(root, out)
    >>> summary[["metric", "first_county", "rows"]].values.tolist()[1:3]
    [['coverage', '兴宁市', 1], ['event_counts', '五华县', 2]]
    >>> load_metrics(out)["coverage"]["n_events"].tolist()
    [2, 0]
    >>> tmp.cleanup()
    """
    dask, dd = _dd()
    path = _check_root(root)
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"`out` should be a folder path, got {type(out).__name__} {out!r}")
    target = Path(out)
    start, end = _period(path, start, end)
    groups = _groups(counties(path), counties_per_partition)
    parts = {
        "coverage": (_CoveragePart(str(path), _register_columns(path, "population"), {
            "start": start, "end": end, "as_of": as_of, "required_topics": required_topics}),
            groups, True),
        "event_counts": (_CountsPart(str(path), {"freq": freq, "start": start, "end": end}),
                         groups, False),
    }
    responses = list(_county_dirs(path, "responses"))
    if responses:
        if codebook is None:
            codebook = pd.read_parquet(path / "codebook.parquet")
        parts["awareness"] = (
            _AwarenessPart(str(path), codebook, None, ["village_id"],
                           {"items": None, "domain": None, "weight": weight,
                            "method": "wilson", "level": 0.95}),
            _groups(responses, counties_per_partition), False,
        )
    for metric in METRICS:
        if (target / metric).is_dir():
            shutil.rmtree(target / metric)
    meta = pd.DataFrame({
        "metric": pd.array([], dtype="str"), "file": pd.array([], dtype="str"),
        "first_county": pd.array([], dtype="str"), "last_county": pd.array([], dtype="str"),
        "rows": np.array([], dtype=np.int64),
    })
    frames = [
        _from_map(_WritePart(part, str(target), metric, keep_index, items), items, meta,
                  f"build_{metric}")
        for metric, (part, items, keep_index) in parts.items()
    ]
    with dask.config.set({"dataframe.convert-string": False}):
        summary = dd.concat(frames)
    if not compute:
        return summary
    return summary.compute().reset_index(drop=True)


def load_metrics(out: str | os.PathLike) -> dict[str, pd.DataFrame]:
    """Read the metrics written by :func:`build_metrics` into pandas frames.

    Parameters
    ----------
    out : str or path
        The folder given to :func:`build_metrics`.

    Returns
    -------
    dict
        ``{"coverage": …, "event_counts": …, "awareness": …}`` (those present): coverage indexed
        by ``village_id`` with ``missing_topics`` as tuples; ids as ``str``; rows county by
        county.
    """
    if not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"`out` should be a folder path, got {type(out).__name__} {out!r}")
    folder = Path(out)
    result = {}
    for metric in METRICS:
        files = _files(folder / metric) if (folder / metric).is_dir() else []
        if not files:
            continue
        frame = _to_pandas(_read_files([("", f) for f in files], None, [], None))
        if metric == "coverage":
            frame["missing_topics"] = frame["missing_topics"].map(
                lambda v: tuple(v.tolist() if hasattr(v, "tolist") else v), na_action="ignore"
            ).astype(object)
            frame = frame.set_index("village_id")
        if metric == "event_counts" and isinstance(frame["village_id"].dtype, pd.CategoricalDtype):
            ids = frame["village_id"].array  # categories named like event_counts' (its `by`)
            frame["village_id"] = pd.Categorical.from_codes(
                ids.codes, categories=ids.categories.rename("village_id"))
        result[metric] = frame
    if not result:
        raise ValueError(
            f"`out` {str(folder)!r} holds no metrics written by build_metrics（未找到指标结果）"
        )
    return result
