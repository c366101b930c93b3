"""`tables update`: golden output, determinism, all-or-nothing writes, HTTP failures."""

from __future__ import annotations

import base64
import dataclasses
import http.server
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opcompat.cli import main
from opcompat.errors import ScrapeError
from scrapers import jsonio
from scrapers.fetch import read_local
from scrapers.sources import LITERT_SOURCES, NNAPI_SOURCES, Source
from scrapers.update import Options, run

FIXTURES = Path(__file__).parent / "fixtures" / "scrapers"
SOURCES = FIXTURES / "sources"
GOLDEN = FIXTURES / "golden"


def fixture_options(out: Path, **kw: object) -> Options:
    base = Options(out_dir=out, source_dir=SOURCES, verify_blobs=False)
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


def snapshot(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


# ---- golden and determinism ---------------------------------------------------------------------


def test_output_on_fixtures_equals_golden(tmp_path: Path) -> None:
    run(fixture_options(tmp_path))
    produced = snapshot(tmp_path)
    golden = snapshot(GOLDEN)
    assert sorted(produced) == sorted(golden)
    for name in golden:
        assert produced[name] == golden[name], f"{name} differs from the golden file"


def test_same_input_gives_byte_identical_output(tmp_path: Path) -> None:
    run(fixture_options(tmp_path / "a"))
    run(fixture_options(tmp_path / "b"))
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")
    text = (tmp_path / "a" / "nnapi_13.json").read_text(encoding="utf-8")
    assert text.endswith("}\n") and not text.endswith("\n\n")
    assert '\n  "feature_level"' in text  # fixed 2-space indent, sorted keys


def test_tables_are_ordinary_files(tmp_path: Path) -> None:
    run(fixture_options(tmp_path))
    mode = (tmp_path / "nnapi_13.json").stat().st_mode & 0o777
    assert mode & 0o044  # readable by others, not mkstemp's 0600


# ---- all or nothing -----------------------------------------------------------------------------


@pytest.fixture()
def existing(tmp_path: Path) -> Path:
    """An output directory that already holds a complete set of tables."""
    out = tmp_path / "op_tables"
    run(fixture_options(out))
    (out / "nnapi_13.json").write_text('{"old": true}\n', encoding="utf-8")  # mark it
    return out


def test_missing_source_leaves_tables_untouched(existing: Path, tmp_path: Path) -> None:
    before = snapshot(existing)
    partial = tmp_path / "partial"
    for p in SOURCES.rglob("*"):
        if p.is_file() and "aosp/13" not in p.as_posix():
            target = partial / p.relative_to(SOURCES)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(p.read_bytes())
    with pytest.raises(
        ScrapeError, match=r"nnapi_13.*not found.*nothing written|nothing written.*nnapi_13"
    ):
        run(fixture_options(existing, source_dir=partial))
    assert snapshot(existing) == before


def test_unparsable_source_leaves_tables_untouched(existing: Path, tmp_path: Path) -> None:
    before = snapshot(existing)
    broken = tmp_path / "broken"
    for p in SOURCES.rglob("*"):
        if p.is_file():
            target = broken / p.relative_to(SOURCES)
            target.parent.mkdir(parents=True, exist_ok=True)
            data = p.read_bytes()
            if p.name == "NeuralNetworksTypes.h" and "/13/" in p.as_posix():
                data = data.replace(b"} OperationCode;", b"")  # cut the op enum open
            target.write_bytes(data)
    with pytest.raises(ScrapeError, match="nnapi_13"):
        run(fixture_options(existing, source_dir=broken))
    assert snapshot(existing) == before


def test_interrupt_while_writing_temporaries_leaves_old_files(
    existing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(existing)
    calls = {"n": 0}
    real_fsync = os.fsync

    def flaky_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        real_fsync(fd)

    monkeypatch.setattr(jsonio.os, "fsync", flaky_fsync)
    with pytest.raises(KeyboardInterrupt):
        run(fixture_options(existing))
    assert snapshot(existing) == before
    assert not [p for p in existing.iterdir() if p.name.startswith(".")]


def test_failed_rename_rolls_back_the_renamed_files(
    existing: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(existing)
    real_replace = os.replace
    calls = {"n": 0}

    def flaky_replace(src: str, dst: object) -> None:
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(jsonio.os, "replace", flaky_replace)
    with pytest.raises(ScrapeError, match="old tables kept"):
        run(fixture_options(existing))
    monkeypatch.setattr(jsonio.os, "replace", real_replace)
    assert snapshot(existing) == before
    assert not [p for p in existing.iterdir() if p.name.startswith(".")]


def test_pinned_blob_mismatch_is_reported(tmp_path: Path) -> None:
    pinned = NNAPI_SOURCES["13"]
    with pytest.raises(ScrapeError, match="truncated or changed"):
        read_local(pinned, SOURCES)


# ---- HTTP end to end against a local server -----------------------------------------------------


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Path]
    behaviour: dict[str, str]


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - silence the test log
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
        path, _, query = self.path.partition("?")
        mode = next((m for key, m in self.server.behaviour.items() if path.endswith(key)), "ok")
        gitiles = "/+/" in path and query == "format=TEXT"
        if gitiles:
            project, _, rest = path.partition("/+/")
            commit, _, file_path = rest.partition("/")
            local = next(
                (
                    SOURCES / s.local
                    for s in _fixture_sources()
                    if s.aosp_project
                    and f"/{s.aosp_project}" == project
                    and s.commit == commit
                    and s.path == file_path
                ),
                None,
            )
        else:
            local = self.server.routes.get(path)
        if local is None or mode == "404":
            self.send_error(404)
            return
        if mode == "slow":
            time.sleep(1.5)
        body = local.read_bytes()
        if gitiles:
            body = b"%%% not base64 %%%" if mode == "garbled" else base64.b64encode(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        if mode == "truncate":
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


def _fixture_sources() -> list[Source]:
    return [
        dataclasses.replace(s, git_blob=None)
        for s in [*LITERT_SOURCES.values(), *NNAPI_SOURCES.values()]
    ]


@pytest.fixture()
def server() -> Iterator[tuple[str, _Server]]:
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.routes = {}
    for s in _fixture_sources():
        local = SOURCES / s.local
        if local.is_file():
            srv.routes[f"/{s.repository}/{s.commit}/{s.path}"] = local
    srv.behaviour = {}
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}", srv
    finally:
        srv.shutdown()
        srv.server_close()


def http_options(out: Path, url: str) -> Options:
    return Options(out_dir=out, mirror=url, verify_blobs=False, timeout=0.5, retries=2)


def test_gitiles_base64_then_github_fallback(
    server: tuple[str, _Server], monkeypatch: pytest.MonkeyPatch
) -> None:
    from scrapers import sources
    from scrapers.fetch import HttpClient

    url, srv = server
    monkeypatch.setattr(sources, "GITILES", url)
    monkeypatch.setattr(sources, "GITHUB_RAW", url)
    source = dataclasses.replace(NNAPI_SOURCES["8.1"], git_blob=None)
    expected = (SOURCES / source.local).read_text(encoding="utf-8")
    client = HttpClient(timeout=2, retries=1)
    got = client.fetch(source)
    assert got.text == expected and got.origin.endswith("?format=TEXT")
    srv.behaviour = {"NeuralNetworks.h": "garbled"}
    got = client.fetch(source)  # gitiles body is not base64: the GitHub copy is used
    assert got.text == expected and not got.origin.endswith("?format=TEXT")


def test_http_scrape_matches_golden(server: tuple[str, _Server], tmp_path: Path) -> None:
    url, _srv = server
    run(http_options(tmp_path, url))
    assert snapshot(tmp_path) == snapshot(GOLDEN)


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("slow", "timed out"),
        ("404", "404"),
        ("truncate", "truncated"),
    ],
)
def test_http_failure_leaves_old_tables(
    server: tuple[str, _Server], existing: Path, mode: str, message: str
) -> None:
    url, srv = server
    srv.behaviour = {"NeuralNetworksTypes.h": mode}
    before = snapshot(existing)
    with pytest.raises(ScrapeError) as info:
        run(http_options(existing, url))
    text = str(info.value)
    assert message in text and "127.0.0.1" in text and "\n" not in text
    assert snapshot(existing) == before
    assert not [p for p in existing.iterdir() if p.name.startswith(".")]


