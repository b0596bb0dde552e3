"""Command line: ``ftjphys list | run | inspect | summary | fit | export``.

Exit codes: 0 success, 2 bad user input or unreadable result file, 130 interrupted.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

from scenarios import registry
from scenarios.store import (
    ResultFileError,
    RunResult,
    format_derived,
    inspect_text,
    read_result,
    write_result,
)

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class UsageError(ValueError):
    """Bad user input on the command line (reported without a traceback)."""


# ---------------------------------------------------------------------- --set parsing


def parse_value(text: str) -> Any:
    """A ``--set`` value: JSON when it parses (``1e-9``, ``true``, ``[1, 2]``), else the raw string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _coerce(key: str, old: Any, new: Any, raw: str) -> Any:
    """Keep the override's type consistent with the value it replaces."""
    if isinstance(old, dict):
        raise UsageError(f"--set {key}: {key!r} is a section; set one of its keys ({key}.NAME=VALUE)")
    if isinstance(old, str) and not isinstance(new, str):
        return raw
    if isinstance(old, bool) or old is None:
        if isinstance(old, bool) and not isinstance(new, bool):
            raise UsageError(f"--set {key}: expects true or false, got {raw!r}")
        return new
    if isinstance(old, (int, float)):
        if isinstance(new, bool) or not isinstance(new, (int, float)):
            raise UsageError(f"--set {key}: expects a number, got {raw!r}")
        if isinstance(old, float) and isinstance(new, int):
            return float(new)
    return new


def apply_overrides(config: dict, assignments: Sequence[str]) -> dict:
    """Return a copy of ``config`` with ``key.sub=value`` assignments applied.

    Keys are dotted paths into nested dicts and must already exist; a section whose own keys are dotted
    (``overrides``: parameter names such as ``domains.columns``) takes the rest of the path as one key.
    Values are parsed with :func:`parse_value`.  Raises :class:`UsageError`.
    """
    out = copy.deepcopy(config)
    for item in assignments:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--set expects KEY=VALUE, got {item!r}")
        parts = key.split(".")
        node: Any = out
        for depth, part in enumerate(parts):
            here = ".".join(parts[:depth]) or "top level"
            if not isinstance(node, dict):
                raise UsageError(f"--set {key}: {here!r} is not a section")
            rest = ".".join(parts[depth:])
            if part not in node and depth < len(parts) - 1 and rest in node:
                node[rest] = _coerce(key, node[rest], parse_value(raw), raw)
                break
            if part not in node:
                known = ", ".join(sorted(map(str, node))) or "(none)"
                raise UsageError(f"--set: unknown config key {key!r} (no {part!r} at {here}; known keys: {known})")
            if depth == len(parts) - 1:
                node[part] = _coerce(key, node[part], parse_value(raw), raw)
            else:
                node = node[part]
    return out


# -------------------------------------------------------------------------- commands


def _cmd_list(args: argparse.Namespace) -> int:
    names = registry.names()
    width = max((len(n) for n in names), default=0)
    for name in names:
        print(f"{name:<{width}}  {registry.describe(name)}")
    return 0


def _default_out(name: str, quick: bool) -> Path:
    return Path("results") / (f"{name}_quick.h5" if quick else f"{name}.h5")


def _cmd_run(args: argparse.Namespace) -> int:
    try:
        module = registry.get(args.name)
    except registry.UnknownScenarioError as exc:
        raise UsageError(str(exc)) from exc
    config = apply_overrides(module.config(quick=args.quick), args.set)
    if args.scheduler:
        if "scheduler" not in config:
            raise UsageError(f"--scheduler: scenario {args.name!r} runs no parallel sweep")
        config["scheduler"] = args.scheduler
    out = Path(args.out) if args.out else _default_out(args.name, args.quick)
    if args.workers is not None:
        if args.workers < 0:
            raise UsageError(f"--workers = {args.workers}; allowed: an integer >= 0 (0: one per CPU)")
        os.environ["FTJPHYS_WORKERS"] = str(args.workers)
    else:
        os.environ.setdefault("FTJPHYS_WORKERS", "0")
    result = module.run(config, progress=not args.quiet)
    if not isinstance(result, RunResult):
        raise TypeError(f"scenario {args.name!r} returned {type(result).__name__}, not a RunResult")
    write_result(out, result, command=args.command_line)
    if not args.quiet:
        print(f"wrote {out}")
    # files derived from the result file (e.g. the compact model's JSON twin)
    for path in getattr(module, "companions", lambda _: [])(out):
        if not args.quiet:
            print(f"wrote {path}")
    if not args.no_plot:
        png = out.with_suffix(".png")
        module.plot(out, png)
        if not args.quiet:
            print(f"wrote {png}")
    if not args.quiet:
        lines = format_derived(read_result(out))
        if lines:
            print("derived:")
            for line in lines:
                print(f"  {line}")
    return 0


