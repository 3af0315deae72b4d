"""jaxlite.loaders safetensors and .npy/.npz: round trips (byte-identical to the reference
`safetensors` package where it is installed), lazy reads, and every malformed file a ValueError."""

import io
import json

import numpy as np
import pytest

import jaxlite
import jaxlite.numpy as jnp
from jaxlite import loaders
from jaxlite._src import dtypes

try:
    import safetensors.numpy as st_ref
except ImportError:  # Pyodide: the Rust reference is absent
    st_ref = None
needs_ref = pytest.mark.skipif(st_ref is None, reason="the reference safetensors package is not installed")

NUMPY_DTYPES = ["float32", "float16", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
                "uint32", "uint64", "bool"]


def sample(dtype, shape=(2, 3), seed=0):
    r = np.random.default_rng(seed)
    if dtype == "bool":
        return r.random(shape) < 0.5
    if np.dtype(dtype).kind == "f":
        return (r.standard_normal(shape) * 100).astype(dtype)
    info = np.iinfo(dtype)
    return r.integers(info.min, info.max, shape, dtype=dtype, endpoint=True)


def tensors():
    out = {f"t_{d}": sample(d, seed=i) for i, d in enumerate(NUMPY_DTYPES)}
    out["scalar"] = np.array(3.5, np.float32)
    out["empty"] = np.zeros((0, 4), np.int32)
    out["ünïcode/名前"] = np.arange(5, dtype=np.uint8)
    return out


def header_file(header: dict, buffer: bytes = b"", raw: bytes | None = None) -> bytes:
    text = raw if raw is not None else json.dumps(header).encode()
    return len(text).to_bytes(8, "little") + text + buffer


def test_round_trip_values_and_dtypes():
    data = tensors()
    blob = loaders.save(data, metadata={"format": "np"})
    got = loaders.load(blob)
    assert sorted(got) == sorted(data)
    for name, x in data.items():
        expected = jnp.asarray(x)  # int64/uint64/float64 narrow to 32 bits without x64, as in JAX
        assert isinstance(got[name], jaxlite.Array)
        assert got[name].dtype == expected.dtype and got[name].shape == x.shape
        np.testing.assert_array_equal(np.asarray(got[name]), np.asarray(expected))
    np_got = loaders.load(blob, framework="np")
    for name, x in data.items():
        assert np_got[name].dtype == x.dtype
        np.testing.assert_array_equal(np_got[name], x)


def test_x64_keeps_64_bit_tensors():
    blob = loaders.save({"a": np.array([2**40], np.int64), "b": np.array([1e300], np.float64)})
    with jaxlite.enable_x64(True):
        got = loaders.load(blob)
        assert got["a"].dtype == np.int64 and int(got["a"][0]) == 2**40
        assert got["b"].dtype == np.float64 and float(got["b"][0]) == 1e300


def test_bf16():
    f32 = np.array([1.0, -2.5, 3.140625, np.inf, -0.0], np.float32)
    bits = (f32.view(np.uint32) >> 16).astype("<u2")  # exact in bfloat16
    blob = header_file({"w": {"dtype": "BF16", "shape": [5], "data_offsets": [0, 10]}}, bits.tobytes())
    got = loaders.load(blob)["w"]
    if dtypes.bfloat16 is not None:
        assert got.dtype == dtypes.bfloat16
        again = loaders.load(loaders.save({"w": got}))["w"]
        assert again.dtype == dtypes.bfloat16
    else:  # no ml_dtypes (Pyodide): widened to float32
        assert got.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(got, dtype=np.float32), f32)


@needs_ref
def test_bytes_identical_to_reference_and_readable_by_it():
    data = tensors()
    meta = {"format": "np"}  # one key: the reference writes metadata in hash-map order
    ours = loaders.save(data, metadata=meta)
    assert ours == st_ref.save(data, metadata=meta)
    assert st_ref.load(loaders.save(data, metadata={"k": "v", "z": "1", "b": "2"})).keys() == data.keys()
    back = st_ref.load(ours)
    for name, x in data.items():
        np.testing.assert_array_equal(back[name], x)
        assert back[name].dtype == x.dtype


@needs_ref
def test_reads_reference_files_and_bf16(tmp_path):
    import ml_dtypes
    data = tensors()
    data["bf"] = np.array([[1.5, -3.0], [0.0078125, 65280.0]], dtype=ml_dtypes.bfloat16)
    path = tmp_path / "ref.safetensors"
    st_ref.save_file(data, str(path), metadata={"a": "b"})
    got = loaders.load_file(path, framework="np")
    for name, x in data.items():
        assert got[name].dtype == x.dtype
        np.testing.assert_array_equal(got[name], x)
    assert loaders.save(data, metadata={"a": "b"}) == path.read_bytes()


