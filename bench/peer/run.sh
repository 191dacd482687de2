#!/usr/bin/env bash
# fluxdeck beside flux9s under the peer harness (issues 4 and 6), then the markdown table.
#
# Usage: bench/peer/run.sh [RUNS] [OUTDIR]      (RUNS default 3; OUTDIR default target/peerbench)
# Env:   PEERBENCH  the harness folder (default: ../shared/tools/peerbench from the repo root,
#                   or ../../shared/tools/peerbench from a worktree under wt/)
#        SIZES      the N to measure (default "2000 20000")
#        TUIS       which to measure (default "fluxdeck flux9s"; flux9s only when on PATH);
#                   runs into the same OUTDIR add up, and the table shows all of them
#
# For each N: fluxdeck and flux9s (when on PATH) on the harness's fake API server, a fresh
# server per run; then fluxdeck on its own sandbox (`fluxdeck sandbox --scenario scale:N
# --bench-api`, started and stopped here). Key-to-frame latency comes from keylat.py.
# Needs python3 with pyte (`pip install pyte`). Everything listens on 127.0.0.1.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
here="$repo/bench/peer"
peer=${PEERBENCH:-}
if [ -z "$peer" ]; then
  for p in "$repo/../shared/tools/peerbench" "$repo/../../shared/tools/peerbench"; do
    [ -f "$p/ptybench.py" ] && { peer=$(cd "$p" && pwd); break; }
  done
fi
export PEERBENCH=$peer
runs=${1:-3}
out=${2:-$repo/target/peerbench}
sizes=${SIZES:-2000 20000}
target_dir=${CARGO_TARGET_DIR:-$repo/target}
fd="$target_dir/release/fluxdeck"

[ -f "$peer/ptybench.py" ] || { echo "no harness at $peer: set PEERBENCH" >&2; exit 1; }
python3 -c 'import pyte' 2>/dev/null || { echo "the harness needs pyte: pip install pyte" >&2; exit 1; }
mkdir -p "$out"
(cd "$repo" && cargo build --release --locked --bin fluxdeck)

tuis=" ${TUIS:-fluxdeck flux9s} "
want() { [[ "$tuis" == *" $1 "* ]]; }
flux9s=""
if want flux9s && command -v flux9s >/dev/null; then
  flux9s=$(command -v flux9s)
fi

# The harness's ready condition: the pane title with the count, and the first row.
fd_ready=(--ready-text 'Kustomizations ({n_ks})' --ready-text '{first_ks}')
fd_cmd=(-- "$fd" -A --kubeconfig '{kubeconfig}')
# "First rows": start-up only, ready when the first row is on screen (fluxdeck shows a first
# list as it comes, the title saying "so far"; see state::table). Into <name>-first.json.
first_only=(--ready-text '{first_ks}' --latency-reps 1 --idle 1 --churn-seconds 0 --settle 1)

sandbox_pid=""
sandbox_dir=""
stop_sandbox() {
  if [ -n "$sandbox_pid" ]; then
    kill "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
    sandbox_pid=""
  fi
  if [ -n "$sandbox_dir" ]; then
    rm -rf "$sandbox_dir"
    sandbox_dir=""
  fi
}
trap stop_sandbox EXIT

# Starts `fluxdeck sandbox --scenario scale:N --bench-api`; sets sandbox_url and sandbox_kc.
start_sandbox() {
  local n=$1
  sandbox_dir=$(mktemp -d)
  sandbox_kc="$sandbox_dir/kubeconfig"
  "$fd" sandbox --scenario "scale:$n" --bench-api --kubeconfig "$sandbox_kc" \
    --log-file "$sandbox_dir/sandbox.log" >"$sandbox_dir/out" 2>&1 &
  sandbox_pid=$!
  local url=""
  for _ in $(seq 1 600); do
    url=$(sed -n 's/.* serving on https:\/\/\([0-9.:]*\).*/\1/p' "$sandbox_dir/out")
    [ -n "$url" ] && break
    kill -0 "$sandbox_pid" 2>/dev/null || { cat "$sandbox_dir/out" >&2; exit 1; }
    sleep 0.1
  done
  [ -n "$url" ] || { echo "the sandbox did not start within 60 s" >&2; exit 1; }
  sandbox_url="http://$url"
}

