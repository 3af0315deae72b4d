# The CPython test suite inside Pyodide with a chosen default device, for tools/pyodide_node.mjs:
#   PYODIDE_PACKAGES=numpy,pytest,hypothesis node --experimental-wasm-stack-switching \
#     --import=./web/node-webgpu.mjs tools/pyodide_node.mjs tools/pyodide_suite.py webgpu [pytest args]
# (tools/bench_gpu.py test runs it on a GPU machine.) Prints each kernel device's host fallbacks.
import os
import sys

import pytest

import jaxlite

await jaxlite.init()  # noqa: F704 (runPythonAsync)
jaxlite.config.update("jax_default_device", sys.argv[1])
print("devices:", jaxlite.devices())
os.chdir("/repo/tests")
code = pytest.main(["/repo/tests", "-q", "-p", "no:cacheprovider", *sys.argv[2:]])
for d in jaxlite.devices():
    if hasattr(d, "host_fallbacks"):
        print(d, "host fallbacks:", d.host_fallbacks.most_common())
int(code)
