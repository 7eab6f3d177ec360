// sagalab's classroom page: plain JavaScript, no build step, no library.
// It reads the REST API and /web/*, and refreshes when /web/events says a
// message was handled.
"use strict";

const symbols = { PENDING: "… PENDING", APPROVED: "✓ APPROVED", REJECTED: "✗ REJECTED", CANCELLED: "⟲ CANCELLED" };
const $ = (id) => document.getElementById(id);
const page = { customers: [], orders: [], selected: "", tab: "diagram", rows: {}, seen: new Set(), touched: new Set() };

async function api(method, path, body) {
  const resp = await fetch(path, {
    method, headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(data.error || `${method} ${path}: ${resp.status}`);
  data.roundTrips = resp.headers.get("X-Round-Trips");
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function say(text, error) {
  const m = $("message");
  m.textContent = text;
  m.className = error ? "message error" : "message";
}

// ---- refreshing -------------------------------------------------------

let pending = null;
function refreshSoon() {
  if (!pending) pending = setTimeout(() => { pending = null; refresh().catch((e) => say(e.message, true)); }, 150);
}

async function refresh() {
  const [cs, os] = await Promise.all([api("GET", "/customers"), api("GET", "/orders")]);
  page.customers = cs.customers;
  page.orders = os.orders;
  renderCustomers();
  renderOrders();
  if (page.tab === "diagram") await renderDiagram();
  if (page.tab === "rows") await renderRows();
  if (page.tab === "queries") await renderQueries();
}

function customerName(id) {
  const c = page.customers.find((c) => c.customerId === id);
  return c ? c.name : short(id);
}

function renderCustomers() {
  const sel = $("order-customer");
  const keep = sel.value;
  sel.replaceChildren(...page.customers.map((c) =>
    el("option", { value: c.customerId }, `${c.name} · ${c.availableCredit.amount} of ${c.creditLimit.amount} free`)));
  if (page.customers.some((c) => c.customerId === keep)) sel.value = keep;
  else if (page.customers.length) sel.value = page.customers[page.customers.length - 1].customerId;
}

function renderOrders() {
  const list = $("orders");
  const first = page.seen.size === 0;
  const items = page.orders.slice().reverse().map((o) => {
    const fresh = !first && !page.seen.has(o.orderId + o.orderState);
    page.seen.add(o.orderId + o.orderState);
    const b = el("button", {
      class: "order" + (fresh ? " new" : ""), "aria-pressed": String(o.orderId === page.selected),
      "data-id": o.orderId, onclick: () => select(o.orderId),
    },
    el("span", { class: "id" }, short(o.orderId)), " ", customerName(o.customerId), " · ", o.orderTotal.amount, el("br"),
    el("span", { class: "state " + o.orderState }, symbols[o.orderState] || o.orderState),
    o.rejectionReason ? ` (${o.rejectionReason})` : "", " ", el("span", { class: "mode" }, o.sagaMode));
    return el("li", {}, b);
  });
  if (!items.length) items.push(el("li", { class: "empty" }, "No orders yet: place one."));
  list.replaceChildren(...items);
}

function select(id) {
  page.selected = id;
  history.replaceState(null, "", "#order=" + encodeURIComponent(id) + "&tab=" + page.tab);
  renderOrders();
  const b = document.querySelector(`.order[data-id="${id}"]`);
  if (b) b.focus();
  refreshSoon();
}

// ---- the sequence diagram --------------------------------------------

async function renderDiagram() {
  const head = $("diagram-head");
  const box = $("diagram");
  if (!page.selected) {
    head.textContent = "Pick an order to see its saga.";
    box.replaceChildren();
    return;
  }
  const t = await api("GET", `/web/orders/${encodeURIComponent(page.selected)}/trace`);
  const order = page.orders.find((o) => o.orderId === page.selected);
  const cancel = order && order.orderState === "APPROVED"
    ? el("button", { class: "secondary", id: "cancel", onclick: () => cancelOrder(order.orderId) }, "Cancel order (x)") : null;
  head.replaceChildren(
    el("strong", {}, `Order ${short(t.orderId)}`), ` · ${t.sagaMode} · `,
    el("span", { class: "state " + t.orderState }, symbols[t.orderState] || t.orderState), " ", cancel || "",
    el("div", { class: "legend" }, "━━ command   ─ ─ reply   ── event   ▭ local transaction   ⟲ compensation"));
  box.replaceChildren(drawTrace(t, Math.max(box.clientWidth - 8, 640)));
}

// ---- module rows -----------------------------------------------------

async function renderRows() {
  const data = await api("GET", "/web/rows");
  const module = $("rows-module").value;
  const tables = data.tables.filter((t) => t.name.startsWith(module + ".db "));
  const out = [];
  for (const t of tables) {
    const before = page.rows[t.name] || {};
    const keys = Object.keys(t.rows || {}).sort();
    const table = el("table", {}, el("caption", {}, `${t.name} · ${keys.length} row${keys.length === 1 ? "" : "s"}`));
    for (const k of keys) {
      const changed = Object.keys(page.rows).length > 0 && before[k] !== t.rows[k];
      table.append(el("tr", changed ? { class: "changed" } : {}, el("td", {}, t.rows[k])));
    }
    if (!keys.length) table.append(el("tr", {}, el("td", { class: "empty" }, "empty")));
    out.push(table);
  }
  for (const t of data.tables) page.rows[t.name] = t.rows || {};
  $("rows").replaceChildren(...out);
}

// ---- CQRS view and API composition ------------------------------------

async function renderQueries() {
  const order = page.orders.find((o) => o.orderId === page.selected);
  const id = order ? order.customerId : $("order-customer").value;
  if (!id) {
    $("queries-head").textContent = "Create a customer first.";
    return;
  }
  $("queries-head").textContent = `Customer ${customerName(id)}: the same question, answered two ways.`;
  const show = async (box, path, pick) => {
    try {
      const d = await api("GET", path);
      const rows = pick(d).map((o) => el("li", {}, el("span", { class: "id" }, short(o.orderId)), " ",
        el("span", { class: "state " + o.state }, symbols[o.state] || o.state), " ", o.orderTotal.amount));
      box.replaceChildren(el("p", {}, `${d.name}, limit ${d.creditLimit.amount}`),
        el("ol", {}, ...(rows.length ? rows : [el("li", { class: "empty" }, "no orders")])),
        d.roundTrips ? el("p", {}, `${d.roundTrips} calls across services`) : "");
    } catch (e) {
      box.replaceChildren(el("p", { class: "empty" }, e.message));
    }
  };
  await Promise.all([
    show($("view"), `/customers/${encodeURIComponent(id)}/orderhistory`,
      (d) => Object.values(d.orders).map((o) => ({ orderId: o.orderId, state: o.state, orderTotal: o.orderTotal }))),
    show($("composed"), `/composed/customers/${encodeURIComponent(id)}/orderhistory`,
      (d) => d.orders.map((o) => ({ orderId: o.orderId, state: o.orderState, orderTotal: o.orderTotal }))),
  ]);
}

// ---- actions ---------------------------------------------------------

$("customer-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  try {
    const r = await api("POST", "/customers", { name: $("customer-name").value, creditLimit: { amount: $("customer-limit").value } });
    say(`Customer ${$("customer-name").value} created.`);
    await refresh();
    $("order-customer").value = r.customerId;
  } catch (err) { say(err.message, true); }
});

$("order-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const mode = document.querySelector("input[name=mode]:checked").value;
  try {
    const r = await api("POST", "/orders", { customerId: $("order-customer").value, orderTotal: { amount: $("order-total").value }, sagaMode: mode });
    say(`Order ${short(r.orderId)} placed (${mode}).`);
    page.selected = r.orderId;
    await refresh();
  } catch (err) { say(err.message, true); }
});

