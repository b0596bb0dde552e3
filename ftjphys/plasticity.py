"""Synaptic figures of merit of potentiation/depression pulse trains (pure functions, no I/O).

A train of one cycle is the conductance read after each of P potentiation pulses, then after each of
P depression pulses: ``G[2P]``; several cycles stack to ``G[cycle, 2P]``.

- :func:`paper_nl` — the paper's eq. (1) per cycle.
- :func:`step_statistics` — ΔG per pulse of each branch (the paper's Fig. 2e,f): mean, standard
  deviation, largest step and the smoothness ratio max|ΔG| / mean|ΔG|.
The variation statistics of Fig. S4 are :func:`ftjphys.compact_fit.c2c_statistic` and
:func:`ftjphys.compact_fit.d2d_statistic`; the STDP fit (eq. 2) is :func:`ftjphys.compact_fit.fit_stdp_window`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .compact_model import paper_nl_of_train


def split_branches(G_S):
    """(potentiation, depression) halves of a train G[..., 2P]."""
    G = np.asarray(G_S, dtype=float)
    if G.shape[-1] < 4 or G.shape[-1] % 2:
        raise ValueError(f"a pulse train needs an even number >= 4 of reads (P potentiation then P depression); "
                         f"got {G.shape[-1]}")
    P = G.shape[-1] // 2
    return G[..., :P], G[..., P:]


def paper_nl(G_S):
    """Eq. (1) of the paper (:func:`ftjphys.compact_model.paper_nl_of_train`) for each cycle of
    G[..., 2P]; a scalar for one cycle."""
    Gp, Gd = split_branches(G_S)
    flat = [paper_nl_of_train(u, d) for u, d in zip(Gp.reshape(-1, Gp.shape[-1]), Gd.reshape(-1, Gd.shape[-1]))]
    return np.reshape(flat, Gp.shape[:-1])[()]


@dataclass(frozen=True)
class StepStatistics:
    """ΔG per pulse of one branch over all cycles."""

    mean_S: float
    std_S: float
    largest_S: float          # the step of largest magnitude (signed)
    smoothness: float         # max |ΔG| / mean |ΔG|


def step_statistics(G_S, G_before_S=None) -> tuple[StepStatistics, StepStatistics]:
    """(potentiation, depression) ΔG statistics of G[cycle, 2P].

    The step of the first pulse of each branch is taken from the read before it: the previous cycle's
    last read, or ``G_before_S`` (per cycle, the read before the first potentiation pulse) if given;
    without it the first potentiation step of each cycle is left out.
    """
    G = np.atleast_2d(np.asarray(G_S, dtype=float))
    P = G.shape[-1] // 2
    steps = np.diff(G, axis=-1)                           # steps of pulses 2 .. 2P
    pot, dep = [steps[:, : P - 1]], [steps[:, P - 1:]]
    if G_before_S is not None:
        pot.append((G[:, 0] - np.asarray(G_before_S, dtype=float))[:, None])
    elif G.shape[0] > 1:
        pot.append((G[1:, 0] - G[:-1, -1])[:, None])
    out = []
    for parts in (pot, dep):
        d = np.concatenate([p.ravel() for p in parts])
        mag = np.abs(d)
        k = int(np.argmax(mag))
        out.append(StepStatistics(float(d.mean()), float(d.std()), float(d[k]), float(mag[k] / mag.mean())))
    return out[0], out[1]
