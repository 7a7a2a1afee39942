"""Files written whole or not at all."""
import contextlib
import errno
import json
import math
import os
import shutil
import zipfile
from pathlib import Path

NAME_MAX = 255  # bytes in a file's or a folder's name: Linux's, macOS's and Windows' limit
FULL = (errno.ENOSPC, errno.EDQUOT)  # a full disk, a quota (Colab, a university account)
# a folder one may not write in (chmod, chattr +i, a shared Drive folder), a read-only disk, a
# place where no file can be made (/proc)
UNWRITABLE = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT)
# what torch.save's zip writer says when the disk fills under it
TORCH_WRITE_FAILED = ("inline_container", "PytorchStreamWriter", "iostream error",
                      "file write failed")


class WriteError(OSError):
    """A file could not be written, for want of space, of a folder one may write in, of a file
    one may replace, or of a name short enough; nothing half-written is left."""

    @classmethod
    def of(cls, number, message):
        """The error with errno `number` (what callers test), its text `message` alone (not
        OSError's "[Errno 28] ...")."""
        error = cls(message)
        error.errno = number
        return error


def _existing(folder):
    """`folder`, or the nearest of its parents that exists."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def free_space(folder):
    """The free space on `folder`'s disk, as people read it ('44 KB', '1.2 GB')."""
    size = shutil.disk_usage(_existing(folder)).free
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1000


def expanded(path, error=ValueError):
    """`path` as a Path, "~" as the home folder; `error` in one line for "~name" of a user
    unknown here (pathlib's "Could not determine home directory"): ~/name, mistyped?"""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        user, _, rest = str(path)[1:].partition("/")
        raise error(f"{path}: ~{user} would be the home folder of a user {user!r}, unknown "
                    f"here; did you mean ~/{user}{'/' + rest if rest else ''}?") from None


def file_to_write(path):
    """`path` (a str or a Path) as a Path, "~" as the home folder; a ValueError if it is no
    path or names a folder by its final slash (which Path would drop: a file of the folder's
    name would be written)."""
    if not isinstance(path, (str, os.PathLike)):
        raise ValueError(f"the path to write must be a str or a Path, got "
                         f"{type(path).__name__}")
    if isinstance(path, str) and path.endswith(("/", os.sep)):
        raise ValueError(f"{path} names a folder: name the file to write in it, e.g. "
                         f"{path}modelo.pt")
    return expanded(path)  # "~/x.pt" from Python: the home folder, not a "./~"


@contextlib.contextmanager
def replacing(path, through_links=True):
    """Yield a temporary path beside `path`; write there. On success it replaces `path` in one
    rename; on any error (Ctrl-C included) it is removed and `path` is left as it was. A link
    is written through, as an editor writes it (the file it points to is replaced), unless
    `through_links` is False: then the link itself is (a data file the package found bad,
    where the file linked to may be another data set's)."""
    path = file_to_write(path)
    limit = name_limit(path)  # before is_dir, which raises "File name too long" itself
    if through_links and path.is_symlink():  # else the rename puts a file in the link's place
        path = Path(os.path.realpath(path))
        limit = name_limit(path)
    if path.is_dir():  # os.replace would fail after the whole write
        raise ValueError(f"{path} is a folder: name the file to write in it, e.g. "
                         f"{path / 'modelo.pt'}")
    if what := irregular(path):  # a device, a FIFO: os.replace would replace it
        raise ValueError(f"{path} is {what}: name the file to write (nothing was written)")
    for parent in path.parents:  # a file where a folder goes: mkdir's "File exists"
        if parent.exists():
            if not parent.is_dir():  # an OSError, as mkdir's, for callers that catch those
                raise NotADirectoryError(f"{parent} is a file, not a folder: {path} cannot "
                                         "be written in it; choose another name")
            break
    tmp = path.with_name(_temporary_name(path, limit))
    try:
        _create(tmp, path)
        yield tmp
        try:
            os.replace(tmp, path)
        except PermissionError as err:  # chattr +i; on Windows, a file open in another program
            raise WriteError.of(err.errno, f"cannot write {path} ({err.strerror or err}); the "
                                "file there cannot be replaced (read-only, or open in another "
                                "program): move it away or close that program, then try "
                                "again") from None
    except (OSError, RuntimeError) as err:
        full = (err.errno in FULL if isinstance(err, OSError)
                else any(text in str(err) for text in TORCH_WRITE_FAILED))
        if not full:
            raise
        raise WriteError.of(errno.ENOSPC, f"cannot write {path}: no space left on its disk "
                            f"({free_space(path.parent)} free)") from None
    finally:
        tmp.unlink(missing_ok=True)


