"""The import graph of jaxlite._src stays layered: no import cycle outside the allow-list below.

Every `import` counts, at module level and inside functions alike: an import inside a function is
a cycle in disguise (it only moves the failure from import time to call time). A lower layer that
needs a higher one gets a hook or a registry instead, as in JAX: dispatch registers eager
execution into core, lax registers zeros/add/transpose in ad_util, custom_derivatives registers
its rules, backends/__init__ discovers the devices.

Importing a submodule also runs its package's `__init__`; as in import-linter, that implicit step
is not an edge, so a package `__init__` stays light at module level (backends/__init__.py imports
only dispatch there; its discovery imports the devices when called).

The modules are read from the installed package, so the test runs in Pyodide too.
"""

from __future__ import annotations

import ast
import pathlib
import re
import textwrap

import pytest

import jaxlite._src

ROOT = pathlib.Path(jaxlite._src.__file__).parent
PKG = "jaxlite._src"

# Each entry: the modules a cycle may stay within, and why. A package name allows cycles among its
# own modules; a set allows exactly those modules.
ALLOWED = [
    ("jaxlite._src.lax",
     "lax's modules call each other's operations (full needs structural.broadcast_in_dim, lgamma's jvp "
     "special.digamma, slicing's rules structural ones): one layer split into files, as JAX's lax "
     "package is. The machinery below it (core, ad, batching, jit) imports none of them."),
    ("jaxlite._src.numpy",
     "jax.numpy's modules call each other (lax_numpy, reductions, indexing, sorting), as in JAX."),
    ({"jaxlite._src.lax.linalg", "jaxlite._src.numpy.linalg"},
     "lax.linalg builds a few decompositions from jnp.linalg helpers and jnp.linalg wraps lax.linalg; "
     "JAX's linalg modules are part of its numpy cycle too."),
    ({"jaxlite._src.scipy.signal", "jaxlite._src.scipy.signal_fft"},
     "scipy.signal split in two files (the FFT-based half) that share helpers both ways."),
]


def _modules() -> dict[str, pathlib.Path]:
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join([PKG, *parts])] = path
    return mods


