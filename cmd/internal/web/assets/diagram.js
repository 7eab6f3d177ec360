// The sequence diagram of sagalab trace, drawn as SVG: one lane per module,
// an arrow per message (commands bold, replies dashed, events plain, each
// also named in its label), a box per local transaction, ⟲ for
// compensations. A transaction with statements (the monolith's) lists them,
// BEGIN to COMMIT. Shared by the live page and the walkthrough page.
"use strict";

const names = { order: "Order service", customer: "Customer service", history: "History view",
  monolith: "Monolith (store.db)" };
// Consumers drawn in another module's lane (as trace.lanes): the two-phase
// commit coordinator lives in the Order service.
const lanesOf = { coordinator: "order" };
const laneOf = (m) => lanesOf[m] || m;
const short = (id) => (id || "").slice(0, 8);
const uuids = /([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const shorten = (text) => text.replace(uuids, "$1");

function kindOf(topic) {
  if ((topic || "").endsWith(".replies")) return "reply";
  if ((topic || "").endsWith(".commands")) return "command";
  return "event";
}

const svgNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const e = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function clip(text, chars) {
  return text.length > chars ? text.slice(0, chars - 1) + "…" : text;
}

// wrapLines breaks text at spaces into at most n lines of chars, the last
// one clipped.
function wrapLines(text, chars, n) {
  const lines = [];
  let rest = text;
  while (rest && lines.length < n - 1) {
    if (rest.length <= chars) break;
    let cut = rest.lastIndexOf(" ", chars);
    if (cut <= 0) cut = chars;
    lines.push(rest.slice(0, cut));
    rest = rest.slice(cut).trimStart();
  }
  lines.push(clip(rest, chars));
  return lines;
}

// boxLines is what a transaction's box says, wrapped for a lane laneW
// wide: its effect in at most three lines, the messages it emits (when it
// wrote several, as one box) in at most two, and its statements, if any
// (then the effect in at most two, bold), each in at most two lines.
function boxLines(s, laneW) {
  let label = (s.compensation ? "⟲ " : "") + shorten(s.effect || "local transaction");
  if (!names[s.from]) label = `${s.from}: ${label}`; // drawn in another's lane: say whose
  const emitted = s.emits && s.emits.length ? "emits " + s.emits.join(", ") : "";
  const stmts = (s.statements || []).map(shorten);
  if (!stmts.length) {
    const chars = Math.floor((laneW - 32) / 8.9);
    return { label, emitted, head: wrapLines(label, chars, 3), emits: emitted ? wrapLines(emitted, chars, 2) : [],
      stmts: [] };
  }
  const chars = Math.floor((laneW - 56) / 10.3);
  return { label, emitted, head: wrapLines(label, Math.floor((laneW - 32) / 10.3), 2), emits: [],
    stmts: stmts.map((l) => wrapLines(l, chars, 2)) };
}

// drawTrace draws trace t (as GET /web/orders/{id}/trace answers) width
// pixels wide; the steps from index fresh on are marked new.
function drawTrace(t, width, fresh = Infinity) {
  const lanes = t.participants;
  const laneW = width / lanes.length;
  const x = (m) => (lanes.indexOf(laneOf(m)) + 0.5) * laneW;
  const rowH = (s) => {
    if (s.kind === "message") return laneOf(s.from) === laneOf(s.to || s.from) ? 58 : 46;
    if (s.kind !== "transaction") return 40;
    const b = boxLines(s, laneW);
    return 22 + 19 * (b.head.length + b.emits.length) + 24 * b.stmts.flat().length;
  };
  const height = 44 + t.steps.reduce((h, s) => h + rowH(s), 0) + 10;
  const root = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Sequence diagram${t.orderId ? " of order " + short(t.orderId) : ""}: ${t.steps.length} steps` });
  const defs = svg("defs");
  for (const [id, color] of [["arrow", "#111"], ["arrow-comp", "#a3121f"], ["arrow-pending", "#999"]]) {
    const m = svg("marker", { id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 16, markerHeight: 16,
      markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" });
    m.append(svg("path", { d: "M0,0 L10,5 L0,10 z", fill: color }));
    defs.append(m);
  }
  root.append(defs);
  for (const m of lanes) {
    root.append(svg("text", { x: x(m), y: 24, "text-anchor": "middle", class: "lane-title" }, names[m] || m));
    root.append(svg("line", { x1: x(m), y1: 34, x2: x(m), y2: height, class: "lifeline" }));
  }
  let y = 44;
  t.steps.forEach((s, i) => {
    const h = rowH(s);
    if (i >= fresh) {
      root.append(svg("rect", { x: 0, y, width, height: h, class: "fresh" }));
      root.append(svg("text", { x: 4, y: y + h / 2 + 6, class: "fresh-mark" }, "new ▸"));
    }
    if (s.kind === "message") {
      const kind = kindOf(s.topic);
      const g = svg("g", { class: `msg ${kind}${s.compensation ? " comp" : ""}${s.pending ? " pending" : ""}` });
      const from = x(s.from), to = x(s.to || s.from);
      const marker = s.pending ? "arrow-pending" : s.compensation ? "arrow-comp" : "arrow";
      let label = (s.compensation ? "⟲ " : "") + s.type + (kind === "event" ? "" : ` (${kind})`);
      if (s.summary) label += " " + shorten(s.summary);
      if (s.to && !names[s.to]) label += ` → ${s.to}`; // a consumer in another's lane, such as the coordinator
      else if (to === from) label += ` → ${s.to} participant`;
      if (s.duplicate) label += " · duplicate, ignored";
      if (s.pending) label += " · not handled yet";
      let text;
      if (to === from) {
        // Within one module (the coordinator and a participant of the
        // Order service): a loop out of the lifeline and back, the label beside it.
        const ly = y + 16;
        g.append(svg("path", { d: `M${from},${ly} h48 v26 h-46`, fill: "none", "marker-end": `url(#${marker})` }));
        const chars = Math.floor((width - from - 64) / 9.6);
        text = svg("text", { x: from + 58, y: ly + 19 }, clip(label, chars));
      } else {
        const ly = y + 32;
        g.append(svg("line", { x1: from, y1: ly, x2: to, y2: ly, "marker-end": `url(#${marker})` }));
        // A label may run past its arrow's ends, not past the picture's.
        const chars = Math.floor(Math.min(width - 8, Math.max(Math.abs(to - from), laneW) * 1.5) / 9.6);
        const shown = clip(label, chars);
        const half = shown.length * 9.6 / 2;
        const mid = Math.min(Math.max((from + to) / 2, half + 4), width - half - 4);
        text = svg("text", { x: mid, y: ly - 8, "text-anchor": "middle" }, shown);
      }
      text.append(svg("title", {}, label));
      g.append(text);
      root.append(g);
    } else if (s.kind === "transaction") {
      const g = svg("g", { class: "tx" + (s.compensation ? " comp" : "") + (s.statements ? " stmts" : "") });
      const left = x(s.from) - laneW / 2 + 8;
      const b = boxLines(s, laneW);
      g.append(svg("rect", { x: left, y: y + 4, width: laneW - 16, height: h - 8, rx: 4 }));
      const text = svg("text", { x: left + 8, y: y + 24 });
      b.head.forEach((line, i) => text.append(svg("tspan", { x: left + 8, dy: i ? 19 : 0, class: "head" }, line)));
      b.emits.forEach((line) => text.append(svg("tspan", { x: left + 8, dy: 19, class: "emits" }, line)));
      b.stmts.flat().forEach((line, i) => text.append(svg("tspan", { dy: i ? 24 : 27, class: "stmt" }, line)));
      let n = b.head.length + b.emits.length;
      for (const lines of b.stmts) { // a statement's second line indented under its first
        lines.forEach((_, j) => text.children[n++].setAttribute("x", left + (j ? 48 : 24)));
      }
      const said = [b.label, ...(b.emitted ? [b.emitted] : []), ...b.stmts.map((l) => l.join(" "))];
      text.append(svg("title", {}, said.join("\n")));
      g.append(text);
      root.append(g);
    }
    y += h;
  });
  return root;
}
