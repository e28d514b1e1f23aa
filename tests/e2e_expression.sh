#!/usr/bin/env bash
# An expressive dataset (manifests/tiny-expressive.yaml): its f0_frames against the pitch measured
# in its own stored audio (tests/ref/check_frames.py), its spectrograms against scipy's STFT of
# that audio (check_dataset.py), and its card and inspect naming the expression.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT
"$PF" generate manifests/tiny-expressive.yaml -o "$T/a" -q --json > "$T/a.json"
"$PY" tests/ref/check_frames.py "$T/a/dataset.h5"
"$PY" tests/ref/check_dataset.py "$T/a" "$T/a.json"
"$PF" verify "$T/a" > "$T/verify.txt" || fail "verify: $(cat "$T/verify.txt")"
echo "ok: expressive dataset verified"
