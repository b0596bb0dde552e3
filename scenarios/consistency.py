"""Consistency report: every paper number of Figs. 2, 4a, 5 and S4–S6 beside what the ``literature`` set and
the calibrated ``yang2022`` set give, and which calibrated mechanism closes (or fails to close) the gap.

Reads the result files in a directory (``results/`` by default; a missing file makes its rows say which
``make`` target produces it), writes ``consistency.md`` there and prints it:

    python -m scenarios.consistency [--dir results]          (make consistency)
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
from scipy import constants as sc

from ftjphys.parameters import yang2022

from .store import ResultFileError, read_result

_Y = yang2022()
_DOMAINS = (f"{_Y.domains.columns} log-normal columns: median activation field "
            f"{_Y.domains.activation_field_V_per_m / 1e8:.0f} MV/cm, ln-spread {_Y.domains.activation_spread:.2f}")
_EXCHANGE_BARRIERS = (f"barriers {_Y.vacancies.exchange_barrier_J / sc.eV:.2f} +- "
                      f"{_Y.vacancies.exchange_barrier_spread_J / sc.eV:.2f} eV")


@dataclass(frozen=True)
class Row:
    """One paper number: where its value lives in which result file, how it is shown and judged."""

    figure: str
    quantity: str
    paper: str
    file: str
    path: str                                      # under /derived (and /derived/literature)
    fmt: Callable[[np.ndarray], str]
    ok: Callable[[np.ndarray], bool]
    mechanism: str
    literature: bool = True


def _num(x, unit="", scale=1.0, digits=3):
    a = np.atleast_1d(np.asarray(x, dtype=float)) * scale
    return " / ".join(f"{v:.{digits}g}" for v in a.ravel()) + (f" {unit}" if unit else "")


def _in(lo, hi):
    return lambda x: bool(np.all((np.asarray(x, dtype=float) >= lo) & (np.asarray(x, dtype=float) <= hi)))


def _increasing(x):
    a = np.asarray(x, dtype=float)
    return bool(np.all(np.diff(a) > 0))


def _windows_ok(w):
    w = np.asarray(w, dtype=float)
    sym = np.abs(w[..., 0] - w[..., 1]) / np.mean(w, axis=-1) <= 0.3
    return bool(np.all((w >= 1.5) & (w <= 2.5)) and np.all(sym))


ROWS = [
    Row("Fig. 5", "R_LRS1 at 0.1 V (prescribed state)", "~1 kOhm (0.5-2)", "fig5", "R_LRS1_ohm",
        lambda x: _num(x, "Ohm"), _in(500, 2000),
        "tunnelling mass 2.37 m0 (complex-band decay), Cr screening length, interface charge"),
    Row("Fig. 5", "R_LRS2 at 0.1 V (prescribed state)", "~0.4 kOhm (0.2-0.8)", "fig5", "R_LRS2_ohm",
        lambda x: _num(x, "Ohm"), _in(200, 800),
        "vacancy inventory 1.9e12 cm^-2 and band lowering of a vacancy-rich layer (metallic BaTiO3-d)"),
    Row("Fig. 5", "R_HRS at 0.1 V (prescribed state)", ">= 25 kOhm", "fig5", "R_HRS_ohm",
        lambda x: _num(x, "Ohm"), _in(25e3, np.inf), "acceptor-like interface charge -0.17 C/m^2 (NSTO depletion)"),
    Row("Fig. 5a", "DT barriers top / bottom", "0.577 / 0.164 eV", "fig5", "phi_DT_top_eV",
        lambda x: _num(x, "eV"), lambda x: abs(float(x) - 0.577) <= 0.06, "Cr screening length (interface dipole)"),
    Row("Fig. 5b", "Schottky barrier (HRS)", "0.59 eV", "fig5", "phi_TE_eV",
        lambda x: _num(x, "eV"), lambda x: abs(float(x) - 0.59) <= 0.06, "interface charge (NSTO depletion)"),
    Row("Fig. 2b", "R_LRS after 1 / 10 / 100 us / 1 ms writes", "~1 kOhm (0.5-2) for 1-100 us, ~0.4 (0.2-0.8) at 1 ms",
        "fig2b", "R_LRS_ohm", lambda x: _num(x, "Ohm"),
        lambda x: _in(500, 2000)(np.asarray(x)[:-1]) and _in(200, 800)(np.asarray(x)[-1]),
        f"Merz-gated LK domain ensemble ({_DOMAINS}; film Ps 0.18 C/m^2); Cr/BTO exchange sites metallize the "
        "top unit cells at long writes"),
    Row("Fig. 2b", "R_HRS after negative writes, per width", "grows with width", "fig2b", "R_HRS_ohm",
        lambda x: _num(x, "Ohm"), _increasing,
        "nucleation asymmetry 0.087 (reversal towards Cr easier): longer negative writes switch more domains "
        "back; tension with Fig. 2d / S5: at the activation field that centres the 1 ms trains, 1 us writes to "
        "4 V leave more columns unset and the 1 us HRS is above the 10 us one (README, Calibration)"),
    Row("Fig. 2b", "switching window [+, -] per width", "1.5-2.5 V, polarities within 30 %", "fig2b",
        "switching_window_V", lambda x: "; ".join(_num(r, digits=3) for r in np.atleast_2d(x)) + " V", _windows_ok,
        "spread of nucleation fields over the domains; nucleation asymmetry offsets the Nb:SrTiO3 depletion clamp; "
        f"Cr/BTO exchange ({_EXCHANGE_BARRIERS}) extends both branches"),
    Row("Fig. 2c", "retention drift HRS / intermediate / LRS over 1e4 s", "<= 0.10", "fig2c", "retention_drift",
        lambda x: _num(x), _in(0, 0.10),
        "vacancy traps (1e27 m^-3, release 1.1 +- 0.1 eV); Cr/BTO exchange barriers >= 1.3 eV; "
        "nucleation-limited (Merz) domain reversal at 0 V"),
    Row("Fig. 2d", "NL (eq. 1)", "0.13-0.17 (accept 0.10-0.20)", "fig2d", "NL", lambda x: _num(x), _in(0.10, 0.20),
        f"Cr/BTO exchange sites ({_EXCHANGE_BARRIERS}, calibrate_switching --stage plasticity): they fill late "
        "in the positive ramp, in the columns still pointing away from Cr, and empty in the negative ramp after "
        "those reverse, against the domains' early switching (the switched fraction alone: "
        "/derived/NL_switched_fraction); the NL rises over the cycles as the late columns accumulate exchanged "
        "vacancies (/derived/NL_cycles)"),
    Row("Fig. 2d", "G_min at the read voltage", "40 uS (+-30 %)", "fig2d", "G_min_S",
        lambda x: _num(x, "uS", 1e6), _in(28e-6, 52e-6),
        "tension with R_LRS ~1 kOhm at the same read voltage (research/feasibility.md §2)"),
    Row("Fig. 2d", "G_max at the read voltage", "90 uS (+-30 %)", "fig2d", "G_max_S",
        lambda x: _num(x, "uS", 1e6), _in(63e-6, 117e-6), "as above"),
    Row("Fig. 2e", "mean dG per potentiation pulse", "+0.32 uS (+-30 %)", "fig2d", "dG_potentiation_mean_S",
        lambda x: _num(x, "uS", 1e6), _in(0.224e-6, 0.416e-6), "follows the window and NL"),
    Row("Fig. 2f", "mean dG per depression pulse", "-0.36 uS (+-30 %)", "fig2d", "dG_depression_mean_S",
        lambda x: _num(x, "uS", 1e6), _in(-0.468e-6, -0.252e-6), "follows the window and NL"),
    Row("Fig. S4", "cycle-to-cycle variation", "5.4 % (2.7-8.1)", "figS4", "c2c", lambda x: _num(x, "%", 100),
        _in(0.027, 0.081), "stochastic nucleation (activation fields redrawn per cycle)", literature=False),
    Row("Fig. S4", "device-to-device variation", "8.3 % (4-12.5)", "figS4", "d2d", lambda x: _num(x, "%", 100),
        _in(0.04, 0.125), "spread of thickness, vacancy inventory, activation field (its size calibrated: "
        "calibrate_variability, on other device draws)", literature=False),
    Row("Fig. S5", "reference device NL (eq. 1)", "0.61-0.65 (accept 0.50-0.75)", "figS5", "NL",
        lambda x: _num(x), _in(0.50, 0.75), "domain channel alone (vacancy migration off); the domains' "
        "activation field set with the device's NL (calibrate_switching --stage plasticity; tables below)",
        literature=False),
    Row("Fig. S5", "reference window / device window [+, -]", "< 1 (reference narrower)", "figS5",
        "window_ratio_to_device", lambda x: _num(x), _in(0.0, 0.999),
        "Cr/BTO exchange widens the device's window (vacancy migration off: no exchange); the margin is thin "
        "(under 1 %): the exchange acts late in both ramps, beyond most of the ln R swing (README)"),
    Row("Fig. S6", "NL stepped scheme", "low (0.13-0.17)", "figS6", "NL_stepped", lambda x: _num(x), _in(0.0, 0.2),
        "the late Cr/BTO exchange against the domains' early switching (as Fig. 2d)", literature=False),
    Row("Fig. S6", "NL identical-amplitude scheme", "low", "figS6", "NL_identical", lambda x: _num(x), _in(0.0, 0.3),
        "3.5 V pulses sit below the exchange's onset: the domains switch in the first pulses and nothing "
        "compensates them (the linearity is the ramp's, not intrinsic)", literature=False),
    Row("Fig. 4a", "A+/A-", "0.96 (0.8-1.2)", "fig4a", "A_ratio", lambda x: _num(x), _in(0.8, 1.2),
        "the domains' set/reset asymmetry balanced by the spike design: a conditioning reset after each write, "
        "the post spike with the pre spike's amplitudes swapped, exponential tails (README, fig4a)", literature=False),
    Row("Fig. 4a", "tau+/tau-", "0.90 (0.7-1.3)", "fig4a", "tau_ratio", lambda x: _num(x), _in(0.7, 1.3),
        "the exponential spike tails (3 ms) and the domains' switching kinetics; a side flagged in "
        "/derived/tau_*_at_bound_states is a straight line within the delays, its tau and A set by the fit's "
        "bound (10x the longest delay)", literature=False),
    Row("Fig. S8", "A+/A- spread over three initial states", "independent of the state (< 15 %)", "fig4a",
        "A_ratio_spread", lambda x: _num(x, "%", 100), _in(0.0, 0.15),
        "states written at 3.2 / 3.6 / 4.0 V and conditioned alike", literature=False),
]

TARGETS = {"fig5": "fig5", "fig2b": "fig2b", "fig2c": "fig2c", "fig2d": "fig2d", "figS4": "figS4", "figS5": "figS5",
           "figS6": "figS6", "fig4a": "fig4a"}


def _value(results: dict, row: Row, literature: bool):
    r = results.get(row.file)
    if r is None:
        return None
    key = f"/derived/literature/{row.path}" if literature else f"/derived/{row.path}"
    q = r.data.get(key)
    return None if q is None else np.asarray(q.values)


def report(directory: Path) -> str:
    results = {}
    for name in sorted({row.file for row in ROWS}):
        path = directory / f"{name}.h5"
        if path.exists():
            try:
                results[name] = read_result(path)
            except ResultFileError as exc:
                print(f"warning: {exc}", file=sys.stderr)
    lines = ["| figure | quantity | paper | `literature` | `yang2022` | meets | mechanism |", "|---|---|---|---|---|---|---|"]
    for row in ROWS:
        if row.file not in results:
            lines.append(f"| {row.figure} | {row.quantity} | {row.paper} | - | not run (`make {TARGETS[row.file]}`) | - | "
                         f"{row.mechanism} |")
            continue
        cal = _value(results, row, False)
        lit = _value(results, row, True) if row.literature else None
        cal_text = row.fmt(cal) if cal is not None else "missing"
        lit_text = row.fmt(lit) if lit is not None else "-"
        meets = "-" if cal is None or (np.size(cal) and np.any(~np.isfinite(np.asarray(cal, dtype=float)))) else (
            "yes" if row.ok(cal) else "**no**")
        lines.append(f"| {row.figure} | {row.quantity} | {row.paper} | {lit_text} | {cal_text} | {meets} | "
                     f"{row.mechanism} |")
    lines += width_section(directory)
    lines += onset_section(directory)
    quick = [n for n, r in results.items() if r.config.get("overrides")]
    head = ["# Consistency report", "",
            "Paper numbers beside the `literature` parameter set (literature values only) and the calibrated "
            "`yang2022` set, from the result files in this directory. Columns `meets` judge `yang2022` against the "
            "paper's tolerance."]
    if quick:
        head.append(f"Files run with parameter overrides (reduced resolution): {', '.join(sorted(quick))}.")
    return "\n".join(head + [""] + lines) + "\n"


def _optional_result(directory: Path, name: str, what: str):
    """(result of ``name``.h5, []) or (None, lines saying it was not run; nothing for an unreadable file)."""
    path = directory / f"{name}.h5"
    if not path.exists():
        return None, ["", f"{what}: not run (`make {name}`)."]
    try:
        return read_result(path), []
    except ResultFileError as exc:
        print(f"warning: {exc}", file=sys.stderr)
        return None, []


def width_section(directory: Path) -> list[str]:
    """Markdown lines of the Fig. 2d NL against the write-pulse width (``nl_width.h5``; none without it):
    where the paper's fixed 1 ms sits among the widths the same physics would need."""
    r, lines = _optional_result(directory, "nl_width", "NL against the write-pulse width")
    if r is None:
        return lines
    from .nl_width import GROUPS

    d = r.data
    groups = [(g, name) for g, name in GROUPS if f"{g}/NL" in d]
    widths = np.asarray(d["/derived/width_s"].values, dtype=float)
    out = ["", "## Fig. 2d scheme against the write-pulse width (`nl_width`; the paper fixes 1 ms)", "",
           "| quantity | " + " | ".join(f"{w:g} s" for w in widths) + " |",
           "|---|" + "---|" * widths.size]
    for g, name in groups:
        for key, label, scale, digits in (("NL", "NL (eq. 1), mean over cycles", 1.0, 3),
                                          ("first_step_share_depression", "first depression pulse / swing", 1.0, 2),
                                          ("G_min_S", "G_min (uS)", 1e6, 3), ("G_max_S", "G_max (uS)", 1e6, 3)):
            vals = np.asarray(d[f"{g}/{key}"].values, dtype=float) * scale
            out.append(f"| {name}: {label} | " + " | ".join(f"{v:.{digits}g}" for v in vals) + " |")
    in_range = [f"{w:g} s" for w, v in zip(widths, np.asarray(d["/derived/NL"].values)) if 0.10 <= v <= 0.20]
    out += ["", "Widths where the device's NL is within the paper's 0.10-0.20: "
            + (", ".join(in_range) if in_range else "none") + "."]
    return out


