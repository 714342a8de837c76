#!/usr/bin/env bash
# Offline checks of infra/template.yaml, with pinned tools it installs when missing:
#   cfn-lint        no errors and no warnings
#   sam validate    the SAM transform and `sam validate --lint`
#   checkov         no failed check; every skip in the template carries a written reason
#   cfn-guard       infra/guard/*.guard: every rule PASSes on the template (none skipped),
#                   and every infra/guard/failing/*.yaml fails exactly the rules its
#                   `# expect-fail:` line names (each rule must be failed by some example)
#   consistency     each infra/queries/*.logsinsights is byte for byte a QueryDefinition;
#                   index projections and function environments match the Rust code
# Tools: PyPI pins in scripts/requirements-infra.txt ([venv-infra] -> .local/venv-infra,
# [venv-sam] -> .local/venv-sam), cfn-guard from crates.io into .local/cargo. Needs only
# Python 3 with venv, the Rust toolchain and the package registries; no AWS credentials.
# Prints one line per check and exits non-zero if any check fails. With --install-only it
# installs the tools and stops.
set -euo pipefail

GUARD_VERSION=3.2.1

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
req="scripts/requirements-infra.txt"
local_dir="$root/.local"
logs="$local_dir/infra-check"
template="infra/template.yaml"
guard="$local_dir/cargo/bin/cfn-guard"
mkdir -p "$logs"
started=$SECONDS

say() { printf 'infra-check: %s\n' "$*"; }

# The pinned requirements of one [section] of $req.
section() {
    awk -v want="# [$1]" '
        /^# \[/ { on = ($0 == want); next }
        on && NF && $1 !~ /^#/ { print }
    ' "$req"
}

# Creates .local/<name> from section <name> unless its stamp says it is up to date.
ensure_venv() {
    local name="$1" venv="$local_dir/$1"
    local want
    want="$(section "$name")"
    if [ -z "$want" ]; then
        echo "no [$name] section in $req" >&2
        return 1
    fi
    if [ -f "$venv/.installed-from" ] && [ "$(cat "$venv/.installed-from")" = "$want" ]; then
        return 0
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    printf '%s\n' "$want" >"$venv/requirements.txt"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
        -r "$venv/requirements.txt"
    printf '%s' "$want" >"$venv/.installed-from"
}

ensure_guard() {
    if [ -x "$guard" ] && [ "$("$guard" --version 2>/dev/null)" = "cfn-guard $GUARD_VERSION" ]; then
        return 0
    fi
    cargo install cfn-guard --version "$GUARD_VERSION" --locked --root "$local_dir/cargo" --quiet
}

# ---------------------------------------------------------------- tools (in parallel)

install_failed=0
pids=()
names=()
for step in "venv-infra:ensure_venv venv-infra" "venv-sam:ensure_venv venv-sam" "cfn-guard:ensure_guard"; do
    name="${step%%:*}"
    ( ${step#*:} ) >"$logs/install-$name.log" 2>&1 &
    pids+=("$!")
    names+=("$name")
done
for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
        say "installing ${names[$i]} FAILED:"
        tail -n 30 "$logs/install-${names[$i]}.log" >&2
        install_failed=1
    fi
done
if [ "$install_failed" -ne 0 ]; then
    exit 1
fi
say "tools: $({ cat "$local_dir/venv-infra/.installed-from"; echo; cat "$local_dir/venv-sam/.installed-from"; echo; } | tr '\n' ' ')cfn-guard==$GUARD_VERSION ($((SECONDS - started)) s)"
# `--install-only`: installs the tools and stops (to warm a machine). Running it beside the
# lints was tried: the downloads and cfn-guard's build slowed tools.sh and clippy by more
# than they saved.
if [ "${1:-}" = "--install-only" ]; then
    exit 0
fi

# ---------------------------------------------------------------- checks

failures=()
# run <name> <command...>: output to a log, one summary line, the log only on failure.
run() {
    local name="$1"
    shift
    local log="$logs/$name.log" t0=$SECONDS
    if "$@" >"$log" 2>&1; then
        say "$(printf '%-14s' "$name") ok ($((SECONDS - t0)) s)$(summary_of "$name" "$log")"
    else
        say "$(printf '%-14s' "$name") FAILED ($((SECONDS - t0)) s):"
        sed 's/^/    /' "$log"
        failures+=("$name")
    fi
}

summary_of() {
    case "$1" in
        checkov) grep -o 'Passed checks: [0-9]*, Failed checks: [0-9]*, Skipped checks: [0-9]*' "$2" | sed 's/^/ — /' || true ;;
        cfn-guard | consistency) tail -n 1 "$2" | sed 's/^/ — /' ;;
        *) ;;
    esac
}

