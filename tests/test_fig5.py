"""Fig. 5 on the real pipeline (quick bias grid): the acceptance numbers of the calibrated set, the
literature set stored beside them, and the HDF5 file written through the command line."""

import numpy as np
import pytest

from ftjphys.parameters import YANG2022_CALIBRATION, literature, yang2022
from ftjphys.transport_analysis import AnalysisSettings, analyse
from scenarios.cli import main
from scenarios.store import load_derived, read_result


@pytest.fixture(scope="module")
def quick_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig5") / "fig5_quick.h5"
    assert main(["run", "fig5", "--quick", "--quiet", "--out", str(out)]) == 0
    return out


def test_fig5_writes_the_named_datasets(quick_file):
    d = load_derived(quick_file)
    for key in ("R_HRS_ohm", "R_LRS1_ohm", "R_LRS2_ohm", "V_read_V", "phi_DT_top_eV", "phi_DT_bottom_eV",
                "phi_TE_eV", "V_transition_V"):
        assert np.isfinite(d[key]), key
        assert np.isfinite(d[f"literature/{key}"]) or key.startswith("phi") or key == "V_transition_V", key
    assert quick_file.with_suffix(".png").stat().st_size > 10_000


def test_yang2022_meets_the_paper_numbers(quick_file):
    """Acceptance of issue 'device core': resistances in the paper's ranges, barriers within 0.05 eV."""
    d = load_derived(quick_file)
    assert 0.5e3 <= d["R_LRS1_ohm"] <= 2e3
    assert 0.2e3 <= d["R_LRS2_ohm"] <= 0.8e3
    assert d["R_LRS2_ohm"] < d["R_LRS1_ohm"]
    assert d["R_HRS_ohm"] >= 25e3
    assert abs(d["phi_DT_top_eV"] - 0.577) <= 0.05
    assert abs(d["phi_DT_bottom_eV"] - 0.164) <= 0.05
    assert abs(d["phi_TE_eV"] - 0.59) <= 0.05


def test_literature_set_shows_the_gap(quick_file):
    """Literature values alone: full-area tunnelling through 1.6 nm gives ohms, not a kilo-ohm."""
    d = load_derived(quick_file)
    assert d["literature/R_LRS1_ohm"] < 10.0
    assert d["literature/R_LRS1_ohm"] * 100 < d["R_LRS1_ohm"]


def test_full_resolution_agrees_with_quick(quick_file):
    """The quick bias grid changes the fitted barriers by less than 0.015 eV (the resistances not at all)."""
    full = analyse(yang2022(), AnalysisSettings()).summary()
    d = load_derived(quick_file)
    assert full["R_LRS1_ohm"] == pytest.approx(d["R_LRS1_ohm"], rel=1e-9)
    for key in ("phi_DT_top_eV", "phi_DT_bottom_eV", "phi_TE_eV"):
        assert abs(full[key] - d[key]) < 0.015, key


def test_file_is_self_describing(quick_file):
    r = read_result(quick_file)
    assert r.provenance["scenario"] == "fig5"
    assert r.config["parameter_set"] == "yang2022"
    for path, q in r.data.items():
        assert q.units and q.long_name, path
    # Calibrated values are stored with their literature value and reading.
    for key in YANG2022_CALIBRATION:
        name = key.replace(".", "__")
        assert f"/parameters/calibrated/{name}" in r.data
        assert "reading" in str(r.data[f"/parameters/calibrated/{name}__reading"].values)
    assert r.data["/states/HRS/I_A"].dims == ("V_V",)


def test_yang2022_differs_from_literature_only_by_the_calibrated_values():
    lit, cal = literature().to_dict(), yang2022().to_dict()
    changed = {k for k in YANG2022_CALIBRATION}

    def flat(d, prefix=""):
        out = {}
        for k, v in d.items():
            if isinstance(v, dict) and k != "sources":
                out.update(flat(v, f"{prefix}{k}."))
            elif k not in ("sources", "calibrated", "name"):
                out[prefix + k] = v
        return out

    a, b = flat(lit), flat(cal)
    assert {k for k in a if a[k] != b[k]} == changed
