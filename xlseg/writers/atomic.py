"""Atomic file saves: the target is either the old file or the complete new one, never half written.

:func:`atomic_write` writes to a hidden temp file in the target's folder (same file system, so the final
``os.replace`` is atomic), fsyncs it, replaces the target and fsyncs the folder. On any exception the temp
file is removed and the target is untouched. A process killed mid-save cannot clean up after itself, so
the next save to the same target removes temp files left by processes that are no longer running.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from xlseg.errors import XlsegError

_TAG = ".xlseg-tmp"


def temp_prefix(target: Path) -> str:
    """The name prefix of temp files for ``target``: ``.~report.xlsx.``."""
    return f".~{target.name}."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_stale_temps(target: Path) -> list[Path]:
    """Remove temp files of ``target`` whose writing process is gone; return what was removed."""
    removed = []
    prefix = temp_prefix(target)
    folder = target.parent
    if not folder.is_dir():
        return removed
    for path in folder.iterdir():
        name = path.name
        if not (name.startswith(prefix) and name.endswith(_TAG)):
            continue
        pid_text = name[len(prefix):-len(_TAG)].split(".")[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
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
    temp = path.with_name(f"{temp_prefix(path)}{os.getpid()}.{os.urandom(4).hex()}{_TAG}")
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
