// The REPL's editor: CodeMirror 6 with Python, bundled by `make setup` (esbuild) into
// editor.bundle.js, so the page fetches nothing from outside the site.
import { EditorView, basicSetup } from "codemirror";
import { python } from "@codemirror/lang-python";
import { keymap } from "@codemirror/view";
import { Prec } from "@codemirror/state";
import { indentWithTab } from "@codemirror/commands";

// createEditor(parent, {doc, onRun, onChange}) -> {view, getCode(), setCode(text), focus()}
export function createEditor(parent, { doc = "", onRun = () => {}, onChange = () => {} } = {}) {
  const run = () => {
    onRun();
    return true;
  };
  const view = new EditorView({
    doc,
    parent,
    extensions: [
      basicSetup,
      python(),
      Prec.highest(keymap.of([{ key: "Mod-Enter", run }, { key: "Shift-Enter", run }])),
      keymap.of([indentWithTab]),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChange(u.state.doc.toString());
      }),
      EditorView.theme({ "&": { height: "100%" }, ".cm-scroller": { fontFamily: "ui-monospace, monospace" } }),
    ],
  });
  return {
    view,
    getCode: () => view.state.doc.toString(),
    setCode(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    },
    focus: () => view.focus(),
  };
}
