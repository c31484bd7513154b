"""plot_plan and ``fastiter split --plan``: the picture shows the files save_chunks writes."""

import json
import os

import numpy as np
import pytest
import xarray as xr

pytest.importorskip("matplotlib")
pytest.importorskip("PIL.Image")

from PIL import Image

from fastiter.cli import main
from fastiter.netcdf import ChunkPlan, make_rasm, plot_plan, save_chunks


def _texts(plan):
    ax = plan.figure.axes[0]
    return [t.get_text() for t in ax.texts]


def _check_png(path):
    with Image.open(path) as im:
        assert im.format == "PNG" and im.width >= 600 and im.height >= 200
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        assert colours is not None and len(colours) > 10  # drawn, not blank


def test_plan_is_what_save_chunks_writes(tmp_path):
    ds = make_rasm(n_time=30, ny=6, nx=7)
    out = str(tmp_path / "out")
    png = tmp_path / "plan.png"
    plan = plot_plan(ds, {"time": 12}, root=out, path=png)
    assert isinstance(plan, ChunkPlan) and len(plan) == 3
    assert not os.path.exists(out)  # drawing writes nothing but the picture
    paths = save_chunks(ds, out, chunks={"time": 12}, parallel="serial", progress=False)
    assert plan.paths == paths
    assert plan.split == {"time": (12, 12, 6)}
    assert [f.slices for f in plan.files] == [
        {"time": (0, 12)},
        {"time": (12, 24)},
        {"time": (24, 30)},
    ]
    assert [f.sizes for f in plan.files] == [{"time": n, "y": 6, "x": 7} for n in (12, 12, 6)]
    for f in plan.files:
        piece = ds.isel(time=slice(*f.slices["time"]))
        assert f.nbytes == piece.nbytes
    assert plan.nbytes == sum(f.nbytes for f in plan.files)
    # every cell is labelled with its number, file name and size
    texts = _texts(plan)
    assert len(texts) == 3
    for f, t in zip(plan.files, texts):
        assert t.startswith(f"#{f.index}\n{os.path.basename(f.path)}\n")
    assert texts[2].endswith("kB")
    _check_png(png)


def test_two_split_dims_draw_a_grid(tmp_path):
    ds = make_rasm(n_time=24, ny=40, nx=30, chunks={"time": 12})
    plan = plot_plan(ds, {"time": 12, "y": 15}, naming="index", path=tmp_path / "g.png")
    assert len(plan) == 6 and plan.split == {"time": (12, 12), "y": (15, 15, 10)}
    # file order is C order over (time, y): the last split dimension runs fastest
    assert [f.slices["y"] for f in plan.files[:3]] == [(0, 15), (15, 30), (30, 40)]
    assert [f.slices["time"] for f in plan.files[2:4]] == [(0, 12), (12, 24)]
    assert [os.path.basename(p) for p in plan.paths] == [f"filename_{i}.nc" for i in range(6)]
    cells = plan.figure.axes[0].collections[0]
    assert len(cells.get_paths()) == 6
    np.testing.assert_allclose(cells.get_array(), [f.nbytes / 1e6 for f in plan.files])
    _check_png(tmp_path / "g.png")


def test_many_files_label_a_readable_subset(tmp_path):
    ds = make_rasm(n_time=12 * 200, chunks={"time": 12})  # lazy: nothing is computed
    plan = plot_plan(ds, path=tmp_path / "many.png", max_labels=20)
    assert len(plan) == 200
    texts = _texts(plan)
    assert 5 <= len(texts) <= 20
    by_index = {f.index: os.path.basename(f.path) for f in plan.files}
    for t in texts:
        number, name = t.split("\n")[:2]
        assert by_index[int(number[1:])] == name
    _check_png(tmp_path / "many.png")


def test_plan_reads_no_data(tmp_path):
    da = pytest.importorskip("dask.array")

    def boom(block):
        raise AssertionError("plot_plan computed data")

    data = da.zeros((24, 3), chunks=(6, 3)).map_blocks(boom, dtype=float)
    ds = xr.Dataset({"v": (("time", "y"), data)}, coords={"time": np.arange(24)})
    plan = plot_plan(ds, naming="index")
    assert len(plan) == 4 and plan.files[0].nbytes == 6 * 3 * 8 + 6 * 8


def test_plan_into_given_axes_and_formats(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    plan = plot_plan(make_rasm(n_time=24, ny=3, nx=4), {"time": 12}, ax=ax, path=tmp_path / "p.svg")
    assert plan.figure is fig and len(ax.texts) == 2
    assert (tmp_path / "p.svg").read_text().lstrip().startswith("<?xml")


@pytest.mark.parametrize(
    "kw,err,match",
    [
        ({"path": "plan.nc"}, ValueError, r"image format .*got '.*plan\.nc'"),
        ({"path": 5}, TypeError, "path must be a file name"),
        ({"max_labels": 0}, ValueError, "max_labels must be an int >= 1"),
        ({"chunks": {"lat": 3}}, ValueError, "names dimensions"),
    ],
)
def test_bad_arguments(tmp_path, kw, err, match):
    kw = dict(kw)
    if isinstance(kw.get("path"), str):
        kw["path"] = str(tmp_path / kw["path"])
    chunks = kw.pop("chunks", {"time": 12})
    with pytest.raises(err, match=match):
        plot_plan(make_rasm(n_time=24, ny=3, nx=4), chunks, **kw)
    assert os.listdir(tmp_path) == []


def test_cli_split_plan_draws_and_writes_no_data(tmp_path, capsys):
    src = tmp_path / "in.nc"
    make_rasm(n_time=36, ny=6, nx=7).to_netcdf(src)
    out, png = tmp_path / "out", tmp_path / "plan.png"
    assert main(["split", str(src), str(out), "--size", "12", "--plan", str(png)]) == 0
    said = capsys.readouterr().out
    assert "plan of 3 files" in said and "no data file was written" in said
    assert not out.exists()
    _check_png(png)
    assert main(["split", str(src), str(out), "--plan", str(tmp_path / "p.txt")]) == 2
    assert "image format" in capsys.readouterr().err


def test_cli_split_report(tmp_path, capsys):
    src = tmp_path / "in.nc"
    make_rasm(n_time=36, ny=6, nx=7).to_netcdf(src)
    rep = tmp_path / "r.json"
    assert (
        main(
            [
                "split",
                str(src),
                str(tmp_path / "out"),
                "--no-progress",
                "--naming",
                "index",
                "--report",
                str(rep),
            ]
        )
        == 0
    )
    s = json.loads(rep.read_text())
    assert s["status"] == "complete" and s["files_written"] == 3
    assert [os.path.basename(f["path"]) for f in s["files"]] == [
        f"filename_{i}.nc" for i in range(3)
    ]
    capsys.readouterr()
