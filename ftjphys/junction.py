"""A junction of one parameter set: electrostatics and transport behind one object."""

from __future__ import annotations

import numpy as np

from .electrostatics import BandProfile, Electrostatics
from .parameters import DeviceParameters
from .states import StateSpec
from .transport import Current, IVCurve, Transport, iv_curve


class Junction:
    """Band profiles, currents, I-V curves and read resistances of frozen device states."""

    def __init__(self, params: DeviceParameters, kernel: str = "numba"):
        self.params = params
        self.electrostatics = Electrostatics(params, kernel=kernel)
        self.transport = Transport(self.electrostatics, kernel=kernel)

    @property
    def mesh(self):
        return self.electrostatics.mesh

    def state_arrays(self, state: StateSpec):
        return state.realise(self.params, self.mesh)

    def band_profile(self, state: StateSpec, bias_V: float = 0.0) -> BandProfile:
        P, NV = self.state_arrays(state)
        return self.electrostatics.solve(bias_V, P, NV)

    def current(self, state: StateSpec, bias_V: float) -> Current:
        return self.transport.current(self.band_profile(state, bias_V))

    def resistance_ohm(self, state: StateSpec, V_read_V: float) -> float:
        """Static read resistance V/I."""
        if V_read_V == 0:
            raise ValueError("V_read_V = 0; allowed: a non-zero read voltage")
        return V_read_V / self.current(state, V_read_V).I_A

    def iv(self, state: StateSpec, V_V) -> IVCurve:
        P, NV = self.state_arrays(state)
        return iv_curve(self.electrostatics, self.transport, np.asarray(V_V, dtype=float), P, NV)
