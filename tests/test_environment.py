"""The pinned environment: one list of versions, stated twice, and actually installed."""
import re
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*(?:-\s*)?([A-Za-z0-9_.\-]+)==([^\s#]+)")


def pins(path, section_start=None):
    text = path.read_text()
    if section_start:
        text = text[text.index(section_start):]
    return {m.group(1).lower().replace("_", "-"): m.group(2)
            for m in map(PIN.match, text.splitlines()) if m}


def test_environment_yml_pins_the_same_versions_as_requirements():
    requirements = pins(ROOT / "requirements.txt")
    conda = pins(ROOT / "environment.yml", section_start="- pip:")
    assert requirements == conda
    assert requirements["torch"] == "2.14.1" and requirements["torchvision"] == "0.29.1"


def test_d2l_version_is_stated_alike():
    d2l = pins(ROOT / "requirements-d2l.txt")
    assert d2l == {"d2l": "1.0.3"}
    assert "d2l==1.0.3" in (ROOT / "environment.yml").read_text()


@pytest.mark.pinned
@pytest.mark.parametrize("name, version", sorted(
    {**pins(ROOT / "requirements.txt"), **pins(ROOT / "requirements-d2l.txt")}.items()))
def test_installed_versions_are_the_pinned_ones(name, version):
    assert metadata.version(name).split("+")[0] == version


def test_d2l_imports_and_draws_with_the_overridden_pins():
    """d2l's own pins (matplotlib-inline 0.1.6 + IPython 9) broke its first figure."""
    from d2l import torch as d2l
    from matplotlib_inline import backend_inline

    d2l.use_svg_display()  # what d2l calls before each figure
    backend_inline.set_matplotlib_formats("png")
    board = d2l.ProgressBoard(display=False)
    board.draw(0.0, 1.0, "loss", every_n=1)
    assert board.data["loss"][0].y == 1.0


def test_lock_file_agrees_with_the_direct_pins():
    lock = pins(ROOT / "requirements-lock.txt")
    for name, version in pins(ROOT / "requirements.txt").items():
        assert lock.get(name) == version, (
            f"{name}: requirements.txt {version}, lock {lock.get(name)}")
    assert "d2l" not in lock  # installed with --no-deps, see requirements.txt


def test_pre_commit_runs_the_pinned_ruff():
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    assert f"rev: v{pins(ROOT / 'requirements.txt')['ruff']}" in config


def test_dependency_lower_bounds_are_the_colab_versions_tested():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    colab = pins(ROOT / "requirements-colab.txt")
    for requirement in project["dependencies"]:
        name, _, bound = requirement.partition(">=")
        assert "<" not in bound and "," not in bound, f"{requirement}: no upper caps"
        assert colab[name.lower()].startswith(bound), f"{requirement} vs Colab's {colab[name]}"
