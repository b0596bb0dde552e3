"""Solver failures carry their diagnostics; a failed solve never returns a state."""


class SolverError(RuntimeError):
    """A numerical solve failed. ``diagnostics`` holds what is known (iteration, residual, bias, time ...)."""

    def __init__(self, message: str, **diagnostics):
        details = ", ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in diagnostics.items())
        super().__init__(f"{message} ({details})" if details else message)
        self.diagnostics = diagnostics
