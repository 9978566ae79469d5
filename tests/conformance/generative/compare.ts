// The comparison: what every engine must agree on for a random flow, and nothing else
// (docs/semantics.md, "What is the same on every engine"). Each mode's outcome is checked
// against the reference model, level by level (model.ts), and against the first mode where the
// model does not know the answer itself (the text of flowc's own error messages, how a cycle
// ends, the nodes a deadlock names).
import type { NodeResult, RecordEntry } from "@flowc/runtime";
import { channelId, downstreamOf, type FlowSpec, inputsOf } from "./flow.js";
import { canonical, type FlowModel } from "./model.js";
import type { ModeOutcome } from "./run.js";

/** What kind of thing a finding is about (shrinking keeps to the kinds it started from). */
export type Category = "run" | "bring-up" | "status" | "error" | "counts" | "channel" | "skipped" | "deadlock";

/** One thing a mode got wrong for one flow of a batch. */
export interface Finding {
  readonly flow: number;
  readonly mode: string;
  readonly category: Category;
  readonly what: string;
}

interface Problem {
  readonly category: Category;
  readonly what: string;
}

export interface BatchEntry {
  readonly index: number;
  readonly prefix: string;
  readonly flow: FlowSpec;
  readonly model: FlowModel;
}

/** How a flow is expected to end. */
export type Expectation = "complete" | "stop" | "cycle";

export function expectation(model: FlowModel): Expectation {
  if (model.cyclic) return "cycle";
  if (model.stopFailure !== undefined) return "stop";
  return "complete";
}

interface Observed {
  readonly nodes: ReadonlyMap<string, NodeResult>;
  readonly channels: ReadonlyMap<string, RecordEntry[]>;
  /** The clauses of a deadlock report that name this flow's nodes (prefix removed), sorted. */
  readonly deadlock: readonly string[];
}

