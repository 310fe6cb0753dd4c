"""A forked helper process for ``mech check``: it does part of the work while this process does the rest.

A CI check is timed as a whole process, and CI machines have two cores or more. Once the files to read are known,
``Helper.start`` forks a child that reads, parses and validates the last part of them while this process does the
first part (``take`` returns its result for each file, in order); then ``submit`` hands it one more job (analysing
the API definitions) that it does while this process builds the snapshot, and ``collect`` returns that result.

Results come back as ``marshal`` blobs (written about ten times faster than a pickle of the same dicts, lists and
strings, and read as fast), in an anonymous in-memory file so that neither process ever waits for the other to
read; the pipes carry only each blob's place. Nothing here decides anything: a job the child could not do (it
raised, its result does not marshal, the child died or was never started) comes back as ``None`` and the caller
does it itself, so the output never depends on whether, or how far, the child got.

Fork only, and only from a process with no other thread (``can_fork``): the child inherits the loaded modules and
the caller's data without anything being sent over, and leaves with ``os._exit`` (no ``atexit`` hook, no flush of
this process's buffers).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

_RECORD = 16  # a blob's offset and length in the in-memory file, 8 bytes each, little-endian


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the platform has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Forking is possible: a POSIX fork, two CPUs or more, and no other thread that could be holding a lock the
    child would need."""
    if not hasattr(os, "fork") or usable_cpus() < 2:
        return False
    threading = sys.modules.get("threading")
    return threading is None or threading.active_count() == 1


def cpu_to_spare() -> bool:
    """Whether another process would get a CPU of its own now, as ``make --load-average`` judges it: not when
    both the 1-minute load average and the tasks running at this moment (this one included) already fill every
    CPU. The helper costs about a tenth more CPU time in all (sending results back), which pays only when it runs
    beside this process; on a machine already busy with other work it would only slow the check down."""
    cpus = usable_cpus()
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:  # "0.52 0.58 0.59 2/345 6789": running/total
            fields = handle.read().split()
        average, running = float(fields[0]), int(fields[3].partition("/")[0])
    except (OSError, ValueError, IndexError):
        try:
            average, running = os.getloadavg()[0], cpus
        except (AttributeError, OSError):
            return True
    return not (average >= cpus - 0.5 and running >= cpus)


class Helper:
    """At most one forked child, used in two rounds: ``start`` (jobs, in order, each taken once with ``take``),
    then optionally ``submit``/``collect`` (the ``finish`` function given here, on one payload). ``close`` (or the
    ``with`` block) always reaps it."""

    def __init__(self, finish: Callable[[Any], Any] | None = None) -> None:
        self._finish = finish
        self._pid: int | None = None
        self._count = self._taken = 0
        self._alive = False
        self._submitted = False
        self._fds: list[int] = []

    @property
    def started(self) -> bool:
        return self._pid is not None

    def start(self, jobs: Sequence[Any], work: Callable[[Any], Any]) -> bool:
        """Fork the child to run ``work(job)`` for each job; False (and nothing started) when it cannot."""
        if self._pid is not None or not jobs or not can_fork():
            return False
        fds: list[int] = []
        try:
            results, requests = _anonymous_file(), _anonymous_file()
            fds += [results, requests]
            results_read, results_write = os.pipe()
            fds += [results_read, results_write]
            requests_read, requests_write = os.pipe()
            fds += [requests_read, requests_write]
            pid = os.fork()
        except OSError:
            for fd in fds:
                os.close(fd)
            return False
        if pid == 0:  # the child: never returns into the caller's code
            status = 1
            try:
                os.close(results_read)
                os.close(requests_write)
                _serve(jobs, work, results, results_write)
                if self._finish is not None:
                    _serve_finish(self._finish, requests, requests_read, results, results_write, _offset(results))
                status = 0
            finally:
                os._exit(status)
        os.close(results_write)
        os.close(requests_read)
        self._pid, self._count, self._alive = pid, len(jobs), True
        self._results, self._requests = results, requests
        self._results_pipe, self._requests_pipe = results_read, requests_write
        self._fds = [results, requests, results_read, requests_write]
        return True

    def take(self, position: int) -> Any:
        """The result of job ``position`` (taken in increasing order, each once), or None."""
        if position != self._taken or position >= self._count:
            raise ValueError(f"results are taken in order: expected {self._taken}, not {position}")
        self._taken += 1
        return self._receive()

    def submit(self, payload: Any) -> bool:
        """Hand the child ``finish(payload)`` once every job was taken; False when it cannot take it."""
        if not self._alive or self._finish is None or self._submitted or self._taken != self._count:
            return False
        try:
            blob = marshal.dumps(payload)
        except ValueError:
            return False
        _write_all(self._requests, blob)
        os.write(self._requests_pipe, _record(0, len(blob)))
        self._submitted = True
        return True

    def collect(self) -> Any:
        """``finish(payload)`` as the child computed it (waiting for it), or None."""
        if not self._submitted:
            return None
        self._submitted = False
        return self._receive()

    def close(self) -> None:
        """Stop the child if it is still working, reap it, and free its pipes and in-memory files."""
        if self._pid is None:
            return
        pid, self._pid, self._alive = self._pid, None, False
        for fd in self._fds:
            os.close(fd)
        self._fds = []
        with contextlib.suppress(OSError):
            os.kill(pid, 9)  # whatever it was doing is no longer wanted; a child that already left is unaffected
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _receive(self) -> Any:
        if not self._alive:
            return None
        record = _read_exactly(self._results_pipe, _RECORD)
        if record is None:  # the child died: the caller does the rest
            self._alive = False
            return None
        offset, length = int.from_bytes(record[:8], "little"), int.from_bytes(record[8:], "little")
        if length == 0:
            return None
        return _load_at(self._results, offset, length)


