// jupyterlite-pyodide-kernel 0.5.2 talks to its worker through coincident (SharedArrayBuffer and
// Atomics) when the page is cross-origin isolated, as every page of this site is (tools/serve.py).
// That bridge races on a busy machine: the worker may read a reply before the page has finished
// writing it (Pyodide dies with "Bad control character in string literal in JSON"), and an
// Atomics.waitAsync that answers at once drops a reply (".value.then is not a function"), leaving
// a cell busy forever. The kernel's other bridge (comlink over postMessage, files through the
// service worker) has neither race, and the kernel picks it when the page is not isolated.
Object.defineProperty(globalThis, "crossOriginIsolated", { value: false, configurable: true });
