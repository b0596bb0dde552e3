"""Adaptive, L-stable, second-order TR-BDF2 integrator for semi-explicit DAEs with a diagonal mass matrix.

Problem:

    M dy/dt = f(t, y),   M = diag(mass),  mass_i >= 0

Rows with mass_i > 0 are differential, rows with mass_i = 0 are algebraic (f_i(t, y) = 0, index 1: the
algebraic sub-Jacobian df_alg/dy_alg must be nonsingular).

Method (Bank et al., IEEE Trans. Electron Devices 32, 1992 (1985); Hosea & Shampine, Appl. Numer. Math.
20, 21 (1996)), g = 2 - sqrt(2), one step t -> t + h:

    TR stage:    M y_g - (g h/2) f(t + g h, y_g) = M y_n + (g h/2) f_n            (differential rows)
                                     f(t + g h, y_g) = 0                          (algebraic rows)
    BDF2 stage:  M y_1 - w h f(t + h, y_1) = M [y_g - (1 - g)^2 y_n] / (g (2 - g)), w = (1 - g)/(2 - g)

Each stage solves R(y) = M y - a h f(t, y) - b = 0 by Newton with the matrix M - a h J, J = df/dy (the
algebraic rows are divided by a h, which does not change the Newton iterates but keeps the LU well
scaled). f and J are re-evaluated every iteration; convergence is declared when the weighted RMS norm of
the (undamped) Newton update is <= ``newton_tol``, unless the Jacobian of the last evaluation, or the one
the factors in use were made from, gives a differential row a Newton-matrix diagonal mass_i - a h J_ii <= 0:
the stage is then failed (h/4), as it is when Newton stalls (``NEWTON_STALL_RATIO``). For a growing mode,
lambda = J_ii/mass_i > 0, a h lambda >= 1 is at or beyond the pole of the stage amplification
1/(1 - a h lambda), where the stage equation is no longer monotone and has several roots; Newton can then
settle on a root the solution never visits, and the error estimate, built from the rates at the stage
values, is consistent with that root and does not flag it.
(A rate that rises by orders of magnitude within a small range of y, such as a threshold or gate, does
this: the root parks at the threshold.) Factors made past the pole have a pivot far larger than the local
one at an iterate on the slow side, so their small update there is no sign of convergence; factors are kept
only from converged stages. The stage derivatives used below are recovered from the stage relations,
f = (M y - b)/(a h), as in Hosea & Shampine (no extra rhs evaluation, and the estimate is consistent with
the computed stage values); f_1 of an accepted step is f_n of the next one.

Local error (derivation). With exact data y_n = y(t) and sufficiently smooth y:
  * the trapezoidal stage over g h has the error  y_g - y(t + g h) = (g h)^3/12 y''' + O(h^4);
  * inserting the exact solution into the BDF2 formula leaves the residual
        y(t+h) - w h y'(t+h) - [y(t+gh) - (1-g)^2 y(t)]/(g(2-g)) = -(1-g)^2/(6(2-g)) h^3 y''' + O(h^4)
    (the h^0, h^1, h^2 Taylor terms cancel identically);
  * the TR error enters the BDF2 stage multiplied by 1/(g(2-g)). Together
        y_1 - y(t+h) = [g^2/(12(2-g)) + (1-g)^2/(6(2-g))] h^3 y''' = (3g^2 - 4g + 2)/(12(2-g)) h^3 y''',
    i.e. the local error (exact minus computed) is  LTE = (-3g^2 + 4g - 2)/(12(2-g)) h^3 y'''  (= -0.040440 h^3 y''').
  * The combination D = f_n/g - f_g/(g(1-g)) + f_1/(1-g) of the three stage derivatives annihilates the
    constant and linear Taylor terms of y' and leaves D = (h^2/2) y''' + O(h^3). Hence

        est = C h D / mass,   C = (-3g^2 + 4g - 2)/(6(2-g)) = -0.080880          (differential rows)

    estimates y(t+h) - y_1 (exact minus computed) with relative error O(h); checked numerically in
    tests/test_integrators.py (est/true -> 1 on y' = -y^2).
The estimate is filtered (Hosea & Shampine; Shampine & Reichelt's ode23tb) through the BDF2 stage matrix,
est_f = (M - w h J)^-1 (M est), which keeps it bounded for stiff components (``filter_error=False`` switches
that off). Error norm: weighted RMS over the differential rows with w_i = atol_i + rtol max(|y_n,i|, |y_1,i|).
The step is accepted if err <= 1; the next step is h min(fac_max, max(fac_min, 0.9 err^(-1/3))) (not
larger than h after a rejection). Error-per-step control of a p = 2 method makes h ~ tol^(1/3) and the
global error ~ tol^(p/(p+1)) = tol^(2/3).

Problem interface (duck-typed):
  * ``problem.mass``: 1D array of the diagonal of M (>= 0; 0 marks an algebraic row);
  * optional ``problem.residual(t, y) -> f``: f alone, used while a kept LU makes J unnecessary;
  * ``problem.rhs(t, y) -> (f, J)``: f a 1D array, J = df/dy a scipy.sparse matrix (or anything
    ``scipy.sparse.csc_matrix`` accepts). It may raise SolverError, ValueError or ArithmeticError for an
    unusable state: the step is then treated as a Newton failure;
  * optional ``problem.limit_update(y, dy) -> dy``: damping hook applied to every Newton update (and to
    the stage predictors), e.g. to keep densities positive;
  * optional ``problem.check(t, y) -> None``: raises SolverError, ValueError or ArithmeticError if an
    accepted state is unphysical; the step is then retried with h/4 (like a Newton failure);
  * optional ``problem.stage_solver() -> S``: a compiled stage Newton that replaces the generic one (same
    equation, update norm and factor-reuse rule): ``S.newton(t, guess, c, b, w, newton_tol, max_iter,
    use_factors, reuse) -> (y, status, info)`` with status 0 on convergence (else ``S.describe(status)``
    names the failure) and info = (iterations, factorizations, f evaluations, last update norm, last
    residual, worst component); ``S.solve(r)`` applies its current factors (the error filter); an optional
    ``S.limit_update`` replaces the problem's (the stage predictors); an optional
    ``S.step(t_g, t1, y, h, f_n, slope, rtol, atol, newton_tol, max_iter, reuse, lu_key, same_rtol,
    filter_error, estimate) -> (y1, y_g, f1, est, status, info, lu_key)`` takes the whole step (stage times
    t_g = t + g h and t1, slope None: no TR predictor) as the Python path does with ``S.newton`` and
    ``S.solve``: factors whose coefficient ``lu_key`` (None: none) matches a stage's to ``same_rtol`` are
    tried first, a failure retries once with fresh ones, and the returned ``lu_key`` is that of the factors
    it leaves; info = (iterations, factorizations, f evaluations over every attempt; the last attempt's
    update norm and residual; worst component (of the error if estimated, else of the update); the last
    attempt's iterations; error norm; the failed stage (0 TR, 1 BDF2); iterations of the converged
    attempts); an optional
    ``S.initialize(t, y, rtol, atol, init_tol, max_iter) -> (y, status, info)`` replaces the consistent
    initialisation (the same Newton on the algebraic rows, update norm and damping; info = (iterations,
    Jacobians used, factorizations, last update norm, last residual)). SolverError, ValueError or
    ArithmeticError raised by ``S.newton``/``S.step`` count as Newton failures. Used by
    :class:`ftjphys.column.ColumnModel` (:mod:`solvers.column_newton`).

Breakpoints: the integrator never steps across a breakpoint or an output time. A step that ends on a
breakpoint t_b evaluates its last stage at the float just below t_b, and the restart (consistent
re-initialisation, f_n) uses the float just above it, so a forcing that jumps at t_b is seen from the
proper side whether it is written as ``t >= t_b`` or ``t > t_b``. A stop (breakpoint or output time) closer
than the step floor to the current time counts as reached: stops that should coincide but differ by rounding
(a compiled pulse train's edges) are not stepped between. Outputs are the computed y at the
output time (at a breakpoint: the value the step reached, before re-initialisation).

Everything here is a pure function of the arrays it is given; nothing is printed or stored globally.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .errors import SolverError

GAMMA = 2.0 - math.sqrt(2.0)
A_TR = GAMMA / 2.0                                   # TR stage:   a = g/2
A_BDF = (1.0 - GAMMA) / (2.0 - GAMMA)                # BDF2 stage: a = w
B_GAMMA = 1.0 / (GAMMA * (2.0 - GAMMA))              # BDF2 rhs:  M (B_GAMMA y_g - B_N y_n)
B_N = (1.0 - GAMMA) ** 2 / (GAMMA * (2.0 - GAMMA))
#: local truncation error y(t+h) - y_1 = LTE_CONSTANT h^3 y'''
LTE_CONSTANT = (-3.0 * GAMMA ** 2 + 4.0 * GAMMA - 2.0) / (12.0 * (2.0 - GAMMA))
#: est = ERROR_CONSTANT h (f_n/g - f_g/(g(1-g)) + f_1/(1-g)) / mass   (= 2 LTE_CONSTANT)
ERROR_CONSTANT = (-3.0 * GAMMA ** 2 + 4.0 * GAMMA - 2.0) / (6.0 * (2.0 - GAMMA))

#: exceptions from problem.rhs / limit_update / check that mean "this state is unusable, take a smaller step"
RECOVERABLE = (SolverError, ValueError, ArithmeticError)

#: Failure reason of a stage whose converged root lies beyond the pole of the stage amplification.
STAGE_PAST_POLE = "stage root beyond the stage pole (M - c J has a diagonal entry <= 0 on a differential row)"

#: Kept Newton factors serve a stage whose coefficient c = a h equals theirs to this relative difference:
#: the TR and BDF2 stages have the same a, (2 - sqrt 2)/2, in exact arithmetic but not to the last bit.
SAME_COEFFICIENT_RTOL = 1e-9

#: A stage stalls, and fails at once, when NEWTON_STALL_COUNT consecutive full Newton iterations (factors made
#: at the iterate itself) each shrink the scaled update by less than this factor: Newton is then held by the
#: damping (a root outside the admissible states, or beyond the reach of the damped potential update) and the
#: remaining iterations up to ``newton_max_iter`` would only repeat the same step at the cost of a
#: factorization each.
NEWTON_STALL_RATIO = 0.9
NEWTON_STALL_COUNT = 2
STAGE_STALLS = "Newton stalls (full Newton iterations no longer shrink the update)"


@dataclass
class IntegratorStats:
    """Work counters of one :func:`integrate` call."""

    n_steps: int = 0                 # accepted steps
    n_rejected: int = 0              # steps rejected by the error test
    n_newton_failures: int = 0       # steps retried because a stage Newton failed
    n_check_failures: int = 0        # steps retried because problem.check rejected the state
    n_newton_iterations: int = 0     # stage Newton iterations (consistent initialisation included)
    n_rhs: int = 0                   # calls of problem.rhs (each returns f and J)
    n_jac: int = 0                   # Jacobians used in a Newton matrix
    n_lu: int = 0                    # sparse LU factorisations
    wall_time: float = 0.0           # seconds


@dataclass
class IntegrationResult:
    """Outputs (``y_out[k]`` is y at ``t_out[k]``), final state and statistics."""

    t_out: np.ndarray
    y_out: np.ndarray
    t: float
    y: np.ndarray
    stats: IntegratorStats = field(default_factory=IntegratorStats)
    h_next: float = float("nan")     # step the controller proposed after the last step


@dataclass
class StepResult:
    """One TR-BDF2 step (see :func:`trbdf2_step`)."""

    y: np.ndarray                    # y_1
    y_gamma: np.ndarray              # TR stage value at t + g h
    f_end: np.ndarray                # f(t + h, y_1) on differential rows (0 on algebraic rows)
    error_estimate: np.ndarray       # estimate of y(t+h) - y_1 (differential rows; filtered if asked)
    error_norm: float                # weighted RMS of error_estimate over differential rows
    newton_iterations: int


class _StepFailure(Exception):
    """A stage Newton failed; ``info`` holds its diagnostics."""

    def __init__(self, reason: str, **info):
        super().__init__(reason)
        self.reason = reason
        self.info = info


def _rms(v: np.ndarray) -> float:
    return float(np.sqrt(np.mean(v * v))) if v.size else 0.0


class _Engine:
    """Shared machinery: stage Newton, consistent initialisation, counters."""

    def __init__(self, problem, n, rtol, atol, newton_tol, newton_max_iter, stats):
        mass = np.asarray(problem.mass, dtype=float).ravel()
        if mass.size != n:
            raise ValueError(f"problem.mass has {mass.size} entries, y0 has {n}")
        if np.any(mass < 0.0) or not np.all(np.isfinite(mass)):
            raise ValueError("mass entries must be finite and >= 0")
        self.problem = problem
        self.mass = mass
        self._M = None
        self.diff = mass > 0.0
        self.diff_idx = np.flatnonzero(self.diff)
        self.any_diff = self.diff_idx.size > 0
        self.mass_diff = mass[self.diff]
        self.alg = ~self.diff
        self.alg_idx = np.flatnonzero(self.alg)
        ia = self.alg_idx
        # algebraic rows in one contiguous range: their sub-Jacobian is a plain slice (the same matrix as
        # the fancy-indexed one, at a third of the cost)
        self.alg_range = (int(ia[0]), int(ia[-1]) + 1) if ia.size and ia[-1] - ia[0] + 1 == ia.size else None
        self.rtol = float(rtol)
        self.atol = np.broadcast_to(np.asarray(atol, dtype=float), (n,)).copy()
        if self.rtol < 0.0 or np.any(self.atol <= 0.0):
            raise ValueError("need rtol >= 0 and atol > 0")
        self.newton_tol = float(newton_tol)
        self.newton_max_iter = int(newton_max_iter)
        self.limit = getattr(problem, "limit_update", None)
        self.residual = getattr(problem, "residual", None)   # optional f(t, y) without the Jacobian
        self.stats = stats
        self.last = {}                       # diagnostics of the last failure / Newton
        self.reuse = False                   # keep the Newton LU across iterations, stages and steps
        self._lu, self._lu_key = None, None
        make_stage = getattr(problem, "stage_solver", None)
        self.stage = make_stage() if make_stage is not None else None   # compiled stage Newton, if any
        if self.stage is not None and hasattr(self.stage, "limit_update"):
            self.limit = self.stage.limit_update                        # its compiled damping too
        self.stage_step = getattr(self.stage, "step", None)             # its compiled whole step, if any
        self.stage_initialize = getattr(self.stage, "initialize", None)  # its compiled initialisation, if any

    # -------------------------------------------------------------- helpers
    @property
    def M(self):
        """The mass matrix as sparse CSC (built on first use: only the generic Newton needs it)."""
        if self._M is None:
            self._M = sp.diags(self.mass, format="csc")
        return self._M

    def weights(self, y):
        return self.atol + self.rtol * np.abs(y)

    def rhs(self, t, y):
        self.stats.n_rhs += 1
        f, J = self.problem.rhs(t, y)
        return np.asarray(f, dtype=float).ravel(), J

    def limited(self, y, dy):
        if self.limit is None:
            return dy
        out = np.asarray(self.limit(y, dy), dtype=float).ravel()
        if out.shape != dy.shape:
            raise ValueError("limit_update changed the shape of the update")
        return out

    def f_diff(self, t, y):
        """f(t, y) on differential rows (zeros on algebraic rows); non-finite values raise _StepFailure."""
        if self.residual is not None:                       # f alone: no Jacobian to assemble
            self.stats.n_rhs += 1
            f = np.asarray(self.residual(t, y), dtype=float).ravel()
        else:
            f, _ = self.rhs(t, y)
        if not np.all(np.isfinite(f[self.diff])):
            raise _StepFailure("rhs is not finite", t=t)
        return np.where(self.diff, f, 0.0)

    # -------------------------------------------------------------- stage Newton
    def _factor(self, J, c, t, it, upd, res):
        """LU of the Newton matrix M - diag(c) J (diag(c) scales rows)."""
        Jc = sp.csc_matrix(J, dtype=float, copy=True)
        if Jc.shape != (self.mass.size, self.mass.size):
            raise ValueError(f"Jacobian has shape {Jc.shape}, expected {(self.mass.size,) * 2}")
        Jc.data *= c[Jc.indices]                         # row scaling diag(c) J
        self.stats.n_jac += 1
        try:
            lu = splu((self.M - Jc).tocsc())
        except RuntimeError as exc:
            raise _StepFailure(f"Newton matrix is singular ({exc})", t=t, iteration=it, newton_update=upd,
                               newton_residual=res) from None
        self.stats.n_lu += 1
        return lu

    def newton(self, t, guess, c, b, w):
        """Solve mass*y - c*f(t, y) - b = 0; c = a h on differential rows, 1 on algebraic rows (b = 0 there).

        With ``reuse_jacobian`` the LU of the last Newton matrix is kept while its coefficient c is the
        same (both TR-BDF2 stages share a = (2 - sqrt 2)/2 h) and Newton converges fast with it; a slow
        or failing iteration refactors at the current iterate. Returns (y, lu, iterations); raises
        _StepFailure.
        """
        key = float(c[self.diff][0]) if np.any(self.diff) else 1.0
        if self.stage is not None:
            return self._stage_newton(t, guess, c, b, w, key)
        lu = self._lu if (self.reuse and self._lu is not None and self._same_coefficient(key)) else None
        for attempt in ((None,) if lu is None else (lu, None)):   # stale LU: retry once with fresh factors
            try:
                return self._newton(t, guess, c, b, w, attempt)
            except _StepFailure:
                self._lu, self._lu_key = None, None            # factors of a failed stage are not kept
                if attempt is None:
                    raise

    def _same_coefficient(self, key) -> bool:
        """Kept factors fit the coefficient ``key`` (the TR and BDF2 stages share it up to rounding)."""
        return self._lu_key is not None and abs(key / self._lu_key - 1.0) <= SAME_COEFFICIENT_RTOL

    def _stage_newton(self, t, guess, c, b, w, key):
        """The problem's compiled stage Newton (same iteration, damping and reuse rule as :meth:`_newton`)."""
        use = self.reuse and self._same_coefficient(key)
        for attempt in ((True, False) if use else (False,)):
            try:
                y, status, info = self.stage.newton(t, guess, c, b, w, self.newton_tol, self.newton_max_iter,
                                                    attempt, self.reuse)
            except RECOVERABLE as exc:
                raise _StepFailure(f"stage solver raised {type(exc).__name__}: {exc}", t=t) from None
            it, n_lu, n_f = int(info[0]), int(info[1]), int(info[2])
            self.stats.n_newton_iterations += it
            self.stats.n_rhs += n_f
            self.stats.n_lu += n_lu
            self.stats.n_jac += n_lu
            self.last = dict(newton_update=float(info[3]), newton_residual=float(info[4]),
                             worst_component=int(info[5]))
            if n_lu:
                self._lu_key = key
            if status == 0:
                return y, self.stage, it
            self._lu_key = None
        raise _StepFailure(self.stage.describe(status), t=t, iteration=it, **self.last)

    def _past_pole(self, J, c):
        """The first differential row with mass_i - c_i J_ii <= 0, or -1 (module docstring; the twin of
        :func:`solvers.column_newton.past_pole`)."""
        d = sp.csc_matrix(J, dtype=float).diagonal()
        bad = np.flatnonzero(self.diff & (self.mass - c * d <= 0.0))
        return int(bad[0]) if bad.size else -1

    def _newton(self, t, guess, c, b, w, lu):
        key = float(c[self.diff][0]) if np.any(self.diff) else 1.0
        y = guess.copy()
        prev = np.inf
        upd = res = np.nan
        factors_pole = -1                          # _past_pole of the factors in use (kept ones: converged)
        stalls = 0                                 # consecutive full Newton iterations that hardly contract
        for it in range(1, self.newton_max_iter + 1):
            full = lu is None or not self.reuse
            self.stats.n_newton_iterations += 1
            try:
                if lu is not None and self.residual is not None:
                    f, J = self.residual(t, y), None          # the LU is kept: no Jacobian needed
                    self.stats.n_rhs += 1
                else:
                    f, J = self.rhs(t, y)
            except RECOVERABLE as exc:
                raise _StepFailure(f"rhs raised {type(exc).__name__}: {exc}", t=t, iteration=it,
                                   newton_update=upd, newton_residual=res) from None
            f = np.asarray(f, dtype=float).ravel()
            R = self.mass * y - c * f - b
            res = float(np.max(np.abs(R))) if R.size else 0.0
            if not np.isfinite(res):
                raise _StepFailure("Newton residual is not finite", t=t, iteration=it, newton_update=upd,
                                   newton_residual=res, worst_component=int(np.argmax(~np.isfinite(R))))
            if lu is None or not self.reuse:
                if J is None:
                    f, J = self.rhs(t, y)
                lu = self._factor(J, c, t, it, upd, res)
                self._lu, self._lu_key = lu, key
                factors_pole = self._past_pole(J, c)
            dy = -lu.solve(R)
            scaled = np.abs(dy) / w
            upd = _rms(scaled)
            if not np.isfinite(upd):
                raise _StepFailure("Newton update is not finite", t=t, iteration=it, newton_update=upd,
                                   newton_residual=res)
            y_eval = y
            try:
                y = y + self.limited(y, dy)
            except RECOVERABLE as exc:
                raise _StepFailure(f"limit_update raised {type(exc).__name__}: {exc}", t=t, iteration=it,
                                   newton_update=upd, newton_residual=res) from None
            self.last = dict(newton_update=upd, newton_residual=res, worst_component=int(np.argmax(scaled)))
            if upd <= self.newton_tol:
                if J is None:                      # kept LU: the Jacobian at the evaluated iterate
                    try:
                        _, J = self.rhs(t, y_eval)
                    except RECOVERABLE as exc:
                        raise _StepFailure(f"rhs raised {type(exc).__name__}: {exc}", t=t, iteration=it,
                                           **self.last) from None
                pole = self._past_pole(J, c)
                if pole < 0:
                    pole = factors_pole
                if pole >= 0:
                    self.last["worst_component"] = pole
                    raise _StepFailure(STAGE_PAST_POLE, t=t, iteration=it, **self.last)
                return y, lu, it
            if it >= 2 and upd > 2.0 * prev:
                raise _StepFailure("Newton diverges", t=t, iteration=it, **self.last)
            stalls = stalls + 1 if full and it >= 2 and upd > NEWTON_STALL_RATIO * prev else 0
            if stalls >= NEWTON_STALL_COUNT:
                raise _StepFailure(STAGE_STALLS, t=t, iteration=it, **self.last)
            if self.reuse and it >= 2 and upd > 0.3 * prev:
                lu = None                          # slow contraction: refactor at the current iterate
            prev = upd
        raise _StepFailure("Newton did not converge", t=t, iteration=self.newton_max_iter, **self.last)

    def _predict(self, y, dy):
        """Stage predictor y + dy passed through limit_update (y itself if the hook objects)."""
        try:
            return y + self.limited(y, dy)
        except RECOVERABLE:
            return y.copy()

    # -------------------------------------------------------------- one step
    def step(self, t, y, h, f_n, t_end_stage=None, slope=None, filter_error=True, estimate=True):
        """One TR-BDF2 step from (t, y) with f_n = f(t, y) on differential rows. Raises _StepFailure."""
        g = GAMMA
        diff, mass = self.diff, self.mass
        t1 = t + h if t_end_stage is None else t_end_stage
        if self.stage_step is not None:
            return self._compiled_step(t, y, h, f_n, t1, slope, filter_error, estimate)
        w = self.weights(y)
        # TR stage
        a = A_TR * h
        c = np.where(diff, a, 1.0)
        b = np.where(diff, mass * y + a * f_n, 0.0)
        guess = y if slope is None else self._predict(y, g * h * slope)
        yg, _, it1 = self.newton(t + g * h, guess, c, b, w)
        fg = np.where(diff, (mass * yg - b) / a, 0.0)
        # BDF2 stage
        a2 = A_BDF * h
        c2 = np.where(diff, a2, 1.0)
        b2 = np.where(diff, mass * (B_GAMMA * yg - B_N * y), 0.0)
        guess = self._predict(y, (yg - y) / g)
        y1, lu, it2 = self.newton(t1, guess, c2, b2, w)
        f1 = np.where(diff, (mass * y1 - b2) / a2, 0.0)
        est = np.zeros_like(y)
        err = 0.0
        if estimate and self.any_diff:
            est[diff] = ERROR_CONSTANT * h * (f_n[diff] / g - fg[diff] / (g * (1.0 - g))
                                              + f1[diff] / (1.0 - g)) / self.mass_diff
            if filter_error:
                est = lu.solve(mass * est)
            wt = self.atol + self.rtol * np.maximum(np.abs(y), np.abs(y1))
            scaled = np.abs(est[diff]) / wt[diff]
            err = _rms(scaled)
            if not np.isfinite(err):
                err = np.inf
            self.last = dict(self.last, error_norm=err,
                             worst_component=int(self.diff_idx[np.argmax(np.nan_to_num(scaled, nan=np.inf))]))
        return StepResult(y1, yg, f1, est, err, it1 + it2)

    def _compiled_step(self, t, y, h, f_n, t1, slope, filter_error, estimate):
        """The stage solver's compiled step: the same stages, predictors, factor-reuse rule, estimate and
        filter as the Python path of :meth:`step`; the counters and diagnostics are kept here alike."""
        t_g = t + GAMMA * h
        try:
            y1, yg, f1, est, status, info, self._lu_key = self.stage_step(
                t_g, t1, y, h, f_n, slope, self.rtol, self.atol, self.newton_tol, self.newton_max_iter, self.reuse,
                self._lu_key, SAME_COEFFICIENT_RTOL, filter_error, estimate)
        except RECOVERABLE as exc:
            raise _StepFailure(f"stage solver raised {type(exc).__name__}: {exc}", t=t) from None
        n_lu = int(info[1])
        stats = self.stats
        stats.n_newton_iterations += int(info[0])
        stats.n_lu += n_lu
        stats.n_jac += n_lu
        stats.n_rhs += int(info[2])
        self.last = dict(newton_update=float(info[3]), newton_residual=float(info[4]), worst_component=int(info[5]))
        if status != 0:
            raise _StepFailure(self.stage.describe(status), t=t_g if info[8] == 0 else t1, iteration=int(info[6]),
                               **self.last)
        err = 0.0
        if estimate and self.any_diff:
            err = float(info[7])
            self.last["error_norm"] = err
        return StepResult(y1, yg, f1, est, err, int(info[9]))

    # -------------------------------------------------------------- consistent initialisation
    def initialize(self, t, y, init_tol, init_max_iter):
        """Solve f_alg(t, y) = 0 for the algebraic components at fixed differential ones. Raises SolverError."""
        y = np.array(y, dtype=float)
        if self.alg_idx.size == 0:
            return y
        if self.stage_initialize is not None:
            return self._compiled_initialize(t, y, init_tol, init_max_iter)
        ia = self.alg_idx
        upd = res = np.nan
        for it in range(1, init_max_iter + 1):
            self.stats.n_newton_iterations += 1
            try:
                f, J = self.rhs(t, y)
            except RECOVERABLE as exc:
                raise SolverError(f"consistent initialisation: rhs raised {type(exc).__name__}: {exc}",
                                  t=t, iteration=it) from None
            r = f[ia]
            res = float(np.max(np.abs(r)))
            if not np.isfinite(res):
                raise SolverError("consistent initialisation: algebraic residual is not finite", t=t,
                                  iteration=it)
            Jc = sp.csc_matrix(J, dtype=float)
            if self.alg_range is not None:
                a0, a1 = self.alg_range
                Jaa = Jc[a0:a1, a0:a1].tocsc()
            else:
                Jaa = Jc[ia, :][:, ia].tocsc()
            self.stats.n_jac += 1
            try:
                lu = splu(Jaa)
            except RuntimeError as exc:
                raise SolverError(f"consistent initialisation: algebraic sub-Jacobian is singular ({exc}); "
                                  "is the DAE of index 1?", t=t, iteration=it) from None
            self.stats.n_lu += 1
            d = np.zeros_like(y)
            d[ia] = -lu.solve(r)
            upd = _rms(d[ia] / self.weights(y)[ia])
            if not np.isfinite(upd):
                raise SolverError("consistent initialisation: update is not finite", t=t, iteration=it)
            d = self.limited(y, d)
            d[self.diff] = 0.0
            y = y + d
            if upd <= init_tol:
                return y
        raise SolverError("consistent initialisation did not converge", t=t, iterations=init_max_iter,
                          last_update=upd, residual=res)

    def _compiled_initialize(self, t, y, init_tol, init_max_iter):
        """The stage solver's compiled initialisation (the same iteration, norm and damping as the Python
        path of :meth:`initialize`); counters and diagnostics are kept here alike."""
        try:
            y, status, info = self.stage_initialize(t, y, self.rtol, self.atol, init_tol, init_max_iter)
        except RECOVERABLE as exc:
            raise SolverError(f"consistent initialisation: the stage solver raised {type(exc).__name__}: {exc}",
                              t=t) from None
        it = int(info[0])
        stats = self.stats
        stats.n_newton_iterations += it
        stats.n_rhs += it
        stats.n_jac += int(info[1])
        stats.n_lu += int(info[2])
        if status != 0:
            raise SolverError(f"consistent initialisation: {self.stage.describe(status)}", t=t, iteration=it,
                              last_update=float(info[3]), residual=float(info[4]))
        return y


