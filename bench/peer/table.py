#!/usr/bin/env python3
"""Prints the markdown table of a bench/peer/run.sh output directory.

Reads every `<tui>-<server>-n<N>.json` (ptybench output), `<tui>-<server>-n<N>-keys.json`
(keylat.py output) and `<tui>-<server>-n<N>-first.json` (ptybench, ready at the first row) in OUTDIR, and prints one column per configuration, medians over runs,
with the issue's targets and, for fluxdeck, the ratio of N=20000 to N=2000 (flat in N).

Usage: table.py OUTDIR
"""

import glob
import json
import os
import re
import sys

# (label, ptybench median key or keylat key, format, target at N=2000)
ROWS = [
    ("ready (list + first row on screen)", "startup.ready_ms", "{:.0f} ms", "≤ 250 ms"),
    ("first rows on screen", "first.ready_ms", "{:.0f} ms", ""),
    ("change→screen p50", "latency.p50_ms", "{:.1f} ms", "≤ 20 ms"),
    ("change→screen p90", "latency.p90_ms", "{:.1f} ms", "≤ 40 ms"),
    ("change→screen max", "latency.max_ms", "{:.1f} ms", ""),
    ("change→screen misses (of 30, 5 s timeout)", "latency.misses", "{:.0f}", "0"),
    ("server emit→screen p50", "latency.emit_to_screen_p50_ms", "{:.1f} ms", ""),
    ("key→frame p50", "keys.p50_ms", "{:.1f} ms", ""),
    ("key→frame p90", "keys.p90_ms", "{:.1f} ms", ""),
    ("idle CPU (20 s)", "idle.cpu_pct", "{:.2f} %", "< 0.5 %"),
    ("idle output", "idle.bytes_per_min", "{:.0f} B/min", "≤ 1 KB/min"),
    ("idle RSS (VmRSS)", "idle.rss_final_kb", "kb", "≤ 40 MB"),
    ("peak RSS (VmHWM)", "idle.hwm_kb", "kb", ""),
    ("churn 10/s, all: CPU", "churn.all.cpu_pct", "{:.1f} %", "≤ 5 %"),
    ("churn 10/s, all: bytes (11 s)", "churn.all.bytes", "{:.0f} B", ""),
    ("churn 10/s, visible: CPU", "churn.visible.cpu_pct", "{:.1f} %", "≤ 5 %"),
    ("churn 10/s, visible: bytes (11 s)", "churn.visible.bytes", "{:.0f} B", ""),
]

NAME = re.compile(r"^(?P<tui>[a-z0-9]+)-(?P<server>fake|sandbox)-n(?P<n>\d+)\.json$")


def fmt(value, how):
    if value is None:
        return "–"
    if how == "kb":
        return f"{value / 1024:.1f} MB"
    return how.format(value)


def load(outdir):
    configs = []
    for path in sorted(glob.glob(os.path.join(outdir, "*.json"))):
        m = NAME.match(os.path.basename(path))
        if not m:
            continue
        with open(path) as f:
            data = json.load(f)
        values = dict(data.get("median", {}))
        keys_path = path[: -len(".json")] + "-keys.json"
        if os.path.exists(keys_path):
            with open(keys_path) as f:
                keys = json.load(f)
            values.update({f"keys.{k}": v for k, v in keys.items() if isinstance(v, (int, float))})
        first_path = path[: -len(".json")] + "-first.json"
        if os.path.exists(first_path):
            with open(first_path) as f:
                first = json.load(f).get("median", {})
            values["first.ready_ms"] = first.get("startup.ready_ms")
        configs.append({"tui": m["tui"], "server": m["server"], "n": int(m["n"]), "values": values,
                        "runs": f"{data.get('runs_ok', 0)}/{len(data.get('runs', []))}"})
    order = {"fake": 0, "sandbox": 1}
    configs.sort(key=lambda c: (order[c["server"]], c["n"], c["tui"] != "fluxdeck"))
    return configs


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    configs = load(sys.argv[1])
    if not configs:
        sys.exit(f"no ptybench results in {sys.argv[1]}")
    flux = {(c["server"], c["n"]): c["values"] for c in configs if c["tui"] == "fluxdeck"}
    ratios = [(s, small, big) for (s, small) in flux for (s2, big) in flux
              if s == s2 and small == 2000 and big == 20000]
    head = ["", "target (N=2000)"] + [f"{c['tui']} · {c['server']} · N={c['n']}" for c in configs]
    head += [f"fluxdeck {s} 20k/2k" for s, _, _ in ratios]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for label, key, how, target in ROWS:
        cells = [label, target] + [fmt(c["values"].get(key), how) for c in configs]
        for s, _, _ in ratios:
            a, b = flux[(s, 2000)].get(key), flux[(s, 20000)].get(key)
            cells.append(f"{b / a:.2f}×" if a and b is not None else "–")
        print("| " + " | ".join(cells) + " |")
    print("| runs ok | | " + " | ".join(c["runs"] for c in configs) + " |" + " |" * len(ratios))


if __name__ == "__main__":
    main()
