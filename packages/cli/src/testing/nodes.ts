// Node definitions the test helper wires into a flow: feeders for inputs, taps for outputs.
import { node } from "@flowc/dsl";
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