def onset_section(directory: Path) -> list[str]:
    """Markdown lines of Figs. 2b and 2d against the domains' activation field (``nl_onset.h5``; none
    without it): the tension between the two figures, measured on one parameter."""
    r, lines = _optional_result(directory, "nl_onset", "Figs. 2b and 2d against the domains' activation field")
    if r is None:
        return lines
    d = r.data

    def v(key):
        return np.asarray(d[f"/derived/{key}"].values)

    Ea = v("activation_field_V_per_m") / 1e8
    widths = v("loop_width_s")
    rows = [("device: NL (eq. 1), 1 ms trains", v("NL"), "{:.3g}")]
    if "/derived/reference/NL" in d:
        rows.append(("reference device: NL (eq. 1)", v("reference/NL"), "{:.3g}"))
    for j, w in enumerate(widths):
        rows.append((f"device: R_LRS after {w:g} s writes (Ohm)", v("R_LRS_ohm")[:, j], "{:.3g}"))
        win = v("switching_window_V")[:, j]
        rows.append((f"device: windows +/- at {w:g} s (V)", [f"{a:.2f} / {b:.2f}" for a, b in win], "{}"))
    marks = [(key, label) for key, label in (("meets_fig2b", "Fig. 2b met (R_LRS, windows)"),
                                              ("meets_fig2d", "Fig. 2d NL met"), ("meets_figS5", "Fig. S5 NL met"))
             if f"/derived/{key}" in d]
    for key, label in marks:
        rows.append((label, ["yes" if m else "no" for m in v(key)], "{}"))
    out = ["", "## Figs. 2b and 2d against the domains' median activation field (`nl_onset`)", "",
           "| quantity | " + " | ".join(f"{e:.0f} MV/cm" for e in Ea) + " |", "|---|" + "---|" * Ea.size]
    out += [f"| {label} | " + " | ".join(fmt.format(x) for x in values) + " |" for label, values, fmt in rows]
    both = [f"{e:.0f} MV/cm" for e, a, b in zip(Ea, v("meets_fig2b"), v("meets_fig2d")) if a and b]
    out += ["", "Activation fields where Fig. 2b and Fig. 2d are both met: " + (", ".join(both) or "none") + "."]
    if "/derived/ablation/NL" in d:
        out += _ablation_table(r.config, d)
    return out


