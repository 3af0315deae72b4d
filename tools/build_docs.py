"""Write the API reference (website/docs/): one static page per public module, an index page, and
a JSON index that the pages' search box filters in the browser.

Each entry shows a name's signature, the first line of its docstring (the whole docstring on
expand) and its FEATURES.md status. The names and their statuses come from tools/features.py
(real JAX's public names, jaxlite's marks), so the reference and FEATURES.md cannot disagree.
A name without a docstring of its own gets "See jax.<module>.<name>", marked as such.

    python tools/build_docs.py [--out website/docs] [--module jaxlite.numpy]... [--report]
"""

from __future__ import annotations

import argparse
import contextlib
import html
import inspect
import json
import re
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import features  # noqa: E402  (also puts src/ on sys.path)
from jaxlite._src.core import Primitive  # noqa: E402

# jaxlite's own modules, with no JAX counterpart; missing ones (not written yet) are left out.
JAXLITE_ONLY = ["jaxlite.display", "jaxlite.optax", "jaxlite.loaders", "jaxlite.models"]
# JAX modules below features.py's list that get pages of their own (their statuses through the same survey).
SUBMODULES = [("jax.lax.linalg", "jaxlite.lax.linalg")]
STATUSES = ["supported", "partial", "n/a", "missing", "deferred", "jaxlite only"]


@dataclass
class Entry:
    name: str
    status: str
    reason: str = ""
    kind: str = ""
    signature: str = ""
    doc: str = ""
    own_doc: bool = False  # False: the text is our fallback pointer to JAX's documentation
    link: str = ""  # the page of a submodule entry


@dataclass
class Module:
    name: str
    jax_name: str | None
    doc: str = ""
    entries: list[Entry] = field(default_factory=list)

    @property
    def page(self) -> str:
        return self.name + ".html"


# ---- collecting ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _modules(pairs):
    """features.survey over other (jax, jaxlite) pairs: the same status rules, other modules."""
    saved = features.MODULES
    features.MODULES = [(j, o, False) for j, o in pairs]
    try:
        yield
    finally:
        features.MODULES = saved


def _surveys(only):
    rows = [(j, o, e) for j, o, _, e in features.survey()]
    stats = features.resolve("jax.scipy.stats")
    pairs = list(SUBMODULES) + [(f"jax.scipy.stats.{n}", f"jaxlite.scipy.stats.{n}")
                                for n in features.public_names(stats) if inspect.ismodule(getattr(stats, n))]
    pairs = [p for p in pairs if features.resolve(p[1]) is not None]
    with _modules(pairs):
        rows += [(j, o, e) for j, o, _, e in features.survey()]
    return [r for r in rows if not only or r[1] in only]


def _foreign(obj) -> bool:
    mod = getattr(obj, "__module__", None) or ""
    return not (mod == "jaxlite" or mod.startswith("jaxlite."))


def docstring(obj) -> str:
    """The object's own docstring: never one inherited from its class or a base class."""
    if inspect.ismodule(obj):
        doc = obj.__doc__
    elif inspect.isroutine(obj):
        doc = obj.__doc__
    elif inspect.isclass(obj):
        doc = None if _foreign(obj) else vars(obj).get("__doc__")
    elif "__doc__" in getattr(obj, "__dict__", {}):
        doc = obj.__dict__["__doc__"]
    elif not _foreign(type(obj)) and not _is_primitive(obj):
        doc = vars(type(obj)).get("__doc__")  # an object of ours whose class says what it is (r_, c_)
    else:
        doc = None
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else ""


def _is_primitive(obj) -> bool:
    return isinstance(obj, Primitive)


def kind_of(obj) -> str:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if _is_primitive(obj):
        return "primitive"
    if callable(obj):
        return "function"
    return "value"


