"""The downloader against a local HTTP server: resume, checksum, atomic placement, offline."""

from __future__ import annotations

import hashlib
import socket
import urllib.request
import zlib

import numpy as np
import pytest

from fastiter.datasets import (
    ChecksumError,
    DatasetNotFoundError,
    Resource,
    data_home,
    dataset_dir,
    download_file,
    ensure_files,
)
from fastiter.datasets import download as download_mod

PAYLOAD = np.random.default_rng(3).integers(1, 256, 300_000, dtype=np.uint8).tobytes()
SHA = "sha256:" + hashlib.sha256(PAYLOAD).hexdigest()
MD5 = "md5:" + hashlib.md5(PAYLOAD).hexdigest()
ADLER = f"adler32:{zlib.adler32(PAYLOAD)}"


def _res(srv, checksum=SHA, name="blob.bin"):
    srv.files["/" + name] = PAYLOAD
    return Resource(name, srv.url("/" + name), checksum)


@pytest.mark.parametrize("checksum", [SHA, MD5, ADLER])
def test_download_verifies_and_places_atomically(http_server, tmp_path, checksum):
    path = download_file(_res(http_server, checksum), tmp_path / "sub", progress=False)
    assert path == tmp_path / "sub" / "blob.bin"
    assert path.read_bytes() == PAYLOAD
    assert sorted(p.name for p in path.parent.iterdir()) == ["blob.bin"]  # no .part left


def test_resume_sends_range_and_appends(http_server, tmp_path):
    res = _res(http_server)
    (tmp_path / "blob.bin.part").write_bytes(PAYLOAD[:123_457])
    path = download_file(res, tmp_path, progress=False)
    assert path.read_bytes() == PAYLOAD
    assert http_server.requests == [("/blob.bin", "bytes=123457-")]


def test_interrupted_download_resumes_on_the_next_call(http_server, tmp_path):
    res = _res(http_server)
    http_server.cut_after = 100_000
    with pytest.raises(DatasetNotFoundError, match="blob.bin"):
        ensure_files("demo", tmp_path, [res], download=True, progress=False)
    part = tmp_path / "blob.bin.part"
    assert part.read_bytes() == PAYLOAD[:100_000]
    assert not (tmp_path / "blob.bin").exists()
    ensure_files("demo", tmp_path, [res], progress=False)
    assert (tmp_path / "blob.bin").read_bytes() == PAYLOAD
    assert http_server.requests[-1] == ("/blob.bin", "bytes=100000-")


def test_server_ignoring_range_restarts_from_zero(http_server, tmp_path):
    http_server.ignore_range = True
    res = _res(http_server)
    (tmp_path / "blob.bin.part").write_bytes(b"garbage that must not be kept")
    assert download_file(res, tmp_path, progress=False).read_bytes() == PAYLOAD


def test_complete_part_file_answered_416_is_verified_and_placed(http_server, tmp_path):
    res = _res(http_server)
    (tmp_path / "blob.bin.part").write_bytes(PAYLOAD)
    assert download_file(res, tmp_path, progress=False).read_bytes() == PAYLOAD


def test_checksum_mismatch_deletes_the_file_and_raises(http_server, tmp_path):
    res = _res(http_server, checksum="sha256:" + "0" * 64)
    with pytest.raises(ChecksumError, match="deleted") as info:
        ensure_files("demo", tmp_path, [res], progress=False)
    assert hashlib.sha256(PAYLOAD).hexdigest() in str(info.value)
    assert list(tmp_path.iterdir()) == []  # neither the final file nor the .part


