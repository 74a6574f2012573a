"""The user docs (issue #17 part 4): they build offline with warnings as errors, document every
public name, and nothing in the repository sends the reader outside it.

The build runs once per module (``sphinx -W --keep-going`` into ``tmp_path``, a subprocess, as
``make docs`` runs it). What each check compares against, independently of the docs code:

* ``pufa_metrics.__all__`` — every name must have an entry in Sphinx's own ``objects.inv``;
* the argparse parser of ``pufa`` — every sub-command has a page listing each of its options;
* ``notebooks/*.py`` read with jupytext — every notebook has a page with its first heading;
* ``rules.RULES`` — every reason code is on the rules page;
* ``schema.TABLES`` — every column of every table is on the data-contract page;
* the gallery PNGs, decoded with Pillow — drawn, not blank.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

#: Pointers to the team's working folder, which a user of the repository does not have.
OUTSIDE = re.compile(r"\.\./shared|team's shared|shared folder", flags=re.IGNORECASE)


def _repo_pages() -> list[Path]:
    """README, pufa.toml and the docs sources (not the build, not the generated pages)."""
    pages = [ROOT / "README.md", ROOT / "pufa.toml"]
    pages += [
        p for p in DOCS.rglob("*")
        if p.is_file() and p.suffix in {".md", ".rst", ".py", ".txt"}
        and "_build" not in p.parts and "generated" not in p.parts
    ]
    return pages


def test_no_page_points_outside_the_repository():
    found = [
        f"{p.relative_to(ROOT)}:{n}: {line.strip()}"
        for p in _repo_pages()
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert not found, "pointers outside the repository:\n" + "\n".join(found)


def test_the_outside_check_catches_a_pointer():
    # the pattern above must match the phrasings README and pufa.toml used before the docs
    assert OUTSIDE.search("Full definitions: `DESIGN.md` in the team's shared folder")
    assert OUTSIDE.search("see ../shared/DOMAIN.md")
    assert not OUTSIDE.search("see docs/domain.md")


# ------------------------------------------------------------------------------------------
# The build
# ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def html(tmp_path_factory) -> Path:
    pytest.importorskip("sphinx", reason="the docs extra is not installed (pip install -e .[docs])")
    pytest.importorskip("pydata_sphinx_theme", reason="the docs extra is not installed")
    out = tmp_path_factory.mktemp("docs")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q",
         "-d", str(out / "doctrees"), str(DOCS), str(out / "html")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, f"docs build failed:\n{result.stderr[-6000:]}"
    return out / "html"


def _text(path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    main = soup.find("main") or soup
    return " ".join(main.get_text(" ").split())


@pytest.mark.slow
def test_every_public_name_has_an_entry(html):
    from sphinx.util.inventory import InventoryFile

    import pufa_metrics as pm

    with open(html / "objects.inv", "rb") as handle:
        inventory = InventoryFile.load(handle, "", lambda base, uri: uri)
    data = getattr(inventory, "data", inventory)
    entries = {name: kind for kind, names in data.items() for name in names}
    missing = [n for n in pm.__all__ if f"pufa_metrics.{n}" not in entries]
    assert not missing, f"public names without a docs entry: {missing}"
    # functions are documented as functions, modules as modules (not just mentioned)
    assert entries["pufa_metrics.village_coverage"] == "py:function"
    assert entries["pufa_metrics.plots"] == "py:module"
    assert entries["pufa_metrics.Dataset"] == "py:class"


@pytest.mark.slow
def test_a_function_page_shows_its_docstring(html):
    import pufa_metrics as pm

    text = _text(html / "api" / "generated" / "coverage.html")
    first_line = pm.village_coverage.__doc__.strip().splitlines()[0]
    assert first_line in text
    assert "Parameters" in text and "Returns" in text and "Examples" in text


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    from pufa_metrics.cli import build_parser

    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


@pytest.mark.slow
def test_a_page_per_command_with_every_option(html):
    commands = _subcommands()
    assert {"validate", "build", "report", "partition", "sample"} <= set(commands)
    for name, sub in commands.items():
        page = html / "cli" / "generated" / f"pufa-{name}.html"
        assert page.exists(), f"no page for pufa {name}"
        text = _text(page)
        options = [s for a in sub._actions for s in a.option_strings if s not in ("-h", "--help")]
        assert all(o in text for o in options), (name, [o for o in options if o not in text])


@pytest.mark.slow
def test_every_notebook_is_rendered(html):
    import jupytext

    notebooks = sorted((ROOT / "notebooks").glob("*.py"))
    assert len(notebooks) >= 7
    for path in notebooks:
        page = html / "notebooks" / "generated" / f"{path.stem}.html"
        assert page.exists(), f"notebook {path.name} has no page"
        nb = jupytext.read(path)
        heading = next(c.source for c in nb.cells if c.cell_type == "markdown")
        title = heading.splitlines()[0].lstrip("# ").strip()
        text = _text(page)
        assert title in text
        assert "notebook_context" in text  # the code is shown


@pytest.mark.slow
def test_rules_and_data_contract_come_from_the_code(html):
    from pufa_metrics import rules, schema

    rules_text = _text(html / "follow-up-rules.html")
    assert all(r.code in rules_text for r in rules.RULES)
    contract = _text(html / "data-contract.html")
    missing = [(t.name, c) for t in schema.TABLES.values() for c in t.columns if c not in contract]
    assert not missing
    # a header variant from DOMAIN §2.1-style ledgers, hand-picked: 活动内容 names the topic column
    assert "活动内容" in schema.TABLES["events"].accepted_headers("topic")
    assert "活动内容" in contract


@pytest.mark.slow
def test_gallery_images_are_drawn(html):
    import numpy as np
    from PIL import Image

    images = sorted((html / "_images").glob("*.png"))
    names = {p.stem for p in images}
    assert {"coverage-bar", "coverage-map", "awareness-dotplot", "topic-matrix"} <= names
    for path in images:
        pixels = np.asarray(Image.open(path).convert("L"), dtype=float)
        assert pixels.shape[0] > 200 and pixels.std() > 10, f"{path.name} looks blank"
    gallery = _text(html / "gallery.html").replace(" ", "")
    assert "pm.plots.coverage_bar(" in gallery  # the code that draws it is on the page


@pytest.mark.slow
def test_built_pages_point_nowhere_outside(html):
    found = [str(p.relative_to(html)) for p in html.rglob("*.html")
             if OUTSIDE.search(p.read_text(encoding="utf-8"))]
    assert not found, f"built pages pointing outside the repository: {found}"
