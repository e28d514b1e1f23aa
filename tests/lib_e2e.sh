# Sourced by every tests/e2e_*.sh first: strict mode, the project root as the working folder,
# and what the scripts share:
#   PF    the CLI under test (make asan runs the scripts with the sanitized build: PF_BIN)
#   PY    Debian's Python, for the reference checks (numpy, scipy, h5py)
#   T     a fresh temp folder named after the script (under PF_TEST_TMP when tests/run.sh runs it);
#         each script says itself whether to remove it on exit or only on success
#   fail  print FAIL and the message, exit 1
set -euo pipefail
cd "$(dirname "$0")/.."
PF=${PF_BIN:-./pitchforge}
PY=${PY:-/usr/bin/python3}
T=$(mktemp -d "${PF_TEST_TMP:-/tmp}/$(basename "$0" .sh | tr _ -).XXXXXX")
fail() { echo "FAIL: $*"; exit 1; }
