// Entry of every child-process executor (mp's process isolation, dataflow node processes).
import { runChildExecutor } from "./child.js";

await runChildExecutor();