def test_cli_update_reports_unreachable_host_in_one_line(
    server: tuple[str, _Server], existing: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, srv = server
    srv.behaviour = {"": "404"}
    before = snapshot(existing)
    code = main(
        [
            "tables",
            "update",
            "--ref",
            "pinned",
            "--mirror",
            url,
            "--out",
            str(existing),
            "--timeout",
            "0.5",
            "--retries",
            "1",
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert err.count("\n") == 1 and "127.0.0.1" in err
    assert snapshot(existing) == before


def test_cli_update_connection_refused_names_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    code = main(
        [
            "tables",
            "update",
            "--ref",
            "pinned",
            "--mirror",
            f"http://127.0.0.1:{port}",
            "--out",
            str(tmp_path / "t"),
            "--timeout",
            "0.5",
            "--retries",
            "1",
            "-q",
        ]
    )
    err = capsys.readouterr().err
    assert code == 3 and f"127.0.0.1:{port}" in err and "connection failed" in err
    assert not (tmp_path / "t").exists() or not any((tmp_path / "t").iterdir())


@pytest.mark.parametrize(
    "argv",
    [
        ["tables", "update"],
        ["tables", "update", "--ref", "x", "--source-dir", "."],
        ["tables", "update", "--source-dir", "/nonexistent/dir"],
        ["tables", "update", "--ref", "pinned", "--timeout", "0"],
        ["tables"],
    ],
)
def test_cli_update_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    assert code == 2


def test_cli_update_source_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The CLI checks pinned blobs: the fixture sources are not the pinned files, so it refuses
    # them and writes nothing, with one line naming what failed.
    code = main(
        ["tables", "update", "--source-dir", str(SOURCES), "--out", str(tmp_path / "o"), "-q"]
    )
    err = capsys.readouterr().err
    assert code == 3 and "not the pinned" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()


def test_scrape_modules_are_not_imported_by_show() -> None:
    import subprocess
    import sys

    code = (
        "import sys, io, contextlib\n"
        "from opcompat.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['tables', 'show', '--format', 'json']) == 0\n"
        "bad = [m for m in ('requests', 'bs4', 'scrapers', 'jsonschema') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


@pytest.mark.parametrize(
    ("argv", "missing"),
    [
        (["--ref", "pinned"], "requests"),
        (["--source-dir", str(SOURCES), "--ndk-html", __file__], "bs4"),
    ],
)
def test_cli_update_without_the_scrape_extra_names_it(
    argv: list[str],
    missing: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == missing else real(name, *a)
    )
    code = main(["tables", "update", *argv, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert f"needs {missing}" in err and 'pip install "opcompat[scrape]"' in err
    assert not (tmp_path / "o").exists()


def test_an_unreachable_host_is_not_tried_again_in_the_same_run() -> None:
    import socket

    from scrapers.fetch import FetchFailure, HttpClient

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = HttpClient(timeout=0.5, retries=2)
    calls: list[str] = []
    real_get = client.session.get
    client.session.get = lambda url, **kw: calls.append(url) or real_get(url, **kw)  # type: ignore[method-assign]
    with pytest.raises(FetchFailure, match=r"connection failed \(2 tries\)"):
        client.get_bytes(f"http://127.0.0.1:{port}/a")
    with pytest.raises(FetchFailure, match="connection failed, not tried again"):
        client.get_bytes(f"http://127.0.0.1:{port}/b")
    assert len(calls) == 2  # both tries of the first file, none for the second


def test_a_slow_answer_does_not_make_the_host_unreachable(server: tuple[str, _Server]) -> None:
    from scrapers.fetch import HttpClient

    url, srv = server
    srv.behaviour = {"NeuralNetworks.h": "slow"}  # answers after 1.5 s: a read timeout
    client = HttpClient(timeout=0.5, retries=1, mirror=url)
    with pytest.raises(ScrapeError, match="timed out"):
        client.fetch(dataclasses.replace(NNAPI_SOURCES["8.1"], git_blob=None))
    srv.behaviour = {}
    got = client.fetch(dataclasses.replace(NNAPI_SOURCES["13"], git_blob=None))  # same host
    assert got.text