def irregular(path):
    """What stands at `path` where a regular file goes ('a folder', 'not a regular file (a
    FIFO)'), or None where there is a regular file (or a link to one) or nothing."""
    path = Path(path)
    if not path.exists() or path.is_file():
        return None
    if path.is_dir():
        return "a folder"
    kind = ("a FIFO" if path.is_fifo() else "a socket" if path.is_socket() else
            "a device" if path.is_char_device() or path.is_block_device() else None)
    return f"not a regular file ({kind})" if kind else "not a regular file"


def damage(path):
    """What is damaged in the zip file at `path` (torch.save's format) that torch.load does not
    check: a record whose bytes do not match their CRC-32, or a header that disagrees with the
    index torch reads ('its part archive/data/0 does not match its checksum'); None if nothing
    is, or if the file is no zip (torch.load says what it is)."""
    try:
        if not zipfile.is_zipfile(path):  # which raises itself for some damaged ends
            return None
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.external_attr & 0x10:  # MS-DOS's folder bit: torch reads no bytes
                    return f"its part {info.filename} is marked as a folder"
                if info.CRC == 0 and info.file_size:  # saved without checksums (torch's option)
                    continue
                try:
                    with archive.open(info) as record:  # checks the CRC once read to its end
                        while record.read(1 << 20):
                            pass
                except zipfile.BadZipFile as err:
                    if "CRC" in str(err):
                        return f"its part {info.filename} does not match its checksum"
                    raise
    except Exception as err:  # zipfile raises several kinds for a damaged header or index
        return f"its zip structure is damaged: {type(err).__name__}"
    return None


def name_limit(path):
    """The longest file name `path`'s file system takes (in bytes); a WriteError naming `path`
    if its own name, or a folder's on the way, is longer (where os.stat's "File name too long"
    would name no user's file)."""
    path = Path(path)
    for folder in path.parent.parts:  # first: a name too long makes exists() itself raise
        _refuse_long(path, folder, "a folder's name", NAME_MAX)
    try:
        limit = os.pathconf(_existing(path.parent), "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # Windows has no pathconf
        limit = NAME_MAX
    _refuse_long(path, path.name, "the file name", limit)
    return limit


def _refuse_long(path, name, what, limit):
    if (size := len(os.fsencode(name))) > limit:
        unit = "characters" if name.isascii() else "bytes in UTF-8"
        raise WriteError.of(errno.ENAMETOOLONG, f"{path}: {what} is too long ({size} {unit}; "
                            f"at most {limit}): choose a shorter one")


def _temporary_name(path, limit):
    """`.{name}.{pid}.part`, the name cut short where the whole would pass `limit`."""
    suffix = f".{os.getpid()}.part"
    stem = os.fsencode(path.name)[:limit - 1 - len(suffix)]
    return "." + stem.decode("utf-8", "ignore") + suffix


def _create(tmp, path):
    """Make the empty file `tmp` (and its folders) for `path`: a folder one may not write in is
    a WriteError here, where torch, failing to open the file, would say what it says when the
    disk fills (TORCH_WRITE_FAILED)."""
    try:
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.touch()
    except OSError as err:
        if err.errno not in UNWRITABLE:
            raise
        raise WriteError.of(err.errno, f"cannot write {path} ({err.strerror or err}); choose a "
                            "folder you can write to") from None


def write_json(path, value):
    """Write `value` as strict JSON (NaN and infinity refused, as strict parsers refuse them);
    NumPy's and torch's numbers and arrays, as values or keys, are written as the numbers and
    lists they hold."""
    try:  # plain values as json writes them; NumPy's and torch's through `default`
        text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False,
                          default=_plain_value) + "\n"
    except (TypeError, ValueError, RecursionError):  # a NumPy key, NaN, a set, a loop...
        text = _json_text(path, value)
    json.loads(text, object_pairs_hook=lambda pairs: _one_each(path, pairs))
    if not_json(path):
        raise WriteError.of(errno.EEXIST, f"{path} exists and is not a JSON file: name another "
                            "file, or delete it first")
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def not_json(path):
    """True if a file stands at `path` that is not a .json file of JSON (a student's notes, a
    notebook, an image), which write_json must not replace; False for one, nothing, a folder or
    an empty file."""
    try:
        with open(expanded(path), "rb") as file:
            text = file.read(10_000_001)
    except (OSError, TypeError, ValueError):  # nothing there, a folder, no path: replacing
        # says what applies
        return False
    if not text.strip():
        return False
    if not str(path).lower().endswith(".json"):  # a notebook, "42" in notes.txt: JSON too
        return True
    try:
        json.loads(text) if len(text) <= 10_000_000 else None
    except (ValueError, RecursionError):
        return True
    return len(text) > 10_000_000  # larger than any JSON the package writes


