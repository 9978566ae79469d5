// The demo flow spread over two machines: every hop crosses from `alpha` to `beta` or back.
// Run it on two daemons joined through NATS (docs/cluster.md):
//   flowc daemon start --machine-id alpha --nats nats://127.0.0.1:4222   (FLOWC_HOME=/tmp/alpha)
//   flowc daemon start --machine-id beta  --nats nats://127.0.0.1:4222   (FLOWC_HOME=/tmp/beta)
//   flowc start examples/cluster.flow.ts --name spread                   (to either daemon)
import { flow, rate } from "@flowc/dsl";
import { Counter, Offset, Print, Scale } from "./demo.flow.js";

export default flow("cluster", ({ add, connect }) => {
  const counter = add("counter", Counter, { clock: rate(1), placement: "alpha" });
  const double = add("double", Scale, { params: { factor: 2 }, placement: "beta" });
  const plus10 = add("plus10", Offset, { params: { offset: 10 }, placement: "alpha" });
  const sink = add("sink", Print, { params: { label: "final value" }, placement: "beta" });
  connect(counter.out.value, double.in.value);
  connect(double.out.value, plus10.in.value, { capacity: 8, onFull: "block" });
  connect(plus10.out.value, sink.in.value);
});