def _closed_port():
    """A localhost port nothing listens on: bound, then released (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_error_names_files_and_folder(tmp_path):
    base = f"http://127.0.0.1:{_closed_port()}"
    res = [Resource("a.gz", base + "/a.gz"), Resource("b.gz", base + "/b.gz")]
    (tmp_path / "b.gz").write_bytes(b"present")
    with pytest.raises(DatasetNotFoundError) as info:
        ensure_files("Demo", tmp_path, res, progress=False)
    msg = str(info.value)
    assert "a.gz" in msg and str(tmp_path) in msg and "b.gz" not in msg
    assert isinstance(info.value, FileNotFoundError)


def test_offline_via_monkeypatched_urlopen(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(DatasetNotFoundError, match="network is unreachable"):
        ensure_files("Demo", tmp_path, [Resource("x", "https://example.invalid/x")], progress=False)


def test_download_false_never_connects(tmp_path, monkeypatch):
    monkeypatch.setattr(download_mod, "_open", lambda *a, **k: pytest.fail("connected"))
    with pytest.raises(DatasetNotFoundError, match="download=False"):
        ensure_files("Demo", tmp_path, [Resource("x", "https://example.invalid/x")], download=False)


def test_present_files_are_not_fetched(tmp_path, monkeypatch):
    monkeypatch.setattr(download_mod, "_open", lambda *a, **k: pytest.fail("connected"))
    (tmp_path / "x").write_bytes(b"mine")
    assert ensure_files("Demo", tmp_path, [Resource("x", "https://example.invalid/x")]) == [
        tmp_path / "x"
    ]


def test_adler32_mismatch_is_caught(http_server, tmp_path):
    res = _res(http_server, checksum=f"adler32:{zlib.adler32(PAYLOAD) ^ 1}")
    with pytest.raises(ChecksumError, match="adler32"):
        download_file(res, tmp_path, progress=False)
    assert list(tmp_path.iterdir()) == []


def test_bad_checksum_spec_is_rejected():
    with pytest.raises(ValueError, match="md5:<hex>"):
        Resource("x", "https://example.invalid/x", "crc32:1234")


def test_data_home_env_and_default(monkeypatch, tmp_path):
    monkeypatch.setenv("FASTITER_DATA_HOME", str(tmp_path))
    assert data_home() == tmp_path
    assert dataset_dir("mnist") == tmp_path / "mnist"
    monkeypatch.delenv("FASTITER_DATA_HOME")
    assert str(data_home()).endswith(".fastiter/data")
    with pytest.raises(TypeError, match="data_dir"):
        dataset_dir("mnist", 3)


def test_mnist_iterator_downloads_verifies_and_reads(http_server, tmp_path, monkeypatch, digits):
    from fastiter.datasets import MnistDataSetIterator, write_idx
    from fastiter.datasets import mnist as mnist_mod

    x, y = digits
    staging = tmp_path / "staging"
    staging.mkdir()
    write_idx(staging / "t10k-images-idx3-ubyte.gz", x)
    write_idx(staging / "t10k-labels-idx1-ubyte.gz", y)
    served = {}
    for f in staging.iterdir():
        http_server.files["/" + f.name] = f.read_bytes()
        served[f.name] = Resource(
            f.name, http_server.url("/" + f.name), "md5:" + hashlib.md5(f.read_bytes()).hexdigest()
        )
    test_res = tuple(served[r.filename] for r in mnist_mod.MNIST_RESOURCES[False])
    monkeypatch.setitem(mnist_mod.MNIST_RESOURCES, False, test_res)
    monkeypatch.setenv("FASTITER_DATA_HOME", str(tmp_path / "home"))
    it = MnistDataSetIterator(100, 100, train=False)
    np.testing.assert_array_equal(it.next().labels.argmax(1), y)
    # the verified downloads, and their plain copies extracted once (as DL4J does)
    assert sorted(p.name for p in (tmp_path / "home" / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte",
        "t10k-labels-idx1-ubyte.gz",
    ]

    bad = (Resource(test_res[0].filename, test_res[0].url, "md5:" + "0" * 32), test_res[1])
    monkeypatch.setitem(mnist_mod.MNIST_RESOURCES, False, bad)
    with pytest.raises(ChecksumError):
        MnistDataSetIterator(100, 100, train=False, data_dir=tmp_path / "fresh")
    assert not (tmp_path / "fresh" / "t10k-images-idx3-ubyte.gz").exists()
    assert not (tmp_path / "fresh" / "t10k-images-idx3-ubyte.gz.part").exists()
