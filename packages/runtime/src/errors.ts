import { createDiagnostic, type Diagnostic, type DiagnosticArgs, type DiagnosticName } from "@flowc/ir";
import type { NodeError, RuntimeEvent } from "./contract.js";

/** An error flowc raises at run time: it carries its catalogue diagnostic (code, message, hint). */
export class RuntimeError extends Error {
  readonly diagnostic: Diagnostic;

  constructor(diagnostic: Diagnostic, options?: ErrorOptions) {
    super(diagnostic.message, options);
    this.name = `RuntimeError ${diagnostic.code}`;
    this.diagnostic = diagnostic;
  }

  static of<N extends DiagnosticName>(name: N, args: DiagnosticArgs<N>, options?: ErrorOptions): RuntimeError {
    return new RuntimeError(createDiagnostic(name, args), options);
  }
}

/** Diagnostics raised before anything ran (unknown runtime, unsupported IR, bad options). */
export class RuntimeSetupError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map((d) => `${d.code}: ${d.message}`).join("\n"));
    this.name = "RuntimeSetupError";
    this.diagnostics = diagnostics;
  }
}

/** A thrown value as a NodeError: message, stack and node id; flowc's own errors keep their code. */
export function toNodeError(nodeId: string, error: unknown): NodeError {
  if (error instanceof RuntimeError) {
    return { nodeId, message: error.message, stack: error.stack ?? null, code: error.diagnostic.code };
  }
  if (error instanceof Error) return { nodeId, message: error.message, stack: error.stack ?? null, code: null };
  return { nodeId, message: `non-error value thrown: ${safeString(error)}`, stack: null, code: null };
}

function safeString(value: unknown): string {
  try {
    return typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  } catch {
    return String(value);
  }
}

/** A bring-up failure (spawn, module load, params, setup) as FLC3043, naming the node (`error.nodeId`). */
export function bringUpError(runtime: string, error: unknown): RuntimeError {
  const nodeId = (error as { nodeId?: string }).nodeId ?? "?";
  const inner =
    error instanceof RuntimeError ? `${error.diagnostic.code} ${error.message}` : error instanceof Error ? error.message : String(error);
  return RuntimeError.of("BringUpFailed", { runtime, node: nodeId, detail: inner }, { cause: error });
}

/** A warning event from a catalogue entry. */
export function warningEvent<N extends DiagnosticName>(node: string | null, name: N, args: DiagnosticArgs<N>): RuntimeEvent {
  const d = createDiagnostic(name, args);
  return { type: "warning", node, code: d.code, message: d.message };
}
