// Worker threads for jaxlite's wasm device, on a page that is cross-origin isolated (so that
// SharedArrayBuffer exists). Every worker instantiates the same kernel modules on the device's
// shared memory; the calling thread hands each worker one slice of a kernel's range through a
// shared control block, runs its own slice, then waits for the others.
// Evaluated by runtime.py: the value of this file is a function (memory, nworkers) -> pool.
(function (memory, nworkers) {
  "use strict";
  // control block: [sequence, done, failed, per worker: module id, nargs, args x ARGS]
  const ARGS = 14, SLOT = 2 + ARGS, HEAD = 3;
  const ctrl = new Int32Array(new SharedArrayBuffer(4 * (HEAD + SLOT * nworkers)));
  // ready[w] = 1 once worker w waits for work. A worker starts only when the thread that created it
  // returns to its event loop: until then (a program that runs a big kernel in the same synchronous
  // block as its import) its slices run on the calling thread rather than waiting for it forever.
  const ready = new Int32Array(new SharedArrayBuffer(4 * nworkers));
  const source = `
    "use strict";
    let memory, ctrl, ready, me, seen = 0;
    const modules = new Map(), waiting = new Map();
    function instance(id) {
      if (modules.has(id)) return modules.get(id);
      return new Promise((resolve) => waiting.set(id, resolve));
    }
    onmessage = (ev) => {
      const d = ev.data;
      if (d.type === "init") {
        ({ memory, ctrl, ready, me } = d);
        seen = Atomics.load(ctrl, 0);
        Atomics.store(ready, me, 1);
        loop();
      } else if (d.type === "module") {
        const inst = new WebAssembly.Instance(d.module, { env: { memory } });
        modules.set(d.id, inst);
        const w = waiting.get(d.id);
        if (w) { waiting.delete(d.id); w(inst); }
      }
    };
    async function loop() {
      for (;;) {
        const r = Atomics.waitAsync(ctrl, 0, seen);
        if (r.async) await r.value;
        seen = Atomics.load(ctrl, 0);
        const base = ${HEAD} + me * ${SLOT};
        const id = ctrl[base];
        if (id < 0) continue;
        const args = Array.from(ctrl.subarray(base + 2, base + 2 + ctrl[base + 1]));
        try {
          const inst = await instance(id);
          inst.exports.kernel(...args);
        } catch (e) {
          Atomics.store(ctrl, 2, 1);
        }
        Atomics.add(ctrl, 1, 1);
        Atomics.notify(ctrl, 1);
      }
    }`;
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  const workers = [];
  for (let w = 0; w < nworkers; w++) {
    const worker = new Worker(url);
    worker.postMessage({ type: "init", memory, ctrl, ready, me: w });
    workers.push(worker);
  }
  const modules = [];
  // Atomics.wait blocks only where the thread may block (a worker, not a page's main thread).
  let canBlock = true;

  return {
    threads: nworkers + 1,
    // A module every worker instantiates (in the background); its id for run().
    register(module) {
      const id = modules.length;
      modules.push(module);
      for (const w of workers) w.postMessage({ type: "module", id, module });
      return id;
    },
    // run(fn, id, nargs, args of the caller's slice, then nargs args per worker slice):
    // the workers run their slices of module id, the caller runs fn on its own, then waits.
    run(fn, id, nargs, ...args) {
      const slices = args.length / nargs;
      let used = 0;  // slices handed to workers (the ready ones), in slice order from 1
      for (let w = 0; w < nworkers; w++) {
        const base = HEAD + w * SLOT;
        const take = Atomics.load(ready, w) === 1 && used + 1 < slices;
        ctrl[base] = take ? id : -1;
        ctrl[base + 1] = nargs;
        if (take) {
          used += 1;
          for (let a = 0; a < nargs; a++) ctrl[base + 2 + a] = args[used * nargs + a];
        }
      }
      Atomics.store(ctrl, 1, 0);
      Atomics.store(ctrl, 2, 0);
      Atomics.add(ctrl, 0, 1);
      Atomics.notify(ctrl, 0);
      fn(...args.slice(0, nargs));
      for (let s = used + 1; s < slices; s++) fn(...args.slice(s * nargs, (s + 1) * nargs));
      // Wait for the counter to reach `used`; the page's main thread may not block, so it spins.
      for (let done = Atomics.load(ctrl, 1); done < used; done = Atomics.load(ctrl, 1)) {
        if (canBlock) {
          try { Atomics.wait(ctrl, 1, done, 10); } catch (e) { canBlock = false; }
        }
      }
      if (Atomics.load(ctrl, 2)) throw new Error("jaxlite: a wasm worker failed to run its slice of a kernel");
    },
    // How many workers have started (and take slices).
    started() { return ready.reduce((n, r) => n + r, 0); },
    terminate() {
      for (const w of workers) w.terminate();
      URL.revokeObjectURL(url);
    },
  };
});
