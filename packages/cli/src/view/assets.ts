// The styles and the script of the flow view, inlined into every page (no file, font or image
// is ever fetched). Colours are CSS variables with a dark set under prefers-color-scheme, so a
// page reads well on light and dark systems; a page embedding the view may override them.

/** Styles of `.fg-view` (toolbar, canvas, SVG, legend, details panel). */
export const GRAPH_CSS = `
.fg-view {
  --fg-bg: #f7f8fa; --fg-fg: #1d2430; --fg-muted: #5b6576; --fg-line: #c9ced8;
  --fg-node-bg: #ffffff; --fg-node-border: #7d8799; --fg-band: #e8edf6;
  --fg-edge: #6a7485; --fg-cycle: #c2410c; --fg-port: #3b63b8;
  --fg-group-bg: rgba(59, 99, 184, 0.06); --fg-group-border: #8da2cf;
  --fg-selected: #2563eb; --fg-panel-bg: #ffffff; --fg-code-bg: #f1f3f7;
  --fg-ok: #15803d; --fg-ok-bg: #dcfce7; --fg-fail: #b91c1c; --fg-fail-bg: #fee2e2;
  --fg-skip: #6b7280; --fg-skip-bg: #eceef2; --fg-stop: #b45309; --fg-stop-bg: #fef3c7;
  --fg-mono: ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
  --fg-sans: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  position: relative; display: flex; flex-direction: column; height: var(--fg-height, 70vh); min-height: 320px;
  color: var(--fg-fg); background: var(--fg-bg); border: 1px solid var(--fg-line); border-radius: 8px;
  font-family: var(--fg-sans); font-size: 14px; overflow: hidden;
}
@media (prefers-color-scheme: dark) {
  .fg-view {
    --fg-bg: #12161d; --fg-fg: #e4e8ef; --fg-muted: #9aa4b5; --fg-line: #2f3744;
    --fg-node-bg: #1b212b; --fg-node-border: #6d788b; --fg-band: #253044;
    --fg-edge: #8b95a7; --fg-cycle: #fb923c; --fg-port: #7ea6f5;
    --fg-group-bg: rgba(126, 166, 245, 0.07); --fg-group-border: #4d6290;
    --fg-selected: #60a5fa; --fg-panel-bg: #181d26; --fg-code-bg: #10141a;
    --fg-ok: #4ade80; --fg-ok-bg: #133421; --fg-fail: #f87171; --fg-fail-bg: #3f1616;
    --fg-skip: #9ca3af; --fg-skip-bg: #262a31; --fg-stop: #fbbf24; --fg-stop-bg: #3a2a0b;
  }
}
.fg-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 12px; padding: 6px 10px; border-bottom: 1px solid var(--fg-line); }
.fg-toolbar button {
  font: inherit; min-width: 2em; padding: 2px 8px; color: var(--fg-fg); background: var(--fg-node-bg);
  border: 1px solid var(--fg-line); border-radius: 5px; cursor: pointer;
}
.fg-toolbar button:hover, .fg-toolbar button:focus-visible { border-color: var(--fg-selected); }
.fg-legend { display: flex; flex-wrap: wrap; gap: 4px 14px; color: var(--fg-muted); font-size: 12px; }
.fg-legend-item { display: inline-flex; align-items: center; gap: 5px; }
.fg-legend svg { overflow: visible; }
.fg-hint { margin-left: auto; color: var(--fg-muted); font-size: 12px; }
.fg-canvas { position: relative; flex: 1; min-height: 0; cursor: grab; touch-action: none; }
.fg-canvas.fg-dragging { cursor: grabbing; }
.fg-canvas > svg { display: block; width: 100%; height: 100%; user-select: none; -webkit-user-select: none; }
.fg-svg text { font-family: var(--fg-mono); font-size: 12px; fill: var(--fg-fg); }
.fg-group rect { fill: var(--fg-group-bg); stroke: var(--fg-group-border); stroke-dasharray: 6 4; }
.fg-svg .fg-group-label { fill: var(--fg-muted); font-weight: 600; }
.fg-edge path { fill: none; stroke: var(--fg-edge); stroke-width: 1.4; }
.fg-edge.fg-cycle path { stroke: var(--fg-cycle); stroke-dasharray: 7 4; stroke-width: 1.8; }
.fg-arrow { fill: var(--fg-edge); }
.fg-arrow-cycle { fill: var(--fg-cycle); }
.fg-svg .fg-edge-label { font-size: 10px; fill: var(--fg-muted); paint-order: stroke; stroke: var(--fg-bg); stroke-width: 4px; stroke-linejoin: round; }
.fg-svg .fg-edge-label.fg-cycle { fill: var(--fg-cycle); }
.fg-node { cursor: pointer; outline: none; }
.fg-box { fill: var(--fg-node-bg); stroke: var(--fg-node-border); stroke-width: 1.2; }
.fg-band { fill: var(--fg-band); }
.fg-svg .fg-id { font-size: 13px; font-weight: 700; }
.fg-svg .fg-type { fill: var(--fg-fg); }
.fg-svg .fg-clock, .fg-svg .fg-parallel { fill: var(--fg-muted); }
.fg-svg .fg-parallel { font-weight: 700; }
.fg-port rect { fill: var(--fg-port); }
.fg-svg .fg-port text { font-size: 11px; fill: var(--fg-muted); }
.fg-node:hover .fg-box, .fg-node:focus-visible .fg-box { stroke: var(--fg-selected); stroke-width: 2; }
.fg-node.fg-selected .fg-box { stroke: var(--fg-selected); stroke-width: 3; }
.fg-status-succeeded .fg-box { stroke: var(--fg-ok); stroke-width: 2; } .fg-status-succeeded .fg-band { fill: var(--fg-ok-bg); }
.fg-status-failed .fg-box { stroke: var(--fg-fail); stroke-width: 2.5; } .fg-status-failed .fg-band { fill: var(--fg-fail-bg); }
.fg-status-skipped .fg-box { stroke: var(--fg-skip); stroke-dasharray: 4 3; } .fg-status-skipped .fg-band { fill: var(--fg-skip-bg); }
.fg-status-stopped .fg-box { stroke: var(--fg-stop); stroke-width: 2; } .fg-status-stopped .fg-band { fill: var(--fg-stop-bg); }
.fg-swatch { display: inline-block; width: 12px; height: 12px; border: 2px solid var(--fg-node-border); border-radius: 3px; }
.fg-swatch.fg-status-succeeded { border-color: var(--fg-ok); background: var(--fg-ok-bg); }
.fg-swatch.fg-status-failed { border-color: var(--fg-fail); background: var(--fg-fail-bg); }
.fg-swatch.fg-status-skipped { border-color: var(--fg-skip); background: var(--fg-skip-bg); border-style: dashed; }
.fg-swatch.fg-status-stopped { border-color: var(--fg-stop); background: var(--fg-stop-bg); }
.fg-swatch.fg-group-swatch { border: 1px dashed var(--fg-group-border); background: var(--fg-group-bg); }
.fg-body { position: relative; display: flex; flex: 1; min-height: 0; }
.fg-details {
  position: relative; flex: 0 0 min(380px, 45%); overflow: auto; padding: 12px 14px;
  background: var(--fg-panel-bg); border-left: 1px solid var(--fg-line); font-size: 13px;
}
.fg-details[hidden] { display: none; }
.fg-details h2 { margin: 0 28px 2px 0; font: 700 16px var(--fg-mono); word-break: break-all; }
.fg-details h3 { margin: 14px 0 4px; font-size: 13px; color: var(--fg-muted); text-transform: uppercase; letter-spacing: 0.04em; }
.fg-details h4 { margin: 8px 0 2px; font: 600 13px var(--fg-mono); word-break: break-all; }
.fg-details h4 span { font-weight: 400; color: var(--fg-muted); }
.fg-details .fg-sub { margin: 0; color: var(--fg-muted); font-family: var(--fg-mono); word-break: break-all; }
.fg-details dl { display: grid; grid-template-columns: max-content 1fr; gap: 3px 12px; margin: 10px 0 0; }
.fg-details dt { color: var(--fg-muted); }
.fg-details dd { margin: 0; font-family: var(--fg-mono); word-break: break-all; }
.fg-details pre {
  margin: 2px 0 0; padding: 6px 8px; max-height: 260px; overflow: auto; background: var(--fg-code-bg);
  border-radius: 5px; font: 12px/1.4 var(--fg-mono); white-space: pre-wrap; word-break: break-all;
}
.fg-details .fg-none { color: var(--fg-muted); font-style: italic; }
.fg-close { position: absolute; top: 8px; right: 8px; font: inherit; font-size: 18px; line-height: 1; padding: 2px 7px;
  color: var(--fg-fg); background: transparent; border: 1px solid var(--fg-line); border-radius: 5px; cursor: pointer; }
`;

