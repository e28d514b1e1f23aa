#!/usr/bin/env bash
# Run each fuzz target for FUZZ_SECONDS (default 60) from its committed seeds
# tests/fuzz/corpus/TARGET (fuzz_h5 also from the files make_seeds writes), keeping what it
# finds in BUILD/corpus/TARGET and crashes in BUILD/crashes/. A crash whose stack starts inside
# libhdf5 (a bug of HDF5 1.10 on crafted files, docs/fuzzing.md) is listed in
# BUILD/crashes/libhdf5.txt and fuzzing goes on until the time is up; any other crash, sanitizer
# report, timeout or out-of-memory fails the run. Prints a line of figures per target.
# usage: tests/fuzz/run.sh BUILD TARGET...   (make fuzz calls it; docs/fuzzing.md)
set -u
build=$1
shift
secs=${FUZZ_SECONDS:-60}
here=$(cd "$(dirname "$0")" && pwd)
# Allocations over 1 GiB fail (NULL) instead of aborting: libhdf5 asks for what a crafted header
# says and copes with NULL; ours abort on out-of-memory, which the fuzzer then reports.
# ASan reports from its interceptors (memcpy, ...) called inside libhdf5 are suppressed
# (asan.supp); leaks are looked for in fuzz_yaml only (libhdf5 keeps free lists and ids).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export OMP_NUM_THREADS=1
asan="allocator_may_return_null=1:max_allocation_size_mb=1024:suppressions=$here/asan.supp"
seeds=$build/seeds
rm -rf "$seeds" && mkdir -p "$seeds" "$build/crashes"
"$build/make_seeds" "$seeds" || exit 1

# The first stack frame of a report in @1 outside the sanitizers and libFuzzer (and libc: a
# timeout's stack starts at the signal handler's return).
first_frame() {
    grep -E '^ +#[0-9]+ ' "$1" | grep -vE ' in (__interceptor_|__asan|__sanitizer|__ubsan|fuzzer::)|libc\.so' |
        head -1
}

# Fuzz target @1 until the time is up; 0 when nothing but libhdf5 crashes turned up.
fuzz_one() {
    local t=$1 corpus=$build/corpus/$1 log=$build/$1.log end=$((SECONDS + secs)) execs=0 hdf5=0
    local dirs=("$corpus") leaks=0 dict=()
    mkdir -p "$corpus"
    [ -d "$here/corpus/$t" ] && dirs+=("$here/corpus/$t")
    [ "$t" = fuzz_h5 ] && dirs+=("$seeds")
    [ "$t" = fuzz_yaml ] && leaks=1 && dict=(-dict="$here/yaml.dict")
    while [ $SECONDS -lt "$end" ]; do
        # shellcheck disable=SC2086  # FUZZ_FLAGS is a list of options
        ASAN_OPTIONS=${ASAN_OPTIONS:-$asan:detect_leaks=$leaks} "$build/$t" \
            -max_total_time=$((end - SECONDS)) -print_final_stats=1 -timeout=10 \
            -rss_limit_mb=2048 -detect_leaks=$leaks -artifact_prefix="$build/crashes/$t-" \
            "${dict[@]}" ${FUZZ_FLAGS:-} "${dirs[@]}" < /dev/null > "$log" 2>&1
        local rc=$?
        local ran
        ran=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        execs=$((execs + ${ran:-0}))
        grep -E '^#[0-9]+[[:space:]].*cov:' "$log" | tail -1 > "$build/$t.last"
        [ $rc -eq 0 ] && break
        local art frame
        art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
        frame=$(first_frame "$log")
        if [ -z "$art" ] || ! grep -q 'libhdf5' <<< "$frame"; then
            grep -E 'ERROR|SUMMARY|^ +#[0-9]+ |runtime error' "$log" | head -40 >&2
            echo "$t: crash not in libhdf5 (input $art, log $log)" >&2
            return 1
        fi
        hdf5=$((hdf5 + 1))
        echo "$(basename "$art") ${frame#*in }" >> "$build/crashes/libhdf5.txt"
        rm -f "$corpus/${art##*-}" # an input that crashes on loading the corpus would stop us
    done
    echo "$t: ${secs}s, $execs executions, $((execs / (secs > 0 ? secs : 1))) exec/s," \
        "$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$build/$t.last")," \
        "$hdf5 crashes inside libhdf5 (crashes/libhdf5.txt), none in our code" >&2
}

failed=
for t in "$@"; do
    echo "== $t: ${secs}s" >&2
    fuzz_one "$t" || failed="$failed $t"
done
if [ -n "$failed" ]; then
    echo "make fuzz: crashes in$failed (inputs in $build/crashes/)" >&2
    exit 1
fi
echo "make fuzz: no crash in our code ($* for ${secs}s each)" >&2
