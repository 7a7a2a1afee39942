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


def direct_pins():
    """Every package `make setup` installs by name: the runtime's, then the dev tools'."""
    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    assert not set(runtime) & set(dev), "a package pinned in both requirements files"
    return {**runtime, **dev}


def project():
    import tomllib
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def ranges(requirements):
    """{name: (operator, version)} of pyproject's `name>=version` / `name==version` lines."""
    found = {}
    for requirement in requirements:
        name, operator, bound = re.fullmatch(r"([A-Za-z0-9_.\-]+)(>=|==)(\S+)",
                                             requirement).groups()
        found[name.lower().replace("_", "-")] = (operator, bound)
    return found


def test_environment_yml_pins_the_same_versions_as_requirements():
    conda = pins(ROOT / "environment.yml", section_start="- pip:")
    assert direct_pins() == conda
    assert conda["torch"] == "2.14.1" and conda["torchvision"] == "0.29.1"


def test_the_runtime_install_is_the_runtime_pins_and_the_dev_extra_the_dev_ones():
    """`pip install .` brings what the package imports; `.[dev]` the pinned tools, in ranges
    that the pinned versions meet."""
    from packaging.version import Version

    runtime, dev = pins(ROOT / "requirements.txt"), pins(ROOT / "requirements-dev.txt")
    assert set(ranges(project()["dependencies"])) == set(runtime)
    extra = ranges(project()["optional-dependencies"]["dev"])
    assert set(extra) == set(dev)
    for name, (operator, bound) in extra.items():
        assert (Version(dev[name]) >= Version(bound) if operator == ">="
                else dev[name] == bound), f"{name}: pinned {dev[name]}, dev extra {operator}{bound}"


def test_d2l_version_is_stated_alike():
    d2l = pins(ROOT / "requirements-d2l.txt")
    assert d2l == {"d2l": "1.0.3"}
    assert "d2l==1.0.3" in (ROOT / "environment.yml").read_text()


@pytest.mark.pinned
@pytest.mark.parametrize("name, version", sorted(
    {**direct_pins(), **pins(ROOT / "requirements-d2l.txt")}.items()))
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
    for name, version in direct_pins().items():
        assert lock.get(name) == version, (
            f"{name}: requirements {version}, lock {lock.get(name)}")
    assert "d2l" not in lock  # installed with --no-deps, see requirements.txt


def test_pre_commit_runs_the_pinned_ruff():
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    assert f"rev: v{pins(ROOT / 'requirements-dev.txt')['ruff']}" in config


def test_dependency_lower_bounds_are_the_colab_versions_tested():
    colab = pins(ROOT / "requirements-colab.txt")
    for requirement in project()["dependencies"]:
        name, _, bound = requirement.partition(">=")
        assert "<" not in bound and "," not in bound, f"{requirement}: no upper caps"
        assert colab[name.lower()].startswith(bound), f"{requirement} vs Colab's {colab[name]}"
