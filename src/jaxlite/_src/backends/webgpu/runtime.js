// The hot paths of jaxlite's webgpu device, in JavaScript so that Python crosses the FFI once per
// dispatch, with numbers only. GPU objects live in tables here; Python holds their indices.
// Evaluated by runtime.py: the value of this file is a function (device, pyodideModule) -> runtime.
(function (device, module) {
  "use strict";
  const queue = device.queue;
  const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;
  const buffers = [null]; // id -> GPUBuffer; id 0 is never used
  const freeIds = [];
  const pipelines = []; // id -> [GPUComputePipeline, GPUBindGroupLayout, label, layout index]
  const scopes = []; // id -> Promise<GPUError | null> of the pipeline's creation
  const layouts = new Map(); // "inputs,outputs" -> [GPUBindGroupLayout, GPUPipelineLayout, index]
  // Every dispatch's uniform words go into one ring buffer, bound at a dynamic offset: a slot per
  // dispatch, written once per submit. So a bind group names buffers only, and a new scalar
  // value (a Python scalar in `a + s`, a kernel parameter) costs a few words, not a uniform buffer
  // and a bind group (on Dawn about 70 us each).
  const SLOT = Math.max(256, device.limits.minUniformBufferOffsetAlignment);
  const RING = 1 << 17; // bytes: 512 dispatches of up to 64 words each between submits
  const ring = device.createBuffer({ size: RING, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  const ringWords = new Uint32Array(RING / 4);
  let ringAt = 0; // bytes of the ring used since the last submit
  // "layout|uniform size|ids" -> GPUBindGroup: a steady loop binds the same pooled buffers again
  // and again. Cleared when any buffer is destroyed (its id will name another buffer).
  const groups = new Map();
  let lastPipe = null; // the pass's current pipeline (setPipeline only when it changes)
  const staging = []; // idle MAP_READ buffers
  const errors = [];
  let lost = null;
  let encoder = null;
  let pass = null;
  let submits = 0;
  const made = { groups: 0 }; // bind groups created (cache misses)
  // Profiling (needs the timestamp-query feature): each dispatch in a pass of its own, with GPU
  // timestamps at its start and end; resolved at every flush, read by profile().
  let prof = null; // { set, resolve, labels, at, done: [[label, ns], ...], pending: Promise[] }
  const PROF_SLOTS = 4096;

  device.lost.then((info) => { lost = (info && (info.message || info.reason)) || "unknown reason"; });
  const onError = (ev) => errors.push(ev.error.constructor.name + ": " + ev.error.message);
  if (typeof device.addEventListener === "function") device.addEventListener("uncapturederror", onError);
  else device.onuncapturederror = onError;

  function check() {
    if (lost !== null) throw new Error("jaxlite: the WebGPU device was lost (" + lost + ")");
  }
  function endPass() {
    if (pass) { pass.end(); pass = null; lastPipe = null; }
  }
  function enc() {
    if (!encoder) encoder = device.createCommandEncoder();
    return encoder;
  }
  function flush() {
    endPass();
    if (prof && prof.at > 0) {
      const n = prof.at, labels = prof.labels.splice(0);
      const staging = device.createBuffer({ size: n * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      enc().resolveQuerySet(prof.set, 0, n, prof.resolve, 0);
      encoder.copyBufferToBuffer(prof.resolve, 0, staging, 0, n * 8);
      prof.at = 0;
      prof.pending.push({ staging, labels, n });
    }
    if (ringAt) { // before the commands that read it; after those of earlier submits (queue order)
      queue.writeBuffer(ring, 0, ringWords, 0, ringAt / 4);
      ringAt = 0;
    }
    if (encoder) {
      queue.submit([encoder.finish()]);
      encoder = null;
      submits++;
      if (groups.size > 8192) groups.clear();
    }
  }
  function layout(nIn, nOut) {
    const key = nIn + "," + nOut;
    let got = layouts.get(key);
    if (!got) {
      const entries = [];
      for (let k = 0; k < nIn + nOut; k++) {
        entries.push({ binding: k, visibility: GPUShaderStage.COMPUTE,
                       buffer: { type: k < nIn ? "read-only-storage" : "storage" } });
      }
      entries.push({ binding: nIn + nOut, visibility: GPUShaderStage.COMPUTE,
                     buffer: { type: "uniform", hasDynamicOffset: true } });
      const bgl = device.createBindGroupLayout({ entries });
      got = [bgl, device.createPipelineLayout({ bindGroupLayouts: [bgl] }), layouts.size];
      layouts.set(key, got);
    }
    return got;
  }
  return {
    createBuffer(size) {
      check();
      const id = freeIds.length ? freeIds.pop() : buffers.length;
      buffers[id] = device.createBuffer({ size, usage: STORAGE });
      return id;
    },
    destroyBuffer(id) {
      groups.clear();
      buffers[id].destroy();
      buffers[id] = null;
      freeIds.push(id);
    },
    // Copy nbytes at ptr of Pyodide's heap (a numpy array's data) into buffer id.
    write(id, offset, ptr, nbytes) {
      check();
      queue.writeBuffer(buffers[id], offset, module.HEAPU8, ptr, nbytes);
    },
    pipeline(code, nIn, nOut, label) {
      check();
      const [bgl, pl] = layout(nIn, nOut);
      device.pushErrorScope("validation");
      const shader = device.createShaderModule({ code, label });
      const pipe = device.createComputePipeline({ layout: pl, compute: { module: shader, entryPoint: "main" }, label });
      scopes.push(device.popErrorScope());
      pipelines.push([pipe, bgl, label, layout(nIn, nOut)[2]]);
      return pipelines.length - 1;
    },
    // Resolves to the validation error message of pipeline id's creation, or "".
    async pipelineError(id) {
      const err = await scopes[id];
      return err ? err.message : "";
    },
    // dispatch(pipeline, gx, gy, gz, nu, u_0 .. u_{nu-1}, buffer ids in binding order...)
    dispatch(pid, gx, gy, gz, nu, ...rest) {
      check();
      const [pipe, bgl, , lid] = pipelines[pid];
      const size = Math.ceil(nu / 4) * 16;
      if (ringAt + size > RING || (prof && prof.at + 2 > PROF_SLOTS)) flush();
      const at = ringAt;
      for (let k = 0; k < nu; k++) ringWords[at / 4 + k] = rest[k];
      ringAt += Math.ceil(size / SLOT) * SLOT;
      let gkey = lid + "|" + size + "|";
      for (let k = nu; k < rest.length; k++) gkey += rest[k] + ",";
      let group = groups.get(gkey);
      if (!group) {
        const entries = [];
        for (let k = nu; k < rest.length; k++) entries.push({ binding: k - nu, resource: { buffer: buffers[rest[k]] } });
        entries.push({ binding: rest.length - nu, resource: { buffer: ring, size } });
        group = device.createBindGroup({ layout: bgl, entries });
        groups.set(gkey, group);
        made.groups++;
      }
      if (prof) {
        endPass();
        pass = enc().beginComputePass({ timestampWrites: { querySet: prof.set, beginningOfPassWriteIndex: prof.at,
                                                           endOfPassWriteIndex: prof.at + 1 } });
        prof.labels.push(pipelines[pid][2]);
        prof.at += 2;
      } else if (!pass) pass = enc().beginComputePass();
      if (pipe !== lastPipe) { pass.setPipeline(pipe); lastPipe = pipe; }
      pass.setBindGroup(0, group, [at]);
      pass.dispatchWorkgroups(gx, gy, gz);
      if (prof) endPass();
    },
    // Start (true) or stop (false) GPU timing of every dispatch; false if the device cannot.
    setProfiling(on) {
      flush();
      if (!on) { prof = null; return true; }
      if (!device.features.has("timestamp-query")) return false;
      prof = { set: device.createQuerySet({ type: "timestamp", count: PROF_SLOTS }),
               resolve: device.createBuffer({ size: PROF_SLOTS * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
               labels: [], at: 0, pending: [] };
      return true;
    },
    // Resolves to "label ns\n..." for every dispatch timed since the last call.
    async profile() {
      if (!prof) return "";
      flush();
      const lines = [];
      for (const { staging, labels, n } of prof.pending.splice(0)) {
        await staging.mapAsync(GPUMapMode.READ);
        const t = new BigUint64Array(staging.getMappedRange());
        for (let k = 0; k < n; k += 2) lines.push(labels[k / 2] + " " + Number(t[k + 1] - t[k]));
        staging.unmap();
        staging.destroy();
      }
      return lines.join("\n");
    },
    copy(src, srcOffset, dst, dstOffset, size) {
      check();
      endPass();
      enc().copyBufferToBuffer(buffers[src], srcOffset, buffers[dst], dstOffset, size);
    },
    flush,
    // Read nbytes at offset of buffer id into Pyodide's heap at ptr; rejects with any GPU error.
    async read(id, offset, nbytes, ptr) {
      check();
      const size = (nbytes + 3) & ~3;
      let k = staging.findIndex((b) => b.size >= size && b.size <= 4 * size + 65536);
      const sb = k >= 0 ? staging.splice(k, 1)[0]
        : device.createBuffer({ size: Math.max(256, size), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
      endPass();
      enc().copyBufferToBuffer(buffers[id], offset, sb, 0, size);
      flush();
      try {
        await sb.mapAsync(GPUMapMode.READ, 0, size);
      } catch (e) {
        const extra = errors.splice(0);
        throw new Error("jaxlite: WebGPU readback failed: " + e.message + (extra.length ? "\n" + extra.join("\n") : ""));
      }
      module.HEAPU8.set(new Uint8Array(sb.getMappedRange(0, size), 0, nbytes), ptr);
      sb.unmap();
      if (staging.length < 16) staging.push(sb); else sb.destroy();
      const errs = errors.splice(0);
      if (errs.length) throw new Error("jaxlite: WebGPU error: " + errs.join("\n"));
      check();
    },
    async done() {
      flush();
      await queue.onSubmittedWorkDone();
      const errs = errors.splice(0);
      if (errs.length) throw new Error("jaxlite: WebGPU error: " + errs.join("\n"));
      check();
    },
    takeErrors() {
      return errors.splice(0).join("\n");
    },
    submits() {
      return submits;
    },
    // "submits bindgroups": counts since start, for tests and profiling
    counts() {
      return submits + " " + made.groups;
    },
  };
});
