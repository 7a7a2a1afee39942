"""files.replacing: a file is written whole or not at all."""
import pytest

from mnist_mlp.files import replacing


def test_success_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "new" / "results.json"  # the folder is created
    with replacing(target) as tmp:
        assert tmp.parent == target.parent and tmp != target
        tmp.write_text("complete")
    assert target.read_text() == "complete"
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_write_keeps_the_old_file(tmp_path, error):
    target = tmp_path / "results.json"
    target.write_text("old")
    with pytest.raises(type(error)), replacing(target) as tmp:
        tmp.write_text("half")
        raise error
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]
