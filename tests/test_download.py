"""Fetching MNIST: mirrors, checksums, atomic writes and the errors users see."""
import functools
import gzip
import hashlib
import http.server
import threading

import pytest

from mnist_mlp import MNIST, DataError, download
from mnist_mlp.download import FILES, load_raw, raw_folder


def leftovers(root):
    """Every file under root, partial ones included."""
    return sorted(p.name for p in root.rglob("*") if p.is_file())


def test_fetch_from_folder_mirror_verifies_and_keeps_torchvision_layout(tmp_path, monkeypatch,
                                                                          mirror_gz):
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror_gz))
    files = load_raw(tmp_path)
    assert sorted(files) == sorted(FILES)
    for name, blob in files.items():
        assert hashlib.md5(blob).hexdigest() == FILES[name]
        assert (raw_folder(tmp_path) / name).read_bytes() == blob
    assert leftovers(tmp_path) == sorted(FILES)  # no .part files, no .gz copies


def test_fetch_from_url_mirror(tmp_path, monkeypatch, mirror_gz):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mirror_gz))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv(download.MIRROR_ENV, f"http://127.0.0.1:{server.server_port}/")
        blob = download.fetch("t10k-labels-idx1-ubyte", raw_folder(tmp_path))
    finally:
        server.shutdown()
    assert hashlib.md5(blob).hexdigest() == FILES["t10k-labels-idx1-ubyte"]


def test_truncated_archive_is_named_and_nothing_is_kept(tmp_path, monkeypatch, mirror_copy):
    gz = mirror_copy / "t10k-images-idx3-ubyte.gz"
    gz.write_bytes(gz.read_bytes()[: gz.stat().st_size // 2])
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror_copy))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz is corrupt or truncated"):
        MNIST(root=tmp_path)
    assert "t10k-images-idx3-ubyte" not in leftovers(tmp_path)
    assert not [name for name in leftovers(tmp_path) if name.endswith(".part")]


def test_wrong_content_fails_the_checksum(tmp_path, monkeypatch, mirror_copy):
    gz = mirror_copy / "train-labels-idx1-ubyte.gz"
    blob = bytearray(gzip.decompress(gz.read_bytes()))
    blob[100] ^= 1  # one flipped bit in one label
    gz.write_bytes(gzip.compress(bytes(blob)))
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror_copy))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte.gz is corrupt: .*md5"):
        load_raw(tmp_path)
    assert "train-labels-idx1-ubyte" not in leftovers(tmp_path)


def test_missing_file_in_mirror_says_what_to_check(tmp_path, monkeypatch, mirror_copy):
    (mirror_copy / "train-images-idx3-ubyte.gz").unlink()
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror_copy))
    with pytest.raises(DataError, match=r"(?s)train-images-idx3-ubyte.*MNIST_MLP_MIRROR="):
        load_raw(tmp_path)


def test_offline_without_mirror_explains_how_to_get_the_data(tmp_path, monkeypatch):
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    # Port 1 on loopback refuses at once: the same failure as a machine with no network.
    monkeypatch.setattr(download, "MIRRORS", ("http://127.0.0.1:1/mnist/",))
    with pytest.raises(DataError) as err:
        load_raw(tmp_path)
    message = str(err.value)
    assert "http://127.0.0.1:1/mnist/train-images-idx3-ubyte.gz" in message
    assert "offline" in message and "MNIST_MLP_MIRROR" in message
    assert leftovers(tmp_path) == []


def test_unwritable_data_folder_is_a_clear_error(tmp_path, monkeypatch, mirror_gz):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror_gz))
    with pytest.raises(DataError, match="cannot write MNIST into .*MNIST_MLP_DATA"):
        load_raw(blocker / "data")


def test_corrupt_cached_file_is_replaced(tmp_path, monkeypatch, mirror_gz):
    monkeypatch.setenv(download.MIRROR_ENV, str(mirror_gz))
    load_raw(tmp_path)
    cached = raw_folder(tmp_path) / "t10k-labels-idx1-ubyte"
    cached.write_bytes(cached.read_bytes()[:-10])
    with pytest.warns(UserWarning, match="t10k-labels-idx1-ubyte is corrupt"):
        files = load_raw(tmp_path)
    assert hashlib.md5(cached.read_bytes()).hexdigest() == FILES["t10k-labels-idx1-ubyte"]
    assert files["t10k-labels-idx1-ubyte"] == cached.read_bytes()


def test_data_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(download.DATA_ENV, str(tmp_path / "mnist"))
    assert download.default_root() == tmp_path / "mnist"
    monkeypatch.delenv(download.DATA_ENV)
    root = download.default_root()
    assert root.is_absolute() and root.name in ("data", "mnist_mlp")


def test_a_failed_fetch_is_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv(download.MIRROR_ENV, raising=False)
    monkeypatch.setattr(download, "MIRRORS", ("http://127.0.0.1:1/a/", "http://127.0.0.1:1/b/"))
    with pytest.raises(DataError) as err:
        load_raw(tmp_path)
    assert "\n" not in str(err.value) and str(err.value).count("127.0.0.1:1") == 2


@pytest.mark.parametrize("mirror", ["http://localhost:80x/", "http://[::1", "http://a b/"])
def test_a_malformed_mirror_url_is_one_line(tmp_path, monkeypatch, mirror):
    # http.client.InvalidURL and urllib's ValueError were tracebacks
    monkeypatch.setenv(download.MIRROR_ENV, mirror)
    with pytest.raises(DataError, match="is not a URL that can be read"):
        load_raw(tmp_path)
    assert leftovers(tmp_path) == []
