#!/usr/bin/env python3
"""Markdown table of `pitchforge eval --json` output, per octave: the model and YIN side by
side (RPA50, RPA25, RPA10, RCA50, median and p90 cents, octave errors); a column where the
model is ahead is marked in bold; a split without audio (no YIN) gives the model's rows alone.
Usage: pitchforge eval MODEL DATA --json | eval_table.py"""
import json
import sys

COLS = [("RPA50", "rpa50", 1), ("RPA25", "rpa25", 1), ("RPA10", "rpa10", 1),
        ("RCA50", "rca50", 1), ("median c", "cents_median", -1), ("p90 c", "cents_p90", -1),
        ("octave err", "octave_error_rate", -1)]


def cell(key, v):
    if key == "octave_error_rate":
        return f"{100 * v:.2f}%"
    return f"{v:.1f}" if key.startswith("cents") else f"{v:.3f}"


def main():
    r = json.load(sys.stdin)
    rows = [("all", r["model"], r["yin"])] + [(o["name"].replace("octave ", ""), o["model"], o["yin"])
                                             for o in r["by_octave"]]
    print("| octave | n | estimator | " + " | ".join(c[0] for c in COLS) + " |")
    print("|---|---:|---|" + "---:|" * len(COLS))
    for name, m, y in rows:  # y is None when the split stores no audio: the model alone
        for who, s, other in (("model", m, y), ("YIN", y, m))[:1 if y is None else 2]:
            cells = []
            for _, key, sign in COLS:
                txt = cell(key, s[key])
                ahead = other is not None and (s[key] - other[key]) * sign > 0
                cells.append(f"**{txt}**" if ahead and who == "model" else txt)
            print(f"| {name if who == 'model' else ''} | {s['n'] if who == 'model' else ''} | {who} | "
                  + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
