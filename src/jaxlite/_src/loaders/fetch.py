"""Downloads cached by URL and checksum.

In the browser (Pyodide) `cached_fetch` streams `fetch`, reports progress, and keeps the bytes in
the Origin Private File System (or the Cache API where OPFS is absent), so a reload reads them
back instead of downloading again. In CPython it reads local paths and `file://` URLs directly
and downloads http(s) with urllib into ~/.cache/jaxlite/fetch. Both are coroutines, so the same
`await cached_fetch(url)` runs in either place.

This module needs only the standard library (and `js` in Pyodide).
"""

from __future__ import annotations

import hashlib
import os
import sys
import urllib.parse
import urllib.request

IN_BROWSER = sys.platform == "emscripten"
CACHE_NAME = "jaxlite-fetch"
CHUNK = 1 << 20


class ChecksumError(ValueError):
    """The downloaded (or cached) bytes do not have the expected sha256."""


def cache_key(url: str, sha256: str | None) -> str:
    return hashlib.sha256(f"{url}\0{(sha256 or '').lower()}".encode()).hexdigest()


def _check(data: bytes, url: str, sha256: str | None) -> None:
    if sha256 is not None:
        got = hashlib.sha256(data).hexdigest()
        if got != sha256.lower():
            raise ChecksumError(f"sha256 of {url} is {got}, expected {sha256.lower()}")


def _progress(on_progress, done: int, total: int | None) -> None:
    if on_progress is not None:
        on_progress(done, total)


async def cached_fetch(url: str, sha256: str | None = None, on_progress=None, cache_dir=None) -> bytes:
    """The bytes at `url`, from the cache when an earlier call stored them.

    `sha256` (hex) is checked before anything is cached or returned (a mismatch raises
    `ChecksumError`, a `ValueError`) and is part of the cache key. `on_progress(received, total)`
    is called as bytes arrive (`total` is None when the server does not say). Network failures and
    HTTP errors raise `ConnectionError`; a full storage quota raises `OSError`.
    """
    if IN_BROWSER:
        return await _browser_fetch(url, sha256, on_progress)
    return _host_fetch(url, sha256, on_progress, cache_dir)


# ---- CPython ---------------------------------------------------------------------------------

def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaxlite", "fetch")


def _host_fetch(url, sha256, on_progress, cache_dir) -> bytes:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in ("", "file"):
        path = urllib.request.url2pathname(parsed.path) if parsed.scheme == "file" else url
        with open(path, "rb") as f:
            data = f.read()
        _progress(on_progress, len(data), len(data))
        _check(data, url, sha256)
        return data
    if parsed.scheme not in ("http", "https"):
        raise ValueError(f"cached_fetch cannot fetch {url!r}: only http(s), file:// and local paths")
    cache_dir = cache_dir or default_cache_dir()
    path = os.path.join(cache_dir, cache_key(url, sha256))
    if os.path.exists(path):
        with open(path, "rb") as f:
            data = f.read()
        try:
            _check(data, url, sha256)
            _progress(on_progress, len(data), len(data))
            return data
        except ChecksumError:
            os.remove(path)  # a damaged cache entry: download again
    try:
        with urllib.request.urlopen(url) as response:
            total = response.headers.get("Content-Length")
            total = int(total) if total is not None else None
            parts, done = [], 0
            while chunk := response.read(CHUNK):
                parts.append(chunk)
                done += len(chunk)
                _progress(on_progress, done, total)
    except OSError as e:  # URLError and HTTPError are OSErrors
        raise ConnectionError(f"could not fetch {url}: {e}") from e
    data = b"".join(parts)
    _check(data, url, sha256)
    os.makedirs(cache_dir, exist_ok=True)
    tmp = f"{path}.{os.getpid()}.part"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)  # atomic: a concurrent reader sees the whole file or none
    return data


# ---- the browser -------------------------------------------------------------------------------

def _js_error(e) -> str:
    return f"{getattr(e, 'name', type(e).__name__)}: {getattr(e, 'message', e)}"


