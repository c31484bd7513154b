"""``save_chunks(..., report=...)``: what a write did, in a file people open afterwards.

On a ``distributed`` cluster the report is dask's own ``performance_report`` (task
stream, worker profiles, bandwidth; it needs bokeh, the ``diagnostics`` extra).  On the
local runners (forked processes, threads, serial) there is no dashboard to record, so
the report is fastiter's timing summary: the runner, the totals, and per file its path,
chunk, data bytes, file bytes, the seconds its worker spent and when it finished.  A
``.json`` name gives it as JSON, ``.html``/``.htm`` as one self-contained HTML page.

The report is written when the run ends, also when it fails (then its status says so,
and a failure to write the report never replaces the run's own error).
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import time
from collections.abc import Generator, Iterator, Sequence
from typing import Any

from fastiter.netcdf._cleanup import also
from fastiter.netcdf.filejob import FileResult
from fastiter.netcdf.runners import default_workers

__all__ = ["record_run", "check_report", "REPORT_SUFFIXES"]

REPORT_SUFFIXES = (".html", ".htm", ".json")


def _is_cluster(runner: Any) -> bool:
    return hasattr(runner, "submit") and hasattr(runner, "scheduler_info")


def check_report(report: Any, runner: Any, protected: Sequence[str] = ()) -> str | None:
    """The report's path, or None; raises before any work when it cannot be written.

    ``protected`` are paths the report must never replace (the targets, the manifest).
    """
    if report is None:
        return None
    if not isinstance(report, (str, os.PathLike)):
        raise TypeError(
            f"report must be a path (str or os.PathLike) ending in .html or "
            f".json, got {report!r} of type {type(report).__name__}"
        )
    path = os.fspath(report)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in REPORT_SUFFIXES:
        raise ValueError(f"report must end in .html, .htm or .json, got {path!r}")
    if _is_cluster(runner):
        if suffix == ".json":
            raise ValueError(
                f"report={path!r}: on a distributed cluster the report is "
                f"dask's performance_report, an HTML page; name it .html"
            )
        try:
            import bokeh  # noqa: F401 - only whether it imports
        except ImportError as err:
            raise ImportError(
                "report= on a distributed cluster writes dask's "
                "performance_report, which needs bokeh: "
                "pip install 'fastiter[diagnostics]'"
            ) from err
    target = os.path.abspath(path)
    if any(os.path.abspath(p) == target for p in protected):
        raise ValueError(
            f"report={path!r} would replace a file this run writes "
            f"(a chunk file or the manifest); choose another name"
        )
    if os.path.isdir(path):
        raise IsADirectoryError(f"report={path!r} is a folder; give a file name")
    parent = os.path.dirname(target)
    while not os.path.exists(parent):  # the folders missing are made when writing it
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        raise NotADirectoryError(f"report={path!r}: {parent!r} is a file, not a folder")
    return path


def _runner_name(runner: Any) -> str:
    if _is_cluster(runner):
        return f"distributed ({getattr(runner.scheduler, 'address', 'client')})"
    return str(runner)


class _Recorder:
    """Collects one entry per finished file, then writes the summary."""

    def __init__(
        self,
        path: str,
        runner: Any,
        requested: Any,
        workers: int | None,
        chunks: Sequence[str],
        total: int,
    ) -> None:
        self.path, self.chunks, self.total = path, chunks, total
        self.runner, self.requested = _runner_name(runner), _runner_name(requested)
        self.workers = workers or (1 if runner == "serial" else default_workers())
        self.started = time.time()
        self.t0 = time.perf_counter()
        self.files: list[dict[str, Any]] = []

    def add(self, r: FileResult) -> None:
        self.files.append(
            {
                "index": r.index,
                "path": r.path,
                "chunk": self.chunks[r.index],
                "data_bytes": r.nbytes,
                "file_bytes": r.size,
                "seconds": r.seconds,
                "finished_at": time.perf_counter() - self.t0,
            }
        )

    def summary(self, status: str) -> dict[str, Any]:
        secs = time.perf_counter() - self.t0
        data = sum(f["data_bytes"] for f in self.files)
        return {
            "status": status,
            "runner": self.runner,
            "requested": self.requested,
            "workers": self.workers,
            "started": _dt.datetime.fromtimestamp(self.started, _dt.timezone.utc).isoformat(
                timespec="seconds"
            ),
            "seconds": secs,
            "files_planned": self.total,
            "files_written": len(self.files),
            "data_bytes": data,
            "file_bytes": sum(f["file_bytes"] for f in self.files),
            "data_MB_per_s": data / secs / 1e6 if secs > 0 else None,
            "files": sorted(self.files, key=lambda f: f["index"]),
        }

    def write(self, status: str) -> None:
        summary = self.summary(status)
        text = (
            json.dumps(summary, indent=1) if self.path.lower().endswith(".json") else _html(summary)
        )
        folder = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(folder, exist_ok=True)
        tmp = os.path.join(folder, f".{os.path.basename(self.path)}.tmp-{os.getpid()}")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise


def _script_json(s: dict[str, Any]) -> str:
    """JSON safe inside a ``<script>`` element (no ``</script>`` or ``<!--`` can appear)."""
    return json.dumps(s).replace("<", "\\u003c").replace(">", "\\u003e")


def _html(s: dict[str, Any]) -> str:
    e = html.escape
    longest = max((f["seconds"] for f in s["files"]), default=0.0) or 1.0
    rows = "\n".join(
        f"<tr><td>{f['index']}</td><td>{e(f['path'])}</td><td>{e(f['chunk'])}</td>"
        f"<td>{f['data_bytes']:,}</td><td>{f['file_bytes']:,}</td>"
        f"<td>{f['seconds']:.4f}</td><td>{f['finished_at']:.3f}</td>"
        f"<td><div class=bar style='width:{100 * f['seconds'] / longest:.1f}%'></div></td>"
        f"</tr>"
        for f in s["files"]
    )
    rate = s["data_MB_per_s"]
    facts = [
        ("status", s["status"]),
        ("runner", s["runner"]),
        ("requested", s["requested"]),
        ("workers", s["workers"]),
        ("started (UTC)", s["started"]),
        ("wall time", f"{s['seconds']:.3f} s"),
        ("files", f"{s['files_written']} written of {s['files_planned']} planned"),
        ("data bytes", f"{s['data_bytes']:,}"),
        ("file bytes", f"{s['file_bytes']:,}"),
        ("data MB/s", "-" if rate is None else f"{rate:,.1f}"),
    ]
    head = "\n".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in facts)
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>fastiter save_chunks report</title>
<style>body{{font-family:sans-serif;margin:1.5em}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;text-align:left}}
td:nth-child(n+4){{text-align:right}} .bar{{background:#4477aa;height:0.8em;min-width:1px}}
</style></head><body>
<h1>fastiter save_chunks report</h1>
<table class=summary>
{head}
</table>
<h2>Files</h2>
<p>seconds: the worker's time for the file (compute, encode, write, checksum, rename);
finished: when the parent saw it done, from the start of the run.</p>
<table class=files>
<tr><th>#</th><th>path</th><th>chunk</th><th>data bytes</th><th>file bytes</th>
<th>seconds</th><th>finished (s)</th><th></th></tr>
{rows}
</table>
<script type="application/json" id="fastiter-report">{_script_json(s)}</script>
</body></html>
"""


