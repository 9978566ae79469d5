import { createDiagnostic, type DiagnosticArgs, type DiagnosticName } from "@flowc/ir";
import { type NodeHost, RuntimeError, type RuntimeEvent } from "@flowc/runtime";

/** A bring-up failure (spawn, module load, params, setup) as FLC3043, naming the node. */
export function bringUpError(runtime: string, error: unknown): RuntimeError {
  const nodeId = (error as { nodeId?: string }).nodeId ?? "?";
  const inner =
    error instanceof RuntimeError ? `${error.diagnostic.code} ${error.message}` : error instanceof Error ? error.message : String(error);
  return RuntimeError.of("BringUpFailed", { runtime, node: nodeId, detail: inner }, { cause: error });
}

/** A warning event from a catalogue entry. */
export function warning<N extends DiagnosticName>(node: string | null, name: N, args: DiagnosticArgs<N>): RuntimeEvent {
  const d = createDiagnostic(name, args);
  return { type: "warning", node, code: d.code, message: d.message };
}

/** What each unfinished node waits for, for the deadlock report. */
export function describeStuck(hosts: readonly NodeHost[]): string {
  const waiting = hosts
    .filter((h) => !h.ended)
    .map((h) => `'${h.id}' ${h.hasOutbox() ? "waits for room on a full block channel" : "waits for input"}`);
  return waiting.join(", ");
}

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
