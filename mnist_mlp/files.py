"""Files written whole or not at all."""
import contextlib
import errno
import json
import os
import shutil
from pathlib import Path

FULL = (errno.ENOSPC, errno.EDQUOT)  # a full disk, a quota (Colab, a university account)
# what torch.save's zip writer says when the disk fills under it
TORCH_WRITE_FAILED = ("inline_container", "PytorchStreamWriter", "iostream error",
                      "file write failed")


class WriteError(OSError):
    """A file could not be written for want of space; nothing half-written is left."""


def free_space(folder):
    """The free space on `folder`'s disk, as people read it ('44 KB', '1.2 GB')."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    size = shutil.disk_usage(folder).free
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.3g} {unit}"
        size /= 1000


@contextlib.contextmanager
def replacing(path):
    """Yield a temporary path beside `path`; write there. On success it replaces `path` in one
    rename; on any error (Ctrl-C included) it is removed and `path` is left as it was."""
    if isinstance(path, str) and path.endswith(("/", os.sep)):  # Path would drop the slash
        raise ValueError(f"{path} names a folder: name the file to write in it, e.g. "
                         f"{path}modelo.pt")
    path = Path(path).expanduser()  # "~/x.pt" from Python: the home folder, not a "./~"
    if path.is_dir():  # os.replace would fail after the whole write
        raise ValueError(f"{path} is a folder: name the file to write in it, e.g. "
                         f"{path / 'modelo.pt'}")
    for parent in path.parents:  # a file where a folder goes: mkdir's "File exists"
        if parent.exists():
            if not parent.is_dir():  # an OSError, as mkdir's, for callers that catch those
                raise NotADirectoryError(f"{parent} is a file, not a folder: {path} cannot "
                                         "be written in it; choose another name")
            break
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        yield tmp
        os.replace(tmp, path)
    except (OSError, RuntimeError) as err:
        full = (err.errno in FULL if isinstance(err, OSError)
                else any(text in str(err) for text in TORCH_WRITE_FAILED))
        if not full:
            raise
        error = WriteError(f"cannot write {path}: no space left on its disk "
                           f"({free_space(path.parent)} free)")
        error.errno = errno.ENOSPC
        raise error from None
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path, value):
    """Write `value` as strict JSON (NaN and infinity refused, as strict parsers refuse them)."""
    text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
