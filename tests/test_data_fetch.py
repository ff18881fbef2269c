"""``rnnchaos data list`` / ``data fetch`` and data outside the repository, offline: a local HTTP server on
127.0.0.1 serves small files laid out as raw.githubusercontent.com does (``/{repo}/{commit}/{path}``).

Properties checked: a fetched file has the recorded sha256 and nothing else is left in the directory; a
corrupted body or a connection closed mid-body leaves no file at all and gives one line with exit 2; the
fetched file is what ``train --data NAME`` then reads; a missing data set names the fetch command; and the
recorded checksums, sizes and shapes are those of the shared data files.
"""

from __future__ import annotations

import copy
import hashlib
import http.server
import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from rnnchaos.data import catalog, fetch
from rnnchaos.data.catalog import CATALOG
from rnnchaos.data.datasets import load_source

NAME = "stf:lorenz63"
FILE = "stf_lorenz63.npy"


class _Server:
    """A loopback HTTP server: ``routes[path] = (body, mode)``; mode ``ok``, ``drop`` (announce a
    Content-Length larger than the body, send the body, close the connection) or ``stall`` (the same, but
    wait 3 s before closing). ``hits`` counts requests."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str]] = {}
        self.hits: list[str] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.hits.append(self.path)
                if self.path not in server.routes:
                    self.send_error(404)
                    return
                body, mode = server.routes[self.path]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body) + (4096 if mode != "ok" else 0)))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                if mode == "drop":
                    self.close_connection = True
                if mode == "stall":  # the rest never comes: the client's timeout must end the wait
                    time.sleep(3.0)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(self, f: fetch.RemoteFile, body: bytes, mode: str = "ok") -> None:
        self.routes[f"/{f.repository}/{f.commit}/{f.path}"] = (body, mode)


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    s.thread.start()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def _npy_bytes(x: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, x)
    return buf.getvalue()


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> tuple[bytes, fetch.RemoteFile]:
    """A small (2000, 3) series recorded as the catalog's stf_lorenz63.npy (sha256, size and shape patched)."""
    t = np.arange(2000) * 0.05
    x = np.stack([np.sin(t), np.cos(1.3 * t), np.sin(0.7 * t) * np.cos(t)], axis=1)
    body = _npy_bytes(x)
    data = copy.deepcopy(catalog.sources())
    data["files"][FILE].update(sha256=hashlib.sha256(body).hexdigest(), bytes=len(body), shape=[2000, 3])
    monkeypatch.setattr(fetch, "sources", lambda: data)
    return body, fetch.remote_files(CATALOG[NAME])[0]


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No $RNNCHAOS_DATA_DIR / $RNNCHAOS_DATA_URL; $XDG_CACHE_HOME in tmp_path (returned)."""
    monkeypatch.delenv("RNNCHAOS_DATA_DIR", raising=False)
    monkeypatch.delenv("RNNCHAOS_DATA_URL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg"


def _one_error_line(code: int, out: str, err: str) -> str:
    assert code == 2 and out == "" and "Traceback" not in err, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnchaos: error: "), err
    return lines[0]


def test_url_is_the_raw_file_at_the_pinned_commit() -> None:
    f = fetch.remote_files(CATALOG[NAME])[0]
    assert fetch.file_url(f) == ("https://raw.githubusercontent.com/DurstewitzLab/ChaosRNN/"
                                 "0e84b300e03a250cdafbf0128f4644226201572a/datasets/Lorenz/lorenz_data_chaos.npy")
    assert fetch.file_url(f, "http://127.0.0.1:8000/mirror/").startswith("http://127.0.0.1:8000/mirror/Durstewitz")


def test_every_catalog_file_is_recorded_with_its_source() -> None:
    for entry in CATALOG.values():
        files = fetch.remote_files(entry)
        assert [f.name for f in files] == [n for n in (entry.train_file, entry.test_file) if n]
        for f in files:
            assert len(f.commit) == 40 and len(f.sha256) == 64 and f.license == "GPL-3.0"
            assert entry.source.startswith(f"{f.repository} @{f.commit[:7]}"), entry.name
            assert f.shape[1] == entry.dims and f.bytes > 0


def test_recorded_checksums_are_those_of_the_shared_files(shared_data: Path) -> None:
    for name, rec in catalog.sources()["files"].items():
        path = shared_data / name
        assert path.stat().st_size == rec["bytes"], name
        assert fetch.sha256_file(path) == hashlib.sha256(path.read_bytes()).hexdigest() == rec["sha256"], name
        arr = np.load(path, mmap_mode="r")
        assert list(arr.shape) == rec["shape"] and str(arr.dtype) == rec["dtype"], name


def test_fetch_checks_sha256_then_train_reads_the_fetched_file(run_cli, server: _Server, small, tmp_path: Path,
                                                              no_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    body, f = small
    server.serve(f, body)
    cache = tmp_path / "cache"
    code, out, err = run_cli("data", "fetch", NAME, "--dir", str(cache), "--base-url", server.url, "--json",
                             "--no-progress")
    assert code == 0, err
    rec = json.loads(out)["files"][0]
    assert rec["status"] == "downloaded" and rec["path"] == str(cache / FILE)
    assert sorted(p.name for p in cache.iterdir()) == [FILE]  # no temporary file left
    assert hashlib.sha256((cache / FILE).read_bytes()).hexdigest() == f.sha256
    # a second fetch finds the file with its checksum and asks the server for nothing
    code, out, _ = run_cli("data", "fetch", NAME, "--dir", str(cache), "--base-url", server.url, "--json")
    assert code == 0 and json.loads(out)["files"][0]["status"] == "present" and len(server.hits) == 1

    monkeypatch.setenv("RNNCHAOS_DATA_DIR", str(cache))
    run = tmp_path / "run"
    code, out, err = run_cli("train", "--data", NAME, "--epochs", "2", "--hidden", "4", "--seq-len", "20",
                             "--batch-size", "4", "--batches-per-epoch", "1", "--tau", "5", "--out", str(run),
                             "--no-progress", "--json")
    assert code == 0, err
    assert json.loads(out)["epochs"] == 2
    config = json.loads((run / "config.json").read_text())
    assert config["data"]["source"] == str(cache / FILE)
    # lyapunov --data NAME reads the same fetched file as lyapunov --data PATH
    by_name = run_cli("lyapunov", "--data", NAME, "--json")
    by_path = run_cli("lyapunov", "--data", str(cache / FILE), "--json")
    assert by_name[0] == 0 and by_name == by_path


def test_default_directory_is_the_user_cache_and_names_resolve_there(run_cli, server: _Server, small,
                                                                     no_env: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    body, f = small
    server.serve(f, body)
    monkeypatch.setenv("RNNCHAOS_DATA_URL", server.url)
    code, out, err = run_cli("data", "fetch", NAME, "--no-progress")
    assert code == 0, err
    target = no_env / "rnnchaos" / FILE
    assert catalog.user_cache_dir() == no_env / "rnnchaos" and target.is_file()
    assert catalog.data_dirs()[0] == no_env / "rnnchaos"  # searched before ../shared/data
    for spelling in (NAME, "stf_lorenz63"):
        x, spec = load_source(spelling)
        assert spec.source == str(target) and x.shape == (2000, 3)
    code, out, _ = run_cli("data", "list", "--json")
    rows = {r["file"]: r for r in json.loads(out)["files"]}
    assert code == 0 and rows[FILE]["local"] == str(target) and rows[FILE]["sha256"] == f.sha256
    assert {r["dataset"] for r in rows.values()} == set(CATALOG)


def test_checksum_mismatch_leaves_no_file(run_cli, server: _Server, small, tmp_path: Path, no_env: Path) -> None:
    body, f = small
    bad = bytearray(body)
    bad[-1] ^= 0xFF  # same size, one byte changed
    server.serve(f, bytes(bad))
    cache = tmp_path / "cache"
    line = _one_error_line(*run_cli("data", "fetch", NAME, "--dir", str(cache), "--base-url", server.url))
    assert "checksum mismatch" in line and f.sha256 in line and hashlib.sha256(bad).hexdigest() in line
    assert list(cache.iterdir()) == []


def test_connection_dropped_mid_body_leaves_no_file(run_cli, server: _Server, small, tmp_path: Path,
                                                    no_env: Path) -> None:
    body, f = small
    server.serve(f, body[: len(body) // 2], mode="drop")
    cache = tmp_path / "cache"
    line = _one_error_line(*run_cli("data", "fetch", NAME, "--dir", str(cache), "--base-url", server.url))
    assert "cut off" in line and f"{len(body) // 2:,} of {len(body) // 2 + 4096:,} bytes" in line
    assert list(cache.iterdir()) == []


def test_stalled_server_times_out_and_leaves_no_file(run_cli, server: _Server, small, tmp_path: Path,
                                                     no_env: Path) -> None:
    body, f = small
    server.serve(f, body[:1000], mode="stall")
    cache = tmp_path / "cache"
    start = time.perf_counter()
    line = _one_error_line(*run_cli("data", "fetch", NAME, "--dir", str(cache), "--base-url", server.url,
                                    "--timeout", "0.5"))
    assert time.perf_counter() - start < 2.5 and "timed out" in line and "after 1,000 bytes" in line
    assert list(cache.iterdir()) == []


def test_http_error_and_refused_connection_give_one_line(run_cli, server: _Server, small, tmp_path: Path,
                                                         no_env: Path) -> None:
    cache = tmp_path / "cache"
    line = _one_error_line(*run_cli("data", "fetch", NAME, "--dir", str(cache), "--base-url", server.url))
    assert "HTTP 404" in line
    closed = server.url  # after shutdown nothing listens on this port
    server.httpd.shutdown()
    server.httpd.server_close()
    line = _one_error_line(*run_cli("data", "fetch", NAME, "--dir", str(cache), "--base-url", closed))
    assert "download of stf_lorenz63.npy" in line
    assert list(cache.iterdir()) == []


def test_missing_data_set_names_the_fetch_command(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RNNCHAOS_DATA_DIR", str(tmp_path))
    for spelling in (NAME, "stf_lorenz63"):
        line = _one_error_line(*run_cli("train", "--data", spelling, "--epochs", "1"))
        assert f"'rnnchaos data fetch {NAME}'" in line and str(tmp_path) in line
    code, out, _ = run_cli("data", "list")
    rows = [ln.split() for ln in out.splitlines()[1:-1]]
    assert code == 0 and len(rows) == len(catalog.sources()["files"]) and {r[0] for r in rows} == set(CATALOG)
    assert all(r[-2:] == ["not", "fetched"] for r in rows)
    line = _one_error_line(*run_cli("lyapunov", "--data", "gtf:ecg"))
    assert "'rnnchaos data fetch gtf:ecg'" in line
    line = _one_error_line(*run_cli("reproduce", "stf-tau-sweep", "--dataset", "stf:rossler", "--data-dir",
                                    str(tmp_path / "d"), "--minutes", "0.01"))
    assert f"'rnnchaos data fetch stf:rossler --dir {tmp_path / 'd'}'" in line


def test_fetch_all_of_the_real_catalog(run_cli, server: _Server, shared_data: Path, tmp_path: Path,
                                       no_env: Path) -> None:
    """The shipped sources.json against the shared files served under their upstream paths."""
    for entry in CATALOG.values():
        for f in fetch.remote_files(entry):
            server.serve(f, (shared_data / f.name).read_bytes())
    out_dir = tmp_path / "all"
    code, out, err = run_cli("data", "fetch", "all", "--dir", str(out_dir), "--base-url", server.url, "--json",
                             "--no-progress")
    assert code == 0, err
    names = sorted(catalog.sources()["files"])
    assert sorted(r["file"] for r in json.loads(out)["files"]) == names == sorted(p.name for p in out_dir.iterdir())
    for name in names:
        assert (out_dir / name).read_bytes() == (shared_data / name).read_bytes()
