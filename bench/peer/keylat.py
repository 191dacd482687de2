#!/usr/bin/env python3
"""Key-to-frame latency of a list TUI, on the peer harness's pty and pyte screen.

Imports `Terminal` from the harness (ptybench.py, found through $PEERBENCH) rather than
copying it, so both measurements read the terminal the same way. Starts COMMAND against a
running server (fake_apiserver.py or `fluxdeck sandbox --bench-api`), waits for the ready
texts, then presses a key REPS times and measures, for each press, the time from writing the
key to the pty read that moved the selection marker to another row.

Prints one JSON object: {"reps", "misses", "p50_ms", "p90_ms", "max_ms", "samples_ms"}.

Usage:
  keylat.py --server URL --kubeconfig KC --ready-text 'Kustomizations ({n_ks})' \
      [--key j] [--marker '›'] [--reps 30] -- fluxdeck -A --kubeconfig {kubeconfig}
"""

import argparse
import json
import os
import random
import re
import sys
import tempfile
import time

PEERBENCH = os.environ.get("PEERBENCH") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "tools", "peerbench")
sys.path.insert(0, PEERBENCH)
import ptybench  # noqa: E402  (the harness, by path)


def selected_line(lines, marker):
    """The screen line holding the selection marker, or None."""
    for line in lines:
        if marker in line:
            return line
    return None


def screen_unlocked(term):
    """The screen's lines, for predicates (which run with the terminal's lock held)."""
    return [term.line(y) for y in range(term.rows)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", nargs=argparse.REMAINDER)
    p.add_argument("--server", required=True, help="URL of a server with /bench/summary")
    p.add_argument("--kubeconfig", required=True)
    p.add_argument("--ready-text", action="append", default=[])
    p.add_argument("--key", default="j", help="the key that moves the selection one row")
    p.add_argument("--back-key", default="k", help="the key that moves it back (alternated)")
    p.add_argument("--marker", default="›", help="text only the selected row shows")
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("--cols", type=int, default=160)
    p.add_argument("--rows", type=int, default=48)
    args = p.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        p.error("no command given (put it after --)")
    summary = ptybench.http(args.server.rstrip("/") + "/bench/summary")
    texts = [ptybench.fill(t, summary) for t in args.ready_text]
    argv = [a.replace("{kubeconfig}", args.kubeconfig) for a in cmd]
    home = tempfile.mkdtemp(prefix="keylat-")
    env = dict(os.environ, TERM="xterm-256color", KUBECONFIG=args.kubeconfig, HOME=home,
               XDG_CONFIG_HOME=os.path.join(home, ".config"), XDG_STATE_HOME=os.path.join(home, ".state"),
               XDG_CACHE_HOME=os.path.join(home, ".cache"), XDG_DATA_HOME=os.path.join(home, ".data"))
    for k in ("COLUMNS", "LINES", "TMUX", "STY"):
        env.pop(k, None)
    term = ptybench.Terminal(argv, args.cols, args.rows, env)
    samples, misses = [], 0
    rnd = random.Random(7)
    try:
        if term.wait_for(ptybench.ready_pred(texts, None), 60) is None:
            print(json.dumps({"error": "ready texts not seen", "screen": term.text()}))
            return 1
        time.sleep(1.0)
        for i in range(args.reps):
            before = selected_line(term.text(), args.marker)
            key = args.key if i % 2 == 0 else args.back_key
            t0 = time.monotonic()
            term.send(ptybench.decode_keys(key))

            def moved(lines, t, before=before):
                return selected_line(screen_unlocked(t), args.marker) not in (None, before)

            t = term.wait_for(moved, args.timeout)
            if t is None:
                misses += 1
            else:
                samples.append((t - t0) * 1000)
            time.sleep(0.2 + rnd.uniform(0, 0.2))
    finally:
        term.close()
    out = {"reps": args.reps, "misses": misses,
           "p50_ms": round(ptybench.pct(samples, 50), 1) if samples else None,
           "p90_ms": round(ptybench.pct(samples, 90), 1) if samples else None,
           "max_ms": round(max(samples), 1) if samples else None,
           "samples_ms": [round(s, 1) for s in samples]}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
