"""Shared fixtures: the reports that run the notebooks, each built once per test run.

``make test`` runs the suite on every core (pytest-xdist, ``--dist worksteal``). A fixture that
runs the notebooks costs a minute or more; :func:`build_once` builds it once for the whole run
(the first worker to need it builds it, another waits for it), not once per worker.
"""

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
MINI = ROOT / "tests" / "data" / "mini_town"
#: A ledger whose every column holds personal data (names, ID and phone numbers, addresses).
PERSONAL = ROOT / "tests" / "data" / "bad" / "raw" / "台账_个人信息.csv"
#: How long a worker waits for another to build a shared fixture before giving up.
_WAIT_SECONDS = 1800


@pytest.fixture(scope="session")
def build_once(tmp_path_factory) -> Callable[[str, Callable[[Path], None]], Path]:
    """``build_once(name, build)``: the folder ``build(folder)`` wrote, built once per run.

    Without xdist it is built in this session's temporary folder. Under xdist the folder is
    shared by the workers of the run; a lock file makes one of them build it while the others
    wait, and a failed build fails every test that needs it (with the builder's error).
    """
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base

    def build(name: str, make: Callable[[Path], None]) -> Path:
        target, lock = root / name, root / f"{name}.lock"
        done, failed = root / f"{name}.done", root / f"{name}.failed"
        deadline = time.monotonic() + _WAIT_SECONDS
        while not done.exists():
            if failed.exists():
                pytest.fail(f"building {name} failed: {failed.read_text(encoding='utf-8')}")
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:  # another worker builds it
                if time.monotonic() > deadline:
                    pytest.fail(f"waited {_WAIT_SECONDS} s for another worker to build {name}")
                time.sleep(0.5)
                continue
            os.close(fd)
            try:
                make(target)
            except BaseException as exc:
                failed.write_text(repr(exc), encoding="utf-8")
                raise
            done.touch()
        return target

    return build


@pytest.fixture(scope="session")
def sample_report(build_once) -> Path:
    """`pufa build` + `pufa report` on the committed sample town, through the CLI entry point.

    The town's ledgers are joined by one full of personal data (tests/data/bad/raw), so that
    the one report serves the report tests and the privacy tests (none of it may arrive).
    Returns the report folder. Used by the report, notebook and privacy tests.
    """
    from pufa_metrics.cli import main

    def make(base: Path) -> None:
        raw, processed, reports = base / "raw", base / "processed", base / "reports"
        shutil.copytree(RAW, raw)
        shutil.copy(PERSONAL, raw / PERSONAL.name)
        assert main(["build", str(raw), "--out", str(processed)]) == 0
        assert main(["report", "--data", str(processed), "--out", str(reports)]) == 0

    return build_once("sample_report", make) / "reports"