check_cfn_lint() {
    # Exit status bits: 2 errors, 4 warnings, 8 informational. Errors and warnings fail.
    local rc=0
    "$local_dir/venv-infra/bin/cfn-lint" "$template" || rc=$?
    [ $((rc & 6)) -eq 0 ]
}

check_sam() {
    # Dummy credentials and a region: neither command calls AWS.
    (
        cd infra
        export AWS_REGION=ap-northeast-1 AWS_DEFAULT_REGION=ap-northeast-1 \
            AWS_ACCESS_KEY_ID=offline AWS_SECRET_ACCESS_KEY=offline \
            SAM_CLI_TELEMETRY=0 SAM_CLI_CONTEXT=infra-check
        "$local_dir/venv-sam/bin/sam" validate --template template.yaml &&
            "$local_dir/venv-sam/bin/sam" validate --lint --template template.yaml
    )
}

check_checkov() {
    # (No `set -e` here: run() calls the checks as `if` conditions; statuses are explicit.)
    local rc=0
    "$local_dir/venv-infra/bin/checkov" -f "$template" --framework cloudformation \
        --skip-download --compact --quiet || rc=1
    # Every skip must say why, inside the template.
    "$local_dir/venv-infra/bin/python" - "$template" <<'PY' || rc=1
import sys, yaml

class Loader(yaml.SafeLoader):
    pass

def tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}

Loader.add_multi_constructor("!", tagged)
doc = yaml.load(open(sys.argv[1], encoding="utf-8"), Loader=Loader)
bad, skips = [], []
for name, res in doc["Resources"].items():
    for skip in ((res.get("Metadata") or {}).get("checkov") or {}).get("skip") or []:
        comment = str(skip.get("comment") or "").strip()
        skips.append(f"{name}:{skip.get('id')}")
        if not skip.get("id") or len(comment) < 20:
            bad.append(f"{name}: skip {skip.get('id')!r} needs a written reason (comment)")
print("skips:", ", ".join(skips) or "none")
if bad:
    print("\n".join(bad))
    sys.exit(1)
PY
    return "$rc"
}

check_guard() {
    python3 - "$guard" infra/guard "$template" infra/guard/failing <<'PY'
import glob, json, os, re, subprocess, sys

guard, rules_dir, template, failing_dir = sys.argv[1:5]
rules = set()
for path in sorted(glob.glob(os.path.join(rules_dir, "*.guard"))):
    rules |= set(re.findall(r"(?m)^rule\s+(\w+)", open(path, encoding="utf-8").read()))
if not rules:
    sys.exit(f"no rules in {rules_dir}")

def evaluate(data):
    out = subprocess.run(
        [guard, "validate", "--rules", rules_dir, "--data", data,
         "--output-format", "json", "--show-summary", "none"],
        capture_output=True, text=True)
    if out.returncode not in (0, 19):
        return out.returncode, None, (out.stdout + out.stderr).strip()
    report = json.loads(out.stdout)
    failed = {r["Rule"]["name"] if isinstance(r, dict) and "Rule" in r else str(r)
              for r in report["not_compliant"]}
    return out.returncode, {"fail": failed, "skip": set(report["not_applicable"]),
                            "pass": set(report["compliant"])}, ""

problems = []
rc, res, err = evaluate(template)
if res is None:
    problems.append(f"{template}: cfn-guard exit {rc}: {err}")
else:
    if rc != 0 or res["fail"]:
        problems.append(f"{template}: rules failed: {', '.join(sorted(res['fail']))}")
        # The readable report, for whoever has to fix it.
        problems.append(subprocess.run([guard, "validate", "--rules", rules_dir, "--data", template],
                                       capture_output=True, text=True).stdout)
    if res["skip"]:
        problems.append(f"{template}: rules skipped (they no longer see what they check): "
                        f"{', '.join(sorted(res['skip']))}")

examples = sorted(glob.glob(os.path.join(failing_dir, "*.yaml")))
covered = set()
for path in examples:
    m = re.search(r"(?m)^# expect-fail:(.*)$", open(path, encoding="utf-8").read())
    if not m:
        problems.append(f"{path}: no '# expect-fail: <rule> ...' line")
        continue
    expected = set(m.group(1).split())
    unknown = expected - rules
    if unknown:
        problems.append(f"{path}: expects unknown rules {sorted(unknown)}")
    covered |= expected
    rc, res, err = evaluate(path)
    if res is None:
        problems.append(f"{path}: cfn-guard exit {rc}: {err}")
    elif rc != 19 or not res["fail"]:
        problems.append(f"{path}: ACCEPTED, but it must fail {sorted(expected)}")
    elif res["fail"] != expected:
        problems.append(f"{path}: failed {sorted(res['fail'])}, expected exactly {sorted(expected)}")

never = rules - covered
if never:
    problems.append(f"rules no failing example shows failing: {', '.join(sorted(never))}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(rules)} rules pass on the template; {len(examples)} failing examples rejected as expected")
PY
}