function observe(entry: BatchEntry, outcome: ModeOutcome): Observed {
  const { prefix } = entry;
  const nodes = new Map<string, NodeResult>();
  for (const n of outcome.result?.nodes ?? []) if (n.id.startsWith(prefix)) nodes.set(n.id.slice(prefix.length), n);
  const channels = new Map<string, RecordEntry[]>();
  for (const c of entry.flow.channels) channels.set(channelId(c), []);
  for (const r of outcome.records) {
    if (!r.channel.startsWith(prefix)) continue;
    channels.get(r.channel.replaceAll(prefix, ""))?.push(r);
  }
  const deadlock: string[] = [];
  for (const w of outcome.warnings) {
    if (w.code !== "FLC3042") continue;
    const detail = w.message.slice(w.message.indexOf(":") + 1).replace(/\.$/, "");
    for (const clause of detail.split(";")) if (clause.trim().startsWith(`'${prefix}`)) deadlock.push(clause.trim().replaceAll(prefix, ""));
  }
  return { nodes, channels, deadlock: deadlock.sort() };
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function sortedCanon(values: readonly unknown[]): string[] {
  return values.map(canonical).sort();
}

/** Whether `small` is contained in `big` as a multiset. */
function subMultiset(small: readonly unknown[], big: readonly unknown[]): boolean {
  const counts = new Map<string, number>();
  for (const v of big) counts.set(canonical(v), (counts.get(canonical(v)) ?? 0) + 1);
  for (const v of small) {
    const k = canonical(v);
    const n = counts.get(k) ?? 0;
    if (n === 0) return false;
    counts.set(k, n - 1);
  }
  return true;
}

/**
 * Records against the model: `complete` when every message must have arrived, else only a
 * prefix (a run that stopped). Every channel keeps seq 0, 1, 2, … without gaps.
 */
function checkChannels(entry: BatchEntry, seen: Observed, complete: boolean, problems: Problem[]): void {
  for (const c of entry.flow.channels) {
    const id = channelId(c);
    const records = seen.channels.get(id) ?? [];
    const seqs = records.map((r) => r.seq);
    if (seqs.some((s, i) => s !== i)) problems.push({ category: "channel", what: `channel ${id}: seq is not 0, 1, 2, …: ${show(seqs)}` });
    const expected = entry.model.channels.get(id);
    if (!expected) continue;
    const values = records.map((r) => r.value);
    const want = expected.values;
    const what = `channel ${id} (${expected.level})`;
    switch (expected.level) {
      case "exact":
        if (
          complete
            ? canonical(values) !== canonical(want)
            : canonical(values) !== canonical(want.slice(0, values.length)) || values.length > want.length
        )
          problems.push({
            category: "channel",
            what: `${what}: delivered ${show(values)}, expected ${complete ? "" : "a prefix of "}${show(want)}`,
          });
        break;
      case "multiset":
        if (complete ? canonical(sortedCanon(values)) !== canonical(sortedCanon(want)) : !subMultiset(values, want))
          problems.push({
            category: "channel",
            what: `${what}: delivered ${show(values)}, expected ${complete ? "the values" : "some of the values"} ${show(want)} in any order`,
          });
        break;
      case "count":
        if (complete ? values.length !== want.length : values.length > want.length)
          problems.push({
            category: "channel",
            what: `${what}: delivered ${values.length} messages, expected ${complete ? "" : "at most "}${want.length}`,
          });
        break;
      case "none":
        break;
    }
  }
}

/** Counts of a node that ended on its own, against the model where it knows them. */
function checkCounts(id: string, entry: BatchEntry, n: NodeResult, problems: Problem[]): void {
  const m = entry.model.nodes.get(id);
  if (!m) return;
  for (const key of ["steps", "messagesIn", "messagesOut"] as const) {
    const want = m[key];
    if (want !== undefined && n[key] !== want)
      problems.push({ category: "counts", what: `node ${id}: ${key} ${n[key]}, expected ${want}` });
  }
  // A node that failed in isolation discards what arrives later; every other loses nothing.
  if (n.dropped !== 0 && n.status !== "FAILED")
    problems.push({ category: "counts", what: `node ${id}: dropped ${n.dropped} on block channels` });
}

function checkError(id: string, entry: BatchEntry, n: NodeResult, problems: Problem[]): void {
  const want = entry.model.nodes.get(id)?.failure;
  if (!want) return;
  if (n.error?.code !== want.code)
    problems.push({
      category: "error",
      what: `node ${id}: error code ${show(n.error?.code)}, expected ${show(want.code)} (${show(n.error?.message)})`,
    });
  if (want.message !== null && n.error?.message !== want.message)
    problems.push({ category: "error", what: `node ${id}: error ${show(n.error?.message)}, expected ${show(want.message)}` });
}

/** A flow in which nothing stops the run: every node ends as the model says. */
function checkComplete(entry: BatchEntry, seen: Observed, problems: Problem[]): void {
  for (const node of entry.flow.nodes) {
    const n = seen.nodes.get(node.id);
    const m = entry.model.nodes.get(node.id);
    if (!n || !m) {
      problems.push({ category: "status", what: `node ${node.id}: missing from the result` });
      continue;
    }
    if (n.status !== m.status) {
      problems.push({
        category: "status",
        what: `node ${node.id}: ${n.status}${n.error ? ` (${n.error.code ?? ""} ${n.error.message})` : ""}${n.cause ? ` (${n.cause})` : ""}, expected ${m.status}`,
      });
      continue;
    }
    checkError(node.id, entry, n, problems);
    checkCounts(node.id, entry, n, problems);
  }
  checkChannels(entry, seen, true, problems);
}

/**
 * The nodes a failure of `failed` must leave SKIPPED, and those it may: a node downstream of
 * it that can never step (every channel into it comes from a node that never sends) is
 * SKIPPED on every engine; one that could step before the run stops may be either.
 */
export function skippedBounds(flow: FlowSpec, model: FlowModel, failed: string): { must: Set<string>; may: Set<string> } {
  const down = downstreamOf(flow, failed);
  const silent = new Set<string>();
  const boom = flow.nodes.find((n) => n.id === failed);
  const sentBefore = model.sent.size > 0 && [...model.ports.entries()].some(([k, s]) => k.startsWith(`${failed}.`) && s.values.length > 0);
  if (boom && !sentBefore) silent.add(failed);
  let grew = true;
  while (grew) {
    grew = false;
    for (const n of flow.nodes) {
      if (!down.has(n.id) || silent.has(n.id)) continue;
      if (inputsOf(flow, n.id).every((c) => silent.has(c.from.node))) {
        silent.add(n.id);
        grew = true;
      }
    }
  }
  const must = new Set([...down].filter((id) => silent.has(id)));
  return { must, may: down };
}

/**
 * A flow whose stop node fails: the run fails, and only the guaranteed part is compared — the
 * failed node, its error, and the SKIPPED set within the bounds `skippedBounds` gives (every
 * node that could never receive anything SKIPPED; no SKIPPED node that stepped or that is not
 * downstream of the failure).
 */
function checkStop(entry: BatchEntry, seen: Observed, problems: Problem[]): void {
  const failed = entry.model.stopFailure as string;
  const stopFailed = [...seen.nodes].filter(
    ([id, n]) => n.status === "FAILED" && entry.flow.nodes.find((x) => x.id === id)?.onError === "stop",
  );
  if (stopFailed.length !== 1 || stopFailed[0]?.[0] !== failed)
    problems.push({
      category: "status",
      what: `failed nodes (onError stop): ${show(stopFailed.map(([id, n]) => `${id}: ${n.error?.message}`))}, expected [${failed}]`,
    });
  const n = seen.nodes.get(failed);
  if (n?.status === "FAILED") {
    checkError(failed, entry, n, problems);
    checkCounts(failed, entry, n, problems);
  }
  const { must, may } = skippedBounds(entry.flow, entry.model, failed);
  const skipped = [...seen.nodes].filter(([, x]) => x.status === "SKIPPED").map(([id]) => id);
  for (const id of must)
    if (!skipped.includes(id))
      problems.push({
        category: "skipped",
        what: `node ${id} is ${seen.nodes.get(id)?.status}, expected SKIPPED (downstream of ${failed}, which never sent anything)`,
      });
  for (const id of skipped) {
    if (!may.has(id)) problems.push({ category: "skipped", what: `node ${id} is SKIPPED, but it is not downstream of ${failed}` });
    const steps = seen.nodes.get(id)?.steps ?? 0;
    if (steps > 0) problems.push({ category: "skipped", what: `node ${id} is SKIPPED after ${steps} steps` });
  }
  // Beyond `must`, SKIPPED depends on how far a node got before the stop (docs/semantics.md,
  // "What is the same on every engine"): comparing it between modes would test the timing.
  for (const [id, x] of seen.nodes) {
    if (x.status !== "FAILED" || id === failed) continue;
    const m = entry.model.nodes.get(id);
    if (m?.status !== "FAILED")
      problems.push({ category: "status", what: `node ${id}: FAILED (${x.error?.message}), but it does not fail` });
    else checkError(id, entry, x, problems);
  }
  for (const [id, x] of seen.nodes) if (x.status === "SUCCEEDED") checkCounts(id, entry, x, problems);
  checkChannels(entry, seen, false, problems);
}

/** A flow with a cycle: how it ends is compared between modes; what it delivers with the model. */
function checkCycle(entry: BatchEntry, seen: Observed, first: Observed | undefined, ended: boolean, problems: Problem[]): void {
  // Once the run ended by itself with nothing failed, everything that entered the cycle went round.
  const quiet = ended && [...seen.nodes.values()].every((n) => n.status === "SUCCEEDED" || n.status === "STOPPED");
  for (const [id, n] of seen.nodes) {
    if (n.status === "SUCCEEDED") checkCounts(id, entry, n, problems);
    const was = first?.nodes.get(id)?.status;
    if (was !== undefined && was !== n.status)
      problems.push({ category: "status", what: `node ${id}: ${n.status}, the first mode: ${was}` });
  }
  if (first && canonical(first.deadlock) !== canonical(seen.deadlock))
    problems.push({ category: "deadlock", what: `deadlock report: ${show(seen.deadlock)}, the first mode: ${show(first.deadlock)}` });
  checkChannels(entry, seen, quiet, problems);
}

/** The run-level outcome every flow of a batch shares, as the first mode saw it. */
function runEnd(outcome: ModeOutcome): string {
  if (outcome.error) return `error: ${outcome.error}`;
  if (outcome.timedOut) return "did not end in time";
  return `${outcome.result?.status}/${outcome.result?.reason}`;
}

/** Everything each mode got wrong, per flow of the batch. */
export function compareBatch(entries: readonly BatchEntry[], outcomes: readonly ModeOutcome[]): Finding[] {
  const findings: Finding[] = [];
  const firstSeen = new Map<number, Observed>();
  const expectedEnd = (() => {
    const kinds = new Set(entries.map((e) => expectation(e.model)));
    if (kinds.has("stop")) return "failed/failure";
    if (kinds.has("cycle")) return undefined; // how a cycle ends is compared between modes
    return "succeeded/completed";
  })();
  outcomes.forEach((outcome, k) => {
    const end = runEnd(outcome);
    const reference = runEnd(outcomes[0] as ModeOutcome);
    const endOk = expectedEnd === undefined ? end === reference : end === expectedEnd;
    for (const entry of entries) {
      if (!outcome.result) {
        findings.push({ flow: entry.index, mode: outcome.mode, category: "bring-up", what: `the run ended ${end}` });
        continue;
      }
      const seen = observe(entry, outcome);
      if (k === 0) firstSeen.set(entry.index, seen);
      const problems: Problem[] = [];
      const mine = [...seen.nodes.values()].every((n) => n.status === "SUCCEEDED" || n.status === "FAILED");
      switch (expectation(entry.model)) {
        case "complete":
          // A run that ended early because of another flow of the batch leaves this one
          // unfinished: then only what it delivered so far is checked.
          if (endOk || mine) checkComplete(entry, seen, problems);
          else checkChannels(entry, seen, false, problems);
          break;
        case "stop":
          checkStop(entry, seen, problems);
          break;
        case "cycle":
          checkCycle(entry, seen, k === 0 ? undefined : firstSeen.get(entry.index), !outcome.timedOut, problems);
          break;
      }
      if (!endOk && (!mine || expectation(entry.model) !== "complete"))
        problems.unshift({
          category: outcome.error ? "bring-up" : "run",
          what: `the run ended ${end}, expected ${expectedEnd ?? `${reference} (as on the first mode)`}`,
        });
      for (const p of problems) findings.push({ flow: entry.index, mode: outcome.mode, ...p });
    }
  });
  return findings;
}

/** Findings as lines: each problem once, with the modes that show it. */
export function describeFindings(findings: readonly Finding[], limit = 40): string[] {
  const byWhat = new Map<string, string[]>();
  for (const f of findings) byWhat.set(f.what, [...(byWhat.get(f.what) ?? []), f.mode]);
  const lines = [...byWhat].map(([what, modes]) => `[${modes.join(", ")}] ${what}`);
  return lines.length > limit ? [...lines.slice(0, limit), `… and ${lines.length - limit} more`] : lines;
}
