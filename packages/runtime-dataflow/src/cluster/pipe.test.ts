import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { setTimeout as delay } from "node:timers/promises";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killAllNatsServers, type NatsServerHandle, skipNatsTests, startNatsServer } from "../../../../tests/helpers/nats-server.js";
import { dialPipe, listenPipes, type NatsPipe, type PipeOptions } from "./pipe.js";

const MiB = 1024 * 1024;
const connections: NatsConnection[] = [];
let server: NatsServerHandle;

beforeAll(async () => {
  if (skipNatsTests) return;
  server = await startNatsServer({ jetstream: false });
});

afterAll(async () => {
  await Promise.all(connections.map((nc) => nc.close().catch(() => {})));
  await server?.cleanup();
  await killAllNatsServers();
});

async function client(url = server.url): Promise<NatsConnection> {
  const nc = await connect({ servers: url, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  connections.push(nc);
  return nc;
}

let addresses = 0;

/** A pipe between two separate connections: `a` dialed, `b` accepted. */
async function pair(
  options: PipeOptions = {},
  url = server.url,
): Promise<{ a: NatsPipe; b: NatsPipe; ncA: NatsConnection; ncB: NatsConnection }> {
  const [ncA, ncB] = await Promise.all([client(url), client(url)]);
  const address = `flowc.test.pipe.${process.pid}.${addresses++}`;
  let accepted: (pipe: NatsPipe) => void = () => {};
  const b = new Promise<NatsPipe>((resolve) => (accepted = resolve));
  const listener = listenPipes(
    ncB,
    address,
    (pipe, meta) => {
      expect(meta).toEqual({ hello: address });
      accepted(pipe);
    },
    options,
  );
  await ncB.flush(); // the listener's subscription must reach the server before the dial does
  const a = await dialPipe(ncA, address, { hello: address }, options);
  const result = { a, b: await b, ncA, ncB };
  listener.close();
  return result;
}

/**
 * Reads a pipe to its end: byte count and sha256, optionally pausing after each chunk. Events, not
 * `for await`: an async iterator destroys the whole duplex when the readable side ends.
 */
function drain(pipe: NatsPipe, onChunk?: (received: number) => Promise<void> | void): Promise<{ bytes: number; sha: string }> {
  const hash = createHash("sha256");
  let bytes = 0;
  return new Promise((resolve, reject) => {
    pipe.on("error", reject);
    pipe.on("end", () => resolve({ bytes, sha: hash.digest("hex") }));
    pipe.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      const pending = onChunk?.(bytes);
      if (!pending) return;
      pipe.pause();
      pending.then(() => pipe.resume(), reject);
    });
  });
}

/** Writes `chunks` honouring backpressure, then ends; returns their sha256. */
async function feed(pipe: NatsPipe, chunks: Iterable<Buffer>): Promise<string> {
  const hash = createHash("sha256");
  for (const chunk of chunks) {
    hash.update(chunk);
    if (!pipe.write(chunk)) await once(pipe, "drain");
  }
  pipe.end();
  await once(pipe, "finish");
  return hash.digest("hex");
}

function* randomChunks(count: number, maxSize: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) yield randomBytes(Math.floor(Math.random() * maxSize));
}

const closed = (pipe: NatsPipe): Promise<unknown> => (pipe.closed ? Promise.resolve() : once(pipe, "close"));

const sha = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

