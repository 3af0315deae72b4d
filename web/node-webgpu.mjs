// Node preload (`node --import ./web/node-webgpu.mjs`): exposes Dawn's WebGPU (npm `webgpu`) as
// navigator.gpu, the way a browser does, so the same Python WebGPU code runs in Node's Pyodide.
// On a machine without a GPU, point VK_ICD_FILENAMES at a software Vulkan (SwiftShader).
import { create, globals } from "webgpu";

Object.assign(globalThis, globals);
// Timestamps unquantized, so that GPU kernel times can be profiled (a browser rounds them).
const gpu = create(["enable-dawn-features=allow_unsafe_apis", "disable-dawn-features=timestamp_quantization",
                    "backend=vulkan"]);
// Node 21+ has a navigator; on Node 20 make one with the userAgent that Pyodide reads.
const navigator = globalThis.navigator ?? { userAgent: `Node.js/${process.versions.node}` };
Object.defineProperty(navigator, "gpu", { value: gpu, configurable: true });
Object.defineProperty(globalThis, "navigator", { value: navigator, configurable: true, writable: true });
globalThis.__jaxliteWebGPUGlobals = ["navigator", ...Object.keys(globals)];
