"""Atomic file saves: the target is either the old file or the complete new one, never half written.

:func:`atomic_write` writes to a hidden temp file in the target's folder (same file system, so the final
``os.replace`` is atomic), fsyncs it, replaces the target and fsyncs the folder. On any exception the temp
file is removed and the target is untouched.

A process killed mid-save cannot clean up after itself, so the next save to the same target removes the
temp files that are *provably* stale. The folder may be shared (a network drive written from several
machines), where a process id means nothing to another machine, so a temp file's name carries the host
that writes it: ``.~report.xlsx.<host>.<pid>.<random>.xlseg-tmp``. A leftover is removed when

* it was written on this host by a process that no longer runs, or
* it has not been modified for :data:`STALE_AFTER` seconds (a save takes seconds; a day covers clocks
  that disagree between machines), whatever host wrote it.

A temp file of another machine, or of an older xlseg without a host in the name, is otherwise left alone:
its writer may still be saving.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

from xlseg.errors import XlsegError

_TAG = ".xlseg-tmp"
STALE_AFTER = 24 * 3600.0  # seconds without a change after which any host's temp file is stale


def temp_prefix(target: Path) -> str:
    """The name prefix of temp files for ``target``: ``.~report.xlsx.``."""
    return f".~{target.name}."


def host_tag(host: str | None = None) -> str:
    """This machine's name as it appears in temp file names: letters, digits and ``-`` only (no dots, which
    separate the name's fields), at most 40 characters."""
    name = host if host is not None else socket.gethostname()
    return re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")[:40] or "host"


def temp_name(target: Path, host: str | None = None, pid: int | None = None) -> str:
    """The file name of a new temp file for ``target``, written by ``pid`` on ``host`` (default: this process)."""
    pid = os.getpid() if pid is None else pid
    return f"{temp_prefix(target)}{host_tag(host)}.{pid}.{os.urandom(4).hex()}{_TAG}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def is_stale(path: Path, target: Path, *, now: float | None = None) -> bool:
    """True when ``path`` is a temp file of ``target`` that no writer can still be using (see module doc)."""
    prefix, name = temp_prefix(target), path.name
    if not (name.startswith(prefix) and name.endswith(_TAG)):
        return False
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except OSError:
        return False
    if age >= STALE_AFTER:
        return True
    fields = name[len(prefix):-len(_TAG)].split(".")
    if len(fields) == 3 and fields[1].isdigit() and fields[0] == host_tag():
        return not _pid_alive(int(fields[1]))
    return False


def remove_stale_temps(target: Path) -> list[Path]:
    """Remove the stale temp files of ``target`` (see :func:`is_stale`); return what was removed."""
    removed: list[Path] = []
    folder = target.parent
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        if is_stale(path, target):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when ``a`` and ``b`` name the same file (existing files compared by inode, others by path)."""
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def check_output_path(output: str | os.PathLike[str], *inputs: str | os.PathLike[str] | None) -> Path:
    """Validate an output path: its folder exists, it is not a folder, and it is none of ``inputs``."""
    path = Path(output)
    for source in inputs:
        if source is not None and same_file(path, source):
            raise XlsegError(f"the output '{path}' is the input file; write the report to a new file")
    if path.is_dir():
        raise XlsegError(f"the output '{path}' is a folder; give a file name such as report.xlsx")
    if not path.parent.exists():
        raise XlsegError(f"the folder '{path.parent}' does not exist; create it or choose another output path")
    return path


def atomic_write(target: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(temp_path)`` and move the result to ``target`` atomically.

    ``write`` must create the file at the path it is given. On any exception (or KeyboardInterrupt) the
    temp file is removed, ``target`` is left as it was, and the exception propagates.
    """
    path = Path(target)
    remove_stale_temps(path)
    temp = path.with_name(temp_name(path))
    try:
        write(temp)
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
        if path.exists():
            with contextlib.suppress(OSError):
                os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_folder(path.parent)
    return path


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
