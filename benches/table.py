#!/usr/bin/env python3
"""Prints the markdown tables of benches/README.md from the latest criterion run
(target/criterion/*/*/*/new/estimates.json): mean time, throughput in GB/s (10^9 bytes/s),
and, for each peer, our speed divided by its speed ("ours: 2.0×" = we are twice as
fast), both measured in the same run.

    cargo bench -p mastostream-benches && python3 benches/table.py
"""
import json
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent / "target" / "criterion"


def load():
    rows = {}
    for est in ROOT.glob("**/new/estimates.json"):
        bench = json.loads((est.parent / "benchmark.json").read_text())
        mean = json.loads(est.read_text())["mean"]
        nbytes = (bench.get("throughput") or {}).get("Bytes")
        rows[bench["full_id"]] = (mean["point_estimate"], mean["confidence_interval"], nbytes)
    return rows


def fmt_rate(nbytes, ns):
    gbs = nbytes / ns
    return f"{gbs:.2f} GB/s" if gbs >= 1 else f"{gbs * 1e3:.0f} MB/s"


def fmt_time(ns):
    return f"{ns / 1e6:.2f} ms" if ns >= 1e5 else f"{ns / 1e3:.1f} µs"


def table(rows, group, ours, variants, peers):
    print(f"\n| {group} | " + " | ".join(variants) + " |")
    print("|---" * (len(variants) + 1) + "|")
    for who in [ours] + peers:
        cells = []
        for v in variants:
            key = f"{group}/{who}/{v}" if v else f"{group}/{who}"
            if key not in rows:
                cells.append("–")
                continue
            ns, _, nbytes = rows[key]
            cell = f"{fmt_time(ns)}, **{fmt_rate(nbytes, ns)}**"
            if who != ours:
                mine = rows.get(f"{group}/{ours}/{v}")
                if mine:
                    cell += f" (ours: {ns / mine[0]:.1f}×)"
            cells.append(cell)
        print(f"| {who} | " + " | ".join(cells) + " |")


def main():
    rows = load()
    if not rows:
        sys.exit(f"no criterion results under {ROOT}")
    table(rows, "sse_framing", "mastostream", ["1KiB", "16KiB", "64KiB"],
          ["sse-stream", "eventsource-stream"])
    table(rows, "large_event", "mastostream", ["1MiB_in_1KiB", "8MiB_in_1KiB"],
          ["sse-stream", "eventsource-stream"])
    print("\n| pipeline (16 KiB reads) | time | throughput |")
    print("|---|---|---|")
    for name in ["mastostream/frames", "mastostream/routing", "mastostream/typed/serde_json",
                 "mastostream/typed/simd-json", "eventsource-stream+serde_json/typed"]:
        key = f"pipeline/{name}"
        if key in rows:
            ns, _, nbytes = rows[key]
            print(f"| {name} | {fmt_time(ns)} | **{fmt_rate(nbytes, ns)}** |")
    peer = rows.get("pipeline/eventsource-stream+serde_json/typed")
    for name in ["typed/serde_json", "typed/simd-json"]:
        mine = rows.get(f"pipeline/mastostream/{name}")
        if peer and mine:
            print(f"\nmastostream/{name} vs eventsource-stream+serde_json: "
                  f"ours: {peer[0] / mine[0]:.2f}×")


if __name__ == "__main__":
    main()
