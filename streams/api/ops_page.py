"""GET /ops: the operations page, one self-contained HTML document with a small inline script (no build step).

The page holds no data: it asks for an API key (kept in sessionStorage, sent as a Bearer token) and calls the API
like any client: /v1/exceptions (exceptions:read) for the queues by owning team with their age,
/v1/exceptions/{id}/{action} (exceptions:write) for claim, release, resolve and dismiss, /v1/ops/summary for the
order backlog and sync lag, /v1/availability/{sku} for a lookup. Everything shown is set through textContent, never
parsed as HTML. The Content-Security-Policy allows only this page's own inline script (by its hash) and same-origin calls.
"""
from __future__ import annotations

import base64
import hashlib

from aiohttp import web

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>distflow operations</title>
<style>
 body { font: 14px/1.4 system-ui, sans-serif; margin: 1.2rem; color: #1d2330; background: #f7f8fa; }
 h1 { font-size: 1.3rem; margin: 0 0 .8rem; } h2 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
 h3 { font-size: .95rem; margin: .8rem 0 .3rem; color: #3a4660; }
 section { background: #fff; border: 1px solid #dde1e8; border-radius: 6px; padding: .6rem .9rem; margin-bottom: 1rem; }
 table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .25rem .45rem;
 border-bottom: 1px solid #eceff3; vertical-align: top; } th { font-weight: 600; color: #56617a; }
 .critical { color: #a4161a; font-weight: 600; } .warning { color: #9a6700; } .info { color: #3a4660; }
 .state-CLAIMED { color: #1f5fbf; } button { margin-right: .25rem; } input[type=text] { width: 12rem; }
 #status { min-height: 1.3em; color: #3a4660; } .error { color: #a4161a; } .muted { color: #7a8499; }
</style>
</head>
<body>
<h1>distflow operations</h1>
<section id="key-section">
 <label for="api-key">API key</label> <input id="api-key" type="password" autocomplete="off" size="36">
 <button id="save-key" type="button">Use key</button> <button id="forget-key" type="button">Forget</button>
 <span class="muted">kept in this tab only (sessionStorage)</span>
 <div id="status" role="status"></div>
</section>
<section>
 <h2>Exception queues <span class="muted" id="queues-as-of"></span></h2>
 <div id="queues"><p class="muted">Enter an API key with exceptions:read.</p></div>
</section>
<section>
 <h2>Order backlog and sync lag</h2>
 <div id="summary" class="muted">—</div>
</section>
<section>
 <h2>Availability lookup</h2>
 <input id="sku" type="text" placeholder="SKU"> <button id="lookup" type="button">Look up</button>
 <pre id="availability" class="muted"></pre>
</section>
<script>
"use strict";
const KEY = "distflow.apiKey";
const $ = (id) => document.getElementById(id);
function key() { return sessionStorage.getItem(KEY) || ""; }
function say(text, isError) { const s = $("status"); s.textContent = text; s.className = isError ? "error" : ""; }
async function call(method, path, body) {
  const init = { method, headers: { "Authorization": "Bearer " + key() } };
  if (body !== undefined) { init.headers["Content-Type"] = "application/json"; init.body = JSON.stringify(body); }
  const response = await fetch(path, init);
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  return { status: response.status, data };
}
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls; return e; }
function age(ms) { const s = Math.floor(ms / 1000); if (s < 120) return s + " s"; const m = Math.floor(s / 60);
  if (m < 120) return m + " min"; const h = Math.floor(m / 60); return h < 48 ? h + " h" : Math.floor(h / 24) + " d"; }
async function act(id, action, note) {
  const path = id.split("/").map(encodeURIComponent).join("/");  // ids hold '/': keep it a path separator
  const answer = await call("POST", "/v1/exceptions/" + path + "/" + action,
                            note ? { note } : {});
  if (answer.status === 202) { say(action + " sent for " + id + " (action " + answer.data.action_id + ")"); }
  else { say(action + " refused (" + answer.status + "): " + (answer.data ? answer.data.detail : ""), true); }
  setTimeout(refresh, 600);
}
const notes = new Map();  // typed notes survive the periodic refresh
function row(c) {
  const tr = el("tr"); tr.dataset.exceptionId = c.exception_id; tr.dataset.state = c.state;
  tr.append(el("td", c.exception_type), el("td", c.severity, c.severity), el("td", c.subject_type + " " + c.subject_id),
            el("td", c.reason), el("td", age(c.age_ms)), el("td", c.state, "state-" + c.state),
            el("td", c.claimed_by || ""));
  const cell = el("td");
  const note = el("input"); note.type = "text"; note.placeholder = "note"; note.className = "note";
  note.value = notes.get(c.exception_id) || "";
  note.addEventListener("input", () => notes.set(c.exception_id, note.value));
  const buttons = [["claim", "Claim"], ["release", "Release"], ["resolve", "Resolve"], ["dismiss", "Dismiss"],
                   ["approve", "Approve"], ["replay", "Replay"]];
  for (const [action, label] of buttons) {
    if (!c.allowed_actions.includes(action)) continue;
    if ((action === "claim") !== (c.state === "OPEN")) continue;
    const b = el("button", label); b.type = "button"; b.className = "act-" + action;
    b.addEventListener("click", () => act(c.exception_id, action, note.value));
    cell.append(b);
  }
  if (c.state === "CLAIMED") cell.append(note);
  tr.append(cell);
  return tr;
}
async function refresh() {
  if (!key()) return;
  const answer = await call("GET", "/v1/exceptions");
  if (answer.status !== 200) { say("exceptions: " + answer.status + " " + (answer.data ? answer.data.detail : ""),
                                   true); return; }
  const byOwner = new Map();
  for (const c of answer.data.exceptions) {
    if (!byOwner.has(c.owner_team)) byOwner.set(c.owner_team, []);
    byOwner.get(c.owner_team).push(c);
  }
  const root = $("queues"); root.replaceChildren();
  if (byOwner.size === 0) root.append(el("p", "No open exceptions.", "muted"));
  for (const [owner, cases] of [...byOwner.entries()].sort()) {
    const oldest = Math.max(...cases.map((c) => c.age_ms));
    const h = el("h3", owner + " — " + cases.length + " open, oldest " + age(oldest)); h.dataset.owner = owner;
    const table = el("table"); table.dataset.owner = owner;
    const head = el("tr");
    for (const t of ["type", "severity", "subject", "reason", "age", "state", "claimed by", ""]) head.append(el("th", t));
    table.append(head);
    for (const c of cases) table.append(row(c));
    root.append(h, table);
  }
  $("queues-as-of").textContent = "as of " + new Date(answer.data.as_of_ms).toLocaleTimeString();
  await summary();
}
async function summary() {
  const answer = await call("GET", "/v1/ops/summary");
  const root = $("summary");
  if (answer.status !== 200) { root.textContent = "summary unavailable (" + answer.status + ")"; return; }
  root.replaceChildren(); root.className = "";
  const backlog = el("table"); backlog.id = "backlog"; backlog.append(el("tr"));
  backlog.rows[0].append(el("th", "order state"), el("th", "open orders"));
  for (const [state, count] of Object.entries(answer.data.order_backlog).sort()) {
    const tr = el("tr"); tr.append(el("td", state), el("td", String(count))); backlog.append(tr); }
  const lag = el("table"); lag.id = "sync-lag"; lag.append(el("tr"));
  lag.rows[0].append(el("th", "source system"), el("th", "records behind"));
  for (const [system, behind] of Object.entries(answer.data.sync_lag).sort()) {
    const tr = el("tr"); tr.append(el("td", system), el("td", String(behind))); lag.append(tr); }
  root.append(el("h3", "Order backlog"), backlog, el("h3", "Sync lag (consumer lag per source system)"), lag,
              el("p", answer.data.workers + " worker(s) reporting", "muted"));
}
async function lookup() {
  const sku = $("sku").value.trim(); if (!sku) return;
  const answer = await call("GET", "/v1/availability/" + encodeURIComponent(sku));
  $("availability").textContent = answer.status === 200 ? JSON.stringify(answer.data, null, 2)
    : answer.status + ": " + (answer.data ? answer.data.detail : "");
}
$("save-key").addEventListener("click", () => { sessionStorage.setItem(KEY, $("api-key").value.trim());
  $("api-key").value = ""; say("key in use for this tab"); refresh(); });
$("forget-key").addEventListener("click", () => { sessionStorage.removeItem(KEY); say("key forgotten"); });
$("lookup").addEventListener("click", lookup);
if (key()) { say("key in use for this tab"); refresh(); }
setInterval(refresh, 3000);
</script>
</body>
</html>
"""


def _script_hash(page: str) -> str:
    """CSP source for exactly this page's inline script: an injected script would not run."""
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


CSP = (f"default-src 'none'; script-src {_script_hash(PAGE)}; style-src 'unsafe-inline'; connect-src 'self'; "
       "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


async def operations_page(_: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html", charset="utf-8",
                        headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store",
                                 "X-Content-Type-Options": "nosniff"})
