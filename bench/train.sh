#!/usr/bin/env bash
# make bench-train: one training step of the trainer's `seed` and `fast` networks (targets,
# forward, BCE over 370 blurred bins, backward, Adam; batch 32, 2 threads) in pitchforge
# (bench/bench_nn.c, through the trainer's pf_train_step) and in PyTorch 1.13 on the CPU
# (bench/train/bench_torch.py, the same step), interleaved turn by turn by
# bench/train/compare.py: per network three waiting processes (pitchforge, PyTorch plain,
# PyTorch tuned = jemalloc + OpenBLAS, seed also channels-last: the fastest found,
# docs/fast-model.md) take turns, in an order that rotates from round to round. Prints each
# side's median examples/s with the range over the rounds, and pitchforge examples/s / PyTorch
# examples/s (the median and range of the rounds' own ratios, and the ratio of the medians).
#
#   make bench-train                      12 rounds (seed 1 step a turn, fast 3; ~6 minutes)
#   PF_BENCH_QUICK=1 make bench-train     3 rounds (~2 minutes)
#   PF_BENCH_ROUNDS=N                     N rounds
#
# Needs Debian's python3-torch (installed here if missing), jemalloc and OpenBLAS for the tuned
# side: $PF_JEMALLOC and $PF_OPENBLAS_DIR, an installed libjemalloc2 / libopenblas0-openmp, or
# else Debian's packages unpacked (apt-get download, dpkg -x; the machine's libblas.so.3 stays
# as it is) into $PF_BENCH_LIBS (~/.cache/pitchforge/bench-libs). Any side that cannot run
# stops the benchmark with exit status 1: no figure stands in for a missing one.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-/usr/bin/python3}
THREADS=2 BATCH=32
die() { echo "bench-train: $*" >&2; exit 1; }

if ! "$PY" -c "import torch" 2>/dev/null; then
  echo "bench-train: installing python3-torch (Debian) for the PyTorch side" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >&2 ||
    die "cannot install python3-torch; the PyTorch side cannot run"
fi

# Debian package $1's file $2 (a path under usr/lib/x86_64-linux-gnu), unpacked on first use.
unpacked() {
  local dir=${PF_BENCH_LIBS:-${XDG_CACHE_HOME:-$HOME/.cache}/pitchforge/bench-libs}
  local f="$dir/root/usr/lib/x86_64-linux-gnu/$2"
  if [ ! -e "$f" ]; then
    echo "bench-train: unpacking Debian's $1 into $dir (not installed)" >&2
    mkdir -p "$dir" && (cd "$dir" && apt-get download "$1" >/dev/null 2>&1 &&
      dpkg -x "$1"_*.deb root) || die "cannot fetch $1 for the tuned PyTorch side; install it"
  fi
  echo "$f"
}
lib=/usr/lib/x86_64-linux-gnu
[ -n "${PF_JEMALLOC:-}" ] || { [ -e $lib/libjemalloc.so.2 ] && PF_JEMALLOC=$lib/libjemalloc.so.2; } ||
  PF_JEMALLOC=$(unpacked libjemalloc2 libjemalloc.so.2)
[ -n "${PF_OPENBLAS_DIR:-}" ] || { [ -e $lib/openblas-openmp/libblas.so.3 ] &&
  PF_OPENBLAS_DIR=$lib/openblas-openmp; } ||
  PF_OPENBLAS_DIR=$(dirname "$(unpacked libopenblas0-openmp openblas-openmp/libblas.so.3)")
export PF_JEMALLOC PF_OPENBLAS_DIR

if [ -n "${PF_BENCH_QUICK:-}" ]; then rounds=${PF_BENCH_ROUNDS:-3}
else rounds=${PF_BENCH_ROUNDS:-12}; fi
echo "bench-train: $rounds rounds, batch $BATCH, $THREADS threads (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
exec "$PY" bench/train/compare.py --rounds "$rounds" --threads $THREADS --batch $BATCH \
  ${PF_BENCH_JSONL:+--jsonl "$PF_BENCH_JSONL"}
