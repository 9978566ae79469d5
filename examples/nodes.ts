// Node definitions shared by the examples.
import { many, node } from "@flowc/dsl";
import { z } from "zod";

export const Ticker = node("Ticker", {
  outputs: { value: z.number() },
  state: () => ({ n: 0 }),
  step: (_inputs, { state }) => ({ value: ++state.n }),
});

export const Gain = node("Gain", {
  params: { gain: z.number() },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }, { params }) => (value === undefined ? undefined : { value: value * params.gain }),
});

export const Average = node("Average", {
  inputs: { values: many(z.number()) },
  outputs: { mean: z.number() },
  step: ({ values }) => (values?.length ? { mean: values.reduce((a, b) => a + b, 0) / values.length } : undefined),
});

export const Log = node("Log", {
  params: { label: z.string() },
  inputs: { value: z.number() },
  step: ({ value }, { params, log }) => {
    if (value !== undefined) log.info(`${params.label} ${value}`);
  },
});

/** A finite source: yields `count` documents, then the stream ends. */
export const Documents = node("Documents", {
  params: { count: z.number().int() },
  outputs: { doc: z.object({ id: z.number().int(), text: z.string() }) },
  source: async function* ({ params }) {
    for (let id = 0; id < params.count; id++) yield { doc: { id, text: `document ${id}` } };
  },
});

export const WordCount = node("WordCount", {
  inputs: { doc: z.object({ id: z.number().int(), text: z.string() }) },
  outputs: { words: z.number().int() },
  step: ({ doc }) => (doc ? { words: doc.text.split(/\s+/).length } : undefined),
});

export const Total = node("Total", {
  inputs: { words: many(z.number().int()) },
  state: () => ({ total: 0 }),
  step: ({ words }, { state, log }) => {
    for (const w of words ?? []) state.total += w;
    log.info(`total words ${state.total}`);
  },
});