def test_save_file_and_lazy_reads(tmp_path):
    data = {"big": np.arange(1000, dtype=np.float32), "small": np.array([7, 8], np.int16)}
    path = tmp_path / "m.safetensors"
    loaders.save_file(data, path, metadata={"who": "me"})

    class CountingFile(io.FileIO):
        read_bytes = 0

        def read(self, n=-1):
            out = super().read(n)
            CountingFile.read_bytes += len(out)
            return out

    with loaders.safe_open(CountingFile(str(path), "rb")) as f:
        assert f.keys() == ["big", "small"]
        assert f.metadata() == {"who": "me"}
        header_bytes = CountingFile.read_bytes
        small = f.get_tensor("small")
        assert CountingFile.read_bytes - header_bytes == 4  # only that tensor's bytes
        np.testing.assert_array_equal(np.asarray(small), data["small"])
        assert small.dtype == np.int16
        with pytest.raises(KeyError, match="nope"):
            f.get_tensor("nope")
    with open(path, "rb") as fh:
        assert loaders.load(fh)["big"].shape == (1000,)
    assert loaders.safe_open(path.read_bytes()).metadata() == {"who": "me"}


def test_loaded_tensor_works_under_jit():
    w = loaders.load(loaders.save({"w": np.arange(6, dtype=np.float32).reshape(2, 3)}))["w"]
    out = jaxlite.jit(lambda a: (a * 2).sum(axis=1))(w)
    np.testing.assert_allclose(np.asarray(out), [6.0, 24.0])


def test_save_rejects():
    with pytest.raises(ValueError, match="complex64"):
        loaders.save({"c": np.zeros(2, np.complex64)})
    with pytest.raises(ValueError, match="name"):
        loaders.save({"__metadata__": np.zeros(2, np.float32)})
    with pytest.raises(ValueError, match="metadata"):
        loaders.save({"a": np.zeros(1, np.float32)}, metadata={"a": 1})


