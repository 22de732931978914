# make aliases of the original gateway's benchmark and gate targets. Every target only calls an
# npm script (package.json); knobs are environment variables, e.g.
#   RUNS=6 INTERVAL_SEC=600 MIN_PASS_RATIO=1.0 make pure-hft-absolute-gate-loop
# See docs/benchmarks.md for each tool, what it writes and how the gates decide.

.PHONY: help build test wrk-gateway-rust pure-hft-phase2-compare pure-hft-phase2-compare-when-quiet \
	pure-hft-absolute-gate pure-hft-absolute-gate-loop perf-gate-rust perf-gate-rust-ci \
	perf-gate-rust-nightly perf-gate-rust-bless perf-gate-rust-full pure-hft-open-loop-probe \
	pure-hft-local-strict-gate pure-hft-capacity-sweep fdatasync-ab fdatasync-adaptive-sweep \
	durability-tuning-scan durability-tuning-criteria perf-noise-guard openloop-generator-check \
	release-gate

help:
	@sed -n 's/^\([a-z0-9-]*\):.*## \(.*\)/\1\t\2/p' Makefile

build: ## install and compile
	npm run build

test: ## the whole test suite
	npm test

wrk-gateway-rust: ## wrk on WRK_PATH against a running gateway (HOST, PORT, DURATION, CONNECTIONS, THREADS, LATENCY, JWT_HS256_SECRET)
	npm run bench:wrk

pure-hft-phase2-compare: ## baseline vs injected risk cost (RUNS, WARMUP_RUNS, V3_RISK_LOOPS)
	npm run bench:v3:compare

pure-hft-phase2-compare-when-quiet: ## the same, after waiting for a quiet machine
	npm run bench:v3:compare:quiet

pure-hft-absolute-gate: ## /v3 ratios against bare node:http and the raw node:net floor
	npm run gate:absolute

pure-hft-absolute-gate-loop: ## the absolute gate RUNS times, INTERVAL_SEC apart (MIN_PASS_RATIO)
	npm run gate:absolute:loop

perf-gate-rust: ## perf gate against baseline/perf_gate_rust.json
	npm run gate:perf

perf-gate-rust-ci: ## perf gate, exit 1 on FAIL (STRICT=1: also WARN), 3 on INCONCLUSIVE
	npm run gate:perf:ci

perf-gate-rust-nightly: ## longer perf gate (5 rounds, 15 s), CI exit codes
	npm run gate:perf:nightly

perf-gate-rust-bless: ## perf gate, then write its ratios as the new baseline
	npm run gate:perf:bless

perf-gate-rust-full: ## perf gate with load / top-process sampling every 2 s
	npm run gate:perf:full

pure-hft-open-loop-probe: ## open loop at TARGET_RPS vs bare node:http (ENFORCE_GATE=1 sets the exit code)
	npm run gate:open-loop

pure-hft-local-strict-gate: ## the open-loop gate, enforced
	ENFORCE_GATE=1 npm run gate:open-loop

pure-hft-capacity-sweep: ## rising open-loop rates until the p99 target breaks (the knee)
	npm run bench:capacity

fdatasync-ab: ## sync profiles x group-commit cases on /orders
	npm run bench:fdatasync-ab

fdatasync-adaptive-sweep: ## the group-commit sweep (no adaptive batching here: the fixed grid)
	npm run bench:group-commit

durability-tuning-scan: ## the group-commit sweep with the durability criteria reported
	npm run bench:group-commit

durability-tuning-criteria: ## the sweep with the criteria enforced (CAND_CASE)
	npm run gate:durability

perf-noise-guard: ## load, busiest processes, CPU probe (STRICT=1 fails when busy)
	npm run bench:noise

openloop-generator-check: ## which open-loop generator is precise enough on this machine
	npm run bench:openloop:check

release-gate: ## the release in one command: absolute, perf (CI), open-loop (enforced), durability gates (RELEASE_GATES)
	npm run gate:release
