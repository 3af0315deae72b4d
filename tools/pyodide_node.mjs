// Run a Python script inside Pyodide in Node, with jaxlite from the source tree (not the wheel) and
// Dawn's WebGPU as navigator.gpu. The script runs under runPythonAsync, so top-level `await` works
// and, with JSPI enabled, synchronous GPU readback too. For development and the GPU benchmarks:
//   node --experimental-wasm-stack-switching --import=./web/node-webgpu.mjs tools/pyodide_node.mjs script.py [args...]
// The repository is mounted at /repo (tests at /repo/tests). Env: PYODIDE_DIST (default
// build/pyodide), PYODIDE_PACKAGES (comma-separated, default numpy); JAXLITE_* variables are
// passed on to Python's os.environ.
import { readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const dist = path.resolve(process.env.PYODIDE_DIST ?? path.join(root, "build/pyodide"));
const packages = (process.env.PYODIDE_PACKAGES ?? "numpy").split(",").filter(Boolean);
const [script, ...args] = process.argv.slice(2);
const { loadPyodide } = await import(path.join(dist, "pyodide.mjs"));

const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith("JAXLITE_")));
const pyodide = await loadPyodide({
  indexURL: dist + "/", env: { HOME: "/home/pyodide", ...env },
  stdout: (s) => console.log(s), stderr: (s) => console.error(s),
});
await pyodide.loadPackage(packages, { messageCallback: () => {} });
pyodide.FS.mkdirTree("/repo");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root }, "/repo");
pyodide.globals.set("__script_args", pyodide.toPy([script, ...args]));
let code = 0;
try {
  await pyodide.runPythonAsync(`import sys; sys.path.insert(0, "/repo/src"); sys.argv = list(__script_args)`);
  const result = await pyodide.runPythonAsync(readFileSync(script, "utf8"), { filename: script });
  if (typeof result === "number") code = result;
} catch (e) {
  console.error(e.message ?? e);
  code = 1;
}
process.exit(code);
