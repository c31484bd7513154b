"""save_chunks(report=...): a timing summary locally, dask's performance report on a cluster."""

import json
import os
import re

import numpy as np
import pytest
import xarray as xr

from fastiter.netcdf import ChunkWriteError, filejob, make_rasm, save_chunks
from fastiter.netcdf import report as R


def _ds(n_files=4, lazy=False):
    ds = make_rasm(n_time=12 * n_files, ny=6, nx=7, chunks={"time": 12} if lazy else None)
    return ds


def _embedded(html_text):
    m = re.search(
        r'<script type="application/json" id="fastiter-report">(.*?)</script>', html_text, re.S
    )
    assert m, "the HTML report carries its summary as JSON"
    return json.loads(m.group(1))


def _check_files(summary, paths, ds):
    assert [f["path"] for f in summary["files"]] == paths
    assert [f["index"] for f in summary["files"]] == list(range(len(paths)))
    for f, p in zip(summary["files"], paths):
        assert f["file_bytes"] == os.path.getsize(p)
        assert f["seconds"] > 0 and f["finished_at"] > 0
    piece_bytes = ds.isel(time=slice(0, 12)).nbytes
    # every variable is written whole per file except the split ones
    assert all(0 < f["data_bytes"] <= piece_bytes for f in summary["files"])
    assert summary["data_bytes"] == sum(f["data_bytes"] for f in summary["files"])
    assert summary["file_bytes"] == sum(os.path.getsize(p) for p in paths)
    assert summary["files_written"] == summary["files_planned"] == len(paths)


def test_json_report_serial(tmp_path):
    ds = _ds()
    rep = tmp_path / "report.json"
    paths = save_chunks(
        ds,
        str(tmp_path / "out"),
        chunks={"time": 12},
        parallel="serial",
        progress=False,
        report=rep,
    )
    s = json.loads(rep.read_text())
    assert s["status"] == "complete" and s["runner"] == "serial" and s["workers"] == 1
    assert [f["chunk"] for f in s["files"]] == [f"time={i}:{i + 12}" for i in range(0, 48, 12)]
    _check_files(s, paths, ds)
    assert s["seconds"] >= max(f["finished_at"] for f in s["files"])


@pytest.mark.parametrize("parallel", ["processes", "threads"])
def test_html_report_names_runner_and_every_file(tmp_path, parallel):
    ds = _ds(lazy=True)  # lazy: 'processes' really forks (numpy data would run on threads)
    rep = tmp_path / "sub" / "report.html"  # its folder is made
    paths = save_chunks(
        ds, str(tmp_path / "out"), parallel=parallel, workers=2, progress=False, report=str(rep)
    )
    text = rep.read_text()
    assert text.startswith("<!DOCTYPE html>")
    for p in paths:
        assert p in text
    s = _embedded(text)
    assert s["runner"] == parallel and s["requested"] == parallel and s["workers"] == 2
    _check_files(s, paths, ds.compute())


def test_report_says_which_runner_ran_when_processes_fall_back_to_threads(tmp_path):
    rep = tmp_path / "r.json"
    save_chunks(_ds(), str(tmp_path / "out"), chunks={"time": 12}, progress=False, report=str(rep))
    s = json.loads(rep.read_text())
    # the default is parallel="auto": processes here (no client), threads for copies only
    assert s["requested"] == "auto" and s["runner"] in ("processes", "threads")


def test_failed_run_reports_and_raises_its_own_error(tmp_path, monkeypatch):
    rep = tmp_path / "r.json"
    monkeypatch.setattr(filejob, "FAULT", (2, "raise"))
    with pytest.raises(ChunkWriteError, match="injected failure"):
        save_chunks(
            _ds(),
            str(tmp_path / "out"),
            chunks={"time": 12},
            parallel="serial",
            progress=False,
            naming="index",
            report=str(rep),
        )
    s = json.loads(rep.read_text())
    assert s["status"].startswith("failed: ChunkWriteError")
    assert [f["index"] for f in s["files"]] == [0, 1]
    assert s["files_planned"] == 4