async def _opfs_dir():
    import js
    storage = getattr(js.navigator, "storage", None)
    if storage is None or not hasattr(storage, "getDirectory"):
        return None
    try:
        root = await storage.getDirectory()
        return await root.getDirectoryHandle(CACHE_NAME, to_js_options(create=True))
    except Exception:  # OPFS refused (private mode, insecure context): fall back to the Cache API
        return None


def to_js_options(**kw):
    import js
    from pyodide.ffi import to_js
    return to_js(kw, dict_converter=js.Object.fromEntries)


class _OPFS:
    def __init__(self, directory):
        self.dir = directory

    async def get(self, key):
        try:
            handle = await self.dir.getFileHandle(key)
        except Exception:  # NotFoundError
            return None
        blob = await handle.getFile()
        return (await blob.arrayBuffer()).to_bytes()

    async def _write(self, name, data):
        from pyodide.ffi import to_js
        handle = await self.dir.getFileHandle(name, to_js_options(create=True))
        writable = await handle.createWritable()
        await writable.write(to_js(data))
        await writable.close()
        return handle

    async def put(self, key, data):
        # Written under a temporary name and renamed, so an interrupted write is never read back.
        part = await self._write(key + ".part", data)
        if hasattr(part, "move"):
            await part.move(key)
        else:
            await self._write(key, data)
            await self.dir.removeEntry(key + ".part")

    async def delete(self, key):
        try:
            await self.dir.removeEntry(key)
        except Exception:
            pass


class _CacheAPI:
    def __init__(self, cache):
        self.cache = cache

    @staticmethod
    def request(key):
        import js
        # A same-origin URL that is never fetched: the Cache API only keys by http(s) requests.
        return js.URL.new(f"/__jaxlite_fetch_cache__/{key}", js.location.href).href

    async def get(self, key):
        response = await self.cache.match(self.request(key))
        if response is None:
            return None
        return (await response.arrayBuffer()).to_bytes()

    async def put(self, key, data):
        import js
        from pyodide.ffi import to_js
        await self.cache.put(self.request(key), js.Response.new(to_js(data)))

    async def delete(self, key):
        await self.cache.delete(self.request(key))


async def _store():
    import js
    directory = await _opfs_dir()
    if directory is not None:
        return _OPFS(directory)
    if hasattr(js, "caches"):
        return _CacheAPI(await js.caches.open(CACHE_NAME))
    return None


async def _browser_fetch(url, sha256, on_progress) -> bytes:
    import js
    key = cache_key(url, sha256)
    store = await _store()
    if store is not None:
        data = await store.get(key)
        if data is not None:
            try:
                _check(data, url, sha256)
                _progress(on_progress, len(data), len(data))
                return data
            except ChecksumError:
                await store.delete(key)
    try:
        response = await js.fetch(url)
    except Exception as e:  # a JsException for TypeError("Failed to fetch")
        raise ConnectionError(f"could not fetch {url}: {_js_error(e)}") from None
    if not response.ok:
        raise ConnectionError(f"could not fetch {url}: HTTP {response.status} {response.statusText}")
    length = response.headers.get("Content-Length")
    total = int(length) if length else None
    buf, reader = bytearray(), response.body.getReader()
    try:
        while True:
            chunk = await reader.read()
            if chunk.done:
                break
            buf += chunk.value.to_bytes()
            _progress(on_progress, len(buf), total)
    except Exception as e:
        raise ConnectionError(f"download of {url} failed after {len(buf)} bytes: {_js_error(e)}") from None
    data = bytes(buf)
    _check(data, url, sha256)
    if store is not None:
        try:
            await store.put(key, data)
        except Exception as e:
            if "Quota" in _js_error(e):
                raise OSError(f"no room to cache {url} ({len(data)} bytes): the browser's storage quota "
                              f"is full ({_js_error(e)})") from None
            raise OSError(f"could not cache {url}: {_js_error(e)}") from None
    return data
