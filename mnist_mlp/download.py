"""Find, fetch and verify the four MNIST files; keep them where torchvision looks for them."""
import contextlib
import gzip
import hashlib
import http.client
import os
import urllib.request
import warnings
import zlib
from pathlib import Path

from .files import expanded, irregular, replacing

# md5 of the *uncompressed* files, as published with MNIST (and in torchvision).
FILES = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
# The S3 copy answers reliably; LeCun's own page often refuses or stalls, so it comes last.
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
DATA_ENV = "MNIST_MLP_DATA"
MIRROR_ENV = "MNIST_MLP_MIRROR"
TIMEOUT_S = 30


class DataError(RuntimeError):
    """MNIST could not be found, fetched, verified or stored."""


def default_root():
    """Data folder: $MNIST_MLP_DATA, else `data/` of a source checkout, else ~/.cache/mnist_mlp."""
    if os.environ.get(DATA_ENV):  # set and not empty (empty: unset, as shells use it)
        value = _unquoted(DATA_ENV)  # a pasted trailing space: a second folder
        if not value:
            raise DataError(f"{DATA_ENV} is set to {os.environ[DATA_ENV]!r}: set it to a "
                            "folder for MNIST, or unset it")
        return expanded(value, DataError)
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file():
        return checkout / "data"
    return Path.home() / ".cache" / "mnist_mlp"


def _unquoted(name):
    """Environment variable `name` without surrounding spaces (a pasted path's); a DataError
    if quotes surround it, which a shell removes but Jupyter's %env keeps: a folder named
    '"' would be made in the current one."""
    value = os.environ.get(name, "").strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        raise DataError(f"{name} is {value}, quotes included (Jupyter's %env keeps them): set "
                        f"it without them, e.g. %env {name}={value[1:-1]}")
    return value


def raw_folder(root):
    """torchvision's layout, so `torchvision.datasets.MNIST(root)` reads the same files."""
    if not isinstance(root, (str, os.PathLike)) or str(root).strip() == "":
        raise ValueError(f"root must be a folder's path, got {root!r}")
    if isinstance(root, str) and root != root.strip(" \t\n'\""):  # a second folder, made
        raise ValueError(f"root is {root!r}: leave out the surrounding spaces or quotes")
    return expanded(root) / "MNIST" / "raw"


def md5(data):
    return hashlib.md5(data).hexdigest()


def load_raw(root=None):
    """Return {name: bytes} of the four verified, uncompressed files, fetching what is missing."""
    raw = raw_folder(root if root is not None else default_root())
    named = "root" if root is not None else DATA_ENV
    files = {}
    for name, expected in FILES.items():
        path = raw / name
        # Kaggle's download names them train-images.idx3-ubyte too: the same file
        for plain in (path, raw / name.replace("-idx", ".idx")):
            if (data := _verified(plain, expected)) is not None:
                files[name] = data
                break
        if name in files:
            if plain != path and path.is_file():  # corrupt (warned): the good copy replaces
                with contextlib.suppress(DataError):  # it, or it is warned about every run
                    _write_atomically(path, data)
            continue
        if path.is_dir():  # Kaggle's layout: each file inside a folder of its own name
            held = any((path / n).is_file() for n in (name, name.replace("-idx", ".idx")))
            raise DataError(f"{path} is a folder, not the MNIST file {name}: " + (
                "put the file it holds in its place (the folder removed)" if held else
                "move it away (it holds no such file)") + ", then run again")
        if what := irregular(path):  # a FIFO: the file fetched could not replace it
            raise DataError(f"{path} is {what}, not the MNIST file {name}: move it away, then "
                            "run again")
        if (gz := raw / f"{name}.gz").is_file():  # as downloaded, where torchvision keeps it
            data = _decompressed(gz.read_bytes(), gz)
            if data is not None and md5(data) == expected:
                with contextlib.suppress(DataError):  # read-only: read the .gz each time
                    _write_atomically(path, data)
                files[name] = data
                continue
            if data is not None:  # a whole gzip file of something else (another MNIST file)
                warnings.warn(f"{gz} holds another file (md5 {md5(data)}, expected {expected});"
                              " fetching it again", stacklevel=2)
        check_layout(raw, named)  # before a second copy is fetched beside the first
        files[name] = fetch(name, raw)
    return files


