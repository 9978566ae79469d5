import { accessSync, constants, existsSync, lstatSync, readFileSync } from "node:fs";
import { createConnection, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { Diagnostic } from "@flowc/ir";
import { RuntimeError } from "@flowc/runtime";
import type { DaemonPaths } from "./daemon/paths.js";
import { type Envelope, PROTOCOL_VERSION, type Request, type Response, type StreamEvent } from "./daemon/protocol.js";

/** How long a daemon may take to answer, unless FLOWC_DAEMON_TIMEOUT_MS says otherwise. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** What a start adds: the daemon brings every node up before it answers. */
const BRING_UP_MS = 60_000;

/** The answer timeout an environment asks for (`FLOWC_DAEMON_TIMEOUT_MS`). */
export function daemonTimeout(env: Readonly<Record<string, string | undefined>>): number {
  const value = Number(env.FLOWC_DAEMON_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_TIMEOUT_MS;
}

type Pending = {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onEvent?: (event: StreamEvent) => void;
  onEnd?: (result: unknown) => void;
};

/**
 * Splits a byte stream into lines of JSON. A line longer than `maxLine()` characters (read
 * again for every chunk: it may change, e.g. once a peer authenticated) ends the connection
 * without being buffered further.
 */
export function jsonLines(
  socket: Duplex,
  onMessage: (message: unknown) => void,
  maxLine: () => number = () => Number.POSITIVE_INFINITY,
): void {
  let buffer = "";
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => {
    buffer += chunk;
    let at = buffer.indexOf("\n");
    while (at >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      if (line.length > maxLine()) {
        socket.destroy(new Error("the peer sent a line that is too long"));
        return;
      }
      if (line.trim() !== "") {
        let message: unknown;
        try {
          message = JSON.parse(line);
        } catch {
          socket.destroy(new Error("the peer sent a line that is not JSON"));
          return;
        }
        onMessage(message);
      }
      at = buffer.indexOf("\n");
    }
    if (buffer.length > maxLine()) {
      buffer = "";
      socket.destroy(new Error("the peer sent a line that is too long"));
    }
  });
}

/**
 * A connection to the running daemon. Before connecting it checks that the socket belongs to
 * this user (FLC3202) — the daemon in turn refuses clients that cannot read its owner token
 * (FLC3203), since Node.js cannot ask the kernel for a Unix socket peer's uid.
 */
export class DaemonClient {
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  readonly paths: DaemonPaths;
  /** How long the daemon may take to answer a request (plus what the request itself needs). */
  readonly timeoutMs: number;
  #nextId = 1;
  #closed = false;

  private constructor(socket: Socket, paths: DaemonPaths, timeoutMs: number) {
    this.#socket = socket;
    this.paths = paths;
    this.timeoutMs = timeoutMs;
    jsonLines(socket, (m) => this.#receive(m as Response));
    socket.on("close", () => {
      this.#closed = true;
      const error = RuntimeError.of("DaemonUnreachable", { socket: paths.socket, detail: "the connection closed" });
      for (const p of this.#pending.values()) {
        if (p.onEnd) p.onEnd(undefined);
        else p.reject(error);
      }
      this.#pending.clear();
    });
    socket.on("error", () => {});
  }

  /**
   * Connects and says hello; FLC3201 when no daemon runs, FLC3202/3203/3205 otherwise. Every
   * request then fails with FLC3205 when the daemon does not answer within `timeoutMs` (plus
   * what the request needs: a start's bring-up, a stop's grace period), so a paused or stuck
   * daemon never leaves a client waiting.
   */
  static async connect(paths: DaemonPaths, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<DaemonClient> {
    const client = await DaemonClient.connectIfRunning(paths, timeoutMs);
    if (!client) throw RuntimeError.of("DaemonNotRunning", { socket: paths.socket });
    return client;
  }

  /** Like `connect`, but undefined when no daemon runs (no socket, or a stale one nobody listens on). */
  static async connectIfRunning(paths: DaemonPaths, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<DaemonClient | undefined> {
    try {
      accessSync(paths.runtimeDir, constants.X_OK);
    } catch (error) {
      // A directory this user cannot enter hides the socket: say so rather than "not running".
      if ((error as NodeJS.ErrnoException).code === "EACCES")
        throw RuntimeError.of("DaemonRefused", { socket: paths.socket, detail: `permission denied on ${paths.runtimeDir}` });
      return undefined;
    }
    if (!existsSync(paths.socket)) return undefined;
    const owner = lstatSync(paths.socket).uid;
    const uid = process.getuid?.();
    if (uid !== undefined && owner !== uid)
      throw RuntimeError.of("DaemonSocketForeign", { socket: paths.socket, owner: String(owner), uid: String(uid) });
    const socket = await new Promise<Socket | undefined>((resolve, reject) => {
      const s = createConnection(paths.socket);
      const timer = setTimeout(() => {
        s.destroy();
        reject(RuntimeError.of("DaemonUnreachable", { socket: paths.socket, detail: `no connection within ${timeoutMs} ms` }));
      }, timeoutMs);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once("error", (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        // Nobody listens: a daemon that died without cleaning up.
        if (error.code === "ECONNREFUSED" || error.code === "ENOENT") resolve(undefined);
        else reject(RuntimeError.of("DaemonUnreachable", { socket: paths.socket, detail: error.message }));
      });
    });
    if (!socket) return undefined;
    const client = new DaemonClient(socket, paths, timeoutMs);
    let token: string;
    try {
      token = readFileSync(paths.token, "utf8").trim();
    } catch (error) {
      client.close();
      throw RuntimeError.of("DaemonRefused", { socket: paths.socket, detail: `cannot read the owner token: ${(error as Error).message}` });
    }
    await client.request({ op: "hello", token, version: PROTOCOL_VERSION }, timeoutMs);
    return client;
  }

  #receive(message: Response): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    if ("event" in message) pending.onEvent?.(message.event);
    else if ("end" in message) {
      this.#pending.delete(message.id);
      pending.onEnd?.(message.result);
    } else if (message.ok) {
      pending.resolve(message.result);
      if (!pending.onEnd) this.#pending.delete(message.id);
    } else {
      this.#pending.delete(message.id);
      pending.reject(new RuntimeError(message.error as Diagnostic, { nodeId: message.nodeId ?? null }));
    }
  }

  #send(request: Request, pending: Pending): number {
    const id = this.#nextId++;
    if (this.#closed) {
      pending.reject(RuntimeError.of("DaemonUnreachable", { socket: this.paths.socket, detail: "the connection is closed" }));
      return id;
    }
    this.#pending.set(id, pending);
    const envelope: Envelope = { ...request, id };
    this.#socket.write(`${JSON.stringify(envelope)}\n`);
    return id;
  }

  /** How long `request` may take to be answered. */
  #timeoutFor(request: Request): number {
    switch (request.op) {
      case "start":
        return this.timeoutMs + BRING_UP_MS;
      case "stop":
      case "shutdown":
        return this.timeoutMs + (request.force ? 0 : ((request.graceMs ?? 10_000) * 3) / 2) + 5000;
      default:
        return this.timeoutMs;
    }
  }

  /** One request, one response (FLC codes from the daemon arrive as RuntimeErrors); FLC3205 when it takes too long. */
  request<T = unknown>(request: Request, timeoutMs = this.#timeoutFor(request)): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(RuntimeError.of("DaemonUnreachable", { socket: this.paths.socket, detail: `it did not answer within ${timeoutMs} ms` }));
        this.close();
      }, timeoutMs);
      this.#send(request, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /**
   * A request that opens a stream: `response` resolves with the first answer, `onEvent` gets
   * every event, `ended` resolves when the daemon ends the stream (or the connection closes).
   */
  stream<T = unknown>(request: Request, onEvent: (event: StreamEvent) => void): { response: Promise<T>; ended: Promise<unknown> } {
    let end: (value: unknown) => void = () => {};
    const ended = new Promise<unknown>((resolve) => {
      end = resolve;
    });
    const timeoutMs = this.#timeoutFor(request);
    const response = new Promise<T>((resolve, reject) => {
      // The first answer is bounded like any request; the events after it are not.
      const timer = setTimeout(() => {
        reject(RuntimeError.of("DaemonUnreachable", { socket: this.paths.socket, detail: `it did not answer within ${timeoutMs} ms` }));
        end(undefined);
        this.close();
      }, timeoutMs);
      this.#send(request, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          end(undefined);
          reject(e);
        },
        onEvent,
        onEnd: end,
      });
    });
    return { response, ended };
  }

  close(): void {
    this.#closed = true;
    this.#socket.end();
    this.#socket.destroy();
  }
}
