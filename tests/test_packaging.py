"""environment.yml (conda users) must list the same packages with the same lower bounds as
pyproject.toml (pip users), and end with an editable install of the project."""

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from PyPI names
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}


def _pyproject_requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
    reqs = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        reqs += [r for r in extra if not r.startswith("pufa_metrics")]
    out = {}
    for text in reqs:
        req = Requirement(text)
        out[req.name.lower()] = str(req.specifier)
    out["python"] = project["requires-python"]
    return out


def _environment_requirements() -> tuple[dict[str, str], list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    out = {}
    pip_section = None
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip_section = dep["pip"]
            continue
        if dep == "pip":
            continue
        m = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", dep)
        name, spec = m.group(1).lower(), m.group(2).replace(" ", "")
        out[CONDA_TO_PYPI.get(name, name)] = spec
    for dep in pip_section or []:
        if dep.startswith("-e"):
            continue
        req = Requirement(dep)
        out[req.name.lower()] = str(req.specifier)
    return out, pip_section


def _lower_bounds(spec: str) -> set[str]:
    return {s for s in spec.split(",") if s.startswith(">=")}


def test_same_packages_in_both_files():
    py = _pyproject_requirements()
    env, _ = _environment_requirements()
    assert set(py) == set(env), (
        f"only in pyproject: {sorted(set(py) - set(env))}; "
        f"only in environment.yml: {sorted(set(env) - set(py))}"
    )


def test_same_lower_bounds_in_both_files():
    py = _pyproject_requirements()
    env, _ = _environment_requirements()
    differ = {k: (py[k], env[k]) for k in py if _lower_bounds(py[k]) != _lower_bounds(env[k])}
    assert not differ, f"lower bounds differ (pyproject, environment.yml): {differ}"


def test_environment_ends_with_editable_install():
    _, pip_section = _environment_requirements()
    assert pip_section is not None and pip_section[-1] == "-e ."