def _cmd_inspect(args: argparse.Namespace) -> int:
    try:
        text = inspect_text(args.file)
    except ResultFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(text)
    return 0


def _cmd_summary(args: argparse.Namespace) -> int:
    directory = Path(args.dir)
    if not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    files = sorted(p for p in directory.glob("*.h5") if not p.name.startswith("."))
    if not files:
        print(f"no result files in {directory}")
        return 0
    for path in files:
        try:
            result = read_result(path)
        except ResultFileError as exc:
            print(f"warning: skipping {exc}", file=sys.stderr)
            continue
        print(f"{result.scenario}  ({path})")
        lines = format_derived(result, scalars_only=True)
        for line in lines or ["(no derived scalars)"]:
            print(f"  {line}")
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from scenarios.compact import fit_measured
    from scenarios.measured_csv import MeasuredDataError

    try:
        paths = fit_measured(args.data, fmt=args.format, read_voltage_V=args.read_voltage, name=args.name,
                             out=args.out, command=args.command_line)
    except MeasuredDataError as exc:
        raise UsageError(str(exc)) from exc
    for path in paths:
        print(f"wrote {path}")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from scenarios.exports import export_model

    for path in export_model(args.model, args.format, args.out):
        print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------ main


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``ftjphys`` command."""
    parser = argparse.ArgumentParser(
        prog="ftjphys", description="Ferroelectric tunnel junction simulations: run scenarios, read results."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("list", help="list the scenarios")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("run", help="run a scenario, write results/NAME.h5 and its plot")
    p.add_argument("name", metavar="NAME", help="scenario name (see `ftjphys list`)")
    p.add_argument("--quick", action="store_true", help="reduced resolution for a fast check")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="override a config entry (dotted key, JSON value); repeatable",
    )
    p.add_argument("--out", metavar="FILE", help="output HDF5 file (default results/NAME[_quick].h5)")
    p.add_argument("--quiet", action="store_true", help="no progress bars and no summary")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG plot")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the scenario's sweep on this Dask scheduler (e.g. tcp://host:8786) instead of "
                        "local processes")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes for the domain columns of each device run (default: FTJPHYS_WORKERS, "
                        "else one per CPU; 1: in this process)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("inspect", help="print the content of a result file")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser("summary", help="derived numbers of every result file in a directory")
    p.add_argument("dir", metavar="DIR")
    p.set_defaults(func=_cmd_summary)

    p = sub.add_parser("fit", help="fit a compact model to a measured pulse-train CSV")
    p.add_argument("--data", required=True, metavar="CSV", help="long table (cycle,pulse,direction,G_S or I_A) "
                   "or the two-column up_data,down_data format")
    p.add_argument("--format", choices=("long", "updown"), help="layout of the CSV (default: detected)")
    p.add_argument("--read-voltage", type=float, metavar="V", help="read voltage of the measurement (needed for "
                   "currents I_A)")
    p.add_argument("--name", help="model name (default: the file name)")
    p.add_argument("--out", metavar="FILE", help="model file (default results/compact_model_<csv name>.h5; the "
                   "JSON twin goes beside it)")
    p.set_defaults(func=_cmd_fit)

    p = sub.add_parser("export", help="export a compact model for CrossSim, aihwkit, NeuroSim, SPICE or as JSON")
    p.add_argument("--format", required=True, choices=("crosssim", "aihwkit", "neurosim", "spice", "json"))
    p.add_argument("--model", default="results/compact_model.h5", metavar="FILE",
                   help="compact model file, .h5 or .json (default results/compact_model.h5)")
    p.add_argument("--out", metavar="DIR", help="output directory (default results/exports/<model>/<format>; "
                   "json: beside the model)")
    p.set_defaults(func=_cmd_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ftjphys`` console script; returns the exit code."""
    if argv is None:
        argv = sys.argv[1:]
        command_line = " ".join(sys.argv)
    else:
        argv = list(argv)
        command_line = shlex.join(["ftjphys", *argv])
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help or an argparse usage error (already printed)
        return exc.code if isinstance(exc.code, int) else EXIT_USAGE
    args.command_line = command_line
    try:
        return args.func(args)
    except (UsageError, ResultFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # invalid parameters and configurations name themselves and the allowed range
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