def record_run(
    results: Generator[FileResult, None, None],
    report: str | None,
    runner: Any,
    *,
    requested: Any = None,
    workers: int | None = None,
    chunks: Sequence[str] = (),
    total: int = 0,
) -> Generator[FileResult, None, None]:
    """``results`` passed through, recorded into ``report`` (a no-op when it is None).

    Call :func:`check_report` first; this only records and writes.
    """
    if report is None:
        return results
    return _recording(
        results,
        report,
        runner,
        requested if requested is not None else runner,
        workers,
        chunks,
        total,
    )


def _recording(
    results: Iterator[FileResult],
    path: str,
    runner: Any,
    requested: Any,
    workers: int | None,
    chunks: Sequence[str],
    total: int,
) -> Generator[FileResult, None, None]:
    cluster = None
    rec = None
    if _is_cluster(runner):
        from distributed import performance_report

        cluster = performance_report(filename=path)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with runner.as_current():
            cluster.__enter__()
    else:
        rec = _Recorder(path, runner, requested, workers, chunks, total)
    try:
        for r in results:
            if rec is not None:
                rec.add(r)
            yield r
    except BaseException as err:
        getattr(results, "close", lambda: None)()  # stop the workers before reporting
        status = (
            "interrupted"
            if isinstance(err, (GeneratorExit, KeyboardInterrupt))
            else f"failed: {type(err).__name__}: {str(err).splitlines()[0]}"
        )
        failure = err  # the except clause unbinds err when it ends

        def finish() -> None:
            _finish(cluster, rec, runner, status, failure)

        also(err, f"writing the report {path}", finish)
        raise
    _finish(cluster, rec, runner, "complete", None)


def _finish(
    cluster: Any, rec: _Recorder | None, runner: Any, status: str, err: BaseException | None
) -> None:
    if rec is not None:
        rec.write(status)
        return
    with runner.as_current():
        if err is None:
            cluster.__exit__(None, None, None)
        else:
            cluster.__exit__(type(err), err, err.__traceback__)
