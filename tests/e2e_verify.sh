#!/usr/bin/env bash
# End to end: generate the tiny dataset, verify it (exit 0), flip one byte in one shard, a
# missing shard and a stray one: verify exits 1 and names each.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT

"$PF" generate manifests/tiny.yaml -o "$T/v" -q
"$PF" verify "$T/v" 2> "$T/ok.err" || fail "verify of a fresh dataset: $(cat "$T/ok.err")"
grep -Eq '^verify: [0-9]+ shards ok, [0-9]+ examples$' "$T/ok.err" || fail "summary: $(cat "$T/ok.err")"
echo "ok: $(cat "$T/ok.err")"

# flip one byte in the middle of one shard
shard=$(ls "$T"/v/train-*.h5 | sed -n 2p)
name=$(basename "$shard")
"$PY" - "$shard" <<'PYEOF'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(0, 2)
    at = f.tell() // 2
    f.seek(at)
    b = f.read(1)[0]
    f.seek(at)
    f.write(bytes([b ^ 0x20]))
PYEOF
set +e; "$PF" verify "$T/v" 2> "$T/bad.err"; rc=$?; set -e
[ $rc = 1 ] || fail "verify of a damaged dataset: exit $rc, expected 1"
grep -q "^damaged: $name: sha256 mismatch" "$T/bad.err" || fail "no damaged line: $(cat "$T/bad.err")"
grep -q "^pitchforge: .*1 of [0-9]* shards damaged or missing: $name\$" "$T/bad.err" ||
  fail "summary: $(cat "$T/bad.err")"
[ "$(grep -c '^damaged:' "$T/bad.err")" = 1 ] || fail "other shards reported: $(cat "$T/bad.err")"
echo "ok: flipped byte in $name found"

# a missing shard and a shard file the index does not list
gone=$(ls "$T"/v/val-*.h5 | head -1)
mv "$gone" "$T/v/test-00009-of-00010.h5"
set +e; "$PF" verify "$T/v" 2> "$T/bad2.err"; rc=$?; set -e
[ $rc = 1 ] || fail "verify with a missing shard: exit $rc, expected 1"
grep -q "^missing: $(basename "$gone"):" "$T/bad2.err" || fail "no missing line: $(cat "$T/bad2.err")"
grep -q "^unlisted: test-00009-of-00010.h5:" "$T/bad2.err" || fail "no unlisted line: $(cat "$T/bad2.err")"
echo "ok: missing and unlisted shards named"

set +e; "$PF" verify 2>/dev/null; rc=$?; set -e
[ $rc = 2 ] || fail "usage error exit $rc, expected 2"
"$PF" verify -h > "$T/help.txt" || fail "verify -h exits non-zero"
grep -q '^usage: pitchforge verify DIR' "$T/help.txt" || fail "verify -h"
