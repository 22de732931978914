// The operator console: login with a token, then live panels fed by the console stream.
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, openStream, type StreamState, tokenStore } from './api';
import { TimeChart } from './chart';
import type { Sample, Session } from './types';
import { type Confirm, ConfirmDialog, ErrorState, fmtNum } from './ui';
import { BlotterPanel, JournalPanel, KillPanel, PositionsPanel, ShardsPanel, StatusPanel, TicketPanel } from './views';
import './style.css';

/** Points kept per chart: 10 minutes at the default 1 s interval. */
const KEEP = 600;

function Login(props: { onLogin: (s: Session) => void; error: string | null }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(props.error);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    const t = token.trim().replace(/^Bearer\s+/i, '');
    if (t === '') return;
    setBusy(true);
    tokenStore.set(t);
    const r = await api<Session>('/console/api/session', { method: 'POST' });
    setBusy(false);
    if (r.status === 200 && r.json) return props.onLogin(r.json);
    tokenStore.clear();
    setError(r.offline ? 'The gateway is not reachable.' : r.status === 401 ? `Token refused (${(r.json as any)?.error ?? 'unauthorized'}).` : `Login failed: ${r.status}.`);
  };
  return (
    <main class="login">
      <form onSubmit={(e) => void submit(e)} data-testid="login">
        <h1>Switchyard console</h1>
        <p class="muted">
          Paste a JWT (HS256) for your account. Without <code>JWT_HS256_SECRET</code>, <code>npm start</code> prints a demo admin token; <code>npm run token -- --account ID</code> makes one.
        </p>
        <textarea name="token" rows={5} placeholder="eyJhbGciOiJIUzI1NiJ9…" value={token} onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)} autoFocus />
        {error && <ErrorState>{error}</ErrorState>}
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

const LAT_COLORS = ['#4cc38a', '#f5a524', '#f31260'];

function Console(props: { session: Session; logout: (why: string | null) => void }) {
  const { session } = props;
  const [sample, setSample] = useState<Sample | null>(null);
  const [state, setState] = useState<StreamState>('connecting');
  const [tick, setTick] = useState(0);
  const [series, setSeries] = useState<{ t: number[]; acc: number[]; rej: number[]; lat: Record<string, number[][]> }>({ t: [], acc: [], rej: [], lat: {} });
  const [latName, setLatName] = useState('durable');
  const [confirm, setConfirm] = useState<Confirm | null>(null);

  useEffect(
    () =>
      openStream(
        (s) => {
          setSample(s);
          setTick((n) => n + 1);
          setSeries((old) => {
            const cut = old.t.length >= KEEP ? 1 : 0;
            const lat: Record<string, number[][]> = {};
            for (const l of s.latency) {
              const prev = old.lat[l.name] ?? [[], [], []];
              lat[l.name] = [
                [...prev[0]!.slice(cut), l.p50Us],
                [...prev[1]!.slice(cut), l.p99Us],
                [...prev[2]!.slice(cut), l.p999Us],
              ];
            }
            return { t: [...old.t.slice(cut), s.t / 1000], acc: [...old.acc.slice(cut), s.acceptedPerSec], rej: [...old.rej.slice(cut), s.rejectedPerSec], lat };
          });
        },
        setState,
        () => props.logout('Your token expired or was refused: sign in again.'),
      ),
    [],
  );
  const throughput = useMemo(() => [series.t, series.acc, series.rej], [series]);
  const latency = useMemo(() => [series.t, ...(series.lat[latName] ?? [[], [], []])], [series, latName]);
  const names = sample?.latency.map((l) => l.name) ?? [];
  const cur = sample?.latency.find((l) => l.name === latName);

  return (
    <div class="app">
      <header class="top">
        <h1>Switchyard</h1>
        <span class={`badge stream-${state}`} data-testid="stream-state">
          {state}
        </span>
        {sample?.kill.global && <span class="badge bad">GLOBAL KILL</span>}
        <span class="spacer" />
        <span data-testid="whoami">
          {session.accountId} · <b data-testid="role">{session.isAdmin ? 'admin' : 'trader'}</b>
        </span>
        <button type="button" onClick={() => props.logout(null)} data-testid="logout">
          Sign out
        </button>
      </header>
      <div class="grid">
        <section class="panel span2" data-testid="charts">
          <header>
            <h2>Throughput</h2>
            <div class="kpis">
              <span data-testid="accepted-rate">{sample ? fmtNum(sample.acceptedPerSec) : '—'} accepted/s</span>
              <span>{sample ? fmtNum(sample.rejectedPerSec) : '—'} refused/s</span>
              <span>{sample ? fmtNum(sample.acceptedTotal) : '—'} accepted total</span>
            </div>
          </header>
          <TimeChart
            id="throughput-chart"
            title="orders per second"
            unit="orders/s"
            series={[
              { label: 'accepted/s', color: '#4c8dff' },
              { label: 'refused/s', color: '#f31260' },
            ]}
            data={throughput}
          />
          <header>
            <h2>Ack latency</h2>
            <div class="kpis">
              <select value={latName} onChange={(e) => setLatName((e.target as HTMLSelectElement).value)} data-testid="latency-select">
                {names.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
              <span>{cur ? `${fmtNum(cur.count)} acks · p50 ${fmtNum(cur.p50Us, 1)} µs · p99 ${fmtNum(cur.p99Us, 1)} µs · p99.9 ${fmtNum(cur.p999Us, 1)} µs` : '—'}</span>
            </div>
          </header>
          <TimeChart
            id="latency-chart"
            title="ack latency per interval (µs)"
            unit="µs"
            series={[
              { label: 'p50', color: LAT_COLORS[0]! },
              { label: 'p99', color: LAT_COLORS[1]! },
              { label: 'p99.9', color: LAT_COLORS[2]! },
            ]}
            data={latency}
          />
        </section>
        <KillPanel sample={sample} isAdmin={session.isAdmin} ask={setConfirm} />
        <ShardsPanel sample={sample} />
        <TicketPanel ask={setConfirm} onSent={() => setTick((n) => n + 1)} />
        <div class="span2">
          <BlotterPanel accountId={session.accountId} tick={tick} ask={setConfirm} />
        </div>
        <PositionsPanel tick={tick} />
        <JournalPanel sample={sample} tick={tick} />
        <StatusPanel sample={sample} />
      </div>
      <ConfirmDialog c={confirm} close={() => setConfirm(null)} />
    </div>
  );
}

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [checking, setChecking] = useState(tokenStore.get() !== null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!checking) return;
    void api<Session>('/console/api/session', { method: 'POST' }).then((r) => {
      if (r.status === 200 && r.json) setSession(r.json);
      else tokenStore.clear();
      setChecking(false);
    });
  }, []);
  if (checking) return <div class="state loading">Checking your token…</div>;
  if (session === null) return <Login onLogin={setSession} error={error} />;
  return (
    <Console
      session={session}
      logout={(why) => {
        tokenStore.clear();
        setError(why);
        setSession(null);
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
