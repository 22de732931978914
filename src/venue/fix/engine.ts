/**
 * The FIX engine: jspurefix, wrapped. Everything that knows jspurefix's launcher, dependency
 * container and session description lives here and in fix/link-session.ts; the rest of the venue
 * code sees {@link startFixSessions} and plain objects.
 *
 * jspurefix needs the `reflect-metadata` polyfill loaded before it (its container, tsyringe,
 * checks at load time): this module imports it first, and every other module imports jspurefix
 * through this one.
 *
 * Dictionary: QuickFIX's FIX 4.4 data dictionary shipped with jspurefix (alias `qf44`).
 * Sequence numbers: fix/seq-store.ts under the link's data directory, so a reconnect or a restart
 * resumes them (ResetSeqNumFlag=N). Logging: off (an empty log factory); the
 * owner reports session events itself.
 */
import 'reflect-metadata';
import type { Server } from 'node:net';
import {
  DITokens,
  DefinitionFactory,
  EmptyLogFactory,
  type EngineFactory,
  type FixEntity,
  type IJsFixConfig,
  type ISessionDescription,
  SessionContainer,
  SessionLauncher,
} from 'jspurefix';
import type { FixLinkSettings } from '../../config/venues.js';
import { SeqFileStoreFactory } from './seq-store.js';

export * as jspurefix from 'jspurefix';

export type FixRole = 'initiator' | 'acceptor';

/** A session description for one side of the link. */
export function describeSession(role: FixRole, link: FixLinkSettings, opts: { connectTimeoutSec?: number } = {}): ISessionDescription {
  const initiator = role === 'initiator';
  const d = {
    application: {
      type: role,
      name: initiator ? `${link.gatewayCompId}-initiator` : `${link.venueCompId}-acceptor`,
      resilient: false,
      reconnectSeconds: 0.1,
      connectTimeoutSeconds: opts.connectTimeoutSec ?? 1,
      tcp: { host: link.host, port: link.port },
      protocol: 'ascii',
      dictionary: 'qf44',
    },
    Name: initiator ? link.gatewayCompId : link.venueCompId,
    SenderCompId: initiator ? link.gatewayCompId : link.venueCompId,
    TargetCompID: initiator ? link.venueCompId : link.gatewayCompId,
    ResetSeqNumFlag: false,
    BeginString: 'FIX.4.4',
    Username: '',
    Password: '',
    HeartBtInt: link.heartbeatSec,
  };
  return d as unknown as ISessionDescription;
}

/** Makes the application's session object for a connection. */
export type SessionMaker = (config: IJsFixConfig) => import('jspurefix').FixSession;

const LOGS = new EmptyLogFactory();

/** jspurefix's dependency container type (tsyringe's), named through jspurefix's own API. */
type DependencyContainer = ReturnType<SessionContainer['newChild']>;

/**
 * The dictionary, parsed once per process: jspurefix parses it for every session (every connect
 * attempt), which took ~0.5 s per reconnect on the development machine.
 */
class CachedDefinitions extends DefinitionFactory {
  private readonly cache = new Map<string, ReturnType<DefinitionFactory['getDefinitions']>>();

  override getDefinitions(path: string, getLogger?: Parameters<DefinitionFactory['getDefinitions']>[1]): ReturnType<DefinitionFactory['getDefinitions']> {
    let p = this.cache.get(path);
    if (!p) {
      p = super.getDefinitions(path, getLogger);
      p.catch(() => this.cache.delete(path));
      this.cache.set(path, p);
    }
    return p;
  }
}
const DEFINITIONS = new CachedDefinitions();

class Container extends SessionContainer {
  override newChild(description: ISessionDescription): DependencyContainer {
    const child = super.newChild(description);
    child.registerInstance(DefinitionFactory, DEFINITIONS);
    return child;
  }
}

/**
 * One jspurefix launcher for one role: `run()` resolves when the initiator's session ends (or
 * rejects when it cannot connect), or, for an acceptor, when the listener is stopped.
 */
class Launcher extends SessionLauncher {
  entity: FixEntity | null = null;

  constructor(
    description: ISessionDescription,
    private readonly make: SessionMaker,
  ) {
    super(description.application?.type === 'initiator' ? description : null, description.application?.type === 'acceptor' ? description : null, LOGS);
    this.sessionContainer = new Container();
  }

  protected override makeFactory(_config: IJsFixConfig): EngineFactory {
    return { makeSession: (c: IJsFixConfig) => this.make(c) };
  }

  protected override async getAcceptor(container: DependencyContainer): Promise<unknown> {
    this.entity = container.resolve<FixEntity>(DITokens.FixEntity);
    return this.entity.start();
  }

  protected override async getInitiator(container: DependencyContainer): Promise<unknown> {
    this.entity = container.resolve<FixEntity>(DITokens.FixEntity);
    return this.entity.start();
  }
}

export interface RunningFixSessions {
  /** resolves when the initiator's session ended / the acceptor stopped; rejects if it could not connect */
  readonly done: Promise<void>;
  /** stops the listener (acceptor) or gives up connecting (initiator) */
  stop(): void;
  /** the acceptor's listening server, once it exists */
  server(): Server | null;
}

/**
 * Starts the sessions of `description`; each session's sequence numbers persist under `dataDir`
 * (fix/seq-store.ts).
 */
export function startFixSessions(description: ISessionDescription, dataDir: string, make: SessionMaker): RunningFixSessions {
  const store = new SeqFileStoreFactory(dataDir);
  const l = new Launcher(description, (c) => {
    c.sessionStoreFactory = store;
    return make(c);
  });
  const done = l.run().then(() => undefined);
  return {
    done,
    stop: () => {
      l.stop();
      // the launcher only stops the entities it resolved itself; this one resolved them here
      (l.entity as unknown as { stop?: () => void } | null)?.stop?.();
    },
    server: () => {
      // jspurefix keeps its net.Server private (TcpAcceptorListener.acceptor.server); the version
      // is pinned in package.json, and test/integration/venue/fix-venue.test.ts covers this path
      const listener = l.entity as unknown as { acceptor?: { server?: Server } } | null;
      return listener?.acceptor?.server ?? null;
    },
  };
}
