import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "@nats-io/transport-node";
import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/transport-node";
import { z } from "zod";

/**
 * How a daemon reaches its NATS cluster: `runtimes.dataflow.nats` in flowc.config.json (a URL,
 * or this object), `flowc daemon start --nats <url>`, or FLOWC_NATS_* variables. Secrets are
 * read from files or the environment, never from the command line, so they do not show in
 * `ps` or in logs.
 */
export const NatsSettings = z
  .object({
    url: z.string().min(1).describe("Server URL(s), comma-separated: nats://host:4222,nats://other:4222."),
    cluster: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/)
      .default("flowc")
      .describe("Namespace of subjects and buckets: several flowc clusters can share one NATS server."),
    replicas: z
      .number()
      .int()
      .min(1)
      .max(5)
      .default(1)
      .describe("Replicas of the cluster's JetStream buckets: 3 on a 3-server NATS cluster, so losing one server loses nothing."),
    user: z.string().optional(),
    passwordEnv: z.string().optional().describe("Name of the environment variable holding the password (default FLOWC_NATS_PASSWORD)."),
    tokenEnv: z.string().optional().describe("Name of the environment variable holding the token (default FLOWC_NATS_TOKEN)."),
    credsFile: z.string().optional().describe("A NATS .creds file (JWT and nkey seed)."),
    nkeySeedFile: z.string().optional().describe("A file holding an nkey seed (SU…)."),
    tls: z.object({ caFile: z.string().optional(), certFile: z.string().optional(), keyFile: z.string().optional() }).strict().optional(),
  })
  .strict();
export type NatsSettings = z.output<typeof NatsSettings>;

/** `runtimes.dataflow.nats`: a URL, or the whole settings object. */
export const NatsOption = z.union([z.string().min(1), NatsSettings]);

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The settings in force: the command line's URL wins over FLOWC_NATS_URL, which wins over the
 * config; undefined when none names a server (the daemon runs alone, as on one machine).
 */
export function natsSettings(config: z.input<typeof NatsOption> | undefined, env: Env, url?: string): NatsSettings | undefined {
  const base = typeof config === "string" ? { url: config } : (config ?? {});
  const chosen = url ?? env.FLOWC_NATS_URL ?? (base as { url?: string }).url;
  if (chosen === undefined) return undefined;
  return NatsSettings.parse({
    ...base,
    url: chosen,
    ...(env.FLOWC_CLUSTER ? { cluster: env.FLOWC_CLUSTER } : {}),
    ...(env.FLOWC_NATS_USER ? { user: env.FLOWC_NATS_USER } : {}),
    ...(env.FLOWC_NATS_CREDS ? { credsFile: env.FLOWC_NATS_CREDS } : {}),
    ...(env.FLOWC_NATS_NKEY ? { nkeySeedFile: env.FLOWC_NATS_NKEY } : {}),
  });
}

/** The settings as environment variables for a daemon process (secrets stay where they are). */
export function settingsEnv(settings: NatsSettings): Record<string, string> {
  return {
    FLOWC_NATS_SETTINGS: JSON.stringify(settings),
  };
}

/** The settings a daemon process was given by `settingsEnv`, if any. */
export function settingsFromEnv(env: Env): NatsSettings | undefined {
  const raw = env.FLOWC_NATS_SETTINGS;
  if (raw) return NatsSettings.parse(JSON.parse(raw));
  return natsSettings(undefined, env);
}

/** A URL fit for logs: user and password in it are replaced. */
export function redactUrl(url: string): string {
  return url
    .split(",")
    .map((u) => u.replace(/\/\/[^@/]*@/, "//***@"))
    .join(",");
}

/** Client options: servers, credentials and TLS; reconnecting forever (a server restart is survived). */
export function connectionOptions(settings: NatsSettings, env: Env, name: string): ConnectionOptions {
  const password = env[settings.passwordEnv ?? "FLOWC_NATS_PASSWORD"];
  const token = env[settings.tokenEnv ?? "FLOWC_NATS_TOKEN"];
  const authenticator = settings.credsFile
    ? credsAuthenticator(readFileSync(settings.credsFile))
    : settings.nkeySeedFile
      ? nkeyAuthenticator(new TextEncoder().encode(readFileSync(settings.nkeySeedFile, "utf8").trim()))
      : undefined;
  return {
    servers: settings.url.split(",").map((s) => s.trim()),
    name,
    reconnect: true,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 5_000,
    ...(settings.user ? { user: settings.user } : {}),
    ...(password ? { pass: password } : {}),
    ...(token ? { token } : {}),
    ...(authenticator ? { authenticator } : {}),
    ...(settings.tls ? { tls: Object.fromEntries(Object.entries(settings.tls).filter(([, v]) => v !== undefined)) } : {}),
  };
}

/** Heartbeat period and loss threshold from FLOWC_CLUSTER_HEARTBEAT_MS / FLOWC_CLUSTER_LOST_AFTER_MS (defaults otherwise). */
export function clusterTimings(env: Env): { heartbeatMs: number; lostAfterMs: number } | undefined {
  const heartbeatMs = Number(env.FLOWC_CLUSTER_HEARTBEAT_MS ?? 0);
  const lostAfterMs = Number(env.FLOWC_CLUSTER_LOST_AFTER_MS ?? 0);
  if (!(heartbeatMs > 0) && !(lostAfterMs > 0)) return undefined;
  const beat = heartbeatMs > 0 ? heartbeatMs : 500;
  return { heartbeatMs: beat, lostAfterMs: lostAfterMs > 0 ? Math.max(lostAfterMs, 2 * beat) : 5 * beat };
}
