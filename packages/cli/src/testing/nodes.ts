// Nodes flowc wires into a flow itself: feeders for inputs and taps for outputs (testFlow), and
// the stand-in for a node whose outputs `flowc replay` plays back from a recording.
import { node } from "@flowc/dsl";
import { RecordingReader } from "@flowc/runtime";
import { z } from "zod";

/** Sends the values it was given, in order, then ends. */
export const Feed = node("flowc.Feed", {
  params: { values: z.array(z.unknown()) },
  outputs: { value: z.unknown() },
  source: function* ({ params }) {
    for (const value of params.values) yield { value };
  },
});

/** Takes what reaches it; the run's records keep it. */
export const Tap = node("flowc.Tap", {
  inputs: { value: z.unknown() },
  step: () => undefined,
});

/**
 * Plays back what a node sent, from a `.flowrec` recording: `ports` maps each output port to
 * the recorded channel its messages are read from. On a rate clock (`hz`, the recorded node's
 * rate, and `speed` given; the clock runs at hz × speed) every message goes out at the tick
 * the recorded node sent it on — its send time rounded to the nearest of the node's ticks, so
 * a wall-clock engine's jitter does not move it — divided by `speed`: on a logical clock the
 * times are the recorded ones. On a free clock (`speed` null) each step sends the messages of
 * the next recorded send time, at most one per port, as fast as the consumers take them. The output ports are the IR node's (the node it
 * stands in for), not declared here. The stream ends after the last message.
 */
export const Replay = node("flowc.Replay", {
  params: {
    recording: z.string(),
    ports: z.record(z.string(), z.string()),
    hz: z.number().positive().nullable(),
    speed: z.number().positive().nullable(),
  },
  source: function* (ctx) {
    const portOf = new Map(Object.entries(ctx.params.ports).map(([port, channel]) => [channel, port]));
    const reader = RecordingReader.open(ctx.params.recording);
    const pending: { port: string; t: number; seq: number; value: unknown }[] = [];
    try {
      for (const m of reader.messages(new Set(portOf.keys())))
        pending.push({ port: portOf.get(m.channel) as string, t: m.t, seq: m.seq, value: m.value });
    } finally {
      reader.close();
    }
    // By send time; a channel's own messages keep their order (stable sort, then seq).
    pending.sort((a, b) => a.t - b.t || a.seq - b.seq);
    const { hz, speed } = ctx.params;
    const tickOf = (t: number) => (hz === null ? t : (Math.round((t * hz) / 1000) * 1000) / hz);
    // The ports are the IR node's, unknown to this definition's types.
    const emit = ctx.emit as unknown as (port: string, value: unknown) => void;
    let next = 0;
    while (next < pending.length) {
      if (speed !== null && hz !== null) {
        const due = ctx.now * speed;
        while (next < pending.length && tickOf(pending[next]?.t ?? 0) <= due + 1e-6 * Math.max(1, due)) {
          const m = pending[next++] as (typeof pending)[number];
          emit(m.port, m.value);
        }
        // The last messages end the stream with the step that sent them.
        if (next >= pending.length) return;
        yield {};
      } else {
        const t = pending[next]?.t;
        const out: Record<string, unknown> = {};
        while (next < pending.length && pending[next]?.t === t && !Object.hasOwn(out, pending[next]?.port ?? "")) {
          const m = pending[next++] as (typeof pending)[number];
          Object.defineProperty(out, m.port, { value: m.value, enumerable: true, writable: true, configurable: true });
        }
        yield out as Record<string, never>;
      }
    }
  },
});
