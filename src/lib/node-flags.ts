/**
 * The V8 flags the gateway process runs with: `npm start` passes them (package.json), and so do
 * the benchmarks (bench/lib/proc.ts); a test checks the two agree.
 *
 * `--max-semi-space-size=64` (MB; V8's default on 64-bit Node 20 is 16): every order working at a
 * venue is held by the execution stage, so under load the young generation fills with objects
 * that survive, and each scavenge also walks the remembered set of the old-space tables that
 * point at them. Larger semi-spaces mean fewer scavenges for the same survivors. Measured with
 * `VARIANT_ENV=NODE_OPTIONS=--max-semi-space-size=64 npm run bench:v3` (embedded venue on,
 * 2 rounds, same run): CPU per /v3 order 25–28 + 11–14 µs on the event loop and 17–24 µs on other
 * threads, against 34–36 + 11–14 µs and 36–38 µs without; throughput 1.3–2× in the same rounds.
 * Costs at most 3 × 64 MB of young generation.
 */
export const GATEWAY_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];
