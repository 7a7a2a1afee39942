"""`make run`'s runner: a failed notebook keeps its outputs, and the failure is named."""
import nbformat
import pytest

from tools import run_notebooks


def notebook(path, *cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in cells]
    nbformat.write(nb, path)
    return path.read_bytes()


@pytest.mark.slow  # executes two notebooks in Jupyter kernels
def test_a_missed_target_leaves_the_notebook_as_committed(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    good = tmp_path / "a.ipynb"
    bad = tmp_path / "b.ipynb"
    notebook(good, "print(6 * 7)")
    before = notebook(bad, "print('treinando')",
                      "acc = 0.9867\nassert acc >= 0.987, f'modelo F abaixo da meta: {acc}'")
    assert run_notebooks.main([str(good), str(bad), "--inplace"]) == 1
    assert bad.read_bytes() == before  # committed outputs untouched
    assert nbformat.read(good, 4).cells[0].outputs[0]["text"] == "42\n"  # the good one ran
    err = capsys.readouterr().err
    assert "b.ipynb: AssertionError: modelo F abaixo da meta: 0.9867" in err
    assert "Traceback" not in err
    failed = nbformat.read(tmp_path / "build" / "failed" / "b.ipynb", 4)
    assert failed.cells[0].outputs[0]["text"] == "treinando\n"
    assert not list(tmp_path.glob(".*.part"))


def test_a_missing_notebook_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        run_notebooks.main([str(tmp_path / "nada.ipynb"), "--inplace"])
    assert stop.value.code == 2
    assert "no such notebook" in capsys.readouterr().err