check_consistency() {
    "$local_dir/venv-infra/bin/python" - "$template" infra/queries <<'PY'
import glob, os, re, sys, yaml

class Loader(yaml.SafeLoader):
    pass

def tagged(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}

Loader.add_multi_constructor("!", tagged)
template, queries = sys.argv[1:3]
doc = yaml.load(open(template, encoding="utf-8"), Loader=Loader)
resources = doc["Resources"]
problems = []

# Saved queries: each file is byte for byte the QueryString of the definition named after it.
defs = {}
for name, res in resources.items():
    if res.get("Type") == "AWS::Logs::QueryDefinition":
        qname = res["Properties"]["Name"]
        qname = qname.get("Sub", qname) if isinstance(qname, dict) else qname
        defs[qname.rsplit("/", 1)[-1]] = (name, res["Properties"]["QueryString"])
files = sorted(glob.glob(os.path.join(queries, "*.logsinsights")))
for path in files:
    stem = os.path.basename(path)[: -len(".logsinsights")]
    text = open(path, encoding="utf-8").read()
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append(f"{path}: must end with exactly one newline")
    if stem not in defs:
        problems.append(f"{path}: no QueryDefinition named .../{stem}")
    elif defs[stem][1] != text:
        problems.append(f"{path}: QueryString of {defs[stem][0]} differs from the file")
for stem, (name, _) in defs.items():
    if not os.path.exists(os.path.join(queries, stem + ".logsinsights")):
        problems.append(f"{name}: no file {queries}/{stem}.logsinsights")

# Index projections: exactly OWNER_PROJECTION of shared/aws/src/item.rs (all but `ct`).
item_rs = open("shared/aws/src/item.rs", encoding="utf-8").read()
m = re.search(r"OWNER_PROJECTION: &\[&str\] = &\[(.*?)\];", item_rs, re.S)
projection = re.findall(r'"([^"]+)"', m.group(1)) if m else []
if not projection:
    problems.append("shared/aws/src/item.rs: OWNER_PROJECTION not found")
table = resources["Table"]["Properties"]
indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
for index in ("by_owner", "by_due"):
    got = indexes.get(index, {}).get("Projection", {})
    if got.get("ProjectionType") != "INCLUDE" or got.get("NonKeyAttributes") != projection:
        problems.append(f"Table index {index}: projection must be INCLUDE {projection}")
    if "ct" in (got.get("NonKeyAttributes") or []):
        problems.append(f"Table index {index} projects the ciphertext ct")

# Function environments: only variables the code reads (RUST_LOG through tracing's EnvFilter).
read_by_libraries = {"RUST_LOG"}
code = "".join(open(p, encoding="utf-8").read()
               for p in glob.glob("shared/*/src/**/*.rs", recursive=True)
               + glob.glob("functions/*/src/*.rs"))
for name, res in resources.items():
    if res.get("Type") != "AWS::Serverless::Function":
        continue
    for var in (res["Properties"].get("Environment") or {}).get("Variables", {}):
        if var not in read_by_libraries and f'"{var}"' not in code:
            problems.append(f"{name}: environment variable {var} is read by no code")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"{len(files)} saved queries match their files; index projections and environment match the code")
PY
}

run cfn-lint check_cfn_lint
run sam-validate check_sam
run checkov check_checkov
run cfn-guard check_guard
run consistency check_consistency

if [ "${#failures[@]}" -ne 0 ]; then
    say "FAILED: ${failures[*]} ($((SECONDS - started)) s; logs in ${logs#"$root"/})"
    exit 1
fi
say "all checks passed ($((SECONDS - started)) s)"