def _targets(module: str, is_package: bool, node, mods) -> list[str]:
    """The jaxlite._src modules an import statement loads (names resolved to modules where they
    are submodules, else to the package or module they come from)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[:len(base) - (node.level - 1)]
            origin = ".".join(base + ([node.module] if node.module else []))
        else:
            origin = node.module or ""
        names = [f"{origin}.{a.name}" if f"{origin}.{a.name}" in mods else origin for a in node.names]
    out = []
    for name in names:
        while name and name not in mods:
            name = name.rpartition(".")[0]
        if name:
            out.append(name)
    return out


_IMPORT_LINE = re.compile(r"[ \t]*(?:from[ \t]+[\w.]+[ \t]+import\b|import[ \t]+\w)")


def _import_statements(text: str):
    """The import statements of a module, at any depth, parsed one by one: parsing 1.5 MB of
    source whole takes seconds (more in Pyodide), the import statements alone a few milliseconds."""
    lines = text.splitlines()
    for first, line in enumerate(lines):
        if not _IMPORT_LINE.match(line):
            continue
        last = first
        stmt = lines[first]
        while (stmt.count("(") > stmt.count(")") or stmt.rstrip().endswith("\\")) and last + 1 < len(lines):
            last += 1
            stmt += "\n" + lines[last]
        try:
            tree = ast.parse(textwrap.dedent(stmt))
        except SyntaxError:  # an import-like line inside a string
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                node.lineno = first + 1
                yield node


def import_graph(mods=None) -> dict[str, dict[str, int]]:
    """module -> {imported module: first line}. An import of a package that contains the importer
    adds no edge: Python has initialised that package before any of its submodules."""
    mods = mods or _modules()
    graph: dict[str, dict[str, int]] = {m: {} for m in mods}
    for module, path in mods.items():
        for node in _import_statements(path.read_text(encoding="utf-8")):
            for t in _targets(module, path.name == "__init__.py", node, mods):
                if t != module and not module.startswith(t + "."):
                    graph[module].setdefault(t, node.lineno)
    return graph


def cycles(graph) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = set()
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.add(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        out.append(comp)
    return out


def _allowed(comp: set[str]) -> bool:
    for modules, _ in ALLOWED:
        if isinstance(modules, str):
            if all(m.startswith(modules + ".") for m in comp):
                return True
        elif comp <= modules:
            return True
    return False


def _describe(comp, graph) -> str:
    edges = [f"  {a} -> {b} (line {graph[a][b]})" for a in sorted(comp) for b in sorted(graph[a]) if b in comp]
    return "import cycle among " + ", ".join(sorted(comp)) + ":\n" + "\n".join(edges)


@pytest.fixture(scope="module")
def graph():
    return import_graph()


def test_no_import_cycles_outside_the_allow_list(graph):
    bad = [c for c in cycles(graph) if not _allowed(c)]
    assert not bad, "\n\n".join(_describe(c, graph) for c in bad) + (
        "\n\nBreak the cycle with a hook or a registry in the lower module (see ARCHITECTURE.md); an "
        "import moved into a function still counts.")


def test_the_tracing_core_sits_below_lax_kernels_and_backends(graph):
    """The edges that once tied 23 modules into one cycle stay cut (function-level imports too):
    the machinery reaches lax, kernels and devices only through hooks and registries."""
    higher = ["lax", "kernel", "numpy", "backends.wasm", "backends.webgpu", "backends.kernel_device", "stages", "api"]
    higher = [f"{PKG}.{h}" for h in higher]
    for name in ["core", "ad", "ad_util", "batching", "partial_eval", "jit", "dispatch", "array", "api_util",
                 "custom_derivatives", "remat", "backends.cpu"]:
        up = [t for t in graph[f"{PKG}.{name}"] if any(t == h or t.startswith(h + ".") for h in higher)]
        assert not up, f"{name} imports the higher layers {up}"
    assert set(graph[f"{PKG}.core"]) <= {f"{PKG}.dtypes", f"{PKG}.config"}, graph[f"{PKG}.core"]
    assert f"{PKG}.dispatch" not in graph[f"{PKG}.array"]


@pytest.mark.parametrize("code, expect_cycle", [
    ({"a": "from jaxlite._src import b", "b": "def f():\n    from jaxlite._src import a"}, True),
    ({"a": "from jaxlite._src import b", "b": "import numpy"}, False),
    ({"p/__init__": "", "p/x": "from . import y", "p/y": "from .x import f"}, True),
    ({"p/__init__": "from jaxlite._src.p import x", "p/x": "from jaxlite._src import p"}, False),
    ({"a": "from jaxlite._src.b import g", "b": "from .c import h", "c": "import jaxlite._src.a"}, True),
])
def test_the_analysis_sees_function_level_and_relative_imports(tmp_path, code, expect_cycle):
    mods = {}
    for name, text in code.items():
        path = tmp_path / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        mods[".".join([PKG, *name.split("/")]).removesuffix(".__init__")] = path
    found = cycles(import_graph(mods))
    assert bool(found) == expect_cycle, found


# ---- what `import jaxlite` loads -----------------------------------------------------------------
# A first program (`jnp.arange(10) + 1`, jit, grad) needs the tracing core, lax, the common jnp
# functions and the kernel layer of the default device; everything else loads on first use, through
# module `__getattr__`s (jaxlite, jaxlite.numpy, jaxlite.lax) or inside the function that needs it.
# In Pyodide each module costs finding, reading and unmarshalling it besides running its body:
# `import jaxlite` there went from 102 modules to 78 with these.
LAZY_MODULES = [
    "jaxlite._src.stages", "jaxlite._src.lax.linalg", "jaxlite._src.numpy.linalg", "jaxlite._src.lax.fft",
    "jaxlite._src.numpy.fft", "jaxlite.numpy.linalg", "jaxlite.numpy.fft", "jaxlite.lax.linalg",
    *(f"jaxlite._src.numpy.{m}" for m in ("setops", "calculus", "statistics", "nan_functions", "polynomial",
                                            "special_math", "ordering", "windows", "functional",
                                            "ufunc_objects")),
    *(f"jaxlite._src.lax.{m}" for m in ("parallel", "extras", "ragged", "rng", "staging", "tokens")),
    "jaxlite.random", "jaxlite.nn", "jaxlite.scipy", "jaxlite.optax", "jaxlite.display", "jaxlite.loaders",
    "jaxlite.models", "jaxlite.stages", "jaxlite._src.backends.webgpu", "jaxlite._src.backends.wasm.linalg",
    "jaxlite._src.backends.wasm.eig", "jaxlite._src.backends.wasm.fft",
    "fractions",  # lax.special's zeta computes its Bernoulli numbers on first use
]
# The jaxlite modules a plain import loads today (78; wasmtime's CPython glue aside): a new eager
# module needs a reason to raise this.
MAX_EAGER_MODULES = 78


def _loaded_by_import():
    subprocess = pytest.importorskip("subprocess")
    import sys
    if sys.platform == "emscripten":
        pytest.skip("needs a fresh interpreter (a subprocess)")
    code = "import sys, jaxlite; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_import_jaxlite_loads_no_module_a_first_program_does_not_need():
    loaded = _loaded_by_import()
    eager = [m for m in LAZY_MODULES if m in loaded or any(n.startswith(m + ".") for n in loaded)]
    assert not eager, f"`import jaxlite` loads {eager}: load them on first use (module __getattr__)"
    ours = sorted(m for m in loaded if m.startswith("jaxlite"))
    assert len(ours) <= MAX_EAGER_MODULES, (
        f"`import jaxlite` loads {len(ours)} jaxlite modules (at most {MAX_EAGER_MODULES}): {ours}")


@pytest.mark.parametrize("public, families, prefix", [
    ("jaxlite.numpy", "_LAZY_FAMILIES", "jaxlite._src.numpy."),
    ("jaxlite.lax", "_LAZY_FAMILIES", "jaxlite._src.lax."),
])
def test_lazy_names_resolve_to_their_family_and_are_listed(public, families, prefix):
    import importlib
    mod = importlib.import_module(public)
    for family, names in getattr(mod, families).items():
        impl = importlib.import_module(prefix + family)
        if hasattr(impl, "__all__") and public == "jaxlite.numpy":
            assert sorted(names) == sorted(impl.__all__), family
        for name in names:
            # an eager name of the same spelling would shadow the family's (no __getattr__ call)
            assert getattr(mod, name) is getattr(impl, name), f"{public}.{name}"
            assert name in dir(mod)


def test_lazy_modules_work_by_attribute_and_by_from_import():
    import jaxlite as jax
    import jaxlite.numpy as jnp
    from jaxlite.numpy import histogram, unique  # noqa: F401
    from jaxlite.numpy.linalg import norm
    from jaxlite.lax import FftType, psum  # noqa: F401
    from jaxlite.scipy.special import erf  # noqa: F401
    assert jnp.linalg.norm is norm and jnp.fft.fft is not None and jax.lax.linalg.cholesky is not None
    assert jax.scipy.linalg.solve is not None and jax.random.key is not None and jax.nn.relu is not None
    assert {"linalg", "fft", "unique"} <= set(dir(jnp)) and "linalg" in dir(jax.lax)
    assert [int(v) for v in jnp.unique(jnp.array([3, 1, 3]))] == [1, 3]
    assert float(jnp.linalg.norm(jnp.array([3.0, 4.0]))) == 5.0
    traced = jax.jit(lambda x: x * 2).trace(jnp.ones(3))  # stages.py loads here
    assert traced.lower().compile()(jnp.ones(3)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(AttributeError):
        jnp.no_such_name  # noqa: B018
    with pytest.raises(AttributeError):
        jax.lax.no_such_name  # noqa: B018