keylat() {  # keylat OUTFILE URL KC
  python3 "$here/keylat.py" --server "$2" --kubeconfig "$3" "${fd_ready[@]}" \
    -- "$fd" -A --kubeconfig '{kubeconfig}' >"$1"
}

for n in $sizes; do
  if want fluxdeck; then
    echo "== N=$n: fluxdeck on the fake API server" >&2
    python3 "$peer/ptybench.py" --spawn-server -n "$n" --runs "$runs" --isolate-home \
      --label "fluxdeck, fake server, N=$n" "${fd_ready[@]}" \
      --json-out "$out/fluxdeck-fake-n$n.json" "${fd_cmd[@]}" >/dev/null || true
    python3 "$peer/ptybench.py" --spawn-server -n "$n" --runs "$runs" --isolate-home \
      --label "fluxdeck, fake server, N=$n, first rows" "${first_only[@]}" \
      --json-out "$out/fluxdeck-fake-n$n-first.json" "${fd_cmd[@]}" >/dev/null || true
    # Key latency on one fake server (its start-up is not measured).
    fake_dir=$(mktemp -d)
    python3 "$peer/fake_apiserver.py" --kustomizations "$n" --port 0 --kubeconfig "$fake_dir/kc" \
      --port-file "$fake_dir/port" --max-seconds 300 >"$fake_dir/log" 2>&1 &
    fake_pid=$!
    for _ in $(seq 1 300); do [ -s "$fake_dir/port" ] && break; sleep 0.1; done
    keylat "$out/fluxdeck-fake-n$n-keys.json" "http://127.0.0.1:$(cat "$fake_dir/port")" "$fake_dir/kc" || true
    kill "$fake_pid" 2>/dev/null || true
    wait "$fake_pid" 2>/dev/null || true
    rm -rf "$fake_dir"
  fi

  if [ -n "$flux9s" ]; then
    echo "== N=$n: flux9s on the fake API server" >&2
    python3 "$peer/ptybench.py" --spawn-server -n "$n" --runs "$runs" --isolate-home \
      --env 'FLUX9S_CONFIG_DIR={here}/flux9s-splashless' --label "flux9s -c ks, N=$n, splashless" \
      --ready-text 'Kustomization ({n_ks})' --ready-text '{first_ks}' \
      --json-out "$out/flux9s-fake-n$n.json" -- "$flux9s" --kubeconfig '{kubeconfig}' -c ks >/dev/null || true
    python3 "$peer/ptybench.py" --spawn-server -n "$n" --runs "$runs" --isolate-home \
      --env 'FLUX9S_CONFIG_DIR={here}/flux9s-splashless' --label "flux9s -c ks, N=$n, first rows" \
      "${first_only[@]}" \
      --json-out "$out/flux9s-fake-n$n-first.json" -- "$flux9s" --kubeconfig '{kubeconfig}' -c ks >/dev/null || true
  fi

  want fluxdeck || continue
  echo "== N=$n: fluxdeck on its sandbox (scale:$n)" >&2
  start_sandbox "$n"
  python3 "$peer/ptybench.py" --server "$sandbox_url" --kubeconfig "$sandbox_kc" --runs "$runs" \
    --isolate-home --label "fluxdeck, sandbox scale:$n" "${fd_ready[@]}" \
    --json-out "$out/fluxdeck-sandbox-n$n.json" "${fd_cmd[@]}" >/dev/null || true
  python3 "$peer/ptybench.py" --server "$sandbox_url" --kubeconfig "$sandbox_kc" --runs "$runs" \
    --isolate-home --label "fluxdeck, sandbox scale:$n, first rows" "${first_only[@]}" \
    --json-out "$out/fluxdeck-sandbox-n$n-first.json" "${fd_cmd[@]}" >/dev/null || true
  keylat "$out/fluxdeck-sandbox-n$n-keys.json" "$sandbox_url" "$sandbox_kc" || true
  stop_sandbox
done

echo >&2
echo "Machine: $(nproc) cores, $(uname -sr); $(date -u +%Y-%m-%d); medians of $runs runs" >&2
echo "Raw results: $out" >&2
python3 "$here/table.py" "$out"
