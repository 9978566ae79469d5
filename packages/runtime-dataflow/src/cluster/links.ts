import type { RemoteLinks } from "@flowc/runtime";
import { connect } from "@nats-io/transport-node";
import { dialPipe, listenPipes } from "./pipe.js";
import { connectionOptions, type NatsSettings } from "./settings.js";

/** What a node process needs to reach the node processes of its dataflow on other machines. */
export interface LinkOptions {
  readonly settings: NatsSettings;
  /** The password or token, when the settings name one (handed over in the init message, never in the environment). */
  readonly secrets: Readonly<Record<string, string>>;
  readonly dataflow: string;
  readonly node: string;
}

/**
 * A node's step may hold its event loop for long (its pipes cannot answer meanwhile), so a
 * pipe between node processes is not judged dead by silence: the supervisor tells a producer
 * when its consumer is gone (`peerGone`), and a consumer closes what a dead producer fed
 * (`inputsClosed`).
 */
const PIPE_OPTIONS = { deadAfterMs: 30 * 60_000 };

/** The subject a node process of `dataflow` with executor `index` takes connections on. */
export function linkAddress(settings: NatsSettings, dataflow: string, index: number): string {
  return `flowc.${settings.cluster}.df.${dataflow}.x.${index}`;
}

/**
 * A node process' links to the node processes of its dataflow on other machines: its own
 * NATS connection and pipes (pipe.ts) that carry the same frames as its Unix sockets — so a
 * message between machines takes the way bare NATS pub/sub takes, with no daemon in between.
 * The node process loads this module when its init names it (`runChildExecutor`).
 */
export async function createRemoteLinks(options: LinkOptions, index: number): Promise<RemoteLinks> {
  const nc = await connect(connectionOptions(options.settings, options.secrets, `flowc-node-${options.node}`));
  let listener: { close(): void } | undefined;
  return {
    dial: (to) => dialPipe(nc, linkAddress(options.settings, options.dataflow, to), { from: index }, PIPE_OPTIONS),
    listen: async (accept) => {
      listener = listenPipes(nc, linkAddress(options.settings, options.dataflow, index), (pipe) => accept(pipe), PIPE_OPTIONS);
      // Registered at the server before the supervisor hears that this process listens.
      await nc.flush();
    },
    close: async () => {
      listener?.close();
      await nc.drain().catch(() => nc.close());
    },
  };
}
