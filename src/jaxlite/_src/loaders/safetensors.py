"""safetensors files: read (whole, or one tensor at a time) and write.

The format is 8 bytes (little-endian u64 header length N), N bytes of JSON header, then one byte
buffer. The header maps each name to `{"dtype", "shape", "data_offsets": [begin, end]}` (offsets
into the buffer) plus an optional `"__metadata__"` of strings. Checks follow the reference Rust
reader: the tensors must tile the buffer exactly (sorted by offset, each begins where the last
ended, the last ends at the end of the file) and each byte span must equal its shape's size. A bad
file raises `ValueError` before anything the size of a header field is allocated.
"""

from __future__ import annotations

import io
import json
import math
import os

import numpy as np

from jaxlite._src import dtypes

# The reference writer orders tensors by this dtype rank, largest first, then by name; keeping
# its order makes our files byte-identical to its files.
_DTYPES = {
    "BOOL": np.dtype(bool), "U8": np.dtype("u1"), "I8": np.dtype("i1"), "I16": np.dtype("<i2"),
    "U16": np.dtype("<u2"), "F16": np.dtype("<f2"), "BF16": None, "I32": np.dtype("<i4"),
    "U32": np.dtype("<u4"), "F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"),
    "U64": np.dtype("<u8"),
}
_RANK = {name: i for i, name in enumerate(_DTYPES)}
_ITEMSIZE = {name: (2 if dt is None else dt.itemsize) for name, dt in _DTYPES.items()}
_NAMES = {dt: name for name, dt in _DTYPES.items() if dt is not None}
# The reference reader refuses headers past 100 MB; so do we, before reading one.
MAX_HEADER = 100_000_000


def _bf16_to_numpy(raw: np.ndarray) -> np.ndarray:
    """BF16 bits (uint16) as jaxlite's bfloat16 where ml_dtypes is installed, else as float32
    (exact: bfloat16 is the top half of a float32)."""
    if dtypes.bfloat16 is not None:
        return raw.view(dtypes.bfloat16)
    return (raw.astype("<u4") << 16).view("<f4")


class TensorInfo:
    __slots__ = ("dtype", "shape", "begin", "end")

    def __init__(self, dtype, shape, begin, end):
        self.dtype, self.shape, self.begin, self.end = dtype, shape, begin, end


