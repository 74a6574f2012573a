"""Sphinx helpers of the pufa_metrics docs: pages written from the code, so they cannot drift.

At ``builder-inited`` this writes, under ``docs/**/generated/`` (ignored by git):

* ``api/generated/<module>.rst`` — one page per module: its docstring, then every public name
  (``pufa_metrics.__all__`` names under ``pufa_metrics.``, the module's other ``__all__`` names
  under the module), each from its docstring. A name added to ``__all__`` or a new module
  appears without editing the docs.
* ``cli/generated/<command>.md`` — one page per ``pufa`` command, from the argparse parser.
* ``notebooks/generated/<notebook>.md`` — every ``notebooks/*.py`` (jupytext percent format)
  rendered as a page, code shown, not executed.
* ``generated/*.md`` — fragments included by the hand-written pages: the column tables of the
  data contract (``pufa_metrics.schema.TABLES``), the vocabularies and the follow-up rules
  (``pufa_metrics.rules.describe()``) and the campaign calendar.

It also adds the ``pufa-chart`` directive: the code in its body runs (one namespace per page)
and the figure left in ``fig`` is shown below the code.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import pkgutil
import re
import tempfile
import types
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

REPO = Path(__file__).resolve().parents[2]
#: Modules with no page of their own: shared private helpers; the CLI has its own pages.
SKIP_MODULES = frozenset({"cli"})


# ------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, leaving the file alone when it is unchanged.

    An unchanged file keeps its time stamp, so Sphinx does not re-read the page, and two builds
    running at once never see half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_pages(folder: Path, pages: dict[str, str], suffix: str) -> None:
    """Write ``{stem: text}`` into ``folder`` and remove pages that are no longer generated."""
    for stem, text in pages.items():
        write_if_changed(folder / f"{stem}{suffix}", text)
    if folder.is_dir():
        for old in folder.glob(f"*{suffix}"):
            if old.stem not in pages:
                old.unlink(missing_ok=True)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#])")


def md_escape(value: object) -> str:
    """Plain text for a MyST table cell: markup characters escaped, line breaks as spaces."""
    text = "" if value is None else str(value)
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_code(value: object) -> str:
    """``value`` as inline code (no backtick inside our values; spaces kept)."""
    text = str(value)
    return f"`{text}`" if "`" not in text and text.strip() else md_escape(text)


def md_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A MyST pipe table; cells are already escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------
# Data contract, vocabularies, rules
# ------------------------------------------------------------------------------------------


def tables_fragment() -> str:
    """One section per canonical table of ``pufa_metrics.schema.TABLES``."""
    from pufa_metrics import schema

    parts = []
    for spec in schema.TABLES.values():
        title = f"{spec.name}" + (f" — {spec.label_zh}" if spec.label_zh else "")
        key = ", ".join(md_code(k) for k in spec.key) or "—"
        rows = [
            [
                md_code(col),
                md_code(dtype),
                "yes 必填" if col in spec.required else "",
                "、".join(md_escape(a) for a in spec.aliases.get(col, ())) or "—",
            ]
            for col, dtype in spec.columns.items()
        ]
        parts.append(
            f"### {md_escape(title)}\n\n"
            f"Table name `{spec.name}` · key {key} · "
            f"{len(spec.columns)} columns, {len(spec.required)} required.\n\n"
            + md_table(["column", "dtype", "required", "header variants accepted 可识别的表头"],
                       rows)
        )
    return "\n".join(parts)


def _vocabulary_table(canonical: dict[str, str], aliases: dict[str, str]) -> str:
    by_canon: dict[str, list[str]] = {}
    for alias, canon in aliases.items():
        by_canon.setdefault(canon, []).append(alias)
    rows = [
        [md_escape(name), md_escape(en),
         "、".join(md_escape(a) for a in by_canon.get(name, ())) or "—"]
        for name, en in canonical.items()
    ]
    return md_table(["canonical 标准名称", "English", "also read as 也识别为"], rows)


def vocabulary_fragment() -> str:
    """Topics, forms, audiences and the 法律明白人 groups with their English labels and aliases."""
    from pufa_metrics import schema

    return "\n".join(
        [
            "### Topics 宣传内容 (`schema.TOPICS`)\n",
            _vocabulary_table(schema.TOPICS, schema.TOPIC_ALIASES),
            "Read only as a whole cell, never inside longer text: "
            + "、".join(sorted(schema.TOPIC_WHOLE_CELL_ONLY)) + ".\n",
            "### Forms 活动形式 (`schema.FORMS`)\n",
            _vocabulary_table(schema.FORMS, schema.FORM_ALIASES),
            "### Audiences 参与对象 (`schema.AUDIENCES`)\n",
            _vocabulary_table(schema.AUDIENCES, schema.AUDIENCE_ALIASES),
            "### 法律明白人 priority groups 重点培养对象 (`schema.LEGAL_LITERATE_GROUPS`)\n",
            _vocabulary_table(schema.LEGAL_LITERATE_GROUPS, {}),
            "### Survey domains 问卷维度 (`schema.DOMAIN_LABELS`)\n",
            md_table(
                ["domain", "中文", "English"],
                [[md_code(k), md_escape(zh), md_escape(en)]
                 for k, (zh, en) in schema.DOMAIN_LABELS.items()],
            ),
        ]
    )


def rules_fragment() -> str:
    """The follow-up rules (``rules.describe()`` with pufa.toml) and the urgency tiers."""
    from pufa_metrics import rules

    table = rules.describe()
    rows = [
        [
            md_code(r["code"]),
            f"{md_escape(r['原因'])}<br>{md_escape(r['reason'])}",
            f"{md_escape(r['规则'])}<br>{md_escape(r['rule'])}",
            f"{md_escape(r['分值'])}<br>{md_escape(r['points'])}",
            f"{md_escape(r['建议措施'])}<br>{md_escape(r['action'])}",
        ]
        for r in table.to_dict("records")
    ]
    tiers = [
        [md_escape(zh), md_escape(en), f"≥ {low:g}" if low else "> 0"]
        for low, zh, en, _fill in rules.TIERS
    ]
    return (
        md_table(["code", "原因 / reason", "规则 / rule", "分值 / points",
                  "建议措施 / action"], rows)
        + "\n### Tiers 紧急程度 (`rules.TIERS`)\n\n"
        + md_table(["档次", "tier", "score 得分"], tiers)
    )


def calendar_fragment(year: int = 2025) -> str:
    """The campaign calendar of ``year`` (``pm.campaign_calendar``)."""
    from pufa_metrics import campaign_calendar

    cal = campaign_calendar([year])
    rows = [
        [md_escape(r["name_zh"]), md_escape(r["name_en"]),
         f"{r['start']:%m-%d}" + ("" if r["end"] == r["start"] else f" – {r['end']:%m-%d}"),
         md_escape(r["topic"])]
        for r in cal.to_dict("records")
    ]
    return md_table(["节点", "campaign", f"dates in {year}", "topic 主题"], rows)


# ------------------------------------------------------------------------------------------
# API pages
# ------------------------------------------------------------------------------------------


def _directive(obj: object) -> str:
    if inspect.isclass(obj):
        return "autoclass"
    if callable(obj):
        return "autofunction"
    return "autodata"


def _module_names(module: types.ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:  # public functions and classes defined in the module itself
        names = [
            n for n, obj in vars(module).items()
            if not n.startswith("_") and (inspect.isfunction(obj) or inspect.isclass(obj))
            and getattr(obj, "__module__", None) == module.__name__
        ]
    return [n for n in names if not isinstance(getattr(module, n, None), types.ModuleType)]


def _block(directive: str, name: str, *, members: bool) -> str:
    text = f".. {directive}:: {name}\n"
    if directive == "autoclass" and members:
        text += "   :members:\n"
    return text + "\n"


def _origin(name: str, obj: object, modules: Sequence[types.ModuleType]) -> str | None:
    """The module that defines a top-level name: its ``__module__``, else the module holding it."""
    where = getattr(obj, "__module__", None)
    if (inspect.isclass(obj) or callable(obj)) and isinstance(where, str):
        return where
    return next((m.__name__ for m in modules if vars(m).get(name) is obj), None)


def api_pages() -> dict[str, str]:
    """``{module: rst}``: one page per public module of the package.

    A top-level name (``pufa_metrics.__all__``) goes on the page of the module that defines it;
    one defined in a submodule of a subpackage (``pufa_metrics.io.template``) on the
    subpackage's page.
    """
    import pufa_metrics as pm

    modnames = sorted(["pufa_metrics.io"] + [
        f"pufa_metrics.{info.name}" for info in pkgutil.iter_modules(pm.__path__)
        if not info.name.startswith("_") and info.name not in SKIP_MODULES and info.name != "io"
    ])
    modules = [importlib.import_module(m) for m in modnames]

    def page_of(modpath: str | None) -> str | None:
        while modpath and modpath not in modnames:
            modpath = modpath.rsplit(".", 1)[0] if "." in modpath else None
        return modpath

    public = {n: getattr(pm, n) for n in pm.__all__ if not n.startswith("__")}
    functions = {n: obj for n, obj in public.items() if not isinstance(obj, types.ModuleType)}
    page = {n: page_of(_origin(n, obj, modules)) for n, obj in functions.items()}
    pages = {}
    for modname, module in zip(modnames, modules):
        short = modname.split(".", 1)[1]
        top = sorted(n for n, p in page.items() if p == modname)
        rest = [n for n in _module_names(module) if n not in top]
        lines = [modname, "=" * len(modname), "", f".. automodule:: {modname}"]
        if short in functions:  # pm.brief is the function; the module keeps no index entry
            lines.append("   :no-index:")
        lines.append("")
        for title, names, owner in (
            ("Top-level names (``import pufa_metrics as pm; pm.NAME``)", top, pm),
            (f"More in ``{modname}``", rest, module),
        ):
            if not names:
                continue
            lines += [title, "-" * len(title), "", f".. currentmodule:: {owner.__name__}", "",
                      ".. autosummary::", "   :nosignatures:", ""]
            lines += [f"   {n}" for n in names] + [""]
            for n in names:
                lines.append(_block(_directive(getattr(owner, n)), n, members=True))
        pages[short] = "\n".join(lines)
    return pages


# ------------------------------------------------------------------------------------------
# CLI pages
# ------------------------------------------------------------------------------------------


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            return {name: (helps.get(name, ""), sub) for name, sub in action.choices.items()}
    return {}


def _options_table(parser: argparse.ArgumentParser) -> str:
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
            continue
        names = ", ".join(action.option_strings) or (action.metavar or action.dest)
        if action.nargs in ("?", "*"):
            names += " (optional)"
        elif action.nargs == "+":
            names += " (one or more)"
        default = action.default
        shown = "" if default in (None, False, argparse.SUPPRESS) else str(default)
        shown = shown.replace(f"{REPO}{os.sep}", "")  # data/raw, not this machine's full path
        if action.choices:
            choices = "one of " + ", ".join(map(str, action.choices))
            shown = f"{shown} · {choices}" if shown else choices
        rows.append([md_code(names), md_escape(shown) or "—", md_escape(action.help or "")])
    if not rows:
        return ""
    return md_table(["argument 参数", "default 默认", "meaning 说明"], rows)


def cli_pages() -> dict[str, str]:
    """``{command: markdown}``: the ``pufa`` command and one page per sub-command."""
    from pufa_metrics.cli import build_parser

    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "96"  # argparse wraps --help at the terminal width
    try:
        parser = build_parser()
        pages = {
            "pufa": "# pufa\n\n"
            + md_escape(parser.description or "") + "\n\n"
            + "Options that come before the command (`pufa --config my.toml report …`):\n\n"
            + _options_table(parser)
            + "\n```text\n" + parser.format_help() + "```\n",
        }
        for name, (help_text, sub) in _subcommands(parser).items():
            pages[f"pufa-{name}"] = (
                f"# pufa {name}\n\n{md_escape(help_text)}\n\n"
                + _options_table(sub)
                + "\n`pufa " + name + " --help` prints:\n\n```text\n" + sub.format_help() + "```\n"
            )
    finally:
        if old is None:
            os.environ.pop("COLUMNS", None)
        else:
            os.environ["COLUMNS"] = old
    return pages


# ------------------------------------------------------------------------------------------
# Notebook pages
# ------------------------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,5}) ", flags=re.MULTILINE)


def notebook_page(path: Path) -> str:
    """A notebook (jupytext percent format) as a MyST page: markdown as text, code as blocks."""
    import jupytext

    nb = jupytext.read(path)
    title = path.stem
    first = next((c for c in nb.cells if c.cell_type == "markdown"), None)
    if first is not None and first.source.startswith("# "):  # its heading is the page title
        head, _, rest = first.source.partition("\n")
        title = head[2:].strip()
        first.source = rest
    lines = [
        f"# {title}",
        "",
        f"`notebooks/{path.name}`, shown here without running it. `make report` runs it on the "
        "sample town and writes the executed copy, with tables and charts, to "
        f"`reports/notebooks/{path.stem}.html`; `make lab` opens it in JupyterLab. "
        "本页只显示代码，不运行；运行结果见 `make report` 生成的报告。",
        "",
    ]
    for cell in nb.cells:
        source = cell.source.strip("\n")
        if not source.strip():
            continue
        if cell.cell_type == "markdown":
            lines += [_HEADING.sub(r"#\1 ", source), ""]
        elif cell.cell_type == "code":
            if "parameters" in cell.metadata.get("tags", ()):
                lines += ["Parameters (papermill; `pufa report` sets them) / 参数:", ""]
            fence = "````" if "```" in source else "```"
            lines += [f"{fence}python", source, fence, ""]
    return "\n".join(lines)


def notebook_pages(folder: Path) -> dict[str, str]:
    """``{stem: markdown}`` for every ``*.py`` notebook in ``folder``."""
    return {path.stem: notebook_page(path) for path in sorted(folder.glob("*.py"))}


# ------------------------------------------------------------------------------------------
# The chart directive
# ------------------------------------------------------------------------------------------


class ChartDirective(SphinxDirective):
    """Show the code, run it, and show the figure it leaves in ``fig`` (if a name is given).

    The code of all ``pufa-chart`` blocks of one page runs in one namespace, in order.
    """

    has_content = True
    optional_arguments = 1
    option_spec = {"alt": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        """Execute the block; return a code block and, with a name, the figure as an image."""
        code = "\n".join(self.content)
        namespace = self.env.temp_data.setdefault("pufa_chart_namespace", {})
        try:
            exec(compile(code, f"<{self.env.docname} pufa-chart>", "exec"), namespace)  # noqa: S102
        except Exception as exc:  # a chart that no longer draws fails the build (-W), named
            raise self.error(f"pufa-chart code failed: {type(exc).__name__}: {exc}") from exc
        out: list[nodes.Node] = [nodes.literal_block(code, code, language="python")]
        if self.arguments:
            name = self.arguments[0]
            fig = namespace.get("fig")
            if fig is None:
                raise self.error(f"pufa-chart {name}: the code left no figure in `fig`")
            target = Path(self.env.srcdir) / "generated" / "gallery" / f"{name}.png"
            target.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".png",
                                             delete=False) as handle:
                fig.savefig(handle, format="png", dpi=110)
            os.replace(handle.name, target)
            alt = self.options.get("alt", name)
            out.append(nodes.image(uri=f"/generated/gallery/{name}.png", alt=alt))
        return out


# ------------------------------------------------------------------------------------------
# Sphinx hooks
# ------------------------------------------------------------------------------------------


def generate(srcdir: Path) -> None:
    """Write every generated page and fragment under ``srcdir``."""
    write_pages(srcdir / "api" / "generated", api_pages(), ".rst")
    write_pages(srcdir / "cli" / "generated", cli_pages(), ".md")
    write_pages(srcdir / "notebooks" / "generated", notebook_pages(REPO / "notebooks"), ".md")
    fragments = {
        "tables": tables_fragment(),
        "vocabularies": vocabulary_fragment(),
        "rules": rules_fragment(),
        "calendar": calendar_fragment(),
    }
    write_pages(srcdir / "generated", fragments, ".md")


def _on_builder_inited(app: Sphinx) -> None:
    generate(Path(app.srcdir))


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the page generator and the ``pufa-chart`` directive."""
    app.connect("builder-inited", _on_builder_inited)
    app.add_directive("pufa-chart", ChartDirective)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
