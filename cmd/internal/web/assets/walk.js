// The walkthrough in the browser: the same steps as the terminal
// walkthrough, with Back and Next. Next past the last step taken asks the
// walkthrough for its next step; Back only looks.
"use strict";

const $ = (id) => document.getElementById(id);
const walk = { state: null, at: -1, busy: false };
const changeWord = { "+": "added", "-": "removed", "~": "changed" };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

async function call(method, path) {
  const resp = await fetch(path, { method });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(data.error || `${method} ${path}: ${resp.status}`);
  return data;
}

function render() {
  const st = walk.state;
  $("title").textContent = `walkthrough · ${st.scenario}: ${st.title}`;
  $("mode").textContent = `${st.coordination} · faults: ${st.faults}`;
  const total = st.steps.length;
  const summary = walk.at === total; // one past the last step: the summary
  $("counter").textContent = summary ? "summary" : `step ${walk.at + 1} of ${total}${st.done ? "" : "+"}`;
  $("back").disabled = walk.at <= 0 || walk.busy;
  $("next").disabled = walk.busy || (st.done && summary);
  $("next").textContent = walk.busy ? "working…" : "Next ▶";
  if (summary) {
    $("explain").textContent = "Summary";
    $("say").textContent = "";
    $("what").textContent = "the walkthrough is over";
    $("lines").replaceChildren(...st.summary.map((l) => el("li", { class: "summary" }, l.trim())));
    $("rows").replaceChildren();
  } else {
    const s = st.steps[walk.at];
    $("explain").textContent = s.explain;
    $("say").textContent = s.say || "";
    $("what").textContent = s.what;
    $("lines").replaceChildren(...(s.lines || []).map((l) => el("li", {}, l)));
    const rows = (s.rows || []).map((r) => el("div", {},
      el("span", { class: "table" }, `${r.table} `), `${r.change} ${changeWord[r.change]}: `, shorten(r.row)));
    $("rows").replaceChildren(...(rows.length ? rows : [el("div", { class: "empty" }, "none")]));
  }
  // The diagram so far: every step's part up to this one, this one's marked new.
  const upto = summary ? total : walk.at + 1;
  const steps = [];
  let fresh = Infinity;
  st.steps.slice(0, upto).forEach((s, i) => {
    if (i === upto - 1 && !summary) fresh = steps.length;
    steps.push(...(s.diagram || []));
  });
  const box = $("diagram");
  box.replaceChildren(drawTrace({ participants: st.participants, steps }, Math.max(box.clientWidth - 8, 560), fresh));
  const marks = box.querySelectorAll(".fresh");
  // The whole new part in view, or as much of it as fits from its top.
  if (marks.length) marks[marks.length - 1].scrollIntoView({ block: "nearest" });
  if (marks.length) marks[0].scrollIntoView({ block: "nearest" });
}

async function next() {
  if (walk.busy) return;
  const st = walk.state;
  if (walk.at < st.steps.length - 1 || (st.done && walk.at < st.steps.length)) {
    walk.at++;
    render();
    return;
  }
  if (st.done) return;
  walk.busy = true;
  render();
  let failed = "";
  try {
    walk.state = await call("POST", "/web/walk/next");
    walk.at = Math.min(walk.at + 1, walk.state.steps.length - (walk.state.done ? 0 : 1));
  } catch (e) {
    failed = e.message;
  } finally {
    walk.busy = false;
  }
  render();
  if (failed) $("what").textContent = failed;
}

function back() {
  if (walk.busy || walk.at <= 0) return;
  walk.at--;
  render();
}

$("next").addEventListener("click", next);
$("back").addEventListener("click", back);
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const onButton = e.target.tagName === "BUTTON";
  switch (e.key) {
    case "ArrowRight": next(); break;
    case "Enter": case " ": if (onButton) return; next(); break;
    case "ArrowLeft": case "Backspace": back(); break;
    default: return;
  }
  e.preventDefault();
});
window.addEventListener("resize", () => walk.state && render());

(async () => {
  walk.state = await call("GET", "/web/walk");
  while (!walk.state.steps.length && !walk.state.done) { // the first step is on its way
    await new Promise((ok) => setTimeout(ok, 200));
    walk.state = await call("GET", "/web/walk");
  }
  walk.at = walk.state.steps.length ? 0 : -1;
  render();
  $("next").focus();
})();
