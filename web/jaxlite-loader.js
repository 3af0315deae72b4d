// Boots Pyodide and installs jaxlite from a Pyodide dist served next to the page.
// Works as a plain <script> after pyodide.js (it defines globalThis.loadJaxlite) and in Node
// (require or import it, pass loadPyodide explicitly).
(function (global) {
  "use strict";

  async function loadJaxlite({
    indexURL = "/pyodide/",
    loadPyodide = global.loadPyodide,
    packages = [],
    onStatus = () => {},
  } = {}) {
    if (typeof loadPyodide !== "function") {
      throw new Error("jaxlite: load pyodide.js with a <script> before jaxlite-loader.js, or pass loadPyodide");
    }
    onStatus("Loading Pyodide…");
    const pyodide = await loadPyodide({ indexURL });
    onStatus("Installing numpy and jaxlite…");
    // loadPackage logs failures instead of throwing; collect them so a missing wheel is an error.
    const errors = [];
    await pyodide.loadPackage(["numpy", "jaxlite", ...packages], {
      messageCallback: () => {},
      errorCallback: (msg) => errors.push(msg),
    });
    if (errors.length) throw new Error("jaxlite: package loading failed:\n" + errors.join("\n"));
    pyodide.runPython("import jaxlite");
    onStatus("Ready");
    return pyodide;
  }

  global.loadJaxlite = loadJaxlite;
  if (typeof module !== "undefined" && module.exports) module.exports = { loadJaxlite };
})(globalThis);
