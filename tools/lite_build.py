"""Build the site's JupyterLite (served at /lite/) from lite/, offline and verified.

    python tools/lite_build.py website/lite --wheel dist/jaxlite-*.whl [--jupyter .venv-lite/bin/jupyter]

jupyterlite-core 0.5.1 with jupyterlite-pyodide-kernel 0.5.2 (their own venv, see the Makefile)
build the app from lite/jupyter-lite.json (the kernel's Pyodide is the site's dist at /pyodide/,
with no PyPI fallback, and jaxlite preloaded when the kernel starts) and lite/files/ (the
notebooks). The site's own piplite index gets `comm` (the kernel needs it; a PyPI wheel pinned by
sha256 and cached like the Pyodide dist's) and the jaxlite wheel, so `%pip install jaxlite` works
too. Every app page first loads lite/kernel-bridge.js, which steers the kernel off its racy
SharedArrayBuffer bridge (this site's pages are cross-origin isolated). The Pyodide dist must hold
the kernel's packages (tools/pyodide_dist.py puts them there); anything missing, or a download
that fails, stops the build.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from pyodide_dist import KERNEL_PACKAGES, VerificationError, cached, pip_download, with_dependencies

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "lite"
PYODIDE_DIST = ROOT / "build" / "pyodide"
WORK_DIR = ROOT / "build" / "lite"          # jupyter lite keeps its task database here, not in lite/

BRIDGE_SCRIPT = "kernel-bridge.js"
COMM = ("comm==0.2.2", "comm-0.2.2-py3-none-any.whl",
        "e6fb86cb70ff661ee8c9c14e7d36d6de3b4066f1441be4063df9c5009f0a64d3")


def check_pyodide_dist() -> None:
    """The kernel loads these from /pyodide/ when it starts; without them it hangs, so fail here."""
    lock_path = PYODIDE_DIST / "pyodide-lock.json"
    if not lock_path.exists():
        raise VerificationError(f"{lock_path} is missing: build the Pyodide dist first (make setup)")
    lock = json.loads(lock_path.read_text())
    try:
        needed = with_dependencies(KERNEL_PACKAGES + ["jaxlite"], lock)
    except KeyError as e:
        raise VerificationError(f"the Pyodide dist has no {e.args[0]}: rebuild it with tools/pyodide_dist.py") from None
    absent = [n for n in needed if not (PYODIDE_DIST / lock["packages"][n]["file_name"]).exists()]
    if absent:
        raise VerificationError(f"files of {', '.join(absent)} are missing from {PYODIDE_DIST}")


def add_bridge_script(out: Path) -> None:
    """Load lite/kernel-bridge.js first in every app page (lab, notebooks, ...): see that file."""
    shutil.copyfile(SOURCES / BRIDGE_SCRIPT, out / BRIDGE_SCRIPT)
    pages = [p for p in out.glob("*/index.html") if "config-utils.js" in p.read_text()]
    if not pages:
        raise VerificationError(f"no JupyterLite app pages in {out}")
    for page in pages:
        text = page.read_text()
        page.write_text(text.replace("<head>", f'<head>\n    <script src="../{BRIDGE_SCRIPT}"></script>', 1))


def build(out: Path, wheel: Path, jupyter: Path) -> None:
    check_pyodide_dist()
    comm = cached(COMM[1], COMM[2], pip_download(COMM[0]))
    if WORK_DIR.exists():
        shutil.rmtree(WORK_DIR)
    WORK_DIR.mkdir(parents=True)
    shutil.copyfile(SOURCES / "jupyter-lite.json", WORK_DIR / "jupyter-lite.json")
    if out.exists():
        shutil.rmtree(out)
    cmd = [str(jupyter.absolute()), "lite", "build", "--lite-dir", str(WORK_DIR), "--output-dir", str(out.resolve()),
           "--contents", str(SOURCES / "files"), "--piplite-wheels", str(comm),
           "--piplite-wheels", str(wheel.resolve()), "--no-sourcemaps", "--log-level", "WARN"]
    print("+", " ".join(cmd), flush=True)
    # Its task log is long; show it only when the build fails.
    done = subprocess.run(cmd, cwd=WORK_DIR, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        sys.stdout.write(done.stdout)
        raise VerificationError(f"jupyter lite build failed with exit status {done.returncode}")

    add_bridge_script(out)

    index = json.loads((out / "pypi" / "all.json").read_text())
    if not {"comm", "jaxlite"} <= set(index):
        raise VerificationError(f"the piplite index lacks comm or jaxlite: {sorted(index)}")
    notebooks = sorted(p.name for p in (SOURCES / "files").glob("*.ipynb"))
    missing = [n for n in notebooks if not (out / "files" / n).exists()]
    if missing:
        raise VerificationError(f"notebooks missing from the build: {missing}")
    print(f"JupyterLite in {out}: {', '.join(notebooks)}; piplite: {', '.join(sorted(index))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--wheel", type=Path, required=True, help="the jaxlite wheel for the piplite index")
    ap.add_argument("--jupyter", type=Path, default=ROOT / ".venv-lite" / "bin" / "jupyter")
    args = ap.parse_args()
    try:
        build(args.out, args.wheel, args.jupyter)
    except VerificationError as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main()
