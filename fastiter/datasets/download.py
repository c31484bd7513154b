"""Fetching dataset files: checksum-pinned, resumable, atomic, with a progress bar.

A file is downloaded into ``<name>.part`` beside its final place.  An interrupted
download resumes from the partial file with an HTTP ``Range`` request (a server that
ignores the range makes it start over).  The finished file's digest is compared with the
pinned one; a mismatch deletes the file and raises :class:`ChecksumError`, so a bad file
is never left where an iterator would read it.  Only then is the file moved into place
with :func:`os.replace`.

When the network is unreachable, :class:`DatasetNotFoundError` names every missing file,
where to get it and the exact folder to put it in.

Where the checksums come from: MNIST, CIFAR-10, LFW and Tiny ImageNet publish MD5
digests (the CIFAR page lists its own; the others are the ones torchvision pins and
many projects repeat).  Those are pinned as ``md5:<hex>``; ``sha256:<hex>`` is accepted
too.  The UCI control-chart file is pinned by the Adler-32 value DL4J's
UciSequenceDataFetcher checks (``adler32:104392751``).  Files with no published digest
(EMNIST's zip from NIST, DL4J's LFW subset archive) carry ``None`` and are only checked
for being non-empty; their docs say so.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tarfile
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Resource",
    "ChecksumError",
    "DatasetNotFoundError",
    "ensure_files",
    "download_file",
    "file_digest",
    "extract_archive",
]

_CHUNK = 1 << 20
_ALGORITHMS = ("md5", "sha256", "adler32")


class ChecksumError(ValueError):
    """A downloaded file's digest differs from the pinned one; the file was deleted."""


class DatasetNotFoundError(FileNotFoundError):
    """Dataset files are missing and could not be downloaded (offline, or download=False)."""


@dataclass(frozen=True)
class Resource:
    """One file of a dataset: its name on disk, where to get it, and its pinned digest.

    Examples
    --------
    >>> r = Resource("t10k-labels-idx1-ubyte.gz",
    ...              "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
    ...              "md5:ec29112dd5afa0611ce80d1b7f02629c")
    >>> r.algorithm, len(r.digest)
    ('md5', 32)
    """

    filename: str
    url: str
    checksum: str | None = None

    def __post_init__(self) -> None:
        if self.checksum is not None:
            algo, _, hexd = self.checksum.partition(":")
            if algo not in _ALGORITHMS or not hexd:
                raise ValueError(
                    f"checksum must be 'md5:<hex>', 'sha256:<hex>' or "
                    f"'adler32:<decimal>', got {self.checksum!r}"
                )

    @property
    def algorithm(self) -> str | None:
        return None if self.checksum is None else self.checksum.partition(":")[0]

    @property
    def digest(self) -> str | None:
        return None if self.checksum is None else self.checksum.partition(":")[2].lower()


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """The digest of a file, read in 1 MiB chunks: hex for md5/sha256, decimal for adler32
    (the form DL4J's fetchers publish)."""
    if algorithm == "adler32":
        value = 1
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(_CHUNK), b""):
                value = zlib.adler32(block, value)
        return str(value)
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _verify(path: Path, res: Resource) -> None:
    algorithm = res.algorithm
    if algorithm is None:  # no pinned checksum
        if path.stat().st_size == 0:
            path.unlink()
            raise ChecksumError(
                f"{res.filename} downloaded from {res.url} is empty; the file was deleted"
            )
        return
    got = file_digest(path, algorithm)
    if got != res.digest:
        path.unlink()
        raise ChecksumError(
            f"{res.filename} from {res.url} has {res.algorithm} {got}, "
            f"expected {res.digest}; the bad file was deleted, "
            f"run again to re-download"
        )


def _open(url: str, start: int, timeout: float):
    req = urllib.request.Request(url, headers={"User-Agent": "fastiter"})
    if start:
        req.add_header("Range", f"bytes={start}-")
    return urllib.request.urlopen(req, timeout=timeout)  # only the pinned resources' URLs