describe.skipIf(skipNatsTests)("NatsPipe", () => {
  it("carries many writes of random sizes both ways, in order and intact", async () => {
    const { a, b } = await pair();
    const [sentAB, sentBA, gotAB, gotBA] = await Promise.all([
      feed(a, randomChunks(1500, 40_000)),
      feed(b, randomChunks(1500, 40_000)),
      drain(b),
      drain(a),
    ]);
    expect(gotAB.sha).toBe(sentAB);
    expect(gotBA.sha).toBe(sentBA);
    expect(b.bytesReceived).toBe(a.bytesSent);
    expect(a.bytesReceived).toBe(b.bytesSent);
    await Promise.all([closed(a), closed(b)]);
  });

  it("moves a 64 MB write intact through the default 1 MB max_payload", async () => {
    const { a, b } = await pair();
    const payload = randomBytes(64 * MiB);
    const started = performance.now();
    const received = drain(b);
    a.end(payload);
    const got = await received;
    const seconds = (performance.now() - started) / 1000;
    console.log(`64 MiB through NatsPipe in ${seconds.toFixed(2)} s: ${(64 / seconds).toFixed(0)} MiB/s`);
    expect(got.bytes).toBe(payload.length);
    expect(got.sha).toBe(sha(payload));
    b.end();
    await drain(a);
  });

  it("holds a writer to the window while the reader does not read, then drains", async () => {
    const windowBytes = 1 * MiB;
    const { a, b } = await pair({ windowBytes });
    const payload = randomBytes(6 * MiB);
    let written = false;
    const accepted = a.write(payload, () => {
      written = true;
    });
    expect(accepted).toBe(false);
    await delay(700);
    expect(written).toBe(false);
    expect(a.bytesSent - a.bytesAcked).toBeLessThanOrEqual(windowBytes);
    expect(a.bytesSent).toBeLessThan(payload.length);
    a.end();
    const got = await drain(b);
    expect(written).toBe(true);
    expect(got.sha).toBe(sha(payload));
    b.end();
    await drain(a);
  });

  for (const how of ["restart", "kill"] as const) {
    it(`loses and duplicates nothing across a server ${how} mid-stream`, async () => {
      const own = await startNatsServer({ jetstream: false });
      try {
        const { a, b } = await pair({}, own.url);
        const payload = randomBytes(20 * MiB);
        let restarted: Promise<void> | undefined;
        let sentAtRestart = 0;
        const writing = feed(
          a,
          (function* () {
            for (let at = 0; at < payload.length; at += 256 * 1024) yield payload.subarray(at, at + 256 * 1024);
          })(),
        );
        const got = await drain(b, async (bytes) => {
          if (!restarted && bytes > 5 * MiB) {
            // The window keeps most of the stream unsent, so it has to cross the outage.
            sentAtRestart = a.bytesSent;
            restarted = how === "restart" ? own.restart() : own.kill().then(() => own.restart());
          }
          if (how === "restart") await delay(2); // a slow-ish reader; the kill case reads flat out to keep data in flight
        });
        await restarted;
        await writing;
        expect(sentAtRestart).toBeLessThan(payload.length);
        expect(got.bytes).toBe(payload.length);
        expect(got.sha).toBe(sha(payload));
        console.log(`${how} mid-stream: ${a.retransmittedBytes} bytes retransmitted`);
        b.end();
        await drain(a);
      } finally {
        await own.cleanup();
      }
    });
  }

  it("drops bytes it already has, and asks again for bytes after a gap", async () => {
    // A hand-made peer speaking the wire format: type byte, then little-endian float64 offsets.
    const [ncA, ncB] = await Promise.all([client(), client()]);
    const address = `flowc.test.pipe.${process.pid}.raw`;
    let accepted: (pipe: NatsPipe) => void = () => {};
    const b = new Promise<NatsPipe>((resolve) => (accepted = resolve));
    const listener = listenPipes(ncB, address, (pipe) => accepted(pipe));
    await ncB.flush();
    const nacks: number[] = [];
    ncA.subscribe(`${address}.raw.d`, {
      callback: (_err, msg) => {
        if (msg.data[0] === 6) nacks.push(Buffer.from(msg.data).readDoubleLE(1));
      },
    });
    await ncA.request(address, JSON.stringify({ sid: "raw", meta: null }));
    listener.close();
    const pipe = await b;
    const frame = (type: number, offset: number, text = ""): Buffer => {
      const head = Buffer.alloc(9);
      head[0] = type;
      head.writeDoubleLE(offset, 1);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    const got = drain(pipe);
    for (const msg of [frame(1, 0, "hello"), frame(1, 3, "lo wor"), frame(1, 20, "late"), frame(1, 9, "ld"), frame(3, 11)])
      ncA.publish(`${address}.raw.l`, msg);
    expect((await got).sha).toBe(sha(Buffer.from("hello world")));
    await ncB.flush(); // the NACK went out before these flushes' PINGs, so it has reached ncA after them
    await ncA.flush();
    expect(nacks).toContain(9);
    expect(pipe.bytesReceived).toBe(11);
    pipe.destroy();
  });

  it("ends and closes both ways", async () => {
    const { a, b } = await pair();
    const closed = Promise.all([once(a, "close"), once(b, "close")]);
    a.end("ping");
    b.end("pong");
    const [atB, atA] = await Promise.all([drain(b), drain(a)]);
    await closed;
    expect(atB.sha).toBe(sha(Buffer.from("ping")));
    expect(atA.sha).toBe(sha(Buffer.from("pong")));
    expect(a.destroyed && b.destroyed).toBe(true);
  });

  it("resets the peer on destroy", async () => {
    const { a, b } = await pair();
    const failed = once(b, "error");
    a.destroy();
    const [err] = await failed;
    expect(String(err)).toMatch(/reset by peer/);
  });

  it("fails a pipe whose peer vanished without ending it", async () => {
    const { a, b, ncB } = await pair({ deadAfterMs: 1500, heartbeatMs: 250, retransmitMs: 250 });
    b.on("error", () => {}); // its own connection is gone; whatever it says is not the point
    const failed = once(a, "error");
    a.write("anyone there?");
    await ncB.close();
    const [err] = await failed;
    expect(String(err)).toMatch(/peer went silent for \d+(\.\d)? s/);
  });

  it("rejects a dial nobody answers, naming the address", async () => {
    const nc = await client();
    await expect(dialPipe(nc, "flowc.test.nobody", null, { requestTimeoutMs: 1000 })).rejects.toThrow(/flowc\.test\.nobody/);
  });
});
