import type { Duplex } from "node:stream";
import { FrameReader, frame } from "@flowc/runtime";
import { Packr } from "msgpackr";

/** Structured values (records carry byte arrays, events carry nested objects) as MessagePack. */
const packr = new Packr({ useRecords: false, structuredClone: true });

/**
 * Messages over a pipe between two daemons: length-prefixed MessagePack frames. The pipe is
 * ordered and reliable (pipe.ts), so a message is never lost, duplicated or reordered while
 * both daemons live.
 */
export class MessageLink<In, Out> {
  readonly #pipe: Duplex;
  readonly #reader = new FrameReader();

  constructor(pipe: Duplex, onMessage: (message: In) => void) {
    this.#pipe = pipe;
    pipe.on("data", (chunk: Buffer) => this.#reader.push(chunk, (body) => onMessage(packr.unpack(body) as In)));
  }

  send(message: Out): void {
    if (!this.#pipe.destroyed && !this.#pipe.writableEnded) this.#pipe.write(frame(packr.pack(message)));
  }

  end(): void {
    if (!this.#pipe.destroyed && !this.#pipe.writableEnded) this.#pipe.end();
  }

  destroy(): void {
    this.#pipe.destroy();
  }
}
