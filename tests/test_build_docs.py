"""tools/build_docs.py, the API reference generator: a few modules built into a temporary folder,
their entries' signatures, summaries and statuses (the same as FEATURES.md's), the fallback text for
names without a docstring, and the search index. Needs the real JAX (the status survey reads its
public names), so it runs in CPython only."""

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import needs_jax

pytestmark = needs_jax
TOOLS = Path(__file__).resolve().parent.parent / "tools"
BUILT = ["jaxlite", "jaxlite.numpy", "jaxlite.nn", "jaxlite.lax", "jaxlite.display", "jaxlite.scipy.stats.norm"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not (TOOLS / "build_docs.py").exists():
        pytest.skip("tools/ is not here")
    sys.path.insert(0, str(TOOLS))
    import build_docs
    import features

    # JAX's public names depend on which of its submodules are imported already (tools/features.py
    # runs in a fresh process): one survey first, so that the build and the test see the same names.
    features.survey()
    out = tmp_path_factory.mktemp("docs")
    modules = build_docs.build(out, BUILT)
    return build_docs, features, out, {m.name: m for m in modules}


def entry(modules, module, name):
    return next(e for e in modules[module].entries if e.name == name)


def test_pages_index_and_search_index(built):
    build_docs, _, out, modules = built
    assert sorted(modules) == sorted(BUILT)
    index = (out / "index.html").read_text()
    for name in BUILT:
        assert (out / f"{name}.html").exists()
        assert f'href="{name}.html"' in index
    search = json.loads((out / "search-index.json").read_text())
    row = next(r for r in search if r[:2] == ["jaxlite.numpy", "einsum"])
    assert row[2] == "supported" and row[3].startswith("einsum")
    assert len(search) == sum(len(m.entries) for m in modules.values())
    for f in ("docs.css", "docs.js"):
        assert (out / f).stat().st_size > 500
    # nothing from outside the site, and no object addresses that would change every build
    for page in out.glob("*.html"):
        text = page.read_text()
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", text) and " at 0x" not in text, page.name


def test_signature_summary_and_full_docstring(built):
    build_docs, _, out, modules = built
    e = entry(modules, "jaxlite.numpy", "einsum")
    assert e.status == "supported" and e.own_doc and e.kind == "function"
    assert e.signature.startswith("(subscripts, *operands")
    html = (out / "jaxlite.numpy.html").read_text()
    assert '<details class="entry" id="einsum" data-status="supported">' in html
    assert build_docs.summary(e.doc) in html.replace("&#x27;", "'")
    # a name whose docstring has more than a summary line shows all of it on expand
    long = next(e for e in modules["jaxlite.display"].entries if e.own_doc and "\n\n" in e.doc)
    assert build_docs.esc(long.doc) in (out / "jaxlite.display.html").read_text()


def test_statuses_are_those_of_features_md(built):
    build_docs, features, out, modules = built
    survey = {ours: entries for _, ours, _, entries in features.survey()}
    for name in ("jaxlite", "jaxlite.numpy", "jaxlite.nn"):
        ours = {e.name: (e.status, e.reason) for e in modules[name].entries}
        for n, kind, reason in survey[name]:
            assert ours[n] == (kind, reason), (name, n)
    # partial and n/a names carry their reason onto the page
    pmap = entry(modules, "jaxlite", "pmap")
    assert pmap.status == "n/a" and "device" in pmap.reason
    typeof = entry(modules, "jaxlite", "typeof")
    assert typeof.status == "partial"
    page = (out / "jaxlite.html").read_text()
    assert build_docs.esc(typeof.reason) in page and build_docs.esc(pmap.reason) in page
    # jaxlite's own additions (its __all__) and its own modules
    assert entry(modules, "jaxlite", "live_buffers").status == "jaxlite only"
    assert {e.status for e in modules["jaxlite.display"].entries} <= {"jaxlite only", "partial"}
    assert entry(modules, "jaxlite.display", "imshow").signature.startswith("(")


def test_names_without_a_docstring_point_to_jax(built):
    build_docs, _, out, modules = built
    entries = modules["jaxlite.numpy"].entries
    plain = next(e for e in entries if e.status == "supported" and not e.own_doc and e.kind == "function")
    assert plain.doc == f"See jax.numpy.{plain.name}."
    html = (out / "jaxlite.numpy.html").read_text()
    assert f'<span class="summary fallback">See jax.numpy.{plain.name}.</span>' in html
    # a class that is numpy's own object does not borrow numpy's docstring
    flexible = entry(modules, "jaxlite.numpy", "flexible")
    assert not flexible.own_doc and flexible.kind == "class"
    assert flexible.doc == "The same object as numpy.flexible; see jax.numpy.flexible."
    assert entry(modules, "jaxlite.numpy", "float32").own_doc  # JAX's scalar type, jaxlite's own class
    # constants show their value; submodules link to their page when it is built
    assert entry(modules, "jaxlite.numpy", "pi").doc.startswith("Value 3.14159")
    assert entry(modules, "jaxlite", "numpy").link == "jaxlite.numpy.html"
    # primitives (psum_p's class included) never borrow their class's docstring
    for name in ("add_p", "psum_p"):
        prim = entry(modules, "jaxlite.lax", name)
        assert prim.kind == "primitive" and not prim.own_doc
        assert prim.doc == f"The {name[:-2]!r} primitive, as jaxprs name it; see jax.lax.{name}."
    missing = [e for e in entries if e.status == "missing"]
    for e in missing[:3]:
        assert e.doc == f"Not in jaxlite yet; see jax.numpy.{e.name}." and not e.signature


def test_signatures_of_awkward_objects():
    if not (TOOLS / "build_docs.py").exists():
        pytest.skip("tools/ is not here")
    sys.path.insert(0, str(TOOLS))
    import build_docs
    import numpy as np

    assert build_docs.signature(np.add) != ""  # a ufunc: no inspect.signature on older numpy
    assert build_docs.signature(3.0) == "" and build_docs.kind_of(3.0) == "value"
    assert build_docs.signature(len) == "(obj, /)"

    class Odd:
        __signature__ = "not a signature"

        def __call__(self):
            pass

    assert build_docs.signature(Odd()) == "(...)"

    def f(x, g=lambda y: y):
        """Line one
        continues here.

        More text."""
    assert " at 0x" not in build_docs.signature(f)
    assert build_docs.summary(build_docs.docstring(f)) == "Line one continues here."


def test_report_counts_names_without_docstrings(built):
    build_docs, _, _, modules = built
    text = build_docs.report(list(modules.values()))
    m = modules["jaxlite.numpy"]
    have = sum(1 for e in m.entries if e.status in ("supported", "partial", "jaxlite only"))
    assert f"| `jaxlite.numpy` | {have} | {build_docs.undocumented(m)} |" in text
