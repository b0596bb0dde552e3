"""Reading a user's measured pulse trains from CSV for ``ftjphys fit``.

Two layouts (comma-separated, UTF-8; blank lines and lines starting with ``#`` are skipped):

``long``: one row per read, a header naming at least the columns
    ``cycle``, ``pulse``, ``direction`` and either ``G_S`` (conductance in S) or ``I_A`` (current in A
    at the read voltage, which must then be given). Optional: ``device`` (several devices give the
    device-to-device variation), ``amplitude_V`` (write amplitude of the pulse). ``direction`` is one of
    up/down, potentiation/depression, ltp/ltd, set/reset, +/-, +1/-1. Pulses of each (device, cycle,
    direction) are ordered by ``pulse``; every cycle must hold both directions with the same number of
    pulses per direction in all cycles. When every cycle lists its potentiation before its depression
    and the cycles follow each other in the file, the trains are taken as alternating (each branch
    starts where the previous one ended).

``updown``: the two-column format of aihwkit's example 21 (``examples/csv/gong_et_al.csv``):
    ``up_data,down_data``, consecutive conductances in S along one potentiation train and one
    depression train (header row optional; a shorter column may end in empty cells).

Every problem raises :class:`MeasuredDataError` naming the file, the line and what is wrong.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
from pathlib import Path

import numpy as np

FORMATS = ("long", "updown")

_ALIASES = {
    "cycle": ("cycle", "cycle_index"),
    "pulse": ("pulse", "pulse_index", "pulse_number"),
    "direction": ("direction", "branch", "polarity"),
    "G_S": ("g_s", "g", "conductance_s", "conductance"),
    "I_A": ("i_a", "i", "current_a", "current"),
    "device": ("device", "device_id"),
    "amplitude_V": ("amplitude_v", "pulse_amplitude_v", "v_pulse_v"),
}
_DIRECTIONS = {"up": 1, "down": -1, "potentiation": 1, "depression": -1, "ltp": 1, "ltd": -1, "set": 1,
               "reset": -1, "+": 1, "-": -1, "+1": 1, "-1": -1, "1": 1, "p": 1, "d": -1}
_SNIFF_BYTES = 65536


class MeasuredDataError(ValueError):
    """A measured pulse-train file that cannot be used; the message names the file, line and problem."""


@dataclasses.dataclass(frozen=True)
class MeasuredTrains:
    """Conductance after each pulse, [device, cycle, pulse] per branch, with what the file said.

    alternating: each branch starts where the previous one ended (see the module docstring);
    read_voltage_V: NaN when not stated; amplitude_up_V/amplitude_down_V: write amplitudes per pulse
    (first cycle of the first device) or None; source: file, format, quantity, counts.
    """

    G_up_S: np.ndarray
    G_down_S: np.ndarray
    alternating: bool
    read_voltage_V: float
    source: dict
    amplitude_up_V: np.ndarray | None = None
    amplitude_down_V: np.ndarray | None = None


def _rows(path: Path):
    """(line number, fields) of the non-blank, non-comment lines; raises for a file that is not CSV text."""
    if not path.exists():
        raise MeasuredDataError(f"{path}: no such file")
    if path.is_dir():
        raise MeasuredDataError(f"{path}: is a directory, not a CSV file")
    raw = path.read_bytes()
    if not raw.strip():
        raise MeasuredDataError(f"{path}: the file is empty")
    nul = raw.find(b"\x00", 0, _SNIFF_BYTES)
    if nul >= 0:
        raise MeasuredDataError(f"{path}: not a CSV text file (binary content: NUL byte at offset {nul})")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise MeasuredDataError(f"{path}: line {line}: not a CSV text file (not UTF-8 at byte {exc.start})") from None
    out = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for fields in reader:
            cells = [f.strip() for f in fields]
            if any(cells) and not cells[0].startswith("#"):
                out.append((reader.line_num, cells))
    except csv.Error as exc:
        raise MeasuredDataError(f"{path}: line {reader.line_num}: not a valid CSV file ({exc})") from None
    if not out:
        raise MeasuredDataError(f"{path}: no data rows (only blank or comment lines)")
    return out


def _number(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise MeasuredDataError(f"{path}: line {line}: column {column!r}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise MeasuredDataError(f"{path}: line {line}: column {column!r}: {text!r} is not a finite number")
    return value


def _conductance(path: Path, line: int, column: str, value: float, what: str = "conductance") -> float:
    if value < 0:
        raise MeasuredDataError(f"{path}: line {line}: column {column!r}: {what} {value:g} is negative; "
                                f"a {what} must be > 0")
    if value == 0:
        raise MeasuredDataError(f"{path}: line {line}: column {column!r}: {what} is zero; a {what} must be > 0")
    return value


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def detect_format(path: str | Path) -> str:
    """``long`` when the header names a cycle, pulse or direction column, ``updown`` for two columns, else an
    error."""
    path = Path(path)
    line, first = _rows(path)[0]
    names = {c.lower() for c in first}
    if names & set(_ALIASES["direction"] + _ALIASES["cycle"] + _ALIASES["pulse"]):
        return "long"
    if len(first) == 2:
        return "updown"
    raise MeasuredDataError(f"{path}: line {line}: cannot tell the layout: a long table needs the columns cycle, "
                            f"pulse, direction and G_S (or I_A); the up/down format has two columns; found "
                            f"{len(first)} column(s) {first}")


def read_pulse_csv(path: str | Path, fmt: str | None = None, read_voltage_V: float | None = None) -> MeasuredTrains:
    """Measured pulse trains from a CSV file of layout ``fmt`` (None: :func:`detect_format`)."""
    path = Path(path)
    fmt = detect_format(path) if fmt is None else fmt
    if fmt not in FORMATS:
        raise MeasuredDataError(f"{path}: unknown format {fmt!r}; allowed: {', '.join(FORMATS)}")
    if read_voltage_V is not None and not (math.isfinite(read_voltage_V) and read_voltage_V > 0):
        raise MeasuredDataError(f"{path}: read voltage {read_voltage_V!r} V must be a positive number")
    return _read_long(path, read_voltage_V) if fmt == "long" else _read_updown(path, read_voltage_V)


def _read_long(path: Path, read_voltage_V: float | None) -> MeasuredTrains:
    rows = _rows(path)
    header_line, header = rows[0]
    lowered = [h.lower() for h in header]
    column: dict[str, int] = {}
    for key, aliases in _ALIASES.items():
        hits = [i for i, h in enumerate(lowered) if h in aliases]
        if len(hits) > 1:
            raise MeasuredDataError(f"{path}: line {header_line}: column {key!r} appears twice "
                                    f"({', '.join(header[i] for i in hits)})")
        if hits:
            column[key] = hits[0]
    missing = [k for k in ("cycle", "pulse", "direction") if k not in column]
    if "G_S" not in column and "I_A" not in column:
        missing.append("G_S (or I_A)")
    if missing:
        raise MeasuredDataError(f"{path}: line {header_line}: missing column(s) {', '.join(missing)}; found "
                                f"{', '.join(repr(h) for h in header) or 'none'}; a long table needs cycle, pulse, "
                                f"direction and G_S (conductance in S) or I_A (current in A at --read-voltage)")
    use_current = "G_S" not in column
    if use_current and read_voltage_V is None:
        raise MeasuredDataError(f"{path}: line {header_line}: column {header[column['I_A']]!r} holds currents; "
                                f"give the read voltage (--read-voltage V) to turn them into conductances")
    value_key = "I_A" if use_current else "G_S"
    value_name = header[column[value_key]]
    data: dict[tuple, dict[int, tuple]] = {}
    order: list[tuple] = []
    for line, cells in rows[1:]:
        if len(cells) != len(header):
            raise MeasuredDataError(f"{path}: line {line}: expected {len(header)} fields like the header, "
                                    f"found {len(cells)}")

        def cell(key):
            return cells[column[key]]

        cycle = _number(path, line, header[column["cycle"]], cell("cycle"))
        pulse = _number(path, line, header[column["pulse"]], cell("pulse"))
        for name, v in ((header[column["cycle"]], cycle), (header[column["pulse"]], pulse)):
            if v != int(v) or v < 0:
                raise MeasuredDataError(f"{path}: line {line}: column {name!r}: {v:g} is not a whole number >= 0")
        direction = _DIRECTIONS.get(cell("direction").lower())
        if direction is None:
            raise MeasuredDataError(f"{path}: line {line}: column {header[column['direction']]!r}: "
                                    f"{cell('direction')!r} is not a direction; allowed: up/down, "
                                    f"potentiation/depression, ltp/ltd, set/reset, +/-")
        value = _number(path, line, value_name, cell(value_key))
        G = _conductance(path, line, value_name, value, "current" if use_current else "conductance")
        if use_current:
            G /= read_voltage_V
        amp = _number(path, line, header[column["amplitude_V"]], cell("amplitude_V")) if "amplitude_V" in column \
            else float("nan")
        device = cell("device") if "device" in column else ""
        key = (device, int(cycle), direction)
        branch = data.setdefault(key, {})
        if int(pulse) in branch:
            raise MeasuredDataError(f"{path}: line {line}: pulse {int(pulse)} of cycle {int(cycle)} "
                                    f"({'up' if direction > 0 else 'down'}) repeats line {branch[int(pulse)][2]}")
        branch[int(pulse)] = (G, amp, line)
        if not order or order[-1] != key:
            order.append(key)
    if not data:
        raise MeasuredDataError(f"{path}: no data rows below the header (line {header_line})")

    devices = list(dict.fromkeys(k[0] for k in data))
    counts = {}
    for key, branch in data.items():
        first_line = min(v[2] for v in branch.values())
        label = f"{'device ' + repr(key[0]) + ', ' if key[0] else ''}cycle {key[1]} ({'up' if key[2] > 0 else 'down'})"
        if len(branch) < 2:
            raise MeasuredDataError(f"{path}: line {first_line}: a single pulse in {label}; each branch of each "
                                    f"cycle needs at least 2 pulses")
        other = (key[0], key[1], -key[2])
        if other not in data:
            raise MeasuredDataError(f"{path}: line {first_line}: {label} has no "
                                    f"{'down' if key[2] > 0 else 'up'} branch; every cycle needs both")
        ref = counts.setdefault(key[2], (len(branch), label))
        if len(branch) != ref[0]:
            raise MeasuredDataError(f"{path}: line {first_line}: {label} has {len(branch)} pulses, {ref[1]} has "
                                    f"{ref[0]}; all cycles need the same number of pulses per direction")
    cycles_of = {d: sorted({k[1] for k in data if k[0] == d}) for d in devices}
    n_cycles = {d: len(c) for d, c in cycles_of.items()}
    if len(set(n_cycles.values())) > 1:
        (d0, c0), (d1, c1) = min(n_cycles.items(), key=lambda kv: kv[1]), max(n_cycles.items(), key=lambda kv: kv[1])
        raise MeasuredDataError(f"{path}: device {d0!r} has {c0} cycles and device {d1!r} has {c1}; all devices "
                                f"need the same number of cycles")

    def stack(direction):
        G = np.empty((len(devices), len(cycles_of[devices[0]]), counts[direction][0]))
        for i, d in enumerate(devices):
            for j, c in enumerate(cycles_of[d]):
                branch = data[(d, c, direction)]
                G[i, j] = [branch[p][0] for p in sorted(branch)]
        return G

    def amplitudes(direction):
        branch = data[(devices[0], cycles_of[devices[0]][0], direction)]
        amps = np.array([branch[p][1] for p in sorted(branch)])
        return amps if np.all(np.isfinite(amps)) else None

    # alternating when each device's file order is up, down, up, down, ... with increasing cycles
    alternating = True
    for d in devices:
        seq = [k for k in order if k[0] == d]
        expected = [(d, c, s) for c in cycles_of[d] for s in (1, -1)]
        alternating &= seq == expected
    return MeasuredTrains(stack(1), stack(-1), bool(alternating),
                          float(read_voltage_V) if read_voltage_V is not None else float("nan"),
                          {"file": str(path), "format": "long", "quantity": "current" if use_current else "conductance",
                           "column": value_name, "rows": len(rows) - 1, "devices": len(devices),
                           "device_names": devices, "cycles": len(cycles_of[devices[0]])},
                          amplitudes(1), amplitudes(-1))


def _read_updown(path: Path, read_voltage_V: float | None) -> MeasuredTrains:
    rows = _rows(path)
    names = ["up_data", "down_data"]
    first_line, first = rows[0]
    if len(first) != 2:
        raise MeasuredDataError(f"{path}: line {first_line}: the up/down format has 2 columns (up_data,down_data); "
                                f"found {len(first)}")
    if not any(_is_number(c) for c in first):
        names = first
        rows = rows[1:]
    columns: list[list[tuple[float, int]]] = [[], []]
    ended = [None, None]
    for line, cells in rows:
        if len(cells) != 2:
            raise MeasuredDataError(f"{path}: line {line}: expected 2 fields (up_data,down_data), found {len(cells)}")
        for k, text in enumerate(cells):
            if text == "":
                ended[k] = ended[k] or line
                continue
            if ended[k] is not None:
                raise MeasuredDataError(f"{path}: line {line}: column {names[k]!r} continues after an empty cell "
                                        f"on line {ended[k]}")
            value = _number(path, line, names[k], text)
            columns[k].append((_conductance(path, line, names[k], value), line))
    for k in range(2):
        if len(columns[k]) < 2:
            where = f"line {columns[k][0][1]}: " if columns[k] else ""
            raise MeasuredDataError(f"{path}: {where}column {names[k]!r} holds {len(columns[k])} value(s): "
                                    f"{'a single pulse' if columns[k] else 'no pulse'}; each train needs at least "
                                    f"2 pulses")
    up = np.array([v for v, _ in columns[0]])[None, None, :]
    down = np.array([v for v, _ in columns[1]])[None, None, :]
    return MeasuredTrains(up, down, False, float(read_voltage_V) if read_voltage_V is not None else float("nan"),
                          {"file": str(path), "format": "updown", "quantity": "conductance", "column": "/".join(names),
                           "rows": len(rows), "devices": 1, "device_names": [""], "cycles": 1})
