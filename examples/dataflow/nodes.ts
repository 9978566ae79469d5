// Nodes of the hand-written Dora-style dataflow (dataflow.yml): plain @flowc/dsl node modules.
import { node } from "@flowc/dsl";
import { z } from "zod";

/** Counts its steps: in dataflow.yml a timer input makes it a rate source. */
export const Counter = node("Counter", {
  outputs: { count: z.number() },
  state: () => ({ n: 0 }),
  step: (_inputs, { state }) => ({ count: ++state.n }),
});

/** Squares what it receives. */
export const Square = node("Square", {
  inputs: { value: z.number() },
  outputs: { squared: z.number() },
  step: ({ value }) => (value === undefined ? undefined : { squared: value * value }),
});

/** Prints what it receives. */
export const Show = node("Show", {
  inputs: { squared: z.number() },
  step: ({ squared }, { log }) => {
    if (squared !== undefined) log.info(`squared ${squared}`);
  },
});
