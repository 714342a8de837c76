# mynumber-vault — the two commands a newcomer needs are `make dev` and `make test`.
.PHONY: dev test bench build infra-check tools fmt

## Run the whole product locally on http://127.0.0.1:9000 (PORT=… to change).
dev:
	./scripts/dev.sh

## Install what is missing and run every test (domain, handlers, moto-backed suite, lints).
test:
	./scripts/test.sh

## Purge cost at 20,000 records with 200 due (prints figures; moto started by the harness).
bench: tools
	MOTO_SERVER=$(CURDIR)/scripts/moto-bench-server cargo run --quiet -p mynumber-tests --bin bench-purge

## The three functions as arm64 Lambda zips (cargo lambda + zig), with their sizes.
build:
	./scripts/build.sh

## Offline checks of infra/template.yaml: cfn-lint, sam validate, checkov, cfn-guard (also in `make test`).
infra-check:
	./scripts/infra-check.sh

## Pinned local tools (moto server, cargo-lambda) into ./.venv.
tools:
	./scripts/tools.sh

fmt:
	cargo fmt --all
