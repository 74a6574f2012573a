"""Sphinx configuration of the pufa_metrics docs (``make docs``; HTML in docs/_build/html).

The build is offline and runs no notebook: notebook pages show the code of ``notebooks/*.py``;
the API, CLI, data-contract and rules pages are written from the code by ``_ext/pufa_docs.py``.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("MPLBACKEND", "Agg")

import pufa_metrics  # noqa: E402

project = "pufa_metrics"
author = "pufa_metrics contributors"
copyright = "2026, pufa_metrics contributors"  # noqa: A001
release = pufa_metrics.__version__
version = release
language = "en"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_copybutton",
    "pufa_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
smartquotes = False  # keep "--out" and straight quotes as typed
root_doc = "index"
exclude_patterns = ["_build", "_ext", "generated/*.md", "**/.*"]
templates_path: list[str] = []

myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

autosummary_generate = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc's Parameters section gives the types
autodoc_default_options = {"show-inheritance": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = "pufa_metrics — 普法覆盖评估"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_static_path: list[str] = []
html_show_sourcelink = False
html_copy_source = False

copybutton_prompt_text = r">>> |\.\.\. |\$ "
copybutton_prompt_is_regexp = True