def test_report_failure_during_a_failed_run_is_chained_not_substituted(tmp_path, monkeypatch):
    def broken(self, status):
        raise OSError("disk full while writing the report")

    monkeypatch.setattr(R._Recorder, "write", broken)
    monkeypatch.setattr(filejob, "FAULT", (1, "raise"))
    with pytest.raises(ChunkWriteError, match="injected failure") as info:
        save_chunks(
            _ds(),
            str(tmp_path / "out"),
            chunks={"time": 12},
            parallel="serial",
            progress=False,
            report=str(tmp_path / "r.json"),
        )
    notes = getattr(info.value, "__notes__", None)
    if notes is not None:  # Python 3.11+
        assert any("disk full while writing the report" in n for n in notes)


def test_resumed_run_reports_what_it_wrote(tmp_path):
    ds = _ds()
    out = str(tmp_path / "out")
    paths = save_chunks(
        ds, out, chunks={"time": 12}, parallel="serial", progress=False, naming="index"
    )
    os.remove(paths[1])
    rep = tmp_path / "r.json"
    save_chunks(
        ds,
        out,
        chunks={"time": 12},
        parallel="serial",
        progress=False,
        naming="index",
        resume=True,
        report=str(rep),
    )
    s = json.loads(rep.read_text())
    assert [f["path"] for f in s["files"]] == [paths[1]]
    assert s["files_planned"] == 4 and s["files_written"] == 1


@pytest.mark.parametrize(
    "report,err,match",
    [
        ("r.txt", ValueError, r"must end in \.html, \.htm or \.json, got '.*r\.txt'"),
        (3, TypeError, "report must be a path"),
        ("out/filename.manifest.json", ValueError, "would replace a file this run writes"),
        ("afile/r.json", NotADirectoryError, "is a file, not a folder"),
    ],
)
def test_bad_report_refused_before_anything_is_written(tmp_path, report, err, match):
    (tmp_path / "afile").write_text("x")
    report = str(tmp_path / report) if isinstance(report, str) else report
    with pytest.raises(err, match=match):
        save_chunks(
            _ds(),
            str(tmp_path / "out"),
            chunks={"time": 12},
            parallel="serial",
            progress=False,
            report=report,
        )
    assert not (tmp_path / "out").exists()


def test_report_replaces_its_own_earlier_report(tmp_path):
    rep = tmp_path / "r.html"
    rep.write_text("old")
    save_chunks(
        _ds(2),
        str(tmp_path / "out"),
        chunks={"time": 12},
        parallel="serial",
        progress=False,
        report=str(rep),
    )
    assert _embedded(rep.read_text())["files_written"] == 2
    assert [n for n in os.listdir(tmp_path) if ".tmp-" in n] == []


def test_html_report_escapes_paths(tmp_path):
    out = tmp_path / "a<b>&c"
    rep = tmp_path / "r.html"
    paths = save_chunks(
        _ds(1), str(out), chunks={"time": 12}, parallel="serial", progress=False, report=str(rep)
    )
    text = rep.read_text()
    assert "a<b>" not in text and "a&lt;b&gt;&amp;c" in text
    assert _embedded(text)["files"][0]["path"] == paths[0]


@pytest.mark.slow
def test_cluster_writes_dasks_performance_report(tmp_path):
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("bokeh")
    ds = np.sqrt(np.sin(_ds(lazy=True)) ** 2 + np.cos(_ds(lazy=True)) ** 2)
    rep = tmp_path / "perf.html"
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        with pytest.raises(ValueError, match="performance_report, an HTML page"):
            save_chunks(
                ds,
                str(tmp_path / "out"),
                parallel=client,
                progress=False,
                report=str(tmp_path / "perf.json"),
            )
        paths = save_chunks(
            ds, str(tmp_path / "out"), parallel=client, progress=False, report=str(rep)
        )
    text = rep.read_text()
    assert "Dask Performance Report" in text
    assert "fastiter-write" in text  # the task stream holds the file-writing tasks
    with xr.open_mfdataset(paths, combine="by_coords") as back:
        xr.testing.assert_allclose(back.load(), ds.compute())
