# The two commands of the README. Everything else is a building block.
.PHONY: demo test setup setup-release fmt lint

# Set up a fresh machine (apt, build, models), compare the bundled models, print the leaderboard.
demo:
	scripts/demo.sh

# Set up what the tests need (apt, build, models), then run the whole test suite.
test: setup
	cargo nextest run --workspace --locked

setup:
	scripts/setup.sh dev

setup-release:
	scripts/setup.sh release

fmt:
	cargo fmt --all

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --locked -- -D warnings

# Scoring throughput vs llama.cpp's raw prefill on Gemma-3-270M (see docs/performance.md).
# Measure on an otherwise idle machine.
.PHONY: bench-scoring
bench-scoring:
	cargo run --release --locked -p yardstick-runner --example scoring_speed -- $(BENCH_ARGS)