async function cancelOrder(id) {
  try {
    await api("POST", `/orders/${encodeURIComponent(id)}/cancel`);
    say(`Order ${short(id)} cancelled.`);
    await refresh();
  } catch (err) { say(err.message, true); }
}

// ---- tabs and keys ---------------------------------------------------

const tabs = ["diagram", "rows", "queries"];
function showTab(name) {
  page.tab = name;
  history.replaceState(null, "", "#order=" + encodeURIComponent(page.selected) + "&tab=" + name);
  for (const t of tabs) {
    $("tab-" + t).setAttribute("aria-selected", String(t === name));
    $(t + "-panel").hidden = t !== name;
  }
  refreshSoon();
}
for (const t of tabs) $("tab-" + t).addEventListener("click", () => showTab(t));
$("rows-module").addEventListener("change", () => { page.rows = {}; refreshSoon(); });

document.addEventListener("keydown", (e) => {
  const typing = /^(INPUT|SELECT|TEXTAREA)$/.test(e.target.tagName);
  if (e.key === "Escape" && typing) { e.target.blur(); return; }
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  const i = page.orders.length - 1 - page.orders.findIndex((o) => o.orderId === page.selected);
  const newestFirst = page.orders.slice().reverse();
  switch (e.key) {
    case "c": $("customer-name").focus(); break;
    case "o": $("order-total").focus(); break;
    case "1": case "2": case "3": showTab(tabs[Number(e.key) - 1]); break;
    case "j": if (newestFirst.length) select(newestFirst[Math.min(page.selected ? i + 1 : 0, newestFirst.length - 1)].orderId); break;
    case "k": if (newestFirst.length) select(newestFirst[Math.max(page.selected ? i - 1 : 0, 0)].orderId); break;
    case "x": if ($("cancel")) $("cancel").click(); break;
    case "ArrowRight": case "ArrowLeft":
      if (e.target.getAttribute("role") === "tab") {
        const n = (tabs.indexOf(page.tab) + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length;
        showTab(tabs[n]);
        $("tab-" + tabs[n]).focus();
      }
      break;
    default: return;
  }
  e.preventDefault();
});

// ---- live updates ----------------------------------------------------

function listen() {
  const live = $("live");
  const es = new EventSource("/web/events");
  es.onopen = () => { live.textContent = "● live"; live.className = "live on"; refreshSoon(); };
  es.onerror = () => { live.textContent = "○ reconnecting…"; live.className = "live off"; };
  es.onmessage = (e) => {
    const u = JSON.parse(e.data);
    page.touched.add(u.orderId);
    refreshSoon();
  };
}

// #order=ID&tab=rows picks an order and a view: links and screenshots.
const wanted = new URLSearchParams(location.hash.slice(1));
page.selected = wanted.get("order") || "";
if (tabs.includes(wanted.get("tab"))) showTab(wanted.get("tab"));

window.addEventListener("resize", refreshSoon);
listen();
refreshSoon();