def signature(obj) -> str:
    """inspect.signature where it works; builtins, ufunc-like objects and values get what they can."""
    if inspect.ismodule(obj) or not callable(obj):
        return ""
    try:
        sig = str(inspect.signature(obj))
    except (TypeError, ValueError):
        text = getattr(obj, "__text_signature__", None)
        sig = text.replace("$", "") if isinstance(text, str) else "(...)"
    return _stable(sig)


def _stable(text: str) -> str:
    """Without object addresses (function reprs in defaults and values), so builds are repeatable."""
    return re.sub(r" at 0x[0-9a-f]+", "", text)


def _stable_repr(obj, limit: int = 100) -> str:
    text = _stable(repr(obj))
    return text if len(text) <= limit else text[:limit - 1] + "…"


def describe(obj, name: str, jax_qualname: str | None, status: str) -> tuple[str, bool]:
    """(text, own): the docstring, or a pointer to JAX's documentation marked as ours."""
    doc = docstring(obj)
    if doc:
        return doc, True
    if jax_qualname is None:
        return "", False
    if status in ("missing", "deferred"):
        return f"Not in jaxlite yet; see {jax_qualname}.", False
    if _is_primitive(obj):
        return f"The {obj.name!r} primitive, as jaxprs name it; see {jax_qualname}.", False
    if kind_of(obj) == "value":
        if isinstance(obj, (bool, int, float, complex, str, bytes, tuple, type(None))):
            return f"Value {_stable_repr(obj)}, as {jax_qualname}.", False
        return f"A {type(obj).__name__} object; see {jax_qualname}.", False
    if inspect.isclass(obj) and _foreign(obj):
        return f"The same object as {obj.__module__}.{obj.__qualname__}; see {jax_qualname}.", False
    return f"See {jax_qualname}.", False


def entry(ours, ours_name: str, name: str, status: str, reason: str, jax_qualname: str | None,
          pages: set) -> Entry:
    obj = getattr(ours, name, None) if ours is not None else None
    e = Entry(name, status, reason)
    if obj is None and status in ("missing", "deferred"):
        e.doc, e.own_doc = describe(None, name, jax_qualname, status)
        return e
    e.kind, e.signature = kind_of(obj), signature(obj)
    e.doc, e.own_doc = describe(obj, name, jax_qualname, status)
    # a submodule, or a namespace object such as jaxlite.tree, that has a page of its own
    for target in (getattr(obj, "__name__", None) if inspect.ismodule(obj) else None, f"{ours_name}.{name}"):
        if target and target + ".html" in pages:
            e.link = target + ".html"
            break
    return e


def collect(only=None) -> list[Module]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rows = _surveys(only)
        # a module still being written (nothing exported yet) gets its page once it exports something
        extra = [m for m in JAXLITE_ONLY if (not only or m in only) and _exports(features.resolve(m))]
        pages = {o + ".html" for _, o, _ in rows} | {m + ".html" for m in extra}
        modules = []
        for jax_name, ours_name, entries in rows:
            ours = features.resolve(ours_name)
            mod = Module(ours_name, jax_name, docstring(ours) if inspect.ismodule(ours) else "")
            for name, status, reason in entries:
                mod.entries.append(entry(ours, ours_name, name, status, reason, f"{jax_name}.{name}", pages))
            # jaxlite's additions: only what the module exports on purpose (its __all__)
            known = {e.name for e in mod.entries}
            notes = getattr(ours, "_FEATURE_NOTES", {})
            for name in sorted(set(getattr(ours, "__all__", ())) - known):
                if hasattr(ours, name) and not name.startswith("_"):
                    status, reason = features.status(getattr(ours, name), notes, name)
                    mod.entries.append(entry(ours, ours_name, name, _own(status), reason, None, pages))
            mod.entries.sort(key=lambda e: (e.name.lower(), e.name))
            modules.append(mod)
        for name in extra:
            ours = features.resolve(name)
            notes = getattr(ours, "_FEATURE_NOTES", {})
            mod = Module(name, None, docstring(ours))
            for n in sorted(_exports(ours), key=lambda s: (s.lower(), s)):
                status, reason = features.status(getattr(ours, n), notes, n)
                mod.entries.append(entry(ours, name, n, _own(status), reason, None, pages))
            modules.append(mod)
    return modules


