// The sequence diagram of sagalab trace, drawn as SVG: one lane per module,
// an arrow per message (commands bold, replies dashed, events plain, each
// also named in its label), a box per local transaction, ⟲ for
// compensations. Shared by the live page and the walkthrough page.
"use strict";

const names = { order: "Order service", customer: "Customer service", history: "History view" };
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

// drawTrace draws trace t (as GET /web/orders/{id}/trace answers) width
// pixels wide; the steps from index fresh on are marked new.
function drawTrace(t, width, fresh = Infinity) {
  const lanes = t.participants;
  const laneW = width / lanes.length;
  const x = (m) => (lanes.indexOf(m) + 0.5) * laneW;
  const rowH = { message: 46, transaction: 58 };
  const height = 44 + t.steps.reduce((h, s) => h + (rowH[s.kind] || 40), 0) + 10;
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
    if (i >= fresh) {
      const h = rowH[s.kind] || 40;
      root.append(svg("rect", { x: 0, y, width, height: h, class: "fresh" }));
      root.append(svg("text", { x: 4, y: y + h / 2 + 6, class: "fresh-mark" }, "new ▸"));
    }
    if (s.kind === "message") {
      const kind = kindOf(s.topic);
      const g = svg("g", { class: `msg ${kind}${s.compensation ? " comp" : ""}${s.pending ? " pending" : ""}` });
      const from = x(s.from), to = x(s.to || s.from);
      const ly = y + 32;
      const marker = s.pending ? "arrow-pending" : s.compensation ? "arrow-comp" : "arrow";
      g.append(svg("line", { x1: from, y1: ly, x2: to === from ? from + 40 : to, y2: ly, "marker-end": `url(#${marker})` }));
      let label = (s.compensation ? "⟲ " : "") + s.type + (kind === "event" ? "" : ` (${kind})`);
      if (s.summary) label += " " + shorten(s.summary);
      if (s.duplicate) label += " · duplicate, ignored";
      if (s.pending) label += " · not handled yet";
      // A label may run past its arrow's ends, not past the picture's.
      const chars = Math.floor(Math.min(width - 8, Math.max(Math.abs(to - from), laneW) * 1.5) / 9.6);
      const shown = clip(label, chars);
      const half = shown.length * 9.6 / 2;
      const mid = Math.min(Math.max((from + to) / 2, half + 4), width - half - 4);
      const text = svg("text", { x: mid, y: ly - 8, "text-anchor": "middle" }, shown);
      text.append(svg("title", {}, label));
      g.append(text);
      root.append(g);
      y += rowH.message;
    } else {
      const g = svg("g", { class: "tx" + (s.compensation ? " comp" : "") });
      const cx = x(s.from);
      g.append(svg("rect", { x: cx - laneW / 2 + 8, y: y + 4, width: laneW - 16, height: 50, rx: 4 }));
      const label = (s.compensation ? "⟲ " : "") + shorten(s.effect || "local transaction");
      const text = svg("text", { x: cx - laneW / 2 + 16, y: y + 24 });
      wrapLines(label, Math.floor((laneW - 32) / 8.9), 2).forEach((line, i) =>
        text.append(svg("tspan", { x: cx - laneW / 2 + 16, dy: i ? 19 : 0 }, line)));
      text.append(svg("title", {}, label));
      g.append(text);
      root.append(g);
      y += rowH.transaction;
    }
  });
  return root;
}