def download_file(
    res: Resource, folder: str | os.PathLike, *, progress: bool = True, timeout: float = 60.0
) -> Path:
    """Download one resource into ``folder`` (resuming a ``.part`` file), verify, and place it.

    Raises :class:`ChecksumError` on a digest mismatch (nothing is kept) and lets
    :class:`urllib.error.URLError` / :class:`OSError` / :class:`http.client.HTTPException`
    through when the server is unreachable or the transfer breaks off (the partial file
    is kept, so the next call resumes from it).
    """
    from tqdm.auto import tqdm

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    final, part = folder / res.filename, folder / (res.filename + ".part")
    start = part.stat().st_size if part.exists() else 0
    try:
        resp = _open(res.url, start, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code != 416 or not start:
            raise
        exc.close()
        # 416: the partial file already holds every byte; only the check is left.
        _verify(part, res)
        os.replace(part, final)
        return final
    with resp:
        resumed = start > 0 and getattr(resp, "status", 200) == 206
        if not resumed:
            start = 0
        length = resp.headers.get("Content-Length")
        total = start + int(length) if length is not None else None
        with (
            open(part, "ab" if resumed else "wb") as out,
            tqdm(
                total=total,
                initial=start,
                unit="B",
                unit_scale=True,
                desc=res.filename,
                disable=not progress,
                leave=False,
            ) as bar,
        ):
            for block in iter(lambda: resp.read(_CHUNK), b""):
                out.write(block)
                bar.update(len(block))
            out.flush()
            os.fsync(out.fileno())
            got = out.tell()
    # http.client's read(n) ends quietly when the peer hangs up early, so compare with
    # the announced length; keeping the .part lets the next call resume.
    if total is not None and got < total:
        raise ConnectionError(
            f"{res.url} broke off after {got} of {total} bytes; "
            f"{part.name} is kept and the next call resumes it"
        )
    _verify(part, res)
    os.replace(part, final)
    return final


def _missing_message(
    name: str, folder: Path, missing: Sequence[Resource], cause: BaseException | None
) -> str:
    lines = [f"the {name} dataset needs these files in {folder}:"]
    lines += [f"  {r.filename}   (from {r.url})" for r in missing]
    why = f" (download failed: {cause})" if cause is not None else " (download=False)"
    lines.append(
        f"they are missing and could not be fetched{why}; download them "
        f"elsewhere and copy them into {folder}, or set FASTITER_DATA_HOME "
        f"to a folder that holds a '{folder.name}' sub-folder with them"
    )
    return "\n".join(lines)


def ensure_files(
    name: str,
    folder: str | os.PathLike,
    resources: Sequence[Resource],
    *,
    download: bool = True,
    progress: bool = True,
) -> list[Path]:
    """Make sure every resource is present in ``folder``; download the missing ones.

    Files already present are trusted (they may be a user's own copy).  Returns the
    paths, in the order of ``resources``.

    Raises
    ------
    DatasetNotFoundError
        When a file is missing and ``download`` is False or the network is unreachable;
        the message lists the files and the exact folder to put them in.
    ChecksumError
        When a download completed but its digest is wrong (the file is deleted).
    """
    folder = Path(folder)
    missing = [r for r in resources if not (folder / r.filename).is_file()]
    if missing and not download:
        raise DatasetNotFoundError(_missing_message(name, folder, missing, None))
    for res in missing:
        try:
            download_file(res, folder, progress=progress)
        except ChecksumError:
            raise
        except (OSError, http.client.HTTPException) as exc:  # URLError is an OSError
            still = [r for r in resources if not (folder / r.filename).is_file()]
            raise DatasetNotFoundError(_missing_message(name, folder, still, exc)) from exc
    return [folder / r.filename for r in resources]


def extract_archive(archive: str | os.PathLike, folder: str | os.PathLike) -> None:
    """Unpack a ``.zip`` or ``.tar[.gz]`` into ``folder``, refusing paths that escape it."""
    archive, folder = Path(archive), Path(folder)
    root = folder.resolve()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if not (root / name).resolve().is_relative_to(root):
                    raise ValueError(f"{archive} member {name!r} would land outside {folder}")
            zf.extractall(folder)
        return
    with tarfile.open(archive, "r:*") as tf:
        members = [m for m in tf.getmembers() if m.isfile() or m.isdir()]
        for m in members:
            if not (root / m.name).resolve().is_relative_to(root):
                raise ValueError(f"{archive} member {m.name!r} would land outside {folder}")
        kwargs: dict[str, Any] = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        tf.extractall(folder, members=members, **kwargs)  # members checked above