def _exports(module) -> list[str]:
    """A jaxlite-only module's public names: its __all__, else what it defines itself."""
    if module is None:
        return []
    return list(getattr(module, "__all__", None) or
                [n for n in features.public_names(module) if not _foreign(getattr(module, n))])


def _own(status: str) -> str:
    """A name JAX does not have: "supported" would read as "JAX's behaviour", so it says whose it is."""
    return "jaxlite only" if status == "supported" else status


# ---- rendering -----------------------------------------------------------------------------------

esc = html.escape


def summary(doc: str) -> str:
    """The docstring's first paragraph, joined into one line."""
    return " ".join(doc.split("\n\n", 1)[0].split())


def _badge(status: str) -> str:
    return f'<span class="badge s-{status.replace("/", "").replace(" ", "-")}">{esc(status)}</span>'


def page(title: str, body: str, depth_note: str = "") -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{esc(title)}</title>
<link rel="stylesheet" href="docs.css">
<script src="docs.js" defer></script>
</head>
<body>
<header>
  <a class="home" href="/">jaxlite</a> <a href="index.html">API reference</a>{depth_note}
  <div class="search"><input id="search" type="search" placeholder="Search names, e.g. einsum" autocomplete="off"
    aria-label="Search the API"><ol id="results" hidden></ol></div>
</header>
<main>
{body}
</main>
</body>
</html>
"""


def render_entry(mod: Module, e: Entry) -> str:
    qual = f"{mod.name}.{e.name}"
    head = f'<code class="name">{esc(e.name)}</code>'
    if e.link:
        head = f'<a href="{esc(e.link)}">{head}</a>'
    if e.signature:
        head += f'<code class="sig">{esc(e.signature)}</code>'
    if e.kind and e.kind != "function":
        head += f' <span class="kind">{esc(e.kind)}</span>'
    line = summary(e.doc)
    cls = "summary" if e.own_doc else "summary fallback"
    body = []
    if e.link:
        body.append(f'<p><a href="{esc(e.link)}">{esc(qual)}</a> has a page of its own.</p>')
    if e.own_doc and e.doc.strip() != line:
        body.append(f'<pre class="doc">{esc(e.doc)}</pre>')
    if not e.own_doc:
        body.append('<p class="fallback-note">No docstring in jaxlite yet: JAX\'s documentation of this name applies,'
                    " within the status shown.</p>")
    body.append(f'<p class="qual"><code>{esc(qual)}</code></p>')
    return (f'<details class="entry" id="{esc(e.name)}" data-status="{esc(e.status)}">'
            f'<summary><span class="head">{head}</span>{_badge(e.status)}'
            f'<span class="{cls}">{esc(line)}</span>'
            + (f'<span class="reason">{esc(e.reason)}</span>' if e.reason else "")
            + '</summary>'
            f'<div class="body">{"".join(body)}</div></details>')


def counts(mod: Module) -> dict:
    c = dict.fromkeys(STATUSES, 0)
    for e in mod.entries:
        c[e.status] += 1
    return c


def undocumented(mod: Module) -> int:
    """Names jaxlite has (supported or partial) whose reference shows the fallback line."""
    return sum(1 for e in mod.entries if e.status in ("supported", "partial", "jaxlite only") and not e.own_doc)


def render_module(mod: Module) -> str:
    c = counts(mod)
    chips = "".join(f'<label class="chip">{_badge(s)}<input type="checkbox" value="{esc(s)}" checked> {n}</label>'
                    for s, n in c.items() if n)
    intro = f'<p class="jaxname">JAX counterpart: <code>{esc(mod.jax_name)}</code></p>' if mod.jax_name else \
        '<p class="jaxname">jaxlite only (not part of JAX)</p>'
    doc = f'<pre class="moddoc">{esc(mod.doc)}</pre>' if mod.doc else ""
    entries = "\n".join(render_entry(mod, e) for e in mod.entries)
    body = (f'<h1><code>{esc(mod.name)}</code></h1>{intro}{doc}'
            f'<div class="filters" id="filters">{chips}'
            f'<button id="expand" type="button">expand all</button></div>'
            f'<div class="entries" id="entries">\n{entries}\n</div>')
    return page(f"{mod.name} · jaxlite API", body)


def render_index(modules: list[Module], version: str) -> str:
    rows = []
    shown = [s for s in STATUSES if any(counts(m)[s] for m in modules)]
    for m in modules:
        c = counts(m)
        have = sum(c[s] for s in ("supported", "partial", "jaxlite only"))
        rows.append(f'<tr><td><a href="{esc(m.page)}"><code>{esc(m.name)}</code></a>'
                    f'<div class="moddesc">{esc(summary(m.doc)) if m.doc else ""}</div></td>'
                    f'<td class="n">{len(m.entries)}</td>'
                    + "".join(f'<td class="n">{c[s] or ""}</td>' for s in shown)
                    + f'<td class="n">{have - undocumented(m)}/{have}</td></tr>')
    heads = "".join(f'<th class="n">{_badge(s)}</th>' for s in shown)
    body = f"""<h1>jaxlite API reference</h1>
