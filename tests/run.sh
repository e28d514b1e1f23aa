#!/usr/bin/env bash
# Run every cmocka test program given as arguments, then the end-to-end scripts tests/e2e_*.sh.
# Prints each program's outcome and a closing "N passed, N failed" line; exits 1 on any failure.
set -u
cd "$(dirname "$0")/.."
export PY="${PY:-/usr/bin/python3}"
export PF_TEST_TMP="${PF_TEST_TMP:-$(mktemp -d /tmp/pitchforge-test.XXXXXX)}"
passed=0 failed=0 failures=()
for t in "$@"; do
  log="$PF_TEST_TMP/$(basename "$t").log"
  if "$t" >"$log" 2>&1; then st=ok; else st=FAIL; fi
  p=$(grep -Eo '\[  PASSED  \] [0-9]+' "$log" | awk '{s+=$4} END{print s+0}')
  f=$(grep -Eo '\[  FAILED  \] [0-9]+ test' "$log" | awk '{s+=$4} END{print s+0}')
  [ "$st" = FAIL ] && [ "$f" = 0 ] && f=1
  passed=$((passed + p)); failed=$((failed + f))
  printf '%-28s %s (%s passed, %s failed)\n' "$(basename "$t")" "$st" "$p" "$f"
  if [ "$st" = FAIL ]; then failures+=("$t"); sed 's/^/    /' "$log" | tail -40; fi
done
for s in tests/e2e_*.sh; do
  [ -f "$s" ] && [ -z "${PF_NO_E2E:-}" ] || continue
  log="$PF_TEST_TMP/$(basename "$s").log"
  if bash "$s" >"$log" 2>&1; then passed=$((passed + 1)); st=ok
  else failed=$((failed + 1)); st=FAIL; failures+=("$s"); fi
  printf '%-28s %s\n' "$(basename "$s")" "$st"
  [ "$st" = FAIL ] && sed 's/^/    /' "$log" | tail -40
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