def _problem_engine(problem, y, rtol, atol, newton_tol, newton_max_iter, stats=None):
    return _Engine(problem, y.size, rtol, atol, newton_tol, newton_max_iter, stats or IntegratorStats())


def trbdf2_step(problem, t, y, h, *, rtol=1e-6, atol=1e-9, f_n=None, filter_error=False, newton_tol=0.03,
                newton_max_iter=10) -> StepResult:
    """A single TR-BDF2 step of size h from a (consistent) state (t, y), without error control.

    ``f_n`` defaults to f(t, y). The returned ``error_estimate`` approximates y(t+h) - y_1 (unfiltered by
    default). Raises SolverError if a stage Newton fails.
    """
    y = np.array(y, dtype=float).ravel()
    eng = _problem_engine(problem, y, rtol, atol, newton_tol, newton_max_iter)
    try:
        fn = eng.f_diff(t, y) if f_n is None else np.where(eng.diff, np.asarray(f_n, dtype=float), 0.0)
        return eng.step(float(t), y, float(h), fn, filter_error=filter_error)
    except _StepFailure as fail:
        raise SolverError(f"TR-BDF2 step failed: {fail.reason}", h=float(h), **fail.info) from None


def consistent_initial_state(problem, t, y, *, rtol=1e-6, atol=1e-9, init_tol=1e-6, init_max_iter=50):
    """Solve the algebraic equations f_alg(t, y) = 0 for the algebraic components (differential ones fixed)."""
    y = np.array(y, dtype=float).ravel()
    eng = _problem_engine(problem, y, rtol, atol, 0.03, 10)
    return eng.initialize(float(t), y, init_tol, init_max_iter)


