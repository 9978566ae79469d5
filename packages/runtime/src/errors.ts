import { createDiagnostic, type Diagnostic, type DiagnosticArgs, type DiagnosticName } from "@flowc/ir";
import type { NodeError, RuntimeEvent } from "./contract.js";

/**
 * The one error type flowc raises at run time: a catalogue diagnostic (code, message, hint)
 * and, when the error is about one node, that node's id. Engines and the CLI test what an
 * error is with `is(name)`, by catalogue name, never by comparing code strings.
 */
export class RuntimeError extends Error {
  readonly diagnostic: Diagnostic;
  /** Every diagnostic of the failure, the first error first (a compile error brings all its findings). */
  readonly diagnostics: readonly Diagnostic[];
  readonly nodeId: string | null;

  constructor(diagnostic: Diagnostic, options: { nodeId?: string | null; cause?: unknown; diagnostics?: readonly Diagnostic[] } = {}) {
    super(diagnostic.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = `RuntimeError ${diagnostic.code}`;
    this.diagnostic = diagnostic;
    this.diagnostics = options.diagnostics ?? [diagnostic];
    this.nodeId = options.nodeId ?? null;
  }

  /** The error for a list of diagnostics (the first error is the headline). */
  static from(diagnostics: readonly Diagnostic[]): RuntimeError {
    const first = diagnostics.find((d) => d.severity === "error") ?? diagnostics[0];
    if (!first) throw new Error("RuntimeError.from needs a diagnostic");
    return new RuntimeError(first, { diagnostics });
  }

  static of<N extends DiagnosticName>(
    name: N,
    args: DiagnosticArgs<N>,
    options: { nodeId?: string | null; cause?: unknown } = {},
  ): RuntimeError {
    return new RuntimeError(createDiagnostic(name, args), options);
  }

  get code(): string {
    return this.diagnostic.code;
  }

  is(name: DiagnosticName): boolean {
    return this.diagnostic.name === name;
  }

  /** The same error, about node `nodeId`. */
  forNode(nodeId: string): RuntimeError {
    return new RuntimeError(this.diagnostic, { nodeId, cause: this.cause });
  }
}

/** A thrown value as a NodeError: message, stack and node id; flowc's own errors keep their code. */
export function toNodeError(nodeId: string, error: unknown): NodeError {
  // flowc's own coded errors say what is wrong in their message; their stack is flowc's
  // internals, not the user's code.
  if (error instanceof RuntimeError) return { nodeId, message: error.message, stack: null, code: error.diagnostic.code };
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

/**
 * A node that could not be brought up (module load, params, state, setup) as FLC3043 naming
 * it. The node's own failure keeps its code in the detail (`FLC3012 Node 'x': param …`).
 */
export function bringUpError(runtime: string, failure: NodeError): RuntimeError {
  const detail = failure.code ? `${failure.code} ${failure.message}` : failure.message;
  return RuntimeError.of("BringUpFailed", { runtime, node: failure.nodeId, detail }, { nodeId: failure.nodeId });
}

/** A warning event from a catalogue entry. */
export function warningEvent<N extends DiagnosticName>(node: string | null, name: N, args: DiagnosticArgs<N>): RuntimeEvent {
  const d = createDiagnostic(name, args);
  return { type: "warning", node, code: d.code, message: d.message };
}
