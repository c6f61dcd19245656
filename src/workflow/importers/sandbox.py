"""Parse an uploaded file in a child process with a memory cap and a time limit.

An upload is whatever a stranger sends: a .docx whose XML inflates to tens of megabytes makes lxml
build a tree of a gigabyte or more, and a web process that did that keeps the memory (CPython
and glibc rarely give it back) while every request behind it waits.  Here the parse runs in a
child process: its address space is capped (RLIMIT_AS), it is killed after a wall-clock timeout,
and whatever it allocated is returned to the system when it exits.  The web process only sends
the bytes and receives the report as plain data (`Report.to_dict`), read back through the same
number reader as any stored draft.

Children come from a multiprocessing *forkserver*: a clean process (started once, on the first
upload, by exec — not forked from the web process with its threads and database connections)
that has imported the importers already, so each upload pays a fork, not a Python start-up.
Uploads are rare; at most `MAX_PARALLEL` parse at once, so a burst cannot multiply the cap.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import resource
import threading
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from typing import Any, Final

from workflow.domain.model import Report

from . import import_bytes
from .types import ImportFailure, ImportNote, ImportResult

MEMORY_LIMIT: Final = 512 * 1024 * 1024  # the child's address space, bytes
TIMEOUT: Final = 30.0  # seconds a parse may take
MAX_PARALLEL: Final = 2

_TOO_BIG: Final = (
    "文件过大或结构过于复杂，读取时超出了内存限制。请检查文件是否损坏，或另存为普通 .docx 后重新上传。"
)
_TOO_SLOW: Final = "文件读取超时（超过 {} 秒），请检查文件是否损坏，或另存为普通 .docx 后重新上传。"
_BUSY: Final = "服务器正在读取其他上传的文件，请稍后重新上传。"

_PRELOAD: Final = ("assemble", "docx", "html", "text", "pdf", "xlsx")

_lock = threading.Lock()
_context: ForkServerContext | None = None
_slots = threading.BoundedSemaphore(MAX_PARALLEL)


def _forkserver() -> ForkServerContext:
    global _context
    with _lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            # The importers (lxml, pdfplumber, …) loaded once, in the server; a missing one is skipped.
            ctx.set_forkserver_preload([__name__, *(f"{__package__}.{m}" for m in _PRELOAD)])
            _context = ctx
        return _context


def parse_isolated(
    data: bytes,
    filename: str,
    *,
    timeout: float = TIMEOUT,
    memory_limit: int = MEMORY_LIMIT,
    **kw: Any,
) -> ImportResult:
    """`import_bytes(data, filename, **kw)` in a capped child process; ImportFailure on any refusal."""
    if not _slots.acquire(timeout=timeout):
        raise ImportFailure(_BUSY)
    try:
        return _run(data, filename, timeout, memory_limit, kw)
    finally:
        _slots.release()


def _run(data: bytes, filename: str, timeout: float, memory_limit: int, kw: dict[str, Any]) -> ImportResult:
    ctx = _forkserver()
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(send, data, filename, kw, memory_limit), daemon=True)
    try:
        child.start()
    finally:
        send.close()  # ours: the child holds the only writer, so its death reads as EOF
    try:
        if not receive.poll(timeout):
            raise ImportFailure(_TOO_SLOW.format(int(timeout)))
        try:
            message = receive.recv()
        except (EOFError, OSError):
            raise ImportFailure(_TOO_BIG) from None  # killed (the cap) or crashed without a word
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join(5)
    kind, *rest = message
    if kind == "fail":
        raise ImportFailure(str(rest[0]))
    content, notes = rest
    return ImportResult(Report.from_dict(content), [ImportNote(str(w), str(m)) for w, m in notes])


def _child(send: Connection, data: bytes, filename: str, kw: dict[str, Any], memory_limit: int) -> None:
    """In the child: cap the address space, parse, send plain data back."""
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit already set is fine
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    try:
        result = import_bytes(data, filename, **kw)
        message: tuple[Any, ...] = (
            "ok",
            result.report.to_dict(),
            [(n.where, n.message) for n in result.notes],
        )
    except ImportFailure as exc:
        message = ("fail", str(exc))
    except MemoryError:
        message = ("fail", _TOO_BIG)
    try:
        send.send(message)
    except MemoryError:
        send.send(("fail", _TOO_BIG))
    finally:
        send.close()