<p>jaxlite {esc(version)}. One page per public module: every name of JAX's module with its status in jaxlite
(as in FEATURES.md), its signature and docstring, plus jaxlite's own additions. <em>partial</em> names work
but lack what their note says; <em>n/a</em> names raise <code>NotImplementedError</code> saying why. Where a
name has no docstring of its own the entry says <span class="fallback">See jax.…</span>: JAX's documentation
applies, within the status shown.</p>
<table class="modules"><thead><tr><th>module</th><th class="n">names</th>{heads}
<th class="n">with a docstring</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>"""
    return page("jaxlite API reference", body)


def search_index(modules: list[Module]) -> list:
    return [[m.name, e.name, e.status, summary(e.doc)[:120], e.kind] for m in modules for e in m.entries]


def build(out: Path, only=None) -> list[Module]:
    import jaxlite
    modules = collect(only)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.html"):  # pages of modules that are gone
        old.unlink()
    for m in modules:
        (out / m.page).write_text(render_module(m))
    (out / "index.html").write_text(render_index(modules, jaxlite.__version__))
    (out / "search-index.json").write_text(json.dumps(search_index(modules), separators=(",", ":")))
    (out / "docs.css").write_text(CSS)
    (out / "docs.js").write_text(JS)
    return modules


def report(modules: list[Module]) -> str:
    lines = ["| module | names jaxlite has | without a docstring |", "| --- | ---: | ---: |"]
    for m in modules:
        c = counts(m)
        have = sum(c[s] for s in ("supported", "partial", "jaxlite only"))
        lines.append(f"| `{m.name}` | {have} | {undocumented(m)} |")
    return "\n".join(lines)


CSS = """\
:root { --fg: #1d1d24; --muted: #5d6070; --line: #e3e4ea; --bg2: #f6f7f9; --accent: #3451b2; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 0; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .92em; }
a { color: var(--accent); text-decoration: none; } a:hover { text-decoration: underline; }
header { position: sticky; top: 0; z-index: 2; display: flex; gap: 1rem; align-items: center; padding: .6rem 1.5rem;
  background: #fff; border-bottom: 1px solid var(--line); }
header .home { font-weight: 700; color: var(--fg); }
.search { margin-left: auto; position: relative; width: min(28rem, 60vw); }
#search { width: 100%; padding: .45rem .7rem; border: 1px solid #c9cbd6; border-radius: 6px; font: inherit; }
#results { position: absolute; right: 0; left: 0; margin: .25rem 0 0; padding: .25rem 0; list-style: none;
  background: #fff; border: 1px solid #c9cbd6; border-radius: 6px; box-shadow: 0 6px 24px #0002;
  max-height: 70vh; overflow-y: auto; }
#results li a { display: block; padding: .3rem .7rem; color: var(--fg); }
#results li a:hover, #results li.active a { background: #eef1fb; text-decoration: none; }
#results .mod { color: var(--muted); } #results .sum { display: block; color: var(--muted); font-size: .85em;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
main { max-width: 68rem; margin: 0 auto; padding: 1rem 1.5rem 4rem; }
h1 { font-size: 1.6rem; margin: 1rem 0 .3rem; }
.jaxname { color: var(--muted); margin: 0 0 .8rem; }
pre { background: var(--bg2); padding: .7rem .9rem; border-radius: 6px; overflow-x: auto; white-space: pre-wrap; }
.moddoc { background: none; padding: 0; font-family: inherit; font-size: 1em; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: 1rem 0; }
.chip { display: inline-flex; gap: .3rem; align-items: center; color: var(--muted); cursor: pointer; }
.filters button { margin-left: auto; font: inherit; padding: .2rem .7rem; border: 1px solid #c9cbd6;
  border-radius: 6px; background: #fff; cursor: pointer; }
.entry { border-top: 1px solid var(--line); scroll-margin-top: 4.5rem; }
.entry > summary { display: grid; grid-template-columns: minmax(0, 1fr) auto; gap: .1rem 1rem; padding: .45rem .3rem;
  cursor: pointer; list-style: none; }
.entry > summary::-webkit-details-marker { display: none; }
.entry > summary:hover { background: var(--bg2); }
.head { overflow-wrap: anywhere; }
.name { font-weight: 650; } .sig { color: var(--muted); }
.kind { font-size: .78em; color: var(--muted); border: 1px solid var(--line); border-radius: 4px; padding: 0 .3rem; }
.summary, .reason { grid-column: 1 / -1; color: #3b3d48; }
.reason { font-size: .86em; color: #7a5a1c; }
.entry[data-status="n/a"] .reason, .entry[data-status="missing"] .reason { color: var(--muted); }
.fallback, .summary.fallback { color: var(--muted); font-style: italic; }
.entry[open] > summary { background: #eef1fb; }
.entry:target > summary { outline: 2px solid var(--accent); outline-offset: -2px; }
.body { padding: .3rem .3rem .8rem 1.2rem; }
.qual, .fallback-note { color: var(--muted); font-size: .88em; margin: .3rem 0; }
.badge { display: inline-block; font-size: .74rem; font-weight: 600; padding: .05rem .45rem; border-radius: 999px;
  white-space: nowrap; height: fit-content; }
.s-supported { background: #e3f5e8; color: #17692f; } .s-partial { background: #fff2d6; color: #8a5300; }
.s-na { background: #ebecf0; color: #4c4f5c; } .s-missing { background: #fde5e5; color: #a1191b; }
.s-deferred { background: #efe6fb; color: #5b2ca0; } .s-jaxlite-only { background: #e1efff; color: #134d94; }
table.modules { border-collapse: collapse; width: 100%; margin-top: 1rem; }
table.modules th, table.modules td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left;
  vertical-align: top; }
.moddesc { color: var(--muted); font-size: .86em; }
table.modules .n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
"""

JS = """\
// Client-side search over search-index.json, status filters, and opening the entry a link points at.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let index = null;

  function openTarget() {
    const id = decodeURIComponent(location.hash.slice(1));
    const el = id && document.getElementById(id);
    if (el && el.tagName === "DETAILS") {
      el.hidden = false;
      el.open = true;
      requestAnimationFrame(() => el.scrollIntoView({ block: "start" }));  // .entry's scroll-margin clears the header
    }
  }

  // Best first: the exact name, a name that starts with the query, then substrings of names, of
  // qualified names and of summaries; ties keep the index order (modules in the reference's order).
  function search(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    const scored = [];
    index.forEach(([mod, name, status, sum, kind], i) => {
      const n = name.toLowerCase(), qual = (mod + "." + name).toLowerCase();
      let s = n === q || qual === q ? 0 : n.startsWith(q) ? 1 : n.includes(q) ? 2 : qual.includes(q) ? 3
        : sum.toLowerCase().includes(q) ? 4 : -1;
      if (s >= 0) scored.push([s, n.length, i]);
    });
    scored.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    return scored.slice(0, 40).map((x) => index[x[2]]);
  }

  function esc(s) {
    return s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  }

  function show(results) {
    const list = $("results");
    list.innerHTML = results.map(([mod, name, status, sum], i) =>
      `<li${i === 0 ? ' class="active"' : ""}><a href="${esc(mod)}.html#${esc(name)}"><code>` +
      `<span class="mod">${esc(mod)}.</span><b>${esc(name)}</b></code> ` +
      `<span class="badge s-${status.replace("/", "").replace(" ", "-")}">${esc(status)}</span>` +
      `<span class="sum">${esc(sum)}</span></a></li>`).join("") ||
      '<li><a aria-disabled="true">no match</a></li>';
    list.hidden = false;
  }

  async function setUpSearch() {
    const input = $("search"), list = $("results");
    const load = async () => {
      if (!index) index = await (await fetch("search-index.json")).json();
    };
    input.addEventListener("focus", load);
    input.addEventListener("input", async () => {
      await load();
      if (input.value.trim()) show(search(input.value));
      else list.hidden = true;
    });
    input.addEventListener("keydown", (ev) => {
      const items = [...list.querySelectorAll("li")];
      let i = items.findIndex((li) => li.classList.contains("active"));
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        ev.preventDefault();
        if (items[i]) items[i].classList.remove("active");
        i = Math.max(0, Math.min(items.length - 1, i + (ev.key === "ArrowDown" ? 1 : -1)));
        if (items[i]) { items[i].classList.add("active"); items[i].scrollIntoView({ block: "nearest" }); }
      } else if (ev.key === "Enter" && items[i]) {
        const a = items[i].querySelector("a[href]");
        if (a) location.href = a.href;
      } else if (ev.key === "Escape") {
        list.hidden = true;
      }
    });
    document.addEventListener("click", (ev) => {
      if (!ev.target.closest(".search")) list.hidden = true;
    });
    // a result on this same page only changes the hash
    list.addEventListener("click", () => { list.hidden = true; });
    if (document.body.dataset) document.body.dataset.search = "ready";
  }

  function setUpFilters() {
    const filters = $("filters");
    if (!filters) return;
    const apply = () => {
      const on = new Set([...filters.querySelectorAll("input:checked")].map((x) => x.value));
      for (const e of document.querySelectorAll(".entry")) e.hidden = !on.has(e.dataset.status);
    };
    filters.addEventListener("change", apply);
    const button = $("expand");
    button.addEventListener("click", () => {
      const open = button.textContent === "expand all";
      for (const e of document.querySelectorAll(".entry")) e.open = open;
      button.textContent = open ? "collapse all" : "expand all";
    });
  }

  setUpSearch();
  setUpFilters();
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(ROOT / "website" / "docs"))
    ap.add_argument("--module", action="append", help="build only these modules (default: all)")
    ap.add_argument("--report", action="store_true", help="print the names without a docstring, per module")
    args = ap.parse_args()
    modules = build(Path(args.out), args.module)
    print(f"{args.out}: {len(modules)} module pages, {sum(len(m.entries) for m in modules)} entries")
    if args.report:
        print(report(modules))
    return 0


if __name__ == "__main__":
    sys.exit(main())
