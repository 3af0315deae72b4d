"""jaxlite.loaders.cached_fetch in Chromium: streamed download with progress, cached in OPFS (and
in the Cache API where OPFS is absent), read back after a reload without a second request; clear
Python errors for a wrong checksum, HTTP errors, a failed network and a full quota.

The page boots the Pyodide dist and imports the source tree's fetch module (standard library only),
so the test follows the code as it is now. The fixture file is served by `page.route`, which also
counts the requests that reach the network."""

import hashlib
import json
import random
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
FETCH_SOURCE = (ROOT / "src/jaxlite/_src/loaders/fetch.py").read_text()
SHOTS = ROOT / "test-results"
ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
BLANK = "<!doctype html><meta charset=utf-8><link rel=icon href='data:,'><title>loaders test</title><body></body>"
BLOB = random.Random(17).randbytes(300_000)
SHA = hashlib.sha256(BLOB).hexdigest()

BOOT = """async (source) => {
  const { loadPyodide } = await import("/pyodide/pyodide.mjs");
  const py = await loadPyodide({ indexURL: "/pyodide/" });
  py.FS.writeFile("/home/pyodide/loaders_fetch.py", source);
  window.py = py;
  window.runPy = async (code) => py.runPythonAsync(code);
}"""

PRELUDE = """
import json, hashlib
import loaders_fetch as lf
events = []
async def get(url, sha=None):
    try:
        data = await lf.cached_fetch(url, sha256=sha, on_progress=lambda done, total: events.append([done, total]))
        return {"sha": hashlib.sha256(data).hexdigest(), "n": len(data)}
    except Exception as e:
        return {"error": type(e).__name__, "message": str(e), "value_error": isinstance(e, ValueError)}
"""


def run(page, code):
    return json.loads(page.evaluate("(c) => runPy(c)", PRELUDE + code))


def open_page(context, site_url, requests):
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    headers = {"Content-Type": "text/html", **ISOLATION}
    page.route(site_url + "/loaders-test", lambda route: route.fulfill(status=200, headers=headers, body=BLANK))

    def serve(route):
        name = urlsplit(route.request.url).path.rsplit("/", 1)[1]
        requests.append(name)
        if name == "blob.bin":
            route.fulfill(status=200, body=BLOB, headers={"Content-Type": "application/octet-stream",
                                                          "Content-Length": str(len(BLOB)), **ISOLATION})
        elif name == "offline.bin":
            route.abort("internetdisconnected")
        else:
            route.fulfill(status=404, body="missing", headers=ISOLATION)
    page.route(site_url + "/loaders-fixture/*", serve)
    page.goto(site_url + "/loaders-test")
    page.evaluate(BOOT, FETCH_SOURCE)
    return page


def test_cached_fetch_in_chromium(chromium, site_url):
    context = chromium.new_context()
    requests = []
    url = site_url + "/loaders-fixture/blob.bin"
    try:
        page = open_page(context, site_url, requests)
        first = run(page, f"r = await get({url!r}, {SHA!r}); r['events'] = events; json.dumps(r)")
        assert first["sha"] == SHA and first["n"] == len(BLOB), first
        assert first["events"][-1] == [len(BLOB), len(BLOB)]  # progress, with the total known
        assert all(a[0] <= b[0] for a, b in zip(first["events"], first["events"][1:]))
        assert requests == ["blob.bin"]
        again = run(page, f"json.dumps(await get({url!r}, {SHA!r}))")
        assert again["sha"] == SHA and requests == ["blob.bin"]  # from OPFS, no new request
        assert run(page, "import js; json.dumps((await lf._store()).__class__.__name__)") == "_OPFS"

        # the same URL without a checksum is another cache entry: one more download, then cached
        assert run(page, f"json.dumps(await get({url!r}))")["sha"] == SHA
        assert run(page, f"json.dumps(await get({url!r}))")["sha"] == SHA
        assert requests == ["blob.bin"] * 2

        wrong = run(page, f"json.dumps(await get({url!r}, '00' * 32))")
        assert wrong["error"] == "ChecksumError" and wrong["value_error"] and SHA in wrong["message"]
        missing = run(page, f"json.dumps(await get({site_url + '/loaders-fixture/nope.bin'!r}))")
        assert missing["error"] == "ConnectionError" and "HTTP 404" in missing["message"]
        offline = run(page, f"json.dumps(await get({site_url + '/loaders-fixture/offline.bin'!r}))")
        assert offline["error"] == "ConnectionError" and "offline.bin" in offline["message"]
        n = len(requests)

        # a reload: a fresh Pyodide finds the bytes in OPFS
        page.close()
        page = open_page(context, site_url, requests)
        assert run(page, f"json.dumps(await get({url!r}, {SHA!r}))")["sha"] == SHA
        assert len(requests) == n

        # without OPFS the Cache API keeps the bytes
        cache_api = run(page, f"""
lf._opfs_dir = lambda: __import__("asyncio").sleep(0, None)
a = await get({url!r} + "?v=2", {SHA!r}); b = await get({url!r} + "?v=2", {SHA!r})
json.dumps([a, b, (await lf._store()).__class__.__name__])""")
        assert cache_api[0].get("sha") == cache_api[1].get("sha") == SHA and cache_api[2] == "_CacheAPI", cache_api
        assert len(requests) == n + 1

        # a full quota is an OSError that says so
        page.evaluate("""() => { caches.open = async () => ({ match: async () => undefined,
            put: async () => { throw new DOMException("quota exceeded", "QuotaExceededError"); } }); }""")
        full = run(page, f"json.dumps(await get({url!r} + '?v=3'))")
        assert full["error"] == "OSError" and "quota" in full["message"], full
        page.screenshot(path=str(SHOTS / "loaders_page.png"))
        assert not page.errors, page.errors
    finally:
        context.close()
