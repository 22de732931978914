#!/usr/bin/env node
/**
 * `npm run bus:tail`: prints the gateway's events as they arrive on NATS JetStream — the consumer
 * example a firm starts from. One line per event: `<event id> <bus_event_v1 JSON>`.
 *
 *   npm run bus:tail -- [--account <id>]... [--from start|new] [--json]
 *
 *   --account  only these accounts' events (subject `<BUS_SUBJECT_PREFIX>.<account token>`); default all
 *   --from     start: every event the stream holds, then live (default); new: only events from now on
 *   --json     one JSON object per line: {"id","subject","seq","event"}
 *
 * NATS_URL, BUS_STREAM and BUS_SUBJECT_PREFIX are the gateway's settings. It reads through an
 * ordered consumer (ephemeral, no acks: nothing is left on the server when it exits). A consumer
 * that books events (the back office) uses a durable consumer with explicit acks instead, and
 * deduplicates on the event id (`Nats-Msg-Id`): the bus is at-least-once.
 */
import { parseArgs } from 'node:util';
import { DeliverPolicy, jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { allAccountsFilter, MSG_ID_HEADER, subjectFor } from '../bus/stream.js';
import { loadBusConfig } from '../config/bus.js';
import { ConfigError } from '../config/env.js';

const usage = 'usage: npm run bus:tail -- [--account <id>]... [--from start|new] [--json]';

function parse() {
  try {
    return parseArgs({
      options: {
        account: { type: 'string', short: 'a', multiple: true },
        from: { type: 'string', default: 'start' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const { values } = parse();
  if (values.help) {
    console.log(usage);
    return;
  }
  if (values.from !== 'start' && values.from !== 'new') {
    console.error(`--from must be start or new\n${usage}`);
    process.exit(2);
  }
  let cfg;
  try {
    cfg = loadBusConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`configuration error: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const filters = values.account?.length ? values.account.map((a) => subjectFor(cfg.stream, a)) : [allAccountsFilter(cfg.stream)];
  let nc;
  try {
    nc = await connect({ servers: cfg.natsUrl.split(','), name: 'switchyard-bus-tail' });
  } catch (err) {
    console.error(`cannot reach NATS at ${cfg.natsUrl}: ${(err as Error).message}`);
    process.exit(1);
  }
  const stop = (): void => {
    void nc.drain().finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const js = jetstream(nc);
  const consumer = await js.consumers.get(cfg.stream.stream, {
    // one filter as a string: servers before 2.10 (Debian's 2.9) accept only a single filter subject
    filter_subjects: filters.length === 1 ? filters[0]! : filters,
    deliver_policy: values.from === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
  });
  console.error(`following ${cfg.stream.stream} on ${cfg.natsUrl} (${filters.join(', ')}, from ${values.from}); Ctrl-C stops`);
  const messages = await consumer.consume();
  for await (const m of messages) {
    const id = m.headers?.get(MSG_ID_HEADER) ?? '';
    if (values.json) process.stdout.write(`{"id":${JSON.stringify(id)},"subject":${JSON.stringify(m.subject)},"seq":${m.seq},"event":${m.string()}}\n`);
    else process.stdout.write(`${id} ${m.string()}\n`);
  }
}

main().catch((err: unknown) => {
  console.error(`bus:tail: ${(err as Error)?.message ?? String(err)}`);
  process.exit(1);
});
