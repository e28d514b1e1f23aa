#!/usr/bin/env bash
# make asan: tests/run.sh on sanitized builds. Usage: tests/asan.sh CLI TEST_BIN...
# The unit tests run as given; the end-to-end scripts run the sanitized CLI (PF_BIN). UBSan
# traps (the build has -fsanitize-undefined-trap-on-error) and ASan reports the trap with its
# stack, so every report of either goes to a file of its own (log_path): a script that expects
# a command to fail (exit 1 on bad input) would otherwise take a sanitizer's exit for that
# failure. Any report other than the suppressed leaks' list fails the run.
set -u
cd "$(dirname "$0")/.."
cli=$1; shift
logs=$(mktemp -d /tmp/pitchforge-asan.XXXXXX)
export ASAN_OPTIONS="detect_leaks=1:handle_sigill=1:log_path=$logs/asan"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
PF_BIN=$cli bash tests/run.sh "$@"
rc=$?
reports=$(grep -l -E "ERROR: |runtime error|SUMMARY: " "$logs"/* 2>/dev/null)
if [ -n "$reports" ]; then
  for f in $reports; do echo "sanitizer report $f:"; sed 's/^/    /' "$f" | head -60; done
  echo "sanitizers: $(echo "$reports" | wc -l) report(s), in $logs"
  exit 1
fi
echo "sanitizers: no reports ($(ls "$logs" | wc -l) processes wrote only suppressed-leak lists)"
rm -rf "$logs"
exit "$rc"
