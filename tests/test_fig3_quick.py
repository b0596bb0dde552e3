"""fig3 quick run through the real pipeline (IDX files -> split -> training -> HDF5 -> plot), and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from ftjphys.datasets import encode_idx
from scenarios import fig3
from scenarios.cli import main
from scenarios.store import load_derived, read_result

FTJ = "synthetic:NL=0.15,c2c=0.054,d2d=0.083,pulse_sigma_rel=1.23,device_sigma_rel=0.37"
REFERENCE = "synthetic:NL=0.63"


@pytest.fixture(scope="module")
def digits_dir(tmp_path_factory):
    """400 learnable 28x28 'digits' (one bright block per class plus sparse noise) as gzipped IDX files."""
    import gzip

    directory = tmp_path_factory.mktemp("mnist")
    rng = np.random.default_rng(0)
    n = 400
    labels = (np.arange(n) % 10).astype(np.uint8)
    images = ((rng.random((n, 28, 28)) < 0.05) * rng.integers(1, 120, (n, 28, 28))).astype(np.uint8)
    for i, c in enumerate(labels):
        r, col = 2 + 8 * (c // 3) + rng.integers(0, 2), 2 + 8 * (c % 3) + rng.integers(0, 2)
        images[i, r:r + 6, col:col + 6] = 255
    (directory / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(encode_idx(images)))
    (directory / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(encode_idx(labels)))
    return directory


def test_quick_fig3_writes_every_derived_number(digits_dir, tmp_path):
    out = tmp_path / "fig3.h5"
    code = main(["run", "fig3", "--quick", "--quiet", "--set", f"mnist_path={digits_dir}", "--set", f"ftj_model={FTJ}",
                 "--set", f"reference_model={REFERENCE}", "--set", "train_size=300", "--set", "test_size=100",
                 "--out", str(out)])
    assert code == 0 and out.exists() and out.with_suffix(".png").stat().st_size > 10_000
    d = load_derived(out)
    for case in ("ideal", "ftj", "reference", "variation"):
        for key in (f"accuracy_{case}", f"accuracy_last_{case}", f"accuracy_epoch2_{case}"):
            assert 0.0 <= d[key] <= 100.0, key
        assert d[f"accuracy_vs_epoch_{case}"].shape == (2,)
    assert d["accuracy_ideal"] > 50.0 and d["accuracy_ftj"] > 40.0  # chance is 10 %
    assert d["nl_sweep_NL"].tolist() == [0.0, 0.63] and d["nl_sweep_accuracy"].shape == (2,)
    assert d["nl_ftj"] == pytest.approx(0.15, abs=1e-6) and d["nl_reference"] == pytest.approx(0.63, abs=1e-6)
    r = read_result(out)
    attrs = r.attrs["/"]
    assert (attrs["n_train"], attrs["n_test"], attrs["requested_train"]) == (300, 100, 300)
    assert "IDX files" in attrs["dataset_source"]
    assert r.data["/runs/ftj/test_accuracy"].values.shape == (1, 2)
    assert r.data["/runs/ftj/pulses_per_sample"].values.min() > 0
    assert r.data["/runs/ideal/pulses_per_sample"].values.max() == 0
    assert r.data["/models/ftj/pulse_sigma_rel"].values == pytest.approx(1.23)


def test_a_shortfall_of_images_is_recorded(digits_dir, tmp_path):
    cfg = fig3.config(quick=True)
    cfg.update(mnist_path=str(digits_dir), ftj_model=FTJ, reference_model=REFERENCE, train_size=6000, test_size=1000,
               cases=["ideal"], nl_sweep=[], training=dict(cfg["training"], epochs=1, n_hidden=10))
    result = fig3.run(cfg, progress=False)
    attrs = result.attrs["/"]
    assert (attrs["n_train"], attrs["n_test"]) == (343, 57)  # 400 images in the 6:1 proportion
    assert "only 400 images" in attrs["split_note"]


@pytest.mark.parametrize("spec, error, match", [
    ("nonsense_device", ValueError, "unknown device 'nonsense_device'; allowed: yang2022, reference"),
    ("synthetic:NL=0.15,colour=3", ValueError, "unknown entry 'colour=3'"),
    ("synthetic:NL=abc", ValueError, "NL = 'abc' is not a number"),
    ("synthetic:NL=1.5", ValueError, "NL"),
    ("missing/compact_model.h5", FileNotFoundError, "does not exist"),
])
def test_bad_model_specs_are_refused(spec, error, match, tmp_path):
    with pytest.raises(error, match=match):
        fig3.resolve_model(spec, str(tmp_path))


def test_named_model_without_its_results_file_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="compact_model.h5 does not exist.*synthetic:NL=0.15"):
        fig3.resolve_model("yang2022", str(tmp_path))


def test_bad_configuration_is_refused():
    cfg = fig3.config(quick=True)
    with pytest.raises(ValueError, match="unknown.*allowed: ideal, ftj"):
        fig3.run(dict(cfg, cases=["ideal", "fpga"]), progress=False)
    with pytest.raises(ValueError, match="nl_sweep"):
        fig3.run(dict(cfg, nl_sweep=[0.2, 1.2]), progress=False)
    with pytest.raises(ValueError, match="variation.*no variability"):
        fig3._case_setup("variation", fig3.resolve_model(REFERENCE), None, cfg["update"])


def test_scheduler_option_needs_a_scenario_with_sweeps(capsys):
    assert main(["run", "fig5", "--quick", "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "runs no parallel sweep" in capsys.readouterr().err


def test_compact_model_files_load_and_bad_ones_are_refused(tmp_path):
    import json

    compact = pytest.importorskip("scenarios.compact")
    model = fig3.resolve_model(FTJ)
    h5, js = compact.write_model(tmp_path / "compact_model.h5", model, {"source": "test"})
    loaded = fig3.resolve_model("yang2022", str(tmp_path))  # the named file in results_dir
    assert loaded.potentiation.nl == pytest.approx(0.15, abs=1e-9)
    assert loaded.variability.pulse_sigma_rel == pytest.approx(1.23)
    d = json.loads(js.read_text())
    (tmp_path / "v9.json").write_text(json.dumps(dict(d, schema_version="9.0")))
    with pytest.raises(Exception, match="9.0"):
        fig3.resolve_model(str(tmp_path / "v9.json"))
    (tmp_path / "nofield.json").write_text(json.dumps({k: v for k, v in d.items() if k != "G_max_S"}))
    with pytest.raises(Exception, match="G_max_S"):
        fig3.resolve_model(str(tmp_path / "nofield.json"))
    (tmp_path / "foreign.h5").write_bytes(b"not an hdf5 file at all")
    with pytest.raises(Exception, match="foreign.h5"):
        fig3.resolve_model(str(tmp_path / "foreign.h5"))


def test_bench_mlp_prints_both_epochs(digits_dir, monkeypatch, capsys):
    from scenarios import bench_mlp

    monkeypatch.setenv("FTJPHYS_MNIST", str(digits_dir))
    assert bench_mlp.main(["--samples", "300"]) == 0
    out = capsys.readouterr().out
    for key in ("floating-point epoch", "device-aware epoch (pulses)", "device / float", "JIT compile"):
        assert key in out
