/**
 * The layer order of the source tree, checked in CI (`npm run check:deps`): a module may import
 * only from its own part or from parts below it, and nothing may form a cycle.
 *
 *   lib → protocol → contract → config → auth → risk → orders → fastpath → journal → drain
 *   → confirmation → durable → venue → execution → bus → transport → console (the operator
 *   console's server) → metrics → backoffice → app (app.ts, main.ts, cli, loadgen)
 */
const LAYERS = [
  ['lib', '^src/lib/'],
  ['protocol', '^packages/protocol/'],
  ['contract', '^src/contract/'],
  ['config', '^src/config/'],
  ['auth', '^src/auth/'],
  ['risk', '^src/risk/'],
  ['orders', '^src/orders/'],
  ['fastpath', '^src/fastpath/'],
  ['journal', '^src/journal/'],
  ['drain', '^src/drain/'],
  ['confirmation', '^src/confirmation/'],
  ['durable', '^src/durable/'],
  ['venue', '^src/venue/'],
  ['execution', '^src/execution/'],
  ['bus', '^src/bus/'],
  ['transport', '^src/transport/'],
  ['console', '^src/console/'],
  ['metrics', '^src/metrics/'],
  ['backoffice', '^src/backoffice/'],
  ['client', '^packages/client/'],
  ['app', '^src/(app|main)\\.ts$|^src/(cli|loadgen)/'],
];

const forbidden = [
  {
    name: 'no-circular',
    severity: 'error',
    comment: 'import cycles make start-up order and ownership unclear',
    from: {},
    to: { circular: true },
  },
];
for (let i = 0; i < LAYERS.length; i++) {
  const above = LAYERS.slice(i + 1).map(([, re]) => `(${re})`).join('|');
  if (above === '') continue;
  forbidden.push({
    name: `layer-${LAYERS[i][0]}`,
    severity: 'error',
    comment: `${LAYERS[i][0]} may not import a layer above it`,
    from: { path: LAYERS[i][1] },
    to: { path: above },
  });
}

module.exports = {
  forbidden,
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
  },
};
