"""The command line explains itself: every option has a help text that states its
default, the usage lines read as the commands are typed, and summaries stay short."""

from __future__ import annotations

import argparse

import pytest

from fastiter.cli import build_parser, main


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("command", ["demo", "bench", "config", "split"])
def test_every_option_has_a_help_text(command):
    sub = _subparsers()[command]
    missing = [
        a.option_strings or a.dest
        for a in sub._actions
        if not isinstance(a, argparse._HelpAction) and not (a.help or "").strip()
    ]
    assert not missing, f"fastiter {command}: options without help: {missing}"


@pytest.mark.parametrize("command", ["demo", "bench", "split"])
def test_options_with_a_default_say_what_it_is(command):
    sub = _subparsers()[command]
    silent = [
        a.option_strings[0]
        for a in sub._actions
        if a.option_strings
        and not isinstance(a, argparse._HelpAction)
        and "default" not in (a.help or "")
    ]
    assert not silent, f"fastiter {command}: help does not state the default: {silent}"


def test_split_usage_reads_as_typed(capsys):
    with pytest.raises(SystemExit):
        main(["split", "--help"])
    text = capsys.readouterr().out
    usage = text.split("\n\n")[0]
    assert "INPUT [INPUT ...] OUTDIR" in usage, usage
    assert "INPUT... OUTDIR [INPUT... OUTDIR ...]" not in text


def test_split_summary_does_not_echo_every_input(tmp_path, capsys):
    from fastiter.netcdf import make_rasm, save_chunks

    inputs = save_chunks(
        make_rasm(n_time=60, ny=4, nx=5), tmp_path / "in", chunks={"time": 12}, progress=False
    )
    assert len(inputs) == 5
    assert (
        main(
            [
                "split",
                *inputs,
                str(tmp_path / "out"),
                "--size",
                "24",
                "--workers",
                "1",
                "--no-progress",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert sum(p in out for p in inputs) <= 1, out  # the first one at most, then a count
    assert "5 input files" in out, out
