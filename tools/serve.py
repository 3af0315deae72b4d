"""Static server for the jaxlite site: website/ at /, web/ at /web/, the Pyodide dist at /pyodide/,
jax-js (for the benchmark page) at /vendor/jax-js/.

Sends the cross-origin isolation headers (COOP/COEP) so pages get SharedArrayBuffer, which the
multi-threaded WebAssembly backend needs; every resource is same-origin, so nothing breaks.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOUNTS = {"/web/": ROOT / "web", "/pyodide/": ROOT / "build" / "pyodide", "/examples/": ROOT / "examples",
          "/vendor/jax-js/": ROOT / "node_modules" / "@jax-js" / "jax" / "dist", "/": ROOT / "website"}


class Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
                      ".whl": "application/zip", ".json": "application/json"}

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, folder in MOUNTS.items():
            if path.startswith(prefix):
                rel = Path(*[p for p in path[len(prefix):].split("/") if p not in ("", ".", "..")])
                return str(folder / rel)
        return str(ROOT / "website")

    def end_headers(self) -> None:
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args) -> None:
        if not self.server.quiet:
            super().log_message(format, *args)


def make_server(port: int = 8000, host: str = "127.0.0.1", quiet: bool = False):
    if not (MOUNTS["/pyodide/"] / "pyodide.js").exists():
        raise SystemExit("build/pyodide is missing: run `make setup` first")
    server = http.server.ThreadingHTTPServer((host, port), functools.partial(Handler))
    server.quiet = quiet
    return server


def serve_in_thread(port: int = 0):
    """Start a quiet server on a free port; returns (server, base_url). For tests."""
    server = make_server(port, quiet=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=8000)
    args = ap.parse_args()
    server = make_server(args.port)
    print(f"jaxlite site: http://127.0.0.1:{server.server_address[1]}/  (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
