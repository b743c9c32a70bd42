"""Atomic file writes: every exporter writes to a temporary name in the target folder and renames it
into place only when the write finished, so a crash or an error never leaves half a file behind
(the web layer serves whatever file exists; a truncated download would be worse than none)."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to `path` (same suffix, hidden name); on a clean exit it replaces
    `path` (os.replace is atomic within one file system), on an exception it is deleted."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=f".part{path.suffix}")
    os.close(fd)
    tmp = Path(tmp)
    os.chmod(tmp, 0o644)  # mkstemp makes 0600; exports are meant to be read (served, downloaded)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
