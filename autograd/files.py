"""Writing a file atomically, and cleaning up after writers that were killed.

:func:`write_atomically` writes the bytes to a temporary file next to the
target, flushes it to disk, then renames it over the target (``os.replace``),
so a reader sees the old file or the new one, never half of one:

* the temporary file is created the way ``open(path, "w")`` creates a file,
  so the umask decides its permissions; a file that already exists keeps its
  own permissions;
* a symbolic link is written through: the link stays a link and the file it
  points to gets the new content (as ``open`` would do);
* a target that exists but is not a regular file (a folder, a FIFO, a device)
  is refused: renaming over ``/dev/null`` would replace the device.

A writer that is killed (``kill -9``, a power cut) cannot remove its temporary
file. Each writer therefore holds an exclusive lock (``flock``) on its
temporary file while it works; the kernel drops the lock when the process
dies. Before writing, :func:`remove_stale_temporaries` deletes the temporary
files of the same target whose lock it can take, i.e. whose writer is gone. A
save in progress in another process keeps its lock and its file.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import time
from pathlib import Path

from autograd.errors import InvalidArgumentError

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted there anyway
    fcntl = None  # type: ignore[assignment]

_TOKEN_BYTES = 6
FRESH_SECONDS = 10.0
"""An empty temporary file younger than this may belong to a writer that has
created it but not locked it yet; it is left alone."""
UNLOCKABLE_AGE_SECONDS = 24 * 3600.0
"""Without file locks (Windows), a temporary file counts as stale after a day."""


def temporary_name(target_name: str) -> str:
    """``.<name>.<12 hex digits>.tmp``: hidden, next to the target, unique."""
    return f".{target_name}.{secrets.token_hex(_TOKEN_BYTES)}.tmp"


def _temporary_pattern(target_name: str) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(target_name)}\.[0-9a-f]{{{2 * _TOKEN_BYTES}}}\.tmp\Z")


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to ``path`` must replace: symbolic links followed.

    Raises :class:`InvalidArgumentError` when it exists and is not a regular file.
    """
    target = Path(os.path.realpath(os.fspath(path)))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        return target
    if not stat.S_ISREG(mode):
        raise InvalidArgumentError(
            f"cannot write to {os.fspath(path)!r}: it is {describe_kind(mode)}, not a regular file"
        )
    return target


def describe_kind(mode: int) -> str:
    """What kind of file ``mode`` (an ``st_mode``) is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a regular file" if stat.S_ISREG(mode) else "a special file"


def _lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False if someone holds it."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def remove_stale_temporaries(target: Path) -> list[Path]:
    """Delete the temporary files that killed writers left next to ``target``.

    Only files named like this module's temporary files for ``target`` are
    considered, and only those no live writer holds. Returns what was removed.
    """
    pattern = _temporary_pattern(target.name)
    removed: list[Path] = []
    try:
        entries = [entry for entry in os.scandir(target.parent) if pattern.match(entry.name)]
    except OSError:
        return removed
    for entry in entries:
        if _is_stale(entry.path):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


def _is_stale(path: str) -> bool:
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return False
        age = time.time() - info.st_mtime
        if fcntl is None:
            return age > UNLOCKABLE_AGE_SECONDS
        if info.st_size == 0 and age < FRESH_SECONDS:
            return False  # created a moment ago, perhaps not locked yet
        return _lock(fd)
    finally:
        os.close(fd)  # also releases the lock we may have taken


def write_atomically(path: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> Path:
    """Replace the file at ``path`` with ``data`` in one step; returns the file written.

    ``durable``: also flush the data and the rename to disk (``fsync``), so
    that even a power cut leaves the old file or the new one.
    """
    target = resolve_target(path)
    remove_stale_temporaries(target)
    try:
        keep_mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        keep_mode = None
    temporary = target.with_name(temporary_name(target.name))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, 0o666)  # the umask applies, as for open(path, "w")
    try:
        _lock(fd)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if keep_mode is not None:
            os.chmod(temporary, keep_mode)
        if durable:
            os.fsync(fd)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    finally:
        os.close(fd)
    if durable:
        _sync_folder(target.parent)
    return target


def _sync_folder(folder: Path) -> None:
    """Flush a rename in ``folder`` to disk (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["remove_stale_temporaries", "resolve_target", "temporary_name", "write_atomically"]
