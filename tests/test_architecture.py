"""Import direction of the design (scanned from the source with ``ast``, nothing is imported):

    scenarios  ->  ftjphys  ->  solvers

- ``solvers`` (numerical kernels) imports nothing from ``ftjphys`` or ``scenarios``;
- ``ftjphys`` (physics) imports nothing from ``scenarios``;
- neither touches storage or plotting: no h5py, no matplotlib, and no file opening (I/O belongs to
  ``scenarios``).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

FORBIDDEN_EVERYWHERE = {"h5py", "matplotlib", "pickle", "shelve", "tempfile", "shutil"}
FORBIDDEN_BY_PACKAGE = {
    "solvers": {"ftjphys", "scenarios"} | FORBIDDEN_EVERYWHERE,
    "ftjphys": {"scenarios"} | FORBIDDEN_EVERYWHERE,
}
# Calls that open, write or remove files. Plain names (builtins) and attribute names that are
# unambiguous; ``save``/``load``/``dump`` only on the modules that write files with them.
FILE_FUNCTIONS = {"open"}
FILE_METHODS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "tofile", "fromfile", "savetxt",
                "loadtxt", "genfromtxt", "savez", "savez_compressed", "fdopen", "mkdir", "makedirs", "unlink",
                "rmtree", "touch", "to_csv", "savefig"}
FILE_METHODS_ON = {("np", "save"), ("np", "load"), ("numpy", "save"), ("numpy", "load"), ("json", "dump"),
                   ("json", "load"), ("pickle", "dump"), ("pickle", "load"), ("os", "remove")}


def _sources(package):
    files = sorted(p for p in (ROOT / package).rglob("*.py") if "__pycache__" not in p.parts)
    assert files, f"no sources found under {package}/"
    return files


def _module_parts(path: Path):
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
        is_pkg = True
    else:
        is_pkg = False
    return parts, is_pkg


def _imported_modules(tree: ast.AST, path: Path):
    """Absolute names of everything imported (relative imports resolved), plus importlib/__import__
    calls with a literal name."""
    parts, is_pkg = _module_parts(path)
    package = parts if is_pkg else parts[:-1]
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = node.level - 1                      # "from ." stays in the current package
                base = package[: len(package) - up] if up < len(package) else ["<beyond top-level package>"]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names.append((mod, node.lineno))
            names += [(f"{mod}.{a.name}", node.lineno) for a in node.names]
        elif isinstance(node, ast.Call):
            f = node.func
            fname = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
            if fname in ("import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant) \
                    and isinstance(node.args[0].value, str):
                names.append((node.args[0].value, node.lineno))
    return names


def _file_calls(tree: ast.AST):
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id in FILE_FUNCTIONS:
            hits.append((f.id, node.lineno))
        elif isinstance(f, ast.Attribute):
            base = f.value.id if isinstance(f.value, ast.Name) else None
            if f.attr in FILE_METHODS or (base, f.attr) in FILE_METHODS_ON:
                hits.append((f"{base or '...'}.{f.attr}", node.lineno))
    return hits


def _violations(source: str, path: Path, forbidden: set):
    tree = ast.parse(source, filename=str(path))
    out = []
    for name, line in _imported_modules(tree, path):
        top = name.split(".")[0]
        if top in forbidden or top == "<beyond top-level package>":
            out.append(f"{path.relative_to(ROOT)}:{line}: imports {name}")
    for call, line in _file_calls(tree):
        out.append(f"{path.relative_to(ROOT)}:{line}: file access {call}(...)")
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN_BY_PACKAGE))
def test_import_direction_and_no_io(package):
    problems = []
    for path in _sources(package):
        problems += _violations(path.read_text(encoding="utf-8"), path, FORBIDDEN_BY_PACKAGE[package])
    assert not problems, "\n".join(problems)


def test_checker_detects_violations():
    # The scanner must be able to fail: a synthetic module with every kind of violation.
    src = """
import h5py
import matplotlib.pyplot as plt
from scenarios import store
from ..scenarios import cli
import numpy as np
def f(path):
    from ftjphys import parameters
    import importlib
    importlib.import_module("scenarios.cli")
    with open(path) as fh:
        pass
    np.save(path, 1)
    np.savetxt(path, [1])
    path.write_text("x")
"""
    fake = ROOT / "solvers" / "_fake_module.py"
    found = _violations(src, fake, FORBIDDEN_BY_PACKAGE["solvers"])
    text = "\n".join(found)
    for expected in ("imports h5py", "imports matplotlib.pyplot", "imports scenarios", "imports ftjphys.parameters",
                     "imports scenarios.cli", "file access open", "file access np.save", "np.savetxt",
                     "write_text", "<beyond top-level package>"):
        assert expected in text, (expected, text)
    # while legitimate code passes: relative imports inside the package, numpy, scipy, numba
    ok = "from .errors import SolverError\nfrom . import fermi\nimport numba\nfrom scipy.linalg import solve_banded\n"
    assert _violations(ok, fake, FORBIDDEN_BY_PACKAGE["solvers"]) == []
    # ftjphys may import solvers, but not scenarios
    fake2 = ROOT / "ftjphys" / "_fake.py"
    assert _violations("from solvers import poisson\nfrom .parameters import literature\n", fake2,
                       FORBIDDEN_BY_PACKAGE["ftjphys"]) == []
    assert _violations("from scenarios.store import write_result\n", fake2, FORBIDDEN_BY_PACKAGE["ftjphys"])


def test_relative_imports_resolve_inside_the_package():
    # "from . import x" in ftjphys/a.py is ftjphys.x; in ftjphys/__init__.py it is also ftjphys.x
    tree = ast.parse("from . import iv_fitting\nfrom .validation import require_finite\n")
    names = {n for n, _ in _imported_modules(tree, ROOT / "ftjphys" / "transport_analysis.py")}
    assert {"ftjphys", "ftjphys.iv_fitting", "ftjphys.validation"} <= names
    names = {n for n, _ in _imported_modules(tree, ROOT / "ftjphys" / "__init__.py")}
    assert "ftjphys.iv_fitting" in names
