/**
 * The FIX session's sequence numbers on disk: one fixed-width record per session
 * (`<dataDir>/<BeginString>-<SenderCompID>-<TargetCompID>.seqnums`), rewritten in place with a
 * synchronous positional write on every change.
 *
 * Why not jspurefix's own file store: it persists with overlapping asynchronous `writeFile`
 * calls, so under load the file can end with an older value than the last one written, and a
 * worker thread that exits right after a send loses the pending writes. A sender number that goes
 * back is fatal to a FIX session (the peer drops a Logon whose MsgSeqNum is below the expected
 * one), so here each change is written before the call returns: a `pwrite` of 64 bytes, no
 * fsync (it survives a process crash, `kill -9`, not a power cut). The engine calls it from the
 * thread that runs the session (the FIX worker, or the acceptor's process), a few µs per message.
 *
 * Messages are not stored here: resends come from the link's SentLog (fix/link-session.ts).
 *
 * Record: `<sender:20> <target:20> <createdMs:20>\n` (space-padded decimal), zero-padded to 64 bytes.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { IFixMsgStoreRecord, IFixSessionStore, IFixSessionStoreFactory, SessionId } from 'jspurefix';

const RECORD_BYTES = 64;

export class SeqFileStore implements IFixSessionStore {
  private sender = 1;
  private target = 1;
  private created = new Date();
  private fd: number | null = null;
  private readonly buf = Buffer.alloc(RECORD_BYTES);
  readonly path: string;

  constructor(
    readonly sessionId: SessionId,
    dir: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `${sessionId.toFilePrefix()}.seqnums`);
  }

  get senderSeqNum(): number {
    return this.sender;
  }

  set senderSeqNum(v: number) {
    this.sender = v;
    this.persist();
  }

  get targetSeqNum(): number {
    return this.target;
  }

  set targetSeqNum(v: number) {
    this.target = v;
    this.persist();
  }

  get creationTime(): Date {
    return this.created;
  }

  async setSenderSeqNum(v: number): Promise<void> {
    this.senderSeqNum = v;
  }

  async setTargetSeqNum(v: number): Promise<void> {
    this.targetSeqNum = v;
  }

  async nextSenderSeqNum(): Promise<number> {
    this.senderSeqNum = this.sender + 1;
    return this.sender;
  }

  async nextTargetSeqNum(): Promise<number> {
    this.targetSeqNum = this.target + 1;
    return this.target;
  }

  async put(_record: IFixMsgStoreRecord): Promise<void> {}

  async get(_seqNum: number): Promise<IFixMsgStoreRecord | null> {
    return null;
  }

  async getRange(_from: number, _to: number): Promise<IFixMsgStoreRecord[]> {
    return [];
  }

  async reset(): Promise<void> {
    this.sender = 1;
    this.target = 1;
    this.created = new Date();
    this.persist();
  }

  async initialize(): Promise<void> {
    if (existsSync(this.path)) {
      const parts = (readFileSync(this.path, 'latin1').match(/\d+/g) ?? []).map(Number);
      if (parts.length === 3 && parts.every((n) => Number.isSafeInteger(n) && n >= 0)) {
        this.sender = Math.max(1, parts[0]!);
        this.target = Math.max(1, parts[1]!);
        this.created = new Date(parts[2]!);
      }
    }
    this.fd = openSync(this.path, existsSync(this.path) ? 'r+' : 'w+');
    this.persist();
  }

  async flush(): Promise<void> {}

  async dispose(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private persist(): void {
    if (this.fd === null) return;
    const line = `${String(this.sender).padStart(20)} ${String(this.target).padStart(20)} ${String(this.created.getTime()).padStart(20)}\n`;
    this.buf.fill(0);
    this.buf.write(line, 0, 'latin1');
    writeSync(this.fd, this.buf, 0, RECORD_BYTES, 0);
  }
}

export class SeqFileStoreFactory implements IFixSessionStoreFactory {
  constructor(private readonly dir: string) {}

  create(sessionId: SessionId): IFixSessionStore {
    return new SeqFileStore(sessionId, this.dir);
  }
}
