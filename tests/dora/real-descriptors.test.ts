// Every dataflow descriptor of dora-rs/dora's examples and tests (tests/fixtures/dora, the 0.3
// and 1.0 dialects; README.md there says where each comes from) through `flowc validate` and
// `flowc graph --format mermaid`. These commands only look at a dataflow, so nodes flowc cannot
// run (Python, Rust binaries, operators) are warnings and the graph is still drawn; each file
// is accepted, or refused for its structure with coded diagnostics at lines of that YAML file —
// never a crash, an internal error, or a diagnostic that points nowhere.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { flowc, flowcProcess, root } from "../cli/helpers.js";

const fixtures = join(root, "tests/fixtures/dora");

function descriptors(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) descriptors(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(relative(root, path));
  }
  return out;
}

const files = descriptors(fixtures);
/** What became of each descriptor: accepted (with the codes of its warnings), or the codes of the errors that refused it. */
const outcomes = new Map<string, { accepted: boolean; codes: string[] }>();

interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

afterAll(() => {
  // The tally, for whoever reads the test log: how far real Dora descriptors get in flowc.
  const accepted = [...outcomes.values()].filter((o) => o.accepted).length;
  const count = (accepted: boolean) => {
    const byCode = new Map<string, number>();
    for (const o of outcomes.values())
      if (o.accepted === accepted) for (const code of o.codes) byCode.set(code, (byCode.get(code) ?? 0) + 1);
    return [...byCode]
      .sort()
      .map(([code, n]) => `${code} ${n}`)
      .join(", ");
  };
  const old = files.filter((f) => f.includes("/v0.3.9/")).length;
  console.log(
    `real Dora descriptors: ${files.length} (${files.length - old} of the 1.0 dialect, ${old} of 0.3); ` +
      `accepted by validate and drawn by graph ${accepted}, refused ${outcomes.size - accepted}; ` +
      `accepted descriptors with warnings, by code: ${count(true)}; descriptors refused, by code: ${count(false)}`,
  );
});

describe("real Dora descriptors", () => {
  it("the fixtures are there: both dialects, examples and tests", () => {
    expect(files.length).toBeGreaterThan(150);
    expect(files).toContain("tests/fixtures/dora/examples/rust-dataflow/dataflow.yml");
    expect(files).toContain("tests/fixtures/dora/v0.3.9/examples/rust-dataflow/dataflow.yml");
    expect(files.some((f) => f.startsWith("tests/fixtures/dora/tests/"))).toBe(true);
  });

  for (const file of files) {
    it(relative("tests/fixtures/dora", file), async () => {
      const validate = await flowc(["validate", file, "--json"]);
      expect([0, 1], validate.stderr).toContain(validate.code);
      expect(validate.stdout + validate.stderr).not.toMatch(/internal error/i);
      const doc = JSON.parse(validate.stdout) as { ok: boolean; diagnostics: JsonDiagnostic[] };
      const errors = doc.diagnostics.filter((d) => d.severity === "error");
      // Whatever is said, it is said with a code, about a line of this file.
      for (const d of doc.diagnostics) {
        expect(d.code, d.message).toMatch(/^FLC\d{4}$/);
        expect(d.file, d.message).toBe(file);
        expect(d.line, d.message).toBeGreaterThanOrEqual(1);
        expect(d.column, d.message).toBeGreaterThanOrEqual(1);
        expect(d.message).not.toContain("undefined");
      }
      expect(doc.ok).toBe(validate.code === 0);
      expect(errors.length > 0).toBe(validate.code === 1);

      const graph = await flowc(["graph", file, "--format", "mermaid"]);
      expect(graph.code).toBe(validate.code);
      expect(graph.stderr).not.toMatch(/internal error/i);
      const codes = (severity: string) => [...new Set(doc.diagnostics.filter((d) => d.severity === severity).map((d) => d.code))].sort();
      if (validate.code === 0) {
        expect(graph.stdout).toMatch(/^---\ntitle: /);
        // Every node is drawn, those flowc cannot run too.
        const nodes = [...graph.stdout.matchAll(/^ {2}n\d+\[/gm)].length;
        expect(nodes).toBeGreaterThan(0);
        // Their warnings come on stderr, the same as validate's.
        const warnings = graph.stderr.split("\n").filter((l) => / warning FLC\d{4}: /.test(l));
        expect(warnings.length).toBe(doc.diagnostics.length);
        outcomes.set(file, { accepted: true, codes: codes("warning") });
      } else {
        expect(graph.stdout).toBe("");
        // The same refusal, in text: every error line names this file, a line and a column.
        const lines = graph.stderr.split("\n").filter((l) => / error FLC\d{4}: /.test(l));
        expect(lines.length).toBe(errors.length);
        for (const line of lines) expect(line.startsWith(`${file}(`) && /^\S+\(\d+,\d+\): error FLC\d{4}: /.test(line), line).toBe(true);
        // What refuses a descriptor here is its structure, never a node flowc only cannot run.
        expect(errors.map((d) => d.code)).not.toContain("FLC3108");
        expect(errors.map((d) => d.code)).not.toContain("FLC3109");
        outcomes.set(file, { accepted: false, codes: codes("error") });
      }
    });
  }

  it("the built executable exits 0 or 1 on them, never 70", () => {
    // A sample across both dialects: the executable's own error handling, beyond main().
    const sample = files.filter((_, i) => i % 25 === 0);
    const r = flowcProcess(["validate", ...sample]);
    expect([0, 1]).toContain(r.code);
    expect(r.stderr).not.toMatch(/internal error/i);
    for (const file of sample) expect(r.stderr.includes(`${file}(`) || r.stdout.includes(`${file}: valid`)).toBe(true);
  });

  it("run refuses a real descriptor with Python nodes before anything starts, at their lines", async () => {
    const file = "tests/fixtures/dora/examples/python-dataflow/dataflow.yml";
    const text = readFileSync(join(root, file), "utf8").split("\n");
    const line = text.findIndex((l) => /^\s*path: \S+\.py\s*$/.test(l)) + 1;
    expect(line).toBeGreaterThan(0);
    const r = await flowc(["run", file, "--duration", "1"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${file.replace(/[.+]/g, "\\$&")}\\(${line},\\d+\\): error FLC3108: `, "m"));
    expect(r.stderr).not.toContain("flowc: running");
    expect(r.stdout).toBe("");
  });
});
