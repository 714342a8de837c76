# mynumber-vault — the two commands a newcomer needs are `make dev` and `make test`.
.PHONY: dev test tools fmt lint unit

## Run the whole product locally on http://127.0.0.1:9000 (PORT=… to change).
dev:
	./scripts/dev.sh

## Install what is missing and run every test (domain, handlers, moto-backed suite, lints).
test:
	./scripts/test.sh

## Pinned local tools (moto server, cargo-lambda) into ./.venv.
tools:
	./scripts/tools.sh

fmt:
	cargo fmt --all
