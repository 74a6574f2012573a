"""tests/data/reference is a verbatim copy of the team's shared/reference (published values).

When shared/ sits beside the repository (sessions and CI), the copy must be byte-identical, so a
test can never pass against an edited copy."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COPY = ROOT / "tests" / "data" / "reference"
SHARED = ROOT.parent / "shared" / "reference"


@pytest.mark.parametrize("name", ["lqas_published.csv", "proportion_ci_published.csv"])
def test_reference_copy_is_verbatim(name):
    assert (COPY / name).is_file()
    if not SHARED.is_dir():
        pytest.skip("shared/reference is not beside this checkout; the committed copy is used")
    assert (COPY / name).read_bytes() == (SHARED / name).read_bytes()