/**
 * Pan (drag), zoom (wheel, + / − / Fit buttons, + - 0 keys) and click-to-details for every
 * `.fg-view` of the page. Node data comes from the view's `<script type="application/json"
 * class="fg-data">`; the panel is built with textContent only, never from markup.
 */
export const GRAPH_SCRIPT = `
(function () {
  "use strict";
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function pretty(value) {
    return JSON.stringify(value, null, 2);
  }
  function setup(view) {
    var svg = view.querySelector("svg.fg-svg");
    var viewport = svg && svg.querySelector(".fg-viewport");
    var canvas = view.querySelector(".fg-canvas");
    var panel = view.querySelector(".fg-details");
    var body = view.querySelector(".fg-details-body");
    var dataElement = view.querySelector("script.fg-data");
    if (!svg || !viewport || !canvas) return;
    var data = { nodes: [] };
    try { data = JSON.parse(dataElement ? dataElement.textContent : "{}"); } catch (e) { data = { nodes: [] }; }
    var nodes = new Map();
    (data.nodes || []).forEach(function (n) { nodes.set(n.id, n); });
    var gw = Number(svg.getAttribute("data-width")) || 1;
    var gh = Number(svg.getAttribute("data-height")) || 1;
    svg.removeAttribute("viewBox");
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    var k = 1, x = 0, y = 0, touched = false, minK = 0.02;
    function apply() {
      viewport.setAttribute("transform", "translate(" + x.toFixed(2) + " " + y.toFixed(2) + ") scale(" + k.toFixed(4) + ")");
    }
    function fit() {
      var r = svg.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return;
      k = Math.min((r.width - 24) / gw, (r.height - 24) / gh, 1.5);
      k = Math.max(k, 0.001);
      minK = Math.min(0.02, k);
      x = (r.width - gw * k) / 2;
      y = (r.height - gh * k) / 2;
      apply();
    }
    function zoomAt(factor, px, py) {
      var nk = Math.min(8, Math.max(minK, k * factor));
      x = px - (px - x) * (nk / k);
      y = py - (py - y) * (nk / k);
      k = nk;
      touched = true;
      apply();
    }
    function zoomCenter(factor) {
      var r = svg.getBoundingClientRect();
      zoomAt(factor, r.width / 2, r.height / 2);
    }
    svg.addEventListener("wheel", function (event) {
      event.preventDefault();
      var r = svg.getBoundingClientRect();
      var delta = event.deltaY * (event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? r.height : 1);
      zoomAt(Math.exp(-delta * 0.0015), event.clientX - r.left, event.clientY - r.top);
    }, { passive: false });
    var drag = null, dragged = false;
    svg.addEventListener("pointerdown", function (event) {
      if (event.button !== 0) return;
      drag = { id: event.pointerId, sx: event.clientX, sy: event.clientY, x: x, y: y };
      dragged = false;
    });
    svg.addEventListener("pointermove", function (event) {
      if (!drag || drag.id !== event.pointerId) return;
      var dx = event.clientX - drag.sx, dy = event.clientY - drag.sy;
      if (!dragged && Math.abs(dx) + Math.abs(dy) < 4) return;
      if (!dragged) {
        dragged = true;
        canvas.classList.add("fg-dragging");
        try { svg.setPointerCapture(event.pointerId); } catch (e) { /* already released */ }
      }
      x = drag.x + dx;
      y = drag.y + dy;
      touched = true;
      apply();
    });
    function endDrag() {
      drag = null;
      canvas.classList.remove("fg-dragging");
    }
    svg.addEventListener("pointerup", endDrag);
    svg.addEventListener("pointercancel", endDrag);
    svg.addEventListener("click", function (event) {
      if (dragged) { dragged = false; return; }
      var target = event.target instanceof Element ? event.target.closest(".fg-node") : null;
      if (target) select(target.getAttribute("data-node"));
    });
    svg.addEventListener("keydown", function (event) {
      var target = event.target instanceof Element ? event.target.closest(".fg-node") : null;
      if (target && (event.key === "Enter" || event.key === " ")) {
        event.preventDefault();
        select(target.getAttribute("data-node"));
      }
    });
    view.addEventListener("keydown", function (event) {
      if (event.target instanceof HTMLElement && event.target.closest(".fg-details")) {
        if (event.key === "Escape") close();
        return;
      }
      if (event.key === "+" || event.key === "=") zoomCenter(1.25);
      else if (event.key === "-" || event.key === "_") zoomCenter(0.8);
      else if (event.key === "0") { touched = false; fit(); }
      else if (event.key === "Escape") close();
    });
    view.querySelectorAll("[data-action]").forEach(function (button) {
      button.addEventListener("click", function () {
        var action = button.getAttribute("data-action");
        if (action === "zoom-in") zoomCenter(1.25);
        else if (action === "zoom-out") zoomCenter(0.8);
        else if (action === "fit") { touched = false; fit(); }
        else if (action === "close") close();
      });
    });
    function close() {
      if (panel) panel.hidden = true;
      svg.querySelectorAll(".fg-node.fg-selected").forEach(function (n) { n.classList.remove("fg-selected"); });
    }
    function row(dl, name, value) {
      if (value === undefined || value === null || value === "") return;
      dl.appendChild(el("dt", "", name));
      dl.appendChild(el("dd", "", value));
    }
    function ports(title, list, inputs) {
      body.appendChild(el("h3", "", title));
      if (!list || list.length === 0) { body.appendChild(el("p", "fg-none", "none")); return; }
      list.forEach(function (port) {
        var h = el("h4", "", port.name);
        if (inputs) h.appendChild(el("span", "", " · " + port.adapter));
        body.appendChild(h);
        body.appendChild(el("pre", "", pretty(port.schema)));
      });
    }
    function select(id) {
      var node = id === null ? undefined : nodes.get(id);
      if (!node || !panel || !body) return;
      svg.querySelectorAll(".fg-node.fg-selected").forEach(function (n) { n.classList.remove("fg-selected"); });
      svg.querySelectorAll(".fg-node").forEach(function (n) { if (n.getAttribute("data-node") === id) n.classList.add("fg-selected"); });
      body.textContent = "";
      body.appendChild(el("h2", "", node.id));
      body.appendChild(el("p", "fg-sub", node.type));
      var dl = el("dl");
      row(dl, "status", node.status);
      row(dl, "clock", node.clock);
      row(dl, "parallelism", node.parallelism);
      row(dl, "placement", node.placement === null ? "anywhere" : node.placement);
      row(dl, "onError", node.onError);
      row(dl, "stateful", node.stateful ? "yes" : "no");
      row(dl, "impl", node.impl);
      row(dl, "source", node.source === null ? "unknown" : node.source);
      body.appendChild(dl);
      if (node.details && Object.keys(node.details).length > 0) {
        body.appendChild(el("h3", "", "Run"));
        var extra = el("dl");
        Object.keys(node.details).forEach(function (key) { row(extra, key, node.details[key]); });
        body.appendChild(extra);
      }
      body.appendChild(el("h3", "", "Params"));
      body.appendChild(el("pre", "fg-params", pretty(node.params)));
      ports("Inputs", node.inputs, true);
      ports("Outputs", node.outputs, false);
      panel.hidden = false;
    }
    if (typeof ResizeObserver === "function") {
      new ResizeObserver(function () { if (!touched) fit(); }).observe(canvas);
    }
    fit();
  }
  document.querySelectorAll(".fg-view").forEach(setup);
})();
`;

/** Styles of a page around the view: body, header, summary. */
export const PAGE_CSS = `
:root { color-scheme: light dark; }
* { box-sizing: border-box; }
body {
  margin: 0; padding: 16px 20px; color: #1d2430; background: #ffffff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; line-height: 1.45;
}
@media (prefers-color-scheme: dark) { body { color: #e4e8ef; background: #0d1015; } }
.fg-page-header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px; margin-bottom: 10px; }
.fg-page-header h1 { margin: 0; font-size: 20px; }
.fg-page-header h1 code { font-size: 1em; }
.fg-page-header p { margin: 0; color: #5b6576; }
@media (prefers-color-scheme: dark) { .fg-page-header p { color: #9aa4b5; } }
.fg-page .fg-view { --fg-height: calc(100vh - 90px); }
`;