# -- the child -------------------------------------------------------------------------------------------------


def _serve(jobs: Sequence[Any], work: Callable[[Any], Any], store: int, pipe: int) -> None:
    offset = 0
    for job in jobs:
        blob = _run(work, job)
        if blob:
            _write_all(store, blob)
        os.write(pipe, _record(offset, len(blob)))
        offset += len(blob)


def _serve_finish(
    finish: Callable[[Any], Any], requests: int, requests_pipe: int, store: int, pipe: int, offset: int
) -> None:
    record = _read_exactly(requests_pipe, _RECORD)
    if record is None:  # nothing more to do
        return
    blob = _read_at(requests, int.from_bytes(record[:8], "little"), int.from_bytes(record[8:], "little"))
    result = _run(finish, marshal.loads(blob)) if blob is not None else b""
    if result:
        _write_all(store, result)
    os.write(pipe, _record(offset, len(result)))


def _run(function: Callable[[Any], Any], argument: Any) -> bytes:
    try:
        return marshal.dumps(function(argument))
    except Exception:  # noqa: BLE001 - the parent does this job itself and reports whatever is wrong
        return b""


# -- plumbing --------------------------------------------------------------------------------------------------


def _record(offset: int, length: int) -> bytes:
    return offset.to_bytes(8, "little") + length.to_bytes(8, "little")


def _offset(fd: int) -> int:
    return os.lseek(fd, 0, os.SEEK_CUR)


def _anonymous_file() -> int:
    memfd_create = getattr(os, "memfd_create", None)
    if memfd_create is not None:
        try:
            return memfd_create("mech-check", getattr(os, "MFD_CLOEXEC", 0))
        except OSError:
            pass
    import tempfile

    with tempfile.TemporaryFile() as handle:  # already unlinked; the duplicate keeps it open
        return os.dup(handle.fileno())


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, length: int) -> bytes | None:
    data = b""
    while len(data) < length:
        more = os.read(fd, length - len(data))
        if not more:
            return None
        data += more
    return data


def _load_at(fd: int, offset: int, length: int) -> Any:
    """Unmarshal a blob straight from the in-memory file's pages (mapped, not copied), or None if it is short."""
    import mmap

    start = offset - offset % mmap.ALLOCATIONGRANULARITY
    try:
        mapped = mmap.mmap(fd, offset + length - start, offset=start, access=mmap.ACCESS_READ)
    except (OSError, ValueError):  # shorter than the record says (cannot happen unless the file was cut)
        blob = _read_at(fd, offset, length)
        return None if blob is None else marshal.loads(blob)
    with mapped, memoryview(mapped) as view:
        return marshal.loads(view[offset - start :])


def _read_at(fd: int, offset: int, length: int) -> bytes | None:
    parts, got = [], 0
    while got < length:
        more = os.pread(fd, length - got, offset + got)
        if not more:
            return None
        parts.append(more)
        got += len(more)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def exit_now(code: int) -> None:
    """End the process with ``code`` without the interpreter's teardown (an offline command's last step: freeing
    what it built costs more than the command), once stdout and stderr are flushed; return (and let the interpreter
    end as it always has) when they cannot be."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)
