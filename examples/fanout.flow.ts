// Fan-out and fan-in: one sensor feeds two gains; an average samples both through a window.
import { flow, rate, window } from "@flowc/dsl";
import { Average, Gain, Log, Ticker } from "./nodes.js";

export default flow("fanout", ({ add, connect }) => {
  const sensor = add("sensor", Ticker, { clock: rate(20) });
  const left = add("left", Gain, { params: { gain: 2 } });
  const right = add("right", Gain, { params: { gain: 0.5 } });
  const average = add("average", Average, { clock: rate(5), inputs: { values: window({ size: 8 }) } });
  const log = add("log", Log, { params: { label: "average" } });
  connect(sensor.out.value, left.in.value);
  connect(sensor.out.value, right.in.value);
  connect(left.out.value, average.in.values);
  connect(right.out.value, average.in.values);
  connect(average.out.mean, log.in.value);
});
