// The console's panels. Each shows a deliberate state when it has nothing yet, is loading, or
// failed; admin controls are drawn only for admins (the server refuses them for anyone else).
import { useEffect, useState } from 'preact/hooks';
import { api, followSse } from './api';
import type { OrderEvent, Sample } from './types';
import { type Confirm, Empty, ErrorState, fmtNum, fmtTime, Loading, Panel } from './ui';

type Ask = (c: Confirm) => void;

export function ShardsPanel(props: { sample: Sample | null }) {
  const s = props.sample;
  return (
    <Panel title="Queue utilisation per shard" id="shards">
      {s === null ? (
        <Loading />
      ) : (
        <table>
          <thead>
            <tr>
              <th>shard</th>
              <th>depth / capacity</th>
              <th class="wide">utilisation</th>
              <th>state</th>
            </tr>
          </thead>
          <tbody>
            {s.shards.map((sh) => (
              <tr key={sh.shard} data-testid={`shard-${sh.shard}`}>
                <td>{sh.shard}</td>
                <td>
                  {fmtNum(sh.depth)} / {fmtNum(sh.capacity)}
                </td>
                <td>
                  <div class="bar">
                    <div class={sh.utilisationPct >= 85 ? 'fill hot' : 'fill'} style={{ width: `${Math.min(100, sh.utilisationPct)}%` }} />
                    <span>{sh.utilisationPct.toFixed(1)}%</span>
                  </div>
                </td>
                <td>{sh.killed ? <span class="badge bad" title={sh.reason ?? ''}>KILLED</span> : <span class="badge ok">open</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

export function KillPanel(props: { sample: Sample | null; isAdmin: boolean; ask: Ask }) {
  const s = props.sample;
  const [scope, setScope] = useState<'account' | 'session' | 'shard'>('account');
  const [id, setId] = useState('');
  const [msg, setMsg] = useState<{ ok: boolean; text: string } | null>(null);
  const act = (kill: boolean, body: Record<string, unknown>, label: string): void =>
    props.ask({
      title: `${kill ? 'Kill' : 'Resume'} ${label}?`,
      body: kill ? 'New orders in this scope are refused until it is resumed.' : 'New orders in this scope are accepted again.',
      action: kill ? 'Kill' : 'Resume',
      danger: kill,
      run: async () => {
        const r = await api(kill ? '/admin/kill' : '/admin/resume', { method: 'POST', body });
        setMsg(r.status === 200 ? { ok: true, text: `${kill ? 'killed' : 'resumed'} ${label}` } : { ok: false, text: `refused: ${r.status} ${r.json?.error ?? r.json?.reason ?? ''}` });
      },
    });
  const scoped = (): Record<string, unknown> => (scope === 'shard' ? { scope, shard: Number(id) } : scope === 'account' ? { scope, accountId: id } : { scope, sessionId: id });
  return (
    <Panel title="Kill switches" id="kill">
      {s === null ? (
        <Loading />
      ) : (
        <>
          <div class="row">
            <span class="label">global</span>
            {s.kill.global ? (
              <span class="badge bad" data-testid="global-kill-state">
                KILLED — {s.kill.global.reason}
              </span>
            ) : (
              <span class="badge ok" data-testid="global-kill-state">
                trading
              </span>
            )}
            {props.isAdmin &&
              (s.kill.global ? (
                <button type="button" data-testid="resume-global" onClick={() => act(false, { scope: 'global' }, 'global')}>
                  Resume global
                </button>
              ) : (
                <button type="button" class="danger" data-testid="kill-global" onClick={() => act(true, { scope: 'global', reason: 'console: manual global kill' }, 'global')}>
                  Kill global
                </button>
              ))}
          </div>
          <ul class="kills">
            {s.kill.accounts.map((k) => (
              <li key={`a${k.id}`}>
                account <b>{k.id}</b> — {k.reason} since {fmtTime(k.sinceMs)}
                {props.isAdmin && (
                  <button type="button" onClick={() => act(false, { scope: 'account', accountId: k.id }, `account ${k.id}`)}>
                    Resume
                  </button>
                )}
              </li>
            ))}
            {s.kill.sessions.map((k) => (
              <li key={`s${k.id}`}>
                session <b>{k.id}</b> — {k.reason} since {fmtTime(k.sinceMs)}
                {props.isAdmin && (
                  <button type="button" onClick={() => act(false, { scope: 'session', sessionId: k.id }, `session ${k.id}`)}>
                    Resume
                  </button>
                )}
              </li>
            ))}
            {s.shards
              .filter((sh) => sh.killed)
              .map((sh) => (
                <li key={`h${sh.shard}`}>
                  shard <b>{sh.shard}</b> — {sh.reason}
                  {props.isAdmin && (
                    <button type="button" onClick={() => act(false, { scope: 'shard', shard: sh.shard }, `shard ${sh.shard}`)}>
                      Resume
                    </button>
                  )}
                </li>
              ))}
            {s.kill.accounts.length + s.kill.sessions.length + s.shards.filter((x) => x.killed).length === 0 && <li class="muted">no account, session or shard kill switch is on</li>}
          </ul>
          {props.isAdmin ? (
            <form
              class="row"
              data-testid="kill-scope-form"
              onSubmit={(e) => {
                e.preventDefault();
                if (id.trim() !== '') act(true, { ...scoped(), reason: 'console: manual kill' }, `${scope} ${id}`);
              }}
            >
              <select value={scope} onChange={(e) => setScope((e.target as HTMLSelectElement).value as 'account')}>
                <option value="account">account</option>
                <option value="session">session</option>
                <option value="shard">shard</option>
              </select>
              <input placeholder={scope === 'shard' ? 'shard number' : `${scope} id`} value={id} onInput={(e) => setId((e.target as HTMLInputElement).value)} />
              <button type="submit" class="danger">
                Kill
              </button>
              <button type="button" onClick={() => id.trim() !== '' && act(false, scoped(), `${scope} ${id}`)}>
                Resume
              </button>
            </form>
          ) : (
            <p class="muted" data-testid="kill-readonly">
              Kill switch controls need the admin role.
            </p>
          )}
          {msg && <p class={msg.ok ? 'ok-text' : 'err-text'} data-testid="kill-msg">{msg.text}</p>}
        </>
      )}
    </Panel>
  );
}

interface BlotterRow {
  orderId: string;
  clientOrderId: string | null;
  symbol: string;
  side: string;
  qty: number;
  price: number | null;
  status: string;
  cumQty: number;
  avgPx: number | null;
  fills: Array<{ qty: number; px: number; at: number }>;
  at: number;
}

const TERMINAL = new Set(['FILLED', 'CANCELED', 'CANCELLED', 'REJECTED', 'EXPIRED']);

/** One key per distinct event, the same whether it came from GET /accounts/{id}/events or GET /stream. */
const eventKey = (e: OrderEvent): string => `${e.type}|${e.orderId}|${e.at}|${String(e.data.execId ?? e.data.status ?? '')}`;

/** Folds an account's lifecycle events (in time order) into one row per order, newest first. */
export function blotterRows(events: OrderEvent[]): BlotterRow[] {
  const rows = new Map<string, BlotterRow>();
  const sorted = [...events].sort((a, b) => a.at - b.at);
  for (const e of sorted) {
    const d = e.data;
    let r = rows.get(e.orderId);
    if (e.type === 'OrderAccepted') {
      if (r !== undefined) continue;
      r = { orderId: e.orderId, clientOrderId: (d.clientOrderId as string | null) ?? null, symbol: String(d.symbol), side: String(d.side), qty: Number(d.qty), price: (d.price as number | null) ?? null, status: 'ACCEPTED', cumQty: 0, avgPx: null, fills: [], at: e.at };
      rows.set(e.orderId, r);
      continue;
    }
    if (r === undefined) continue;
    if (e.type === 'OrderSent') r.status = r.status === 'ACCEPTED' ? 'SENT' : r.status;
    else if (e.type === 'CancelRequested') r.status = TERMINAL.has(r.status) ? r.status : 'CANCEL_REQUESTED';
    else if (e.type === 'ExecutionReport') {
      if (typeof d.status === 'string') r.status = d.status;
      if (typeof d.cumQty === 'number') r.cumQty = d.cumQty;
      if (typeof d.avgPx === 'number') r.avgPx = d.avgPx;
      if (typeof d.lastQty === 'number' && d.lastQty > 0) r.fills.push({ qty: d.lastQty, px: Number(d.lastPx), at: e.at });
    } else if (typeof d.status === 'string') r.status = d.status;
  }
  return [...rows.values()].sort((a, b) => b.at - a.at);
}

/**
 * The blotter: the account's history from GET /accounts/{id}/events, then live from the gateway's
 * SSE stream GET /stream (bus_event_v1 events); every (re)connect of the stream reloads the
 * history, and events from both are merged by identity. A gateway without /stream is polled on
 * every console sample instead.
 */
export function BlotterPanel(props: { accountId: string; tick: number; ask: Ask }) {
  const [events, setEvents] = useState<Map<string, OrderEvent> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [live, setLive] = useState<'live' | 'reconnecting' | 'absent' | 'connecting'>('connecting');
  const merge = (list: OrderEvent[]): void =>
    setEvents((old) => {
      const m = new Map(old ?? []);
      for (const e of list) m.set(eventKey(e), e);
      return m;
    });
  const load = (): void => {
    void api<{ events: OrderEvent[]; error?: string }>(`/accounts/${encodeURIComponent(props.accountId)}/events?limit=1000`).then((r) => {
      if (r.status === 200 && r.json) {
        merge(r.json.events);
        setError(null);
      } else setError(r.offline ? 'gateway not reachable' : `GET events: ${r.status} ${r.json?.error ?? ''}`);
    });
  };
  useEffect(
    () =>
      followSse(
        '/stream',
        (name, data) => {
          if (name === 'resync_required') return load();
          if (name !== 'order_durable' && name !== 'order_update' && name !== 'execution_report') return;
          const e = JSON.parse(data) as { type: string; at: string; accountId: string; orderId: string | null; data: Record<string, unknown> };
          if (e.orderId === null) return;
          merge([{ type: e.type, at: Date.parse(e.at), accountId: e.accountId, orderId: e.orderId, data: e.data }]);
        },
        load,
        (s) => {
          setLive(s);
          if (s === 'absent') load();
        },
      ),
    [props.accountId],
  );
  // Without /stream: refresh on every console sample.
  useEffect(() => {
    if (live === 'absent') load();
  }, [props.tick]);
  const rows = events === null ? null : blotterRows([...events.values()]);
  const cancel = (o: BlotterRow): void =>
    props.ask({
      title: 'Cancel order?',
      body: `${o.side} ${o.qty} ${o.symbol} @ ${o.price ?? 'MKT'} (${o.orderId}), ${o.cumQty} filled.`,
      action: 'Cancel order',
      danger: true,
      run: async () => {
        const r = await api(`/orders/${encodeURIComponent(o.orderId)}/cancel`, { method: 'POST' });
        setMsg(r.status < 300 ? `cancel of ${o.orderId}: ${r.json?.status ?? 'sent'}` : `cancel refused: ${r.status} ${r.json?.reason ?? r.json?.error ?? ''}`);
      },
    });
  return (
    <Panel
      title="Orders and fills"
      id="blotter"
      right={
        <span class="muted">
          {props.accountId} ·{' '}
          <span data-testid="blotter-feed" class={live === 'live' ? 'ok-text' : ''}>
            {live === 'live' ? 'live (SSE /stream)' : live === 'absent' ? 'polling' : live}
          </span>
        </span>
      }
    >
      {error !== null && <ErrorState>{error}</ErrorState>}
      {rows === null ? (
        error === null && <Loading />
      ) : rows.length === 0 ? (
        <Empty>No orders for {props.accountId} yet. Place one from the ticket.</Empty>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>time</th>
                <th>order</th>
                <th>side</th>
                <th>qty</th>
                <th>symbol</th>
                <th>price</th>
                <th>status</th>
                <th>filled</th>
                <th>fills</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((o) => (
                <tr key={o.orderId} data-testid="blotter-row" data-order-id={o.orderId} data-client-order-id={o.clientOrderId ?? ''} data-status={o.status}>
                  <td>{fmtTime(o.at)}</td>
                  <td title={o.orderId}>{o.clientOrderId ?? o.orderId}</td>
                  <td class={o.side === 'BUY' ? 'buy' : 'sell'}>{o.side}</td>
                  <td>{fmtNum(o.qty)}</td>
                  <td>{o.symbol}</td>
                  <td>{o.price ?? 'MKT'}</td>
                  <td>
                    <span class={`badge s-${o.status.toLowerCase()}`}>{o.status}</span>
                  </td>
                  <td>
                    {o.cumQty}
                    {o.avgPx !== null && o.cumQty > 0 ? ` @ ${o.avgPx}` : ''}
                  </td>
                  <td data-testid="fills">{o.fills.length === 0 ? '—' : o.fills.map((f) => `${f.qty}@${f.px}`).join(', ')}</td>
                  <td>
                    {!TERMINAL.has(o.status) && o.status !== 'CANCEL_REQUESTED' && (
                      <button type="button" data-testid="cancel-order" onClick={() => cancel(o)}>
                        Cancel
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {msg && <p class="muted" data-testid="blotter-msg">{msg}</p>}
    </Panel>
  );
}

export function TicketPanel(props: { ask: Ask; onSent: () => void }) {
  const [f, setF] = useState({ symbol: 'AAPL', side: 'BUY', type: 'LIMIT', qty: '100', price: '15000', timeInForce: 'GTC', clientOrderId: '' });
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.target as HTMLInputElement).value });
  const submit = (e: Event): void => {
    e.preventDefault();
    const body = {
      symbol: f.symbol.trim(),
      side: f.side,
      type: f.type,
      qty: Number(f.qty),
      price: f.type === 'MARKET' ? null : Number(f.price),
      timeInForce: f.timeInForce,
      clientOrderId: f.clientOrderId.trim() === '' ? `console-${Date.now().toString(36)}` : f.clientOrderId.trim(),
    };
    props.ask({
      title: 'Send order?',
      body: `${body.side} ${body.qty} ${body.symbol} ${body.type === 'MARKET' ? 'at market' : `@ ${body.price}`} ${body.timeInForce}, clientOrderId ${body.clientOrderId}`,
      action: 'Send order',
      run: async () => {
        const r = await api('/orders', { method: 'POST', body });
        if (r.status === 202 || r.status === 200 || r.status === 201) setResult({ ok: true, text: `accepted ${r.json?.orderId} (${body.clientOrderId})` });
        else setResult({ ok: false, text: r.offline ? `gateway not reachable (${body.clientOrderId})` : `refused ${r.status}: ${r.json?.reason ?? r.json?.error ?? ''} ${r.json?.message ?? ''} (${body.clientOrderId})` });
        props.onSent();
      },
    });
  };
  return (
    <Panel title="Order ticket" id="ticket">
      <form class="ticket" onSubmit={submit}>
        <label>
          symbol <input name="symbol" value={f.symbol} onInput={set('symbol')} required />
        </label>
        <label>
          side
          <select name="side" value={f.side} onChange={set('side')}>
            <option>BUY</option>
            <option>SELL</option>
          </select>
        </label>
        <label>
          type
          <select name="type" value={f.type} onChange={set('type')}>
            <option>LIMIT</option>
            <option>MARKET</option>
          </select>
        </label>
        <label>
          qty <input name="qty" type="number" min="1" step="1" value={f.qty} onInput={set('qty')} required />
        </label>
        <label>
          price (ticks) <input name="price" type="number" min="0" step="1" value={f.price} onInput={set('price')} disabled={f.type === 'MARKET'} />
        </label>
        <label>
          TIF
          <select name="timeInForce" value={f.timeInForce} onChange={set('timeInForce')}>
            <option>GTC</option>
          </select>
        </label>
        <label>
          clientOrderId <input name="clientOrderId" value={f.clientOrderId} onInput={set('clientOrderId')} placeholder="auto" />
        </label>
        <button type="submit" class="primary" data-testid="ticket-review">
          Review order
        </button>
      </form>
      {result && (
        <p class={result.ok ? 'ok-text' : 'err-text'} data-testid="ticket-result">
          {result.text}
        </p>
      )}
    </Panel>
  );
}

export function PositionsPanel(props: { tick: number }) {
  const [state, setState] = useState<{ kind: 'loading' } | { kind: 'down'; url: string } | { kind: 'error'; text: string } | { kind: 'ok'; rows: any[]; totals: any[] }>({ kind: 'loading' });
  const slow = Math.floor(props.tick / 5);
  useEffect(() => {
    let gone = false;
    void api('/console/api/backoffice/pnl').then((r) => {
      if (gone) return;
      if (r.status === 502) setState({ kind: 'down', url: r.json?.url ?? '' });
      else if (r.status !== 200 || r.json === null) setState({ kind: 'error', text: r.offline ? 'gateway not reachable' : `back office answered ${r.status} ${r.json?.error ?? ''}` });
      else setState({ kind: 'ok', rows: r.json.positions ?? [], totals: r.json.totals ?? [] });
    });
    return () => {
      gone = true;
    };
  }, [slow]);
  return (
    <Panel title="Positions and P&L (back office)" id="positions">
      {state.kind === 'loading' && <Loading />}
      {state.kind === 'down' && (
        <div class="state offline" data-testid="backoffice-down">
          Back office not reachable{state.url ? ` at ${state.url}` : ''}. Start it with <code>npm run backoffice</code> or set CONSOLE_BACKOFFICE_URL. Orders are unaffected.
        </div>
      )}
      {state.kind === 'error' && <ErrorState>{state.text}</ErrorState>}
      {state.kind === 'ok' &&
        (state.rows.length === 0 ? (
          <Empty>No positions booked yet.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>account</th>
                <th>symbol</th>
                <th>net</th>
                <th>avg px</th>
                <th>mark</th>
                <th>realized</th>
                <th>unrealized</th>
                <th>net P&L</th>
              </tr>
            </thead>
            <tbody>
              {state.rows.map((p) => (
                <tr key={`${p.accountId}/${p.symbol}`} data-testid="position-row" data-account={p.accountId} data-symbol={p.symbol}>
                  <td>{p.accountId}</td>
                  <td>{p.symbol}</td>
                  <td>{p.netQty}</td>
                  <td>{p.avgPx ?? '—'}</td>
                  <td>{p.markPx ?? '—'}</td>
                  <td>{p.realizedPnl}</td>
                  <td>{p.unrealizedPnl}</td>
                  <td>{p.netPnl}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </Panel>
  );
}

export function JournalPanel(props: { sample: Sample | null; tick: number }) {
  const [anchor, setAnchor] = useState<any>(null);
  const [verify, setVerify] = useState<{ running: boolean; text: string | null; ok: boolean }>({ running: false, text: null, ok: true });
  const loadAnchor = (): void => {
    void api('/audit/anchor').then((r) =>
      setAnchor(r.status === 200 ? r.json : r.status === 404 && r.json?.error === 'ANCHOR_NOT_AVAILABLE' ? { empty: true } : { error: r.offline ? 'gateway not reachable' : `${r.status} ${r.json?.error ?? ''}` }),
    );
  };
  useEffect(loadAnchor, [Math.floor(props.tick / 10)]);
  const run = async (): Promise<void> => {
    setVerify({ running: true, text: null, ok: true });
    const r = await api('/audit/verify?limit=100000');
    if (r.status !== 200 || r.json === null) return setVerify({ running: false, text: `verify failed: ${r.status} ${r.json?.error ?? ''}`, ok: false });
    setVerify({ running: false, ok: r.json.ok, text: r.json.ok ? `chain intact: ${r.json.checked} records checked up to seq ${r.json.lastSeq}` : `BROKEN: ${JSON.stringify(r.json.error)}` });
    loadAnchor();
  };
  const j = props.sample?.journal;
  return (
    <Panel title="Journal and audit" id="journal">
      {j === undefined ? (
        <Loading />
      ) : (
        <dl>
          <dt>durable journal</dt>
          <dd>
            <span class={j.durable === 'OK' ? 'badge ok' : 'badge bad'}>{j.durable}</span> last seq {j.lastSeq}
          </dd>
          <dt>/v3 journals</dt>
          <dd>{j.v3Journaled ? <span class="badge ok">on</span> : <span class="badge warn">off (VOLATILE_ACCEPT)</span>}</dd>
          <dt>anchor</dt>
          <dd data-testid="anchor">{anchor === null ? '…' : anchor.empty ? <span class="muted">no records journaled yet</span> : anchor.error ? <span class="err-text">{anchor.error}</span> : anchor.seq === 0 || anchor.hash === undefined ? 'empty journal' : `seq ${anchor.seq}, key ${anchor.keyId}, ${String(anchor.hash).slice(0, 16)}…`}</dd>
        </dl>
      )}
      <div class="row">
        <button type="button" onClick={() => void run()} disabled={verify.running} data-testid="run-verify">
          {verify.running ? 'Verifying…' : 'Run verify'}
        </button>
        {verify.text && <span class={verify.ok ? 'ok-text' : 'err-text'} data-testid="verify-result">{verify.text}</span>}
      </div>
    </Panel>
  );
}

export function StatusPanel(props: { sample: Sample | null }) {
  const s = props.sample;
  return (
    <Panel title="Bus and venues" id="status">
      {s === null ? (
        <Loading />
      ) : (
        <>
          <div class="row">
            <span class="label">bus</span>
            {s.bus === null || s.bus.kind === 'none' ? (
              <span class="badge muted-badge" data-testid="bus-state">
                bus off
              </span>
            ) : (
              <span class={s.bus.connected ? 'badge ok' : 'badge bad'} data-testid="bus-state">
                {s.bus.kind} {s.bus.connected ? 'connected' : 'disconnected'} · {fmtNum(s.bus.published)} published · {fmtNum(s.bus.lagRecords)} behind ({fmtNum(s.bus.lagMs)} ms)
              </span>
            )}
          </div>
          {s.bus?.lastError && <p class="err-text">bus: {s.bus.lastError}</p>}
          {s.venues.length === 0 ? (
            <Empty>No venues: orders stay at the gateway (SOR_VENUES=none).</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>venue</th>
                  <th>session</th>
                  <th>working orders</th>
                </tr>
              </thead>
              <tbody>
                {s.venues.map((v) => (
                  <tr key={v.venue} data-testid={`venue-${v.venue}`}>
                    <td>{v.venue}</td>
                    <td>
                      <span class={v.state === 'UP' ? 'badge ok' : v.state === 'DOWN' ? 'badge bad' : 'badge warn'}>{v.state}</span>
                    </td>
                    <td>{v.openOrders}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </Panel>
  );
}
