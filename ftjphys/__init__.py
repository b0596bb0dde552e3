"""ftjphys: physics-based simulation of ferroelectric tunnel junction synapses."""

__version__ = "0.1.0"
