// A finite batch flow: the source's generator ends, the stream closes, every node finishes.
import { events, flow } from "@flowc/dsl";
import { Documents, Total, WordCount } from "./nodes.js";

export default flow("batch", ({ add, connect }) => {
  const docs = add("docs", Documents, { params: { count: 100 } });
  const count = add("count", WordCount, { parallelism: 2 });
  const total = add("total", Total, { inputs: { words: events() } });
  connect(docs.out.doc, count.in.doc, { capacity: 16, onFull: "block" });
  connect(count.out.words, total.in.words, { onFull: "block" });
});