def check_layout(raw, named="root"):
    """DataError if the folder given (`named`: root or $MNIST_MLP_DATA), above `raw`, holds
    MNIST's files itself or in its raw/ (root=.../MNIST/raw, the folder the files are in): the
    files are looked for in ROOT/MNIST/raw, torchvision's layout, and fetched there."""
    given = raw.parent.parent
    for folder in (given, given / "raw"):
        if any((folder / held).is_file() for name in FILES
               for held in (name, name + ".gz", name.replace("-idx", ".idx"))):
            break
    else:
        return
    mirror = _unquoted(MIRROR_ENV)
    if mirror and "://" not in mirror and os.path.realpath(expanded(mirror, DataError)) == \
            os.path.realpath(folder):  # the mirror itself, as named: its files are copied
        return
    fix = (f"name the folder above MNIST/: {named}={folder.parent.parent}"
           if folder.name == "raw" and folder.parent.name == "MNIST" else
           f"move them into {raw}, or set {MIRROR_ENV}={folder} (they are copied there)")
    raise DataError(f"{folder} holds MNIST's files, but they are read from {raw} ({named} is "
                    f"the folder above MNIST/raw, as torchvision lays it out): {fix}")


def _verified(path, expected):
    """The file's bytes if `path` is a file of md5 `expected`; else None (a warning if it is
    corrupt, then replaced once a good copy is read: in a read-only folder, a DataError)."""
    if not path.is_file():
        return None
    data = path.read_bytes()
    if md5(data) == expected:
        return data
    link = (f" (a link to {os.path.realpath(path)}, which is left as it is: the link is "
            "replaced by a good copy)" if path.is_symlink() else "")
    warnings.warn(f"{path} is corrupt (md5 {md5(data)}, expected {expected}){link}; reading it "
                  "again", stacklevel=3)
    return None


def fetch(name, raw):
    """Fetch `name`.gz from $MNIST_MLP_MIRROR or torchvision's mirrors, verify, store atomically."""
    mirror = _unquoted(MIRROR_ENV)  # a pasted path's trailing space
    failures = []
    # a folder may also hold the files uncompressed (gunzipped by a file manager), under
    # Kaggle's names too (train-images.idx3-ubyte)
    tries = [(source, filename) for source in ([mirror] if mirror else MIRRORS)
             for filename in (name + ".gz", name, name.replace("-idx", ".idx"))
             if filename.endswith(".gz") or "://" not in source
             and (expanded(source, DataError) / filename).is_file()]
    for source, filename in tries:
        where = _join(source, filename)
        try:
            data = (gzip.decompress(_read(source, filename)) if filename.endswith(".gz") else
                    _read(source, filename))
        except (EOFError, gzip.BadGzipFile, zlib.error) as err:
            failures.append(f"{where} is corrupt or truncated ({err})")
            continue
        except OSError as err:  # missing file, refused connection, timeout, HTTP error
            failures.append(f"{where}: {err}")
            continue
        except (ValueError, http.client.HTTPException) as err:  # a malformed URL: no request
            failures.append(f"{where} is not a URL that can be read ({err})")
            continue
        if md5(data) != FILES[name]:
            failures.append(f"{where} is corrupt: its uncompressed content has md5 {md5(data)}, "
                            f"expected {FILES[name]}")
            continue
        _write_atomically(raw / name, data)
        return data
    inside = None  # a folder mirror named as torchvision's root: its files are further in
    if mirror and "://" not in mirror:
        local = expanded(mirror, DataError)
        inside = next((folder for folder in (local / "MNIST" / "raw", local / "raw")
                       if (folder / f"{name}.gz").is_file() or (folder / name).is_file()), None)
    hint = (f"{MIRROR_ENV} names the folder holding the files, and they are in {inside} "
            f"(torchvision's layout): set {MIRROR_ENV}={inside}" if inside else
            f"check that {MIRROR_ENV}={mirror} holds the four original MNIST .gz files"
            if mirror else
            f"if this machine is offline, set {MIRROR_ENV} to a folder or URL holding the four "
            f"MNIST .gz files, or copy the uncompressed files into {raw}")
    raise DataError(f"could not fetch MNIST file {name} ({'; '.join(failures)}); it was not "
                    f"written; to fix: {hint}")


def _decompressed(data, path):
    """The gzip file's content, or None if it is not one (a warning says so)."""
    try:
        return gzip.decompress(data)
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        warnings.warn(f"{path} is corrupt or truncated ({err}); fetching it again", stacklevel=3)
        return None


def _join(source, filename):
    return source.rstrip("/") + "/" + filename


def _read(source, filename):
    if "://" not in source:
        return (expanded(source, DataError) / filename).read_bytes()
    request = urllib.request.Request(_join(source, filename), headers={"User-Agent": "mnist-mlp"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        return response.read()


def _write_atomically(path, data):
    """Write to a temporary name beside `path`, rename only when complete."""
    try:
        with replacing(path, through_links=False) as tmp:  # a link to another data set's
            tmp.write_bytes(data)  # file of the same name: that file is left as it is
    except OSError as err:  # of replacing's WriteError (a path, advice), the reason only
        reason = err.strerror or (os.strerror(err.errno) if err.errno else err)
        raise DataError(f"cannot write MNIST into {path.parent} ({reason}). Point {DATA_ENV} "
                        "(or MNIST(root=...)) at a writable folder.") from err