def _is_uint(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= 0


def parse_header(header: bytes, buffer_len: int) -> tuple[dict[str, TensorInfo], dict[str, str] | None]:
    """The tensors (in file order) and metadata of a header; `buffer_len` is the size of the byte
    buffer after it."""
    try:
        text = header.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"safetensors header is not UTF-8: {e}") from None
    if not text.startswith("{"):
        raise ValueError("safetensors header must be a JSON object starting with '{'")
    try:
        raw = json.loads(text)
    except ValueError as e:
        raise ValueError(f"safetensors header is not valid JSON: {e}") from None
    if not isinstance(raw, dict):
        raise ValueError("safetensors header must be a JSON object")
    metadata = raw.pop("__metadata__", None)
    if metadata is not None and not (isinstance(metadata, dict) and
                                     all(isinstance(v, str) for v in metadata.values())):
        raise ValueError("safetensors '__metadata__' must be an object of strings")
    infos = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict) or not {"dtype", "shape", "data_offsets"} <= entry.keys():
            raise ValueError(f"safetensors tensor {name!r} needs 'dtype', 'shape' and 'data_offsets'")
        dtype, shape, offsets = entry["dtype"], entry["shape"], entry["data_offsets"]
        if dtype not in _DTYPES:
            raise ValueError(f"safetensors tensor {name!r} has an unknown or unsupported dtype {dtype!r} "
                             f"(supported: {', '.join(_DTYPES)})")
        if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
            raise ValueError(f"safetensors tensor {name!r}: shape must be a list of non-negative "
                             f"integers, got {shape!r}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_uint(o) for o in offsets)):
            raise ValueError(f"safetensors tensor {name!r}: data_offsets must be two non-negative "
                             f"integers, got {offsets!r}")
        infos[name] = TensorInfo(dtype, tuple(shape), offsets[0], offsets[1])
    end = 0
    for name, info in sorted(infos.items(), key=lambda kv: (kv[1].begin, kv[1].end)):
        if info.begin != end or info.end < info.begin:
            raise ValueError(f"safetensors tensor {name!r}: data_offsets [{info.begin}, {info.end}] "
                             f"must start at byte {end}; the tensors must cover the buffer without "
                             f"overlaps or holes")
        nbytes = math.prod(info.shape) * _ITEMSIZE[info.dtype]
        if nbytes != info.end - info.begin:
            raise ValueError(f"safetensors tensor {name!r}: shape {list(info.shape)} of {info.dtype} "
                             f"needs {nbytes} bytes but data_offsets span {info.end - info.begin}")
        end = info.end
    if end != buffer_len:
        raise ValueError(f"safetensors tensors cover {end} bytes of a {buffer_len}-byte buffer "
                         f"(file truncated or with trailing bytes)")
    return infos, metadata


class safe_open:
    """A safetensors file opened lazily: the header is read at once, each tensor's bytes only when
    `get_tensor` asks for it. `source` is a path, a binary file object (seekable) or bytes.
    `framework="np"` gives numpy arrays, anything else jaxlite Arrays (int64/float64 become 32-bit
    unless jax_enable_x64 is set, as with `jnp.asarray`). BF16 tensors are bfloat16 where ml_dtypes
    is installed (CPython) and float32 where it is not (Pyodide), exactly widened."""

    def __init__(self, source, framework: str = "jax", device=None):
        self._framework, self._device = framework, device
        self._owned = None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._view = memoryview(source).cast("B")
            self._file = None
            size = len(self._view)
            head = bytes(self._view[:8])
        else:
            if isinstance(source, (str, os.PathLike)):
                source = self._owned = open(source, "rb")
            self._view, self._file = None, source
            size = source.seek(0, io.SEEK_END)
            source.seek(0)
            head = source.read(8)
        if size < 8:
            raise ValueError(f"not a safetensors file: {size} bytes is shorter than the 8-byte header length")
        n = int.from_bytes(head, "little")
        if n > MAX_HEADER:
            raise ValueError(f"safetensors header length {n} is larger than the {MAX_HEADER}-byte limit")
        if 8 + n > size:
            raise ValueError(f"safetensors header length {n} runs past the end of the {size}-byte file")
        header = bytes(self._view[8:8 + n]) if self._file is None else self._file.read(n)
        self._start = 8 + n
        self._infos, self._metadata = parse_header(header, size - self._start)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def keys(self) -> list[str]:
        return sorted(self._infos)

    def metadata(self) -> dict[str, str] | None:
        return self._metadata

    def get_tensor(self, name: str):
        try:
            info = self._infos[name]
        except KeyError:
            raise KeyError(f"no tensor {name!r} in this safetensors file") from None
        begin, end = self._start + info.begin, self._start + info.end
        if self._file is None:
            data = self._view[begin:end]
        else:
            self._file.seek(begin)
            data = self._file.read(end - begin)
            if len(data) != end - begin:
                raise ValueError(f"safetensors file ended inside tensor {name!r}")
        dt = _DTYPES[info.dtype]
        arr = np.frombuffer(data, dtype=dt or np.dtype("<u2")).reshape(info.shape)
        if dt is None:
            arr = _bf16_to_numpy(arr)
        if self._framework in ("np", "numpy"):
            return arr.copy() if self._file is None else arr
        from jaxlite._src.dispatch import device_put
        from jaxlite._src.numpy.util import asarray
        out = asarray(arr)
        return out if self._device is None else device_put(out, self._device)


def load(source, framework: str = "jax") -> dict:
    """Every tensor of a safetensors file (path, binary file object or bytes), by name."""
    with safe_open(source, framework) as f:
        return {name: f.get_tensor(name) for name in f.keys()}


async def load_url(url: str, sha256: str | None = None, on_progress=None, framework: str = "jax",
                   cache_dir=None) -> dict:
    """Every tensor of a safetensors file at `url`, downloaded once and then read from the cache
    (`cached_fetch`; in the browser OPFS or the Cache API)."""
    from jaxlite._src.loaders.fetch import cached_fetch
    return load(await cached_fetch(url, sha256=sha256, on_progress=on_progress, cache_dir=cache_dir), framework)


def load_file(filename, device=None, framework: str = "jax") -> dict:
    with safe_open(filename, framework, device) as f:
        return {name: f.get_tensor(name) for name in f.keys()}


def _to_numpy(name, x) -> tuple[str, np.ndarray]:
    arr = np.asarray(x)
    if dtypes.bfloat16 is not None and arr.dtype == dtypes.bfloat16:
        return "BF16", np.asarray(arr, order="C").view("<u2")
    code = _NAMES.get(arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype)
    if code is None:
        raise ValueError(f"tensor {name!r} has dtype {arr.dtype}, which safetensors cannot store here "
                         f"(supported: {', '.join(_DTYPES)})")
    return code, np.asarray(arr, dtype=_DTYPES[code], order="C")  # (keeps 0-d arrays 0-d)


def save(tensors: dict, metadata: dict[str, str] | None = None) -> bytes:
    """The safetensors bytes of a dict of arrays (jaxlite, numpy, or anything `np.asarray` takes),
    laid out as the reference writer lays them out."""
    if metadata is not None and not (isinstance(metadata, dict) and
                                     all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())):
        raise ValueError("safetensors metadata must be a dict of str to str")
    items = []
    for name, x in tensors.items():
        if not isinstance(name, str) or name == "__metadata__":
            raise ValueError(f"invalid safetensors tensor name {name!r}")
        items.append((name, *_to_numpy(name, x)))
    items.sort(key=lambda t: (-_RANK[t[1]], t[0]))
    header = {} if metadata is None else {"__metadata__": metadata}
    offset = 0
    for name, code, arr in items:
        header[name] = {"dtype": code, "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # the reference pads so that the buffer starts 8-byte aligned
    return b"".join([len(text).to_bytes(8, "little"), text, *(arr.tobytes() for _, _, arr in items)])


def save_file(tensors: dict, filename, metadata: dict[str, str] | None = None) -> None:
    data = save(tensors, metadata)
    with open(filename, "wb") as f:
        f.write(data)
