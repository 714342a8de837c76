# mynumber-vault — the two commands a newcomer needs are `make dev` and `make test`.
.PHONY: dev test bench build infra-check tools fmt

## Run the whole product locally on http://127.0.0.1:9000 (PORT=… to change).
dev:
	./scripts/dev.sh

## Install what is missing and run every test (domain, handlers, moto-backed suite, lints).
test:
	./scripts/test.sh

## AWS calls and sequential round trips per operation, and per row of an import and record
## of an export; each function's init next to a hello-world function's; the zips' sizes
## (make build); purge cost at 20,000 records with 200 due (prints figures; moto started
## by the harness).
## Also: the registration chaos run at 2,000 employees under 10% faults (CHAOS_SEED=… reruns a seed).
bench: tools
	cargo run --quiet -p mynumber-tests --bin bench-calls
	./scripts/bench-init.sh
	./scripts/build.sh
	cargo run --quiet -p mynumber-tests --bin bench-purge
	CHAOS_EMPLOYEES=$${CHAOS_EMPLOYEES:-2000} cargo test --quiet -p mynumber-tests --test suite \
	    chaos::registrations_under_ten_percent_faults_leave_one_of_everything

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
