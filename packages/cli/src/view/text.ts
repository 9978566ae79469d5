// Text helpers of the flow view: escaping for HTML/SVG, the width a text takes in the view's
// monospace font (the layout sizes boxes from it), and the labels shown on nodes and edges.
import type { IrAdapter, IrChannel, IrClock, IrNode } from "@flowc/ir";
import { formatHz } from "../describe.js";

/**
 * Replaces what XML forbids (C0 controls but tab, newline and return; lone surrogates; U+FFFE and
 * U+FFFF) with U+FFFD: a saved SVG must still parse as XML.
 */
function xmlChars(text: string): string {
  let out = "";
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let bad = (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0xfffe || c === 0xffff;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      bad = true;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      bad = true;
    }
    if (bad) {
      out += `${text.slice(from, i)}\uFFFD`;
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/** Escapes text for an HTML/SVG text node or a quoted attribute value (either quote). */
export function escapeXml(text: string): string {
  return xmlChars(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/**
 * JSON for a `<script type="application/json">` element: `<` is written `\u003c`, so no value
 * (a param holding `</script>` or `<!--`) can end the element or change how HTML parses it.
 * `>` and `&` likewise, and U+2028/U+2029 for old JavaScript parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Width of one character of the view's monospace font, in em. */
export const CHAR_EM = 0.62;

/** Characters that take two cells in a monospace font (CJK, full-width forms, most emoji). */
const WIDE = /[\u1100-\u115F\u2E80-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6]|[\uD83C-\uD83E][\uDC00-\uDFFF]/;

/** Monospace cells a text takes (a wide character counts two). */
export function textCells(text: string): number {
  let cells = 0;
  for (const char of text) cells += WIDE.test(char) ? 2 : 1;
  return cells;
}

/** Approximate width in pixels of a text at `fontSize` px in the view's monospace font. */
export function textWidth(text: string, fontSize: number): number {
  return Math.ceil(textCells(text) * fontSize * CHAR_EM);
}

/** At most `max` characters (code points), with `…` in place of the rest. */
export function clip(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join("")}…`;
}

/** `rate 30 Hz`, `trigger: a, b`, `hybrid 10 Hz + a`, `free`. */
export function clockLabel(clock: IrClock): string {
  switch (clock.kind) {
    case "rate":
      return `rate ${formatHz(clock.hz)}`;
    case "trigger":
      return `trigger: ${clock.on.join(", ")}`;
    case "hybrid":
      return `hybrid ${formatHz(clock.hz)} + ${clock.on.join(", ")}`;
    case "free":
      return "free";
  }
}

/** The clock with what its label leaves out (a rate's lag policy), for the details panel. */
export function clockDetail(clock: IrClock): string {
  const label = clockLabel(clock);
  return clock.kind === "rate" || clock.kind === "hybrid" ? `${label} (onLag ${clock.onLag})` : label;
}

/** `latest`, `hold`, `window 4`, `window 250 ms`, `events`. */
export function adapterLabel(adapter: IrAdapter): string {
  if (adapter.kind !== "window") return adapter.kind;
  const parts = [adapter.size !== undefined ? `${adapter.size}` : "", adapter.ms !== undefined ? `${adapter.ms} ms` : ""];
  return ["window", ...parts.filter(Boolean)].join(" ");
}

/** `value → value · cap 10 · block`: the ports a channel joins, its capacity and its policy. */
export function channelLabel(channel: IrChannel): string {
  return `${channel.from.port} → ${channel.to.port} · cap ${channel.capacity} · ${channel.onFull}`;
}

/** `file:line` of a node's declaration, or undefined when the IR does not say. */
export function sourceLabel(node: IrNode): string | undefined {
  return node.source ? `${node.source.file}:${node.source.line}` : undefined;
}
