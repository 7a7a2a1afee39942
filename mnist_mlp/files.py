"""Files written whole or not at all."""
import contextlib
import json
import os
from pathlib import Path


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
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path, value):
    """Write `value` as strict JSON (NaN and infinity refused, as strict parsers refuse them)."""
    text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)
