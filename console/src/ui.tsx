// Small shared pieces: panels, the confirmation dialog, states.
import type { ComponentChildren } from 'preact';

export function Panel(props: { title: string; id: string; children: ComponentChildren; right?: ComponentChildren }) {
  return (
    <section class="panel" data-testid={props.id}>
      <header>
        <h2>{props.title}</h2>
        <div>{props.right}</div>
      </header>
      <div class="panel-body">{props.children}</div>
    </section>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <div class="state empty">{props.children}</div>;
}

export function Loading() {
  return <div class="state loading">Loading…</div>;
}

export function ErrorState(props: { children: ComponentChildren }) {
  return (
    <div class="state error" role="alert">
      {props.children}
    </div>
  );
}

export interface Confirm {
  title: string;
  body: string;
  action: string;
  danger?: boolean;
  run: () => void;
}

export function ConfirmDialog(props: { c: Confirm | null; close: () => void }) {
  const c = props.c;
  if (c === null) return null;
  return (
    <div class="modal-back" onClick={props.close}>
      <div class="modal" role="dialog" aria-modal="true" data-testid="confirm" onClick={(e) => e.stopPropagation()}>
        <h3>{c.title}</h3>
        <p>{c.body}</p>
        <div class="row end">
          <button type="button" onClick={props.close} data-testid="confirm-cancel">
            Back
          </button>
          <button
            type="button"
            class={c.danger ? 'danger' : 'primary'}
            data-testid="confirm-ok"
            onClick={() => {
              props.close();
              c.run();
            }}
          >
            {c.action}
          </button>
        </div>
      </div>
    </div>
  );
}

export const fmtTime = (ms: number): string => new Date(ms).toISOString().slice(11, 19);
export const fmtNum = (n: number, d = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
