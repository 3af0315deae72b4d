// jaxlite's loader as an ES module: the same code as the classic jaxlite-loader.js (imported here
// for its effect, which also defines globalThis.loadJaxlite), with the worker's URL resolved next
// to this module.
//
//   import { loadJaxlite } from "/web/jaxlite.mjs";
//   const jl = await loadJaxlite({ indexURL: "/pyodide/", device: "auto", worker: true });
//   jl.setStdout((text) => out.append(text));
//   await jl.runPython("import jaxlite.numpy as jnp; print(jnp.arange(3) * 2)");
import "./jaxlite-loader.js";

const load = globalThis.loadJaxlite;
const workerURL = new URL("./jaxlite-worker.js", import.meta.url).href;

export function loadJaxlite(options = {}) {
  return load({ workerURL, ...options });
}

export default loadJaxlite;