def T(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


MALFORMED = {
    "empty": (b"", "shorter than the 8-byte"),
    "seven_bytes": (b"\x00" * 7, "shorter than the 8-byte"),
    "header_past_end": ((100).to_bytes(8, "little") + b"{}", "past the end"),
    "huge_header_length": ((2**63).to_bytes(8, "little") + b"{}", "limit"),
    "not_utf8": (header_file({}, raw=b"{\xff\xfe}"), "UTF-8"),
    "not_json": (header_file({}, raw=b"{not json}"), "not valid JSON"),
    "not_object": (header_file({}, raw=b"[1, 2]"), "starting with"),
    "leading_space": (header_file({}, raw=b' {"a": 1}'), "starting with"),
    "entry_not_object": (header_file({"a": 5}), "needs"),
    "unknown_dtype": (header_file({"a": T("F7")}, b"\0" * 8), "unknown or unsupported dtype"),
    "float_shape": (header_file({"a": T(shape=(2.0,))}, b"\0" * 8), "shape"),
    "negative_shape": (header_file({"a": T(shape=(-2,))}, b"\0" * 8), "shape"),
    "bool_shape": (header_file({"a": T(shape=(True,), offsets=(0, 4))}, b"\0" * 4), "shape"),
    "string_offsets": (header_file({"a": T(offsets=("0", "8"))}, b"\0" * 8), "data_offsets"),
    "three_offsets": (header_file({"a": T(offsets=(0, 4, 8))}, b"\0" * 8), "data_offsets"),
    "size_mismatch": (header_file({"a": T(shape=(3,))}, b"\0" * 8), "needs 12 bytes"),
    "reversed_offsets": (header_file({"a": T(offsets=(8, 0))}, b"\0" * 8), "must start at byte 0"),
    "out_of_range": (header_file({"a": T(offsets=(0, 8))}, b"\0" * 4), "truncated"),
    "trailing_bytes": (header_file({"a": T(offsets=(0, 8))}, b"\0" * 12), "trailing"),
    "overlap": (header_file({"a": T(), "b": T(offsets=(4, 12))}, b"\0" * 12), "must start at byte 8"),
    "hole": (header_file({"a": T(), "b": T(offsets=(12, 20))}, b"\0" * 20), "must start at byte 8"),
    "not_from_zero": (header_file({"a": T(offsets=(4, 12))}, b"\0" * 12), "must start at byte 0"),
    "huge_shape": (header_file({"a": T(shape=(2**40, 2**40))}, b"\0" * 8), "needs"),
    "metadata_not_strings": (header_file({"__metadata__": {"a": 1}}), "__metadata__"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_raises_value_error(case, tmp_path):
    blob, message = MALFORMED[case]
    with pytest.raises(ValueError, match=message):
        loaders.load(blob)
    path = tmp_path / "bad.safetensors"
    path.write_bytes(blob)
    with pytest.raises(ValueError, match=message):
        loaders.safe_open(path)
    if st_ref is not None:  # the reference reader refuses the same files
        with pytest.raises(Exception):
            st_ref.load(blob)


@needs_ref
def test_reference_accepts_what_we_accept():
    padded = header_file({}, raw=b'{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}    ', buffer=b"\0" * 8)
    zero = header_file({"a": T(shape=(0, 3), offsets=(0, 0)), "b": T(offsets=(0, 8))}, b"\0" * 8)
    for blob in (padded, zero, header_file({}), header_file({"__metadata__": {}})):
        ours = loaders.load(blob, framework="np")
        ref = st_ref.load(blob)
        assert sorted(ours) == sorted(ref)
        for k in ours:
            np.testing.assert_array_equal(ours[k], ref[k])


def test_npy_npz(tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    loaders.save_npy(tmp_path / "x.npy", jnp.asarray(x))
    got = loaders.load_npy(tmp_path / "x.npy")
    assert isinstance(got, jaxlite.Array) and got.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(got), x)
    data = {"a": jnp.asarray(x), "b": np.array([1, 2], np.int64)}
    for compressed in (False, True):
        loaders.save_npz(tmp_path / "d.npz", data, compressed=compressed)
        back = loaders.load_npz(tmp_path / "d.npz")
        assert back["b"].dtype == jnp.asarray(data["b"]).dtype
        np.testing.assert_array_equal(np.asarray(back["a"]), x)
        np.testing.assert_array_equal(np.asarray(back["b"]), [1, 2])


# ---- cached_fetch in CPython (the browser path is tested in pyodide-tests/test_loaders_page.py) ----

not_in_browser = pytest.mark.skipif(__import__("sys").platform == "emscripten",
                                    reason="CPython path: local files and a local http.server")


@pytest.fixture
def http_server(tmp_path):
    import functools
    import http.server
    import threading

    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path, hits
    server.shutdown()
    server.server_close()


def fetch(*args, **kwargs):
    import asyncio
    return asyncio.run(loaders.cached_fetch(*args, **kwargs))


@not_in_browser
def test_cached_fetch_http_caches_by_url_and_checksum(http_server, tmp_path_factory):
    import hashlib
    base, root, hits = http_server
    blob = loaders.save({"w": np.arange(50_000, dtype=np.float32)})
    (root / "m.safetensors").write_bytes(blob)
    sha = hashlib.sha256(blob).hexdigest()
    cache = tmp_path_factory.mktemp("cache")
    progress = []
    got = fetch(f"{base}/m.safetensors", sha256=sha, on_progress=lambda d, t: progress.append((d, t)),
                cache_dir=cache)
    assert got == blob and progress[-1] == (len(blob), len(blob))
    assert fetch(f"{base}/m.safetensors", sha256=sha.upper(), cache_dir=cache) == blob
    assert len(hits) == 1  # the second call read the cache
    np.testing.assert_array_equal(np.asarray(loaders.load(got)["w"]), np.arange(50_000, dtype=np.float32))
    import asyncio
    w = asyncio.run(loaders.load_url(f"{base}/m.safetensors", sha256=sha, cache_dir=cache))["w"]
    assert w.shape == (50_000,) and len(hits) == 1
    with pytest.raises(ValueError, match="sha256"):
        fetch(f"{base}/m.safetensors", sha256="0" * 64, cache_dir=cache)
    assert len(list(cache.iterdir())) == 1  # a mismatch is not cached
    with pytest.raises(ConnectionError, match="404"):
        fetch(f"{base}/missing.bin", cache_dir=cache)
    # a damaged cache entry is downloaded again
    next(cache.iterdir()).write_bytes(b"garbage")
    assert fetch(f"{base}/m.safetensors", sha256=sha, cache_dir=cache) == blob
    assert len([h for h in hits if "m.safetensors" in h]) == 3


@not_in_browser
def test_cached_fetch_local_paths(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    assert fetch(str(path)) == b"abc"
    assert fetch(path.as_uri()) == b"abc"
    with pytest.raises(ValueError, match="sha256"):
        fetch(str(path), sha256="0" * 64)
    with pytest.raises(FileNotFoundError):
        fetch(str(tmp_path / "nope"))
    with pytest.raises(ValueError, match="only http"):
        fetch("ftp://example.invalid/x")


@not_in_browser
def test_cached_fetch_network_failure(tmp_path):
    import socket
    with socket.socket() as s:  # a port with nothing listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectionError, match="could not fetch"):
        fetch(f"http://127.0.0.1:{port}/x", cache_dir=tmp_path)
