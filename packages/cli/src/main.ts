import { createDiagnostic } from "@flowc/ir";
import { Command, CommanderError, Option } from "commander";
import { buildCommand, checkCommand } from "./commands/build.js";
import { daemonCommand, listCommand, logsCommand, startCommand, stopCommand } from "./commands/dataflow.js";
import { graphCommand } from "./commands/graph.js";
import { initCommand } from "./commands/init.js";
import { inspectCommand } from "./commands/inspect.js";
import { type ReplayOptions, replayCommand } from "./commands/replay.js";
import { type RunOptions, runCommand } from "./commands/run.js";
import { runtimesCommand } from "./commands/runtimes.js";
import { schemaCommand } from "./commands/schema.js";
import { type TopOptions, topCommand } from "./commands/top.js";
import { validateCommand } from "./commands/validate.js";
import { type CliIo, ExitCode } from "./io.js";
import { report } from "./report.js";
import { FLOWC_VERSION } from "./version.js";

/**
 * Runs one flowc invocation and returns its exit code. Never calls process.exit and never
 * throws for bad input: usage errors become FLC4001 diagnostics (exit 2).
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  const program = new Command("flowc")
    .description("flowc — compile typed dataflow graphs written in TypeScript to a portable IR, and run them on any runtime.")
    .version(FLOWC_VERSION, "-v, --version", "print the flowc version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text),
      writeErr: () => {}, // errors are reported as diagnostics below
    });

  program
    .command("build")
    .description("compile a flow file to IR v1 and bundle its node modules")
    .argument("<entry>", "a flow file (.ts) or a Dora-dialect descriptor (.yml)")
    .option("-o, --out <dir>", "output directory (default .flowc-out)")
    .option("--print-ir", "print the canonical IR JSON on stdout (writes files only with -o)")
    .addOption(new Option("--format <format>", "IR file format: json or msgpack").default("json"))
    .addOption(new Option("--target <target>", "what to build: ir, or dataflow (also a Dora-dialect descriptor)").default("ir"))
    .option("--flow <name>", "the flow to build when the file exports several")
    .option("--no-typecheck", "skip TypeScript's own type errors (the flow checks still run)")
    .option("--json", "print {ok, name, files, diagnostics} as JSON on stdout")
    .action(
      async (
        entry: string,
        options: { target?: string; out?: string; printIr?: boolean; format?: string; json?: boolean; flow?: string; typecheck?: boolean },
      ) => {
        exitCode = await buildCommand(io, entry, options);
      },
    );

  program
    .command("check")
    .description("type-check and validate a flow file or a Dora-dialect descriptor without writing anything")
    .argument("<entry>", "a flow file (.ts) or a Dora-dialect descriptor (.yml)")
    .option("--flow <name>", "the flow to check when the file exports several")
    .option("--no-typecheck", "skip TypeScript's own type errors (the flow checks still run)")
    .option("--json", "print {ok, diagnostics} as JSON on stdout")
    .action((entry: string, options: { json?: boolean; flow?: string; typecheck?: boolean }) => {
      exitCode = checkCommand(io, entry, options);
    });

  program
    .command("inspect")
    .description("summarize an IR file or a Dora-dialect descriptor: nodes, channels, order, cycles, partitions")
    .argument("<file>", "an .ir.json or .ir.msgpack file, or a Dora-dialect .yml descriptor")
    .option("--json", "print {name, irVersion, hash, nodes, channels, sources, sinks, order, cycles, partitions}")
    .action((file: string, options: { json?: boolean }) => {
      exitCode = inspectCommand(io, file, options);
    });

  program
    .command("validate")
    .description("check IR files and Dora-dialect descriptors; exit 1 with coded diagnostics when one is invalid")
    .argument("<files...>", ".ir.json or .ir.msgpack files, or Dora-dialect .yml descriptors")
    .option("--json", "print {ok, diagnostics} as JSON on stdout (with several files, also files: [{file, ok, name, diagnostics}])")
    .action((files: string[], options: { json?: boolean }) => {
      exitCode = validateCommand(io, files, options);
    });

  program
    .command("graph")
    .description("draw the flow: Mermaid or Graphviz DOT text, or a self-contained HTML page")
    .argument("<file>", "a flow file (.ts), an .ir.json or .ir.msgpack file, or a Dora-dialect .yml descriptor")
    .addOption(new Option("--format <format>", "mermaid, dot or html").default("mermaid"))
    .option("-o, --out <file>", "write to this file instead of stdout")
    .action(async (file: string, options: { format?: string; out?: string }) => {
      exitCode = await graphCommand(io, file, options);
    });

  program
    .command("run")
    .description("run a flow on a runtime (flag > FLOWC_RUNTIME > flowc.config.json > mp)")
    .argument("<entry>", "a flow file (.ts), an .ir.json or .ir.msgpack file, or a Dora-dialect .yml descriptor")
    .option("--runtime <name>", "the runtime to use (see `flowc runtimes`)")
    .option("--duration <seconds>", "stop after this many seconds (logical seconds on mp inline)")
    .option("--config <file>", "the flowc.config.json to use instead of the discovered one")
    .option(
      "--record <file>",
      "record every delivered message: <file>.flowrec (whole values, replayable) or JSON lines {channel, seq, t, value}",
    )
    .option("--report <file>", "after the run, write a report: <file>.html (graph, tables, plots over time) or <file>.json (the same data)")
    .option("--print-ir", "print the canonical IR JSON on stdout before running")
    .option("--flow <name>", "the flow to run when the file exports several")
    .option("--no-typecheck", "skip TypeScript's own type errors (the flow checks still run)")
    .option("--json", "print the RunResult as JSON, as the last line on stdout")
    .action(async (entry: string, options: RunOptions) => {
      exitCode = await runCommand(io, entry, options);
    });

  program
    .command("replay")
    .description("run a recorded flow again, the replaced nodes' outputs played back from the recording")
    .argument("<recording>", "a .flowrec file (flowc run --record <file>.flowrec)")
    .option("--replace <node...>", "nodes whose outputs come from the recording (default: every source)")
    .option("--speed <x>", "playback speed: 1 as recorded, 2 twice as fast, 0 as fast as the consumers take them", "1")
    .option("--flow <entry>", "replay against this flow file (a newer build) instead of the recorded flow")
    .option("--runtime <name>", "the runtime to use (see `flowc runtimes`)")
    .option("--duration <seconds>", "stop after this many seconds")
    .option("--config <file>", "the flowc.config.json to use instead of the discovered one")
    .option("--record <file>", "record the replay (.flowrec or JSON lines)")
    .option("--report <file>", "after the replay, write a run report (.html or .json)")
    .option("--no-typecheck", "with --flow: skip TypeScript's own type errors")
    .option("--json", "print the RunResult as JSON, as the last line on stdout")
    .action(async (recording: string, options: ReplayOptions) => {
      exitCode = await replayCommand(io, recording, options);
    });

  program
    .command("daemon")
    .description("start, stop or check the flowc daemon that owns dataflows (the dataflow runtime)")
    .argument("<action>", "start, stop or status")
    .option("--machine-id <id>", "start: this daemon's machine id (default FLOWC_MACHINE_ID or the host name)")
    .option("--metrics <host:port>", "start: serve Prometheus/OpenMetrics text at http://<host:port>/metrics (e.g. 127.0.0.1:9464)")
    .option(
      "--nats <url>",
      "start: join the daemons of other machines through this NATS server (default runtimes.dataflow.nats, FLOWC_NATS_URL; docs/cluster.md)",
    )
    .option("--config <path>", "start: the flowc.config.json to read runtimes.dataflow.nats from")
    .option("--grace <seconds>", "stop: grace period for the running dataflows' nodes")
    .option("--force", "stop: kill the running dataflows' nodes at once")
    .option("--json", "print the daemon status as JSON")
    .action(
      async (
        action: string,
        options: { machineId?: string; metrics?: string; nats?: string; config?: string; grace?: string; force?: boolean; json?: boolean },
      ) => {
        exitCode = await daemonCommand(io, action, options);
      },
    );

  program
    .command("start")
    .description("start a dataflow on the running daemon and print its id")
    .argument("<entry>", "a flow file (.ts), an .ir.json/.ir.msgpack file, or a Dora-dialect .yml descriptor")
    .option("--name <name>", "a name to refer to the dataflow by (unique among running dataflows)")
    .option("--attach", "stay attached: print its lifecycle and logs until it ends (Ctrl-C stops it)")
    .option("--duration <seconds>", "stop the dataflow after this many seconds")
    .option("--config <file>", "the flowc.config.json to use instead of the discovered one")
    .option("--flow <name>", "the flow to start when the file exports several")
    .option("--no-typecheck", "skip TypeScript's own type errors (the flow checks still run)")
    .option("--json", "print the dataflow summary as JSON")
    .action(
      async (
        entry: string,
        options: {
          name?: string;
          attach?: boolean;
          duration?: string;
          config?: string;
          flow?: string;
          typecheck?: boolean;
          json?: boolean;
        },
      ) => {
        exitCode = await startCommand(io, entry, options);
      },
    );

  program
    .command("list")
    .description("list the daemon's dataflows: id, name, status, node processes")
    .option("--json", "print the list as JSON")
    .action(async (options: { json?: boolean }) => {
      exitCode = await listCommand(io, options);
    });

  program
    .command("logs")
    .description("print a dataflow's node logs (all nodes, or one)")
    .argument("<dataflow>", "id, id prefix or name")
    .argument("[node]", "a node id")
    .option("-f, --follow", "keep printing new lines until the dataflow ends")
    .action(async (dataflow: string, node: string | undefined, options: { follow?: boolean }) => {
      exitCode = await logsCommand(io, dataflow, node, options);
    });

  program
    .command("stop")
    .description("stop a dataflow: Stop event, grace period, SIGTERM, SIGKILL")
    .argument("<dataflow>", "id, id prefix or name")
    .option("--grace <seconds>", "grace period before SIGTERM (default 10, or runtimes.dataflow.graceMs)")
    .option("--force", "kill the node processes at once")
    .option("--json", "print the dataflow summary as JSON")
    .action(async (dataflow: string, options: { grace?: string; force?: boolean; json?: boolean }) => {
      exitCode = await stopCommand(io, dataflow, options);
    });

  program
    .command("top")
    .description("a live view of the daemon's running dataflows: per node rates, queues, drops, CPU, memory, step times")
    .argument("[dataflow]", "id, id prefix or name (default: every running dataflow)")
    .option("--interval <ms>", "refresh every <ms> milliseconds (100 or more; default 1000)")
    .option("--once", "print one block of plain lines (after one interval, so rates exist) and exit")
    .option("-n, --iterations <n>", "exit after <n> refreshes")
    .option("--json", "print each refresh as a JSON line {dataflows: [{id, name, flow, status, uptimeMs, ended, nodes}]}")
    .action(async (dataflow: string | undefined, options: TopOptions) => {
      exitCode = await topCommand(io, dataflow, options);
    });

  program
    .command("runtimes")
    .description("list the runtimes flowc can run flows on, with their modes and options")
    .option("--config <file>", "the flowc.config.json to use instead of the discovered one")
    .option("--json", "print {default, runtimes: [{name, description, modes, optionsSchema}]} as JSON")
    .action(async (options: { json?: boolean; config?: string }) => {
      exitCode = await runtimesCommand(io, options);
    });

  program
    .command("schema")
    .description("print a JSON Schema: ir (the IR v1 document) or config (flowc.config.json)")
    .argument("[name]", "ir or config", "ir")
    .action((name: string) => {
      exitCode = schemaCommand(io, name);
    });

  program
    .command("init")
    .description("create a flow project: package.json, tsconfig.json, flowc.config.json, a flow, its nodes and a test")
    .argument("[dir]", "the project directory, created when missing", ".")
    .option("--name <name>", "the package name (default: the directory's name)")
    .option("--json", "print {ok, dir, created, updated, diagnostics} as JSON on stdout")
    .action((dir: string, options: { name?: string; json?: boolean }) => {
      exitCode = initCommand(io, dir, options);
    });

  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeOut: (text) => io.stdout(text), writeErr: () => {} });
    command.showSuggestionAfterError(true);
  }

  if (argv.length === 0) {
    io.stdout(program.helpInformation());
    return ExitCode.Ok;
  }
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help")
        return ExitCode.Ok;
      const detail = error.message.replace(/^error: /, "").replace(/\n+$/, "");
      return report(io, [createDiagnostic("UsageError", { detail: capitalize(detail) })]);
    }
    throw error;
  }
  return exitCode;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
