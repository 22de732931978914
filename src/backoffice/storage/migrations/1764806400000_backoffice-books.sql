-- Up Migration
-- The back office's books. Quantities are bigint; prices in ticks; money numeric(38,8) in ticks
-- (exact: see src/backoffice/domain/decimal.ts). Times are the events' `at`.

-- One row per event id ever applied: the dedup key of exactly-once booking, and the feed cursor
-- (last applied (seq, idx) per gateway stream).
CREATE TABLE applied_events (
  event_id   text PRIMARY KEY,
  gateway_id text,
  stream     text,
  seq        bigint,
  idx        integer,
  type       text NOT NULL,
  outcome    text NOT NULL,
  event_at   timestamptz,
  applied_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX applied_events_position ON applied_events (gateway_id, stream, seq, idx) WHERE seq IS NOT NULL;

-- Orders: meta from OrderAccepted, booked progress from ExecutionReport (either may come first).
CREATE TABLE orders (
  account_id      text NOT NULL,
  order_id        text NOT NULL,
  symbol          text NOT NULL,
  side            text NOT NULL CHECK (side IN ('BUY', 'SELL')),
  qty             bigint,
  price           bigint,
  client_order_id text,
  cum_qty         bigint NOT NULL DEFAULT 0,
  booked_notional numeric(38, 0) NOT NULL DEFAULT 0,
  leaves_qty      bigint,
  status          text,
  accepted_at     timestamptz,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (account_id, order_id)
);

-- Fills: one per ExecutionReport that raised an order's cumQty.
CREATE TABLE fills (
  fill_id    bigserial PRIMARY KEY,
  event_id   text NOT NULL UNIQUE,
  account_id text NOT NULL,
  order_id   text NOT NULL,
  exec_id    text,
  symbol     text NOT NULL,
  side       text NOT NULL,
  qty        bigint NOT NULL,
  price      numeric(38, 8) NOT NULL,
  notional   numeric(38, 0) NOT NULL,
  fee        numeric(38, 8) NOT NULL,
  currency   text NOT NULL,
  cum_qty    bigint NOT NULL,
  venue      text,
  at         timestamptz NOT NULL
);
CREATE INDEX fills_account ON fills (account_id, fill_id);

-- The ledger: append-only, one entry per fill with both legs (position and cash).
CREATE TABLE ledger (
  entry_id   bigserial PRIMARY KEY,
  event_id   text NOT NULL UNIQUE,
  account_id text NOT NULL,
  symbol     text NOT NULL,
  currency   text NOT NULL,
  qty        bigint NOT NULL,
  value      numeric(38, 8) NOT NULL,
  fee        numeric(38, 8) NOT NULL,
  cash_delta numeric(38, 8) NOT NULL,
  at         timestamptz NOT NULL
);
CREATE INDEX ledger_account ON ledger (account_id, entry_id);

CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the ledger is append-only (% refused)', TG_OP;
END
$$;
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- Positions per account and symbol (average cost; cost is signed: avg price x net qty).
CREATE TABLE positions (
  account_id text NOT NULL,
  symbol     text NOT NULL,
  currency   text NOT NULL,
  net_qty    bigint NOT NULL,
  cost       numeric(38, 8) NOT NULL,
  realized   numeric(38, 8) NOT NULL,
  fees       numeric(38, 8) NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, symbol)
);

-- Cash per account and currency.
CREATE TABLE balances (
  account_id text NOT NULL,
  currency   text NOT NULL,
  cash       numeric(38, 8) NOT NULL,
  fees       numeric(38, 8) NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (account_id, currency)
);

-- Last fill price per symbol: the mark for unrealized P&L.
CREATE TABLE marks (
  symbol text PRIMARY KEY,
  price  numeric(38, 8) NOT NULL,
  at     timestamptz NOT NULL
);

-- Down Migration
DROP TABLE marks;
DROP TABLE balances;
DROP TABLE positions;
DROP TABLE ledger;
DROP FUNCTION ledger_append_only();
DROP TABLE fills;
DROP TABLE orders;
DROP TABLE applied_events;