def _one_each(path, pairs):
    """ValueError where keys became one as JSON's text ({3: 5, "3": 10}: both "3"), which json
    writes twice and a reader reads as the last alone."""
    keys = [key for key, _ in pairs]
    if len(set(keys)) < len(keys):
        twice = next(key for key in keys if keys.count(key) > 1)
        raise ValueError(f"cannot write {path}: two keys of one dict are both {twice!r} as JSON "
                         "text (e.g. 3 and '3'): a reader would keep only the last")
    return None


def _plain_value(value):
    """json's fallback: a NumPy or torch number or array as the Python number or list it holds."""
    if _is_array(value):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _json_text(path, value):
    """`value` as JSON text with NumPy's and torch's keys as the numbers they hold, or one line
    naming what JSON cannot hold."""
    too_deep = (f"cannot write {path}: the value holds itself, or is nested too deep for "
                "JSON")
    try:
        plain = _plain(value)
    except RecursionError:  # a list that holds itself, or thousands deep
        raise ValueError(too_deep) from None
    except ValueError as err:  # keys that become one
        raise ValueError(f"cannot write {path}: {err}") from None
    try:
        return json.dumps(plain, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except RecursionError:
        raise ValueError(too_deep) from None
    except (TypeError, ValueError) as err:  # json's own line names neither the value nor a fix
        where, problem = _not_json(plain, "the value")
        if where is None:
            raise
        raise type(err)(f"cannot write {path}: {where} is {problem}") from None


def _plain(value):
    """`value` with NumPy's and torch's numbers and arrays (values and keys) as the Python
    numbers and lists they hold; tuples as lists. Keys that become one (tensor(3) twice: a
    tensor is a key by identity) are refused rather than merged."""
    if _is_array(value):
        return _plain_value(value)
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            new = _plain_key(key)
            if new in plain:
                raise ValueError(f"two keys are both {new!r} as numbers (NumPy or torch keys "
                                 "are kept apart by identity): count with key.item()")
            plain[new] = _plain(item)
        return plain
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


def _plain_key(key):
    """A NumPy or torch number as the Python number it holds; any other key as it is."""
    if _is_array(key):
        with contextlib.suppress(ValueError, RuntimeError):  # an array of several
            return key.item()
    return key


def _is_array(value):
    """A NumPy or torch number or array."""
    return type(value).__module__.split(".")[0] in ("numpy", "torch") and hasattr(value, "tolist")


def _not_json(value, where):
    """(where, what) of the first part of `value` (made `_plain`) JSON cannot hold, or (None,
    None)."""
    if isinstance(value, float) and not math.isfinite(value):
        return where, f"{value}: JSON has no NaN or infinity (write null, or fix what made it)"
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, float) and not math.isfinite(key):
                return where, f"a dict with the key {key}: JSON has no NaN or infinity"
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                return where, (f"a dict with a key of type {type(key).__name__}: JSON's keys are "
                               "text or numbers")
            found = _not_json(item, f"{where}[{key!r}]")
            if found[0] is not None:
                return found
    elif isinstance(value, list):
        for number, item in enumerate(value):
            found = _not_json(item, f"{where}[{number}]")
            if found[0] is not None:
                return found
    elif not isinstance(value, (str, int, float, bool)) and value is not None:
        return where, (f"a value of type {type(value).__name__}, not a JSON value (a dict, list, "
                       "text, number, True, False or None)")
    return None, None
