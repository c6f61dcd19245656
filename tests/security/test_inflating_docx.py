"""#13 point 4: an upload inflating to 60 MB neither freezes the site nor bloats the web process.

The attack as found on the main of 2026-12-03: a .docx of a few tens of kilobytes whose
word/document.xml inflates to 60 MB was inflated and parsed by lxml inside the web process (the
limit was 64 MB): the site froze for seconds and the process kept 1.2 GB.  Now the zip's central
directory is checked before anything is inflated, the part is counted while it is inflated (the
directory may lie), and the parse runs in a child process capped at 512 MB.

The site here is a real server: uvicorn in a subprocess, whose resident memory is read from
/proc/<pid>/status before and after.
"""

from __future__ import annotations

import functools
import io
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from workflow.importers import ImportFailure, import_bytes
from workflow.importers.sandbox import parse_isolated

CORPUS = Path(__file__).parents[2].parent / "shared" / "corpus"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PARAGRAPH = b"<w:p><w:r><w:t>0</w:t></w:r></w:p>"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _docx(xml: bytes) -> bytes:
    """A real report's .docx with its document.xml replaced."""
    source = zipfile.ZipFile(CORPUS / "pingtan_2021.docx")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            body = xml if info.filename == "word/document.xml" else source.read(info)
            zf.writestr(info.filename, body, compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return out.getvalue()


@functools.cache
def inflating_docx(size: int = 60 * 1024 * 1024) -> bytes:
    head = f'<w:document xmlns:w="{W}"><w:body>'.encode()
    tail = b"</w:body></w:document>"
    return _docx(head + PARAGRAPH * ((size - len(head) - len(tail)) // len(PARAGRAPH)) + tail)


@functools.cache
def lying_docx(size: int = 60 * 1024 * 1024, claimed: int = 1_000_000) -> bytes:
    """The same, with the central directory and local header claiming `claimed` bytes inflated:
    under every limit the directory is checked against."""
    data = bytearray(inflating_docx(size))
    name = b"word/document.xml"
    local = 0
    while True:
        local = data.find(b"PK\x03\x04", local)
        (name_len,) = struct.unpack_from("<H", data, local + 26)
        if data[local + 30 : local + 30 + name_len] == name:
            struct.pack_into("<L", data, local + 22, claimed)
            break
        local += 4
    central = 0
    while True:
        central = data.find(b"PK\x01\x02", central)
        (name_len,) = struct.unpack_from("<H", data, central + 28)
        if data[central + 46 : central + 46 + name_len] == name:
            struct.pack_into("<L", data, central + 24, claimed)
            break
        central += 4
    return bytes(data)


# ---------------------------------------------------------------- the importers alone


def test_the_central_directory_is_refused_before_inflating():
    bomb = inflating_docx()
    assert len(bomb) < 1024 * 1024  # a small upload
    with pytest.raises(ImportFailure, match="文件解压后过大（超过 16 MB）"):
        import_bytes(bomb, "bomb.docx")


def test_a_lying_central_directory_is_caught_while_inflating():
    liar = lying_docx()
    info = zipfile.ZipFile(io.BytesIO(liar)).getinfo("word/document.xml")
    assert info.file_size == 1_000_000  # the lie passes every directory check
    with pytest.raises(ImportFailure, match="损坏|过大"):
        import_bytes(liar, "liar.docx")


def test_the_child_is_capped_and_its_refusal_is_plain_chinese():
    # 15 MB of XML passes every zip check (ratio about 10), but its tree cannot fit in a 64 MB address
    # space: the child's MemoryError, libxml2's failed allocation or the child's death is a refusal in
    # words, and the parent and the forkserver go on.
    rows = b"".join(b"<w:p><w:r><w:t>%d</w:t></w:r></w:p>" % i for i in range(380_000))
    xml = f'<w:document xmlns:w="{W}"><w:body>'.encode() + rows + b"</w:body></w:document>"
    assert 14 * 1024 * 1024 < len(xml) < 16 * 1024 * 1024
    heavy = _docx(xml)
    with pytest.raises(ImportFailure, match="内存限制|已损坏|过大"):
        parse_isolated(heavy, "heavy.docx", memory_limit=64 * 1024 * 1024)
    ok = parse_isolated((CORPUS / "lushaer_2024.txt").read_bytes(), "lushaer_2024.txt", year=2024)
    assert ok.report.header.year == 2024


def test_workflow_validate_applies_the_same_zip_checks(tmp_path, capsys):
    from workflow.cli import main

    for make in (inflating_docx, lying_docx):
        path = tmp_path / f"{make.__name__}.docx"
        path.write_bytes(make())
        assert main(["validate", str(path)]) == 2  # "cannot be read as a report"
        assert re.search("文件解压后过大|已损坏", capsys.readouterr().err)


def test_a_parse_past_its_time_is_killed():
    with pytest.raises(ImportFailure, match="超时"):
        parse_isolated(inflating_docx(15 * 1024 * 1024), "slow.docx", timeout=0.001)


# ---------------------------------------------------------------- the site, served by a real process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


@pytest.fixture
def server(world, tmp_path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = os.environ | {
        "WORKFLOW_DATA_DIR": str(tmp_path),
        "WORKFLOW_SECRET_KEY": "test-secret",
        "WORKFLOW_ENV": "test",
    }
    code = (
        "import uvicorn; from workflow.web.app import create_app; "
        f"uvicorn.run(create_app(), host='127.0.0.1', port={port}, log_level='warning')"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/login", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.2)
    try:
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _sign_in(url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
    token = CSRF.search(client.get("/login").text).group(1)
    r = client.post("/login", data={"username": "lushaer", "password": "demo1234", "csrf_token": token})
    assert r.status_code == 303, r.text[:300]
    return client, client.get("/api/me").json()["csrf_token"]


def _upload(
    client: httpx.Client, csrf: str, report_id: int, name: str, data: bytes, revision: int = 1
) -> httpx.Response:
    return client.post(
        f"/reports/{report_id}/upload",
        files={
            "file": (name, data, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
        },
        data={"revision": str(revision), "csrf_token": csrf},
        headers={"X-CSRF-Token": csrf},
    )


@pytest.mark.slow
def test_the_site_answers_and_keeps_its_memory_while_bombs_are_refused(server, world):
    """One server for both bombs (it takes seconds to start on a busy machine)."""
    url, proc = server
    client, csrf = _sign_in(url)
    # Warm up: the form and one ordinary upload (the parser's forkserver starts on the first one).
    form = client.get(f"/reports/{world.report_id}/edit")
    assert form.status_code == 200
    revision = int(re.search(r'name="revision" value="(\d+)"', form.text).group(1))
    fine = _upload(
        client,
        csrf,
        world.report_id,
        "lushaer_2024.txt",
        (CORPUS / "lushaer_2024.txt").read_bytes(),
        revision,
    )
    assert fine.status_code == 303 and "/import?p=" in fine.headers["location"]  # the preview: no change yet
    for make in (inflating_docx, lying_docx):
        bomb = make()
        rss_before = _rss_mb(proc.pid)
        answer: dict[str, httpx.Response] = {}

        def send(bomb: bytes = bomb, answer: dict[str, httpx.Response] = answer) -> None:
            answer["r"] = _upload(client, csrf, world.report_id, "report.docx", bomb, revision)

        worker = threading.Thread(target=send)
        other = httpx.Client(base_url=url, timeout=10)
        worker.start()
        waits = []
        while worker.is_alive() or not waits:
            started = time.perf_counter()
            assert other.get("/login").status_code == 200
            waits.append(time.perf_counter() - started)
        worker.join()
        other.close()

        r = answer["r"]
        assert r.status_code == 422, r.text[:300]
        assert re.search(r"文件解压后过大|已损坏", r.text), r.text[:500]
        assert max(waits) < 1.0, f"{make.__name__}: another request waited {max(waits):.2f} s"
        rss_after = _rss_mb(proc.pid)
        assert rss_after - rss_before < 100, f"{make.__name__}: web RSS {rss_before:.0f} → {rss_after:.0f} MB"
        print(
            f"\n{make.__name__}: web RSS {rss_before:.0f} → {rss_after:.0f} MB; "
            f"{len(waits)} other requests meanwhile, the slowest {max(waits) * 1000:.0f} ms"
        )
    client.close()
