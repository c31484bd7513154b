"""What :func:`~fastiter.netcdf.save_chunks` returns: the paths, and the facts of the run."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["SaveResult"]


class SaveResult(list):
    """The written paths in chunk order (a ``list``), with the facts of the run.

    Attributes
    ----------
    nbytes : int
        Data bytes written by this call (files kept by ``resume`` not counted).
    file_bytes : int
        Bytes on disk of every file of the set.
    seconds : float
        Wall time of the call.
    runner : str
        What ran the writes: ``'processes'``, ``'threads'``, ``'serial'`` or
        ``'distributed'`` (the active or given ``distributed.Client``).
    written, skipped, rewritten : list of str
        Files written by this call; files ``resume`` verified and kept; files
        ``resume`` found changed since they were written and wrote again (also in
        ``written``).
    empty : int
        Pieces of length zero, which get no file (their data is empty).
    verified : bool
        ``verify=True`` re-opened every file and found it identical to its piece.
    manifest : str
        The manifest's path.

    Examples
    --------
    >>> r = SaveResult(["a.nc"], nbytes=8_000_000, seconds=2.0, runner="serial")
    >>> r == ["a.nc"], r.mb_per_s, r.runner
    (True, 4.0, 'serial')
    """

    def __init__(
        self,
        paths: Iterable[str] = (),
        *,
        nbytes: int = 0,
        file_bytes: int = 0,
        seconds: float = 0.0,
        runner: str = "",
        written: Iterable[str] = (),
        skipped: Iterable[str] = (),
        rewritten: Iterable[str] = (),
        empty: int = 0,
        verified: bool = False,
        manifest: str = "",
    ) -> None:
        super().__init__(paths)
        self.nbytes, self.file_bytes, self.seconds = nbytes, file_bytes, seconds
        self.runner, self.empty, self.verified, self.manifest = runner, empty, verified, manifest
        self.written, self.skipped, self.rewritten = (list(written), list(skipped), list(rewritten))

    @property
    def paths(self) -> list[str]:
        """The paths as a plain list."""
        return list(self)

    @property
    def mb_per_s(self) -> float:
        """Data MB (10^6 bytes) written per second of the call."""
        return round(self.nbytes / max(self.seconds, 1e-9) / 1e6, 1)

    def stats(self) -> dict[str, Any]:
        """The facts as a JSON-ready dict."""
        return {
            "files": len(self),
            "written": len(self.written),
            "skipped": len(self.skipped),
            "rewritten": len(self.rewritten),
            "empty": self.empty,
            "nbytes": self.nbytes,
            "file_bytes": self.file_bytes,
            "seconds": self.seconds,
            "mb_per_s": self.mb_per_s,
            "runner": self.runner,
            "verified": self.verified,
            "manifest": self.manifest,
        }

    def __repr__(self) -> str:
        return (
            f"SaveResult({list.__repr__(self)}, runner={self.runner!r}, "
            f"written={len(self.written)}, skipped={len(self.skipped)}, "
            f"rewritten={len(self.rewritten)}, {self.mb_per_s} MB/s)"
        )