def _ablation_table(cfg: dict, d: dict) -> list[str]:
    """The device's trains with one vacancy mechanism off, beside the device and the reference device at
    the same activation field when the sweep has it."""

    def v(key):
        return np.asarray(d[f"/derived/{key}"].values)

    scale = float(cfg["ablation_scale"])
    cols = [(str(name), v("ablation/NL")[i], v("ablation/first_step_share_depression")[i])
            for i, name in enumerate(v("ablation/ablation"))]
    at = np.flatnonzero(np.isclose(v("activation_scale"), scale))
    if at.size:
        i = int(at[0])
        cols.insert(0, ("device", v("NL")[i], v("first_step_share_depression")[i]))
        if "/derived/reference/NL" in d:
            cols.append(("reference device", v("reference/NL")[i], v("reference/first_step_share_depression")[i]))
    return ["", f"Vacancy mechanisms switched off one at a time ({scale:g} x the activation field, 1 ms trains):", "",
            "| quantity | " + " | ".join(name for name, _, _ in cols) + " |", "|---|" + "---|" * len(cols),
            "| NL (eq. 1) | " + " | ".join(f"{nl:.3g}" for _, nl, _ in cols) + " |",
            "| first depression pulse / swing | " + " | ".join(f"{sh:.2f}" for _, _, sh in cols) + " |"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="results", help="directory of the result files (default: results)")
    args = ap.parse_args(argv)
    directory = Path(args.dir)
    if not directory.is_dir():
        ap.error(f"--dir = {args.dir!r} is not a directory; allowed: an existing directory of result files")
    text = report(directory)
    out = directory / "consistency.md"
    tmp = out.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(out)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
