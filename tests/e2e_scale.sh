#!/usr/bin/env bash
# Generate at scale: thread count, parts (--part, Slurm, Open MPI) + index, kill -9 + --resume
# all give the bytes of one uninterrupted run; a full disk fails cleanly with no partial shard.
. "$(dirname "$0")/lib_e2e.sh"
trap 'rm -rf "$T"' EXIT
same() {  # reference dir, other dir, what
  for f in "$1"/*.h5; do cmp -s "$f" "$2/$(basename "$f")" || fail "${tag:-} $3: $(basename "$f") differs"; done
  [ "$(cd "$1" && ls *.h5)" = "$(cd "$2" && ls *.h5)" ] || fail "${tag:-} $3: different files"
  echo "ok: ${tag:-} $3 gives the same bytes ($(ls "$1"/*.h5 | wc -l) files)"
}
# every check below, for a static and an expressive manifest (vibrato, bends, glides)
scale_checks() {  # manifest tag
  local M=$1 tag=$2
  mkdir -p "$T/$tag"
  "$PF" generate $M -o "$T/$tag/ref" -j 1 -q

  "$PF" generate $M -o "$T/$tag/j3" -j 3 -q
  same "$T/$tag/ref" "$T/$tag/j3" "-j 3"

  "$PF" generate $M -o "$T/$tag/parts" --part 2/2 -q
  "$PF" generate $M -o "$T/$tag/parts" --part 1/2 -q
  [ ! -e "$T/$tag/parts/dataset.h5" ] || fail "a part run built the index"
  "$PF" index "$T/$tag/parts" 2>/dev/null
  same "$T/$tag/ref" "$T/$tag/parts" "--part 1/2 + 2/2 + index"

  SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_ID=1 "$PF" generate $M -o "$T/$tag/slurm" -q
  SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_ID=3 "$PF" generate $M -o "$T/$tag/slurm" -q
  set +e; "$PF" index "$T/$tag/slurm" 2> "$T/$tag/missing.err"; rc=$?; set -e
  [ $rc = 1 ] && grep -q "missing" "$T/$tag/missing.err" || fail "index accepted missing shards: $(cat "$T/$tag/missing.err")"
  SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=3 SLURM_ARRAY_TASK_ID=2 "$PF" generate $M -o "$T/$tag/slurm" -q
  "$PF" index "$T/$tag/slurm" 2>/dev/null
  same "$T/$tag/ref" "$T/$tag/slurm" "a Slurm array of 3 + index"
  for r in 0 1; do OMPI_COMM_WORLD_RANK=$r OMPI_COMM_WORLD_SIZE=2 "$PF" generate $M -o "$T/$tag/mpi" -q; done
  "$PF" index "$T/$tag/mpi" 2>/dev/null
  same "$T/$tag/ref" "$T/$tag/mpi" "mpirun -n 2 ranks + index"

  # kill -9 midway, then --resume
  "$PF" generate $M -o "$T/$tag/crash" -j 1 -q &
  pid=$!
  for _ in $(seq 1 400); do
    n=$( (find "$T/$tag/crash" -name "*.h5" 2>/dev/null || true) | wc -l)
    [ "$n" -ge 2 ] && break
    sleep 0.01
  done
  kill -9 $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  [ ! -e "$T/$tag/crash/dataset.h5" ] || fail "the run finished before it could be killed"
  /usr/bin/python3 - "$T/$tag/crash" <<'PYEOF'
import glob, sys, h5py
for p in glob.glob(sys.argv[1] + "/*.h5"):
    with h5py.File(p, "r") as f:
        assert f["spectrogram"].shape[0] == f.attrs["n_examples"], p
print("ok: after kill -9 every visible shard is whole")
PYEOF
  "$PF" generate $M -o "$T/$tag/crash" -q --resume --json > "$T/$tag/resume.json"
  grep -q '"shards_kept": [1-9]' "$T/$tag/resume.json" || fail "resume kept nothing: $(cat "$T/$tag/resume.json")"
  # find, not ls | grep -q: under pipefail a broken pipe would hide a match
  [ -z "$(find "$T/$tag/crash" -name '*.tmp')" ] || fail "temp files left after resume"
  same "$T/$tag/ref" "$T/$tag/crash" "kill -9 + --resume"
}
scale_checks manifests/tiny.yaml static
scale_checks manifests/tiny-expressive.yaml expressive
M=manifests/tiny.yaml

# a full disk (file-size limit) fails cleanly: exit 1, a message, no partial shard
set +e
( ulimit -f 600; "$PF" generate $M -o "$T/full" -q ) 2> "$T/full.err"
rc=$?
set -e
[ $rc = 1 ] || fail "full disk: exit $rc, expected 1"
grep -qi "too large\|no space\|cannot" "$T/full.err" || fail "full disk: message: $(cat "$T/full.err")"
[ -z "$(find "$T/full" -name '*.tmp')" ] || fail "full disk left a temp file"
for f in "$T"/full/*.h5; do [ -e "$f" ] && [ "$(stat -c %s "$f")" -le $((600 * 1024)) ] || true; done
echo "ok: a full disk fails with exit 1 ($(head -c 120 "$T/full.err")), no partial shard"
