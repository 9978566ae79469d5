// The demo flow: a counter ticking at 1 Hz, doubled, plus 10, printed.
// The sink prints "final value 12", then 14, 16, …
import { flow, node, rate } from "@flowc/dsl";
import { z } from "zod";

export const Counter = node("Counter", {
  outputs: { value: z.number() },
  state: () => ({ n: 0 }),
  step: (_inputs, { state }) => ({ value: ++state.n }),
});

export const Scale = node("Scale", {
  params: { factor: z.number() },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }, { params }) => (value === undefined ? undefined : { value: value * params.factor }),
});

export const Offset = node("Offset", {
  params: { offset: z.number() },
  inputs: { value: z.number() },
  outputs: { value: z.number() },
  step: ({ value }, { params }) => (value === undefined ? undefined : { value: value + params.offset }),
});

export const Print = node("Print", {
  params: { label: z.string() },
  inputs: { value: z.number() },
  step: ({ value }, { params, log }) => {
    if (value !== undefined) log.info(`${params.label} ${value}`);
  },
});

export default flow("demo", ({ add, connect }) => {
  const counter = add("counter", Counter, { clock: rate(1) });
  const double = add("double", Scale, { params: { factor: 2 } });
  const plus10 = add("plus10", Offset, { params: { offset: 10 } });
  const sink = add("sink", Print, { params: { label: "final value" } });
  connect(counter.out.value, double.in.value);
  connect(double.out.value, plus10.in.value, { capacity: 8, onFull: "block" });
  connect(plus10.out.value, sink.in.value);
});