def _initial_step(eng, t, y, f_n, span, h_max):
    """Starting step (Hairer, Norsett & Wanner, Solving ODEs I, II.4, with p = 2) on the differential rows."""
    diff = eng.diff
    if not np.any(diff):
        return min(span, h_max)
    sc = eng.weights(y)[diff]
    yp0 = f_n[diff] / eng.mass[diff]
    d0, d1 = _rms(y[diff] / sc), _rms(yp0 / sc)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h0 = min(h0, span, h_max)
    y1 = y.copy()
    y1[diff] += h0 * yp0
    try:
        with np.errstate(all="ignore"):
            f1, _ = eng.rhs(t + h0, y1)
            d2 = _rms((np.asarray(f1, dtype=float)[diff] / eng.mass[diff] - yp0) / sc) / h0
    except RECOVERABLE:
        return h0
    if not np.isfinite(d2):
        return h0
    dm = max(d1, d2)
    h1 = max(1e-6, h0 * 1e-3) if dm <= 1e-15 else (0.01 / dm) ** (1.0 / 3.0)
    return min(100.0 * h0, h1, span, h_max)


def integrate(problem, t0: float, y0, t_end: float, *, rtol: float = 1e-6, atol=1e-9, breakpoints=(),
              output_times=(), h0: Optional[float] = None, h_after_breakpoint: Optional[float] = None,
              h_max: float = np.inf, h_min: float = 0.0, h_min_rel: float = 1e-16,
              fixed_step: Optional[float] = None, filter_error: bool = True, newton_tol: float = 0.03,
              newton_max_iter: int = 10, init_tol: float = 1e-6, init_max_iter: int = 50,
              fac_max: float = 5.0, fac_min: float = 0.2, safety: float = 0.9, max_steps: int = 1_000_000,
              callback: Optional[Callable[[float, np.ndarray], None]] = None,
              progress: Optional[Callable[[float], None]] = None,
              reuse_jacobian: bool = True) -> IntegrationResult:
    """Integrate M y' = f(t, y) from (t0, y0) to t_end with adaptive TR-BDF2 (module docstring).

    rtol (scalar), atol (scalar or per component, > 0): weights w_i = atol_i + rtol |y_i| of the error and
    Newton norms. ``breakpoints``: times the forcing may jump at (never stepped across; consistent
    re-initialisation and a restart with ``h_after_breakpoint`` there, default ``h0``, or an automatic
    starting step if both are None). ``output_times`` (within [t0, t_end]) are hit exactly and returned in
    ``t_out``/``y_out``. Steps are taken in tau, the time since the last breakpoint (or t0); the step floor is
    max(h_min, h_min_rel max(1, |tau|)), below which SolverError is raised (with t, h, the last Newton
    update/residual norms and the component with the largest error). ``fixed_step``: constant step (shortened
    only to land on stops), no error control, a failed Newton raises. ``filter_error``: Hosea-Shampine
    filtering of the estimate. ``callback(t, y)`` after each accepted step; ``progress(fraction)`` likewise
    with (t - t0)/(t_end - t0).
    ``reuse_jacobian``: simplified Newton, the LU of the Newton matrix kept while its coefficient is unchanged
    and Newton contracts fast (refactored otherwise). The converged solution and the error control are the
    same; only the work changes.
    A failed integration raises SolverError and returns nothing.
    """
    start = time.perf_counter()
    stats = IntegratorStats()
    t0, t_end = float(t0), float(t_end)
    if not (np.isfinite(t0) and np.isfinite(t_end) and t_end > t0):
        raise ValueError("need finite t0 < t_end")
    y = np.array(y0, dtype=float).ravel()
    if not np.all(np.isfinite(y)):
        raise ValueError("y0 is not finite")
    eng = _problem_engine(problem, y, rtol, atol, newton_tol, newton_max_iter, stats)
    eng.reuse = bool(reuse_jacobian) and fixed_step is None
    check = getattr(problem, "check", None)
    if fixed_step is not None and not fixed_step > 0.0:
        raise ValueError("fixed_step must be > 0")
    for name, val in (("h0", h0), ("h_after_breakpoint", h_after_breakpoint)):
        if val is not None and not val > 0.0:
            raise ValueError(f"{name} must be > 0")
    if not h_max > 0.0:
        raise ValueError("h_max must be > 0")

    outs = np.unique(np.asarray(output_times, dtype=float).ravel())
    if outs.size and (outs[0] < t0 or outs[-1] > t_end):
        raise ValueError("output_times must lie within [t0, t_end]")
    bps = {float(b) for b in np.asarray(breakpoints, dtype=float).ravel() if t0 < b < t_end}
    out_set = {float(s) for s in outs}
    stops = sorted({s for s in out_set if s > t0} | bps | {t_end})
    t_out, y_out = [], []
    span = t_end - t0

    # Time is kept as base + tau, base the last breakpoint (or t0): steps are differences of the segment-local
    # tau, so their resolution after a breakpoint does not depend on how late it comes (a write after a 1e4 s
    # hold needs the same ps steps as one at t = 0; 1e4 + 1e-13 is not representable).
    base, tau = t0, 0.0

    def floor(tau):
        return max(h_min, h_min_rel * max(1.0, abs(tau)))

    def snap_tol(t, s):
        return 64.0 * np.spacing(max(abs(t), abs(s)))

    def reached(stop):
        """The stop is within rounding of the current time, or closer to it than the step floor."""
        local = stop - base
        return local - tau <= max(snap_tol(tau, local), floor(tau))

    def fail_below_floor(tau, h, reason):
        stats.wall_time = time.perf_counter() - start
        raise SolverError(f"TR-BDF2 step size fell below the floor after {reason}", t=base + tau, h=h,
                          h_floor=floor(tau), **eng.last)

    def restart(t_eval, y):
        """Consistent initialisation and f_n at t_eval (raises SolverError)."""
        y = eng.initialize(t_eval, y, init_tol, init_max_iter)
        try:
            f_n = eng.f_diff(t_eval, y)
        except (_StepFailure, *RECOVERABLE) as exc:
            raise SolverError(f"rhs unusable at restart: {exc}", t=t_eval) from None
        return y, f_n

    t = t0
    y, f_n = restart(t0, y)
    if t0 in out_set:
        t_out.append(t0)
        y_out.append(y.copy())
    if fixed_step is not None:
        h = float(fixed_step)
    elif h0 is not None:
        h = float(h0)
    else:
        h = _initial_step(eng, t, y, f_n, span, h_max)
    slope = None
    rejected_last = False
    i_stop = 0
    while True:
        # Stops reached (or within rounding of t): record outputs, restart at breakpoints.
        while i_stop < len(stops) and reached(stops[i_stop]):
            s = stops[i_stop]
            t, tau = s, s - base
            if s in out_set:
                t_out.append(s)
                y_out.append(y.copy())
            if s in bps:
                y, f_n = restart(float(np.nextafter(s, np.inf)), y)
                base, tau = s, 0.0
                slope = None
                rejected_last = False
                if fixed_step is not None:
                    h = float(fixed_step)
                elif h_after_breakpoint is not None:
                    h = float(h_after_breakpoint)
                elif h0 is not None:
                    h = float(h0)
                else:
                    h = _initial_step(eng, t, y, f_n, t_end - t, h_max)
            i_stop += 1
        if i_stop == len(stops):
            break
        if stats.n_steps >= max_steps:
            raise SolverError("TR-BDF2 exceeded max_steps", t=t, h=h, max_steps=max_steps)
        stop = stops[i_stop]
        h_plan = min(h, h_max)
        if h_plan >= (stop - base) - tau:
            tau_new = stop - base
            t_new = stop
            t_stage = float(np.nextafter(stop, -np.inf)) if stop in bps else stop
        else:
            tau_new = tau + h_plan
            t_new = base + tau_new
            t_stage = t_new
        h_step = tau_new - tau
        if h_step < floor(tau) or tau_new <= tau:
            fail_below_floor(tau, h_step, "a failure")
        try:
            res = eng.step(t, y, h_step, f_n, t_stage, slope, filter_error, estimate=fixed_step is None)
        except _StepFailure as fail:
            stats.n_newton_failures += 1
            eng.last = dict(fail.info, reason=fail.reason)
            eng.last.pop("t", None)
            if fixed_step is not None:
                raise SolverError(f"TR-BDF2 fixed step failed: {fail.reason}", t=t, h=h_step, **eng.last) from None
            h = h_step / 4.0
            rejected_last = True
            if h < floor(tau):
                fail_below_floor(tau, h, f"a Newton failure ({fail.reason})")
            continue
        err = res.error_norm
        if fixed_step is None and err > 1.0:
            stats.n_rejected += 1
            eng.last["reason"] = "error test"
            h = h_step * max(fac_min, min(0.9, safety * err ** (-1.0 / 3.0))) if np.isfinite(err) else h_step * fac_min
            rejected_last = True
            if h < floor(tau):
                fail_below_floor(tau, h, "error test failures")
            continue
        if check is not None:
            try:
                check(t_new, res.y)
            except RECOVERABLE as exc:
                stats.n_check_failures += 1
                eng.last["reason"] = f"check: {type(exc).__name__}: {exc}"
                if fixed_step is not None:
                    raise SolverError(f"TR-BDF2 fixed step produced an unphysical state: {exc}", t=t_new,
                                      h=h_step) from None
                h = h_step / 4.0
                rejected_last = True
                if h < floor(tau):
                    fail_below_floor(tau, h, "state check failures")
                continue
        # accepted
        slope = (res.y - y) / h_step
        t, tau, y, f_n = t_new, tau_new, res.y, res.f_end
        stats.n_steps += 1
        if fixed_step is not None:
            h = float(fixed_step)
        else:
            raw = safety * err ** (-1.0 / 3.0) if err > 0.0 else np.inf
            h = h_step * min(fac_max, max(fac_min, raw))
            if h_step < h_plan:                    # shortened to land on a stop: may return to the plan
                h = max(h, min(h_plan, h_step * raw))
            if rejected_last:
                h = min(h, h_step)
        rejected_last = False
        if callback is not None:
            callback(t, y.copy())
        if progress is not None:
            progress((t - t0) / span)
    stats.wall_time = time.perf_counter() - start
    n = y.size
    return IntegrationResult(t_out=np.asarray(t_out, dtype=float),
                             y_out=np.asarray(y_out, dtype=float).reshape(len(t_out), n),
                             t=t, y=y, stats=stats, h_next=min(h, h_max))
