#!/usr/bin/env bash
# A real Slurm cluster on this machine (issue 29, item 3): as root, with Debian's munge, slurmctld,
# slurmd and slurm-client (make test-cluster installs them), start munged, slurmctld and slurmd on
# localhost from a slurm.conf and a munge key generated in a temporary folder; then run the
# README's cluster commands as written there (the blocks under "<!-- run by tests/cluster/run.sh
# -->", with M, D and C set here):
#   1. `sbatch --array` generate (one part per task) + an `index` job depending on it (afterok):
#      every shard and dataset.h5 must be the bytes of a one-process `generate -j 1` run;
#   2. `srun --mpi=pmix -n 2 ./pitchforge train` of a tiny config: its weights must equal a
#      `mpirun -n 2` run of the same config (skipped, saying so, when this build has no MPI).
# Every daemon started is recorded by pid and stopped on exit, failure included (jobs first
# cancelled); the temporary folder is removed (PF_CLUSTER_KEEP=1 keeps it). Prints a summary of
# the jobs (state, exit, queue and run times) and of the phases. Exit 0 ok, 1 failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
PF=./pitchforge
PY=${PY:-/usr/bin/python3}
passed=0 failed=0 skipped=0

# a launcher's variables in our environment would point srun at another cluster's allocation
# shellcheck disable=SC2046 # one word per variable name
unset $(compgen -e | grep -E '^(SLURM|SBATCH|SALLOC|SRUN)_' || true)

now() { echo "$EPOCHREALTIME"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
die() {
  echo "FAIL: $*"
  failed=$((failed + 1))
  exit 1
}
ok() {
  echo "ok: $*"
  passed=$((passed + 1))
}

[ "$(id -u)" = 0 ] || { echo "tests/cluster/run.sh: needs root (it starts munged, slurmctld, slurmd)"; exit 1; }
for c in munged mungekey munge unmunge slurmctld slurmd sbatch srun sinfo squeue scontrol scancel; do
  command -v "$c" > /dev/null || { echo "tests/cluster/run.sh: no $c; make test-cluster installs CLUSTER_PKGS"; exit 1; }
done
[ -x "$PF" ] || { echo "tests/cluster/run.sh: no $PF; run make first"; exit 1; }

T0=$(now)
T=$(mktemp -d /tmp/pitchforge-cluster.XXXXXX)
chmod 711 "$T" # munged wants search permission for all on the folders above its socket
mkdir -p "$T/state" "$T/spool" "$T/jobs"
DAEMONS=() # "name pid" of each daemon started, stopped in reverse order
PHASES=()  # "phase seconds" for the summary

# The Nth block (1-based) that follows a "<!-- run by tests/cluster/run.sh -->" line in README.md.
readme_block() {
  awk -v want="$1" '/^<!-- run by tests\/cluster\/run.sh -->$/ { n++; next }
    n == want && /^```/ { if (inside) exit; inside = 1; next }
    n == want && inside' README.md
}

# ---- stop everything started, by pid --------------------------------------------------------

stop_pid() { # name pid
  kill -TERM "$2" 2> /dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$2" 2> /dev/null || break; sleep 0.1; done
  if kill -0 "$2" 2> /dev/null; then
    echo "cluster: $1 (pid $2) ignored TERM for 10 s; KILL"
    kill -KILL "$2" 2> /dev/null || true
  fi
  wait "$2" 2> /dev/null || true
  echo "cluster: stopped $1 (pid $2)"
}

# The processes of this cluster other than its daemons and their helpers (slurmctld's
# slurmscriptd): slurmstepd and the jobs' processes, known by the SLURM_CONF they inherited from
# slurmd (it names this run's temporary folder). Builtins only: a child process would carry the
# variable too.
cluster_pids() {
  local p v env ppid
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [[ " ${DAEMONS[*]} $$ $BASHPID " == *" $p "* ]] && continue
    mapfile -d '' -t env 2> /dev/null < "/proc/$p/environ" || continue
    ppid=$(while read -r k v; do [ "$k" = PPid: ] && echo "$v"; done 2> /dev/null < "/proc/$p/status")
    [[ " ${DAEMONS[*]} " == *" slurmctld $ppid "* ]] && continue
    for v in "${env[@]}"; do [ "$v" = "SLURM_CONF=$T/slurm.conf" ] && echo "$p" && break; done
  done
  return 0
}

# Wait up to $1 s for every slurmstepd and job process to exit (a slurmstepd reports to slurmctld
# before it does); stop those left by pid.
reap_steps() {
  local left
  for _ in $(seq 1 $(($1 * 5))); do
    left=$(cluster_pids)
    [ -z "$left" ] && return 0
    sleep 0.2
  done
  for p in $left; do stop_pid "$(cat "/proc/$p/comm" 2> /dev/null)" "$p"; done
}

# Cancel what is still queued or running and wait for the queue to empty.
cancel_jobs() {
  local ids
  mapfile -t ids < <(squeue -h -o %A 2> /dev/null | sort -u)
  [ ${#ids[@]} -gt 0 ] && echo "cluster: cancelling jobs ${ids[*]}" && scancel "${ids[@]}" 2> /dev/null
  for _ in $(seq 1 100); do
    [ -z "$(squeue -h 2> /dev/null)" ] && return 0
    sleep 0.2
  done
}

cleanup() {
  local rc=$?
  set +e
  [ -n "${SUMMARY_DONE:-}" ] || [ ${#DAEMONS[@]} = 0 ] || summary
  if [ ${#DAEMONS[@]} -gt 0 ]; then
    cancel_jobs
    if [ $rc != 0 ]; then
      for f in slurmctld.log slurmd.log munged.out; do
        [ -f "$T/$f" ] && echo "---- $f (last 15 lines)" && tail -15 "$T/$f"
      done
    fi
    reap_steps 20
    # shellcheck disable=SC2086 # each entry is "name pid"
    for ((i = ${#DAEMONS[@]} - 1; i >= 0; i--)); do stop_pid ${DAEMONS[$i]}; done
    reap_steps 5 # a step slurmd started as it stopped
  fi
  [ $rc = 130 ] && echo "cluster: interrupted"
  if [ -n "${PF_CLUSTER_KEEP:-}" ]; then echo "cluster: kept $T"; else rm -rf "$T"; fi
  echo "cluster: $(since "$T0") s in all"
  echo "cluster: $passed passed, $failed failed, $skipped skipped"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- start munged, slurmctld, slurmd -------------------------------------------------------

wait_until() { # what seconds pid command...: poll until the command succeeds or the pid dies
  local what=$1 secs=$2 pid=$3
  shift 3
  for _ in $(seq 1 $((secs * 5))); do
    "$@" > /dev/null 2>&1 && return 0
    kill -0 "$pid" 2> /dev/null || die "$what: the daemon (pid $pid) exited"
    sleep 0.2
  done
  die "$what: not ready after $secs s"
}

# A port for slurmctld with the next one free for slurmd (a Slurm already on this machine keeps its
# 6817/6818).
free_port_pair() {
  for p in $(seq 16817 2 16917); do
    [ -z "$(ss -Hltn "( sport = :$p or sport = :$((p + 1)) )")" ] && echo "$p" && return 0
  done
  return 1
}

write_conf() { # host port
  local node
  node=$(slurmd -C | head -1 | cut -d' ' -f2-) # CPUs=.. Boards=.. ... RealMemory=.., as found
  cat > "$T/slurm.conf" << EOF
# generated by tests/cluster/run.sh: one node, this machine, everything in $T
ClusterName=pitchforge-test
SlurmctldHost=$1(127.0.0.1)
SlurmctldPort=$2
SlurmdPort=$(($2 + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge.socket
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd.log
PlugStackConfig=$T/plugstack.conf
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
DependencyParameters=kill_invalid_depend
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
NodeName=$1 NodeAddr=127.0.0.1 $node State=UNKNOWN
PartitionName=test Nodes=$1 Default=YES MaxTime=INFINITE State=UP
EOF
  : > "$T/plugstack.conf"
  # srun --mpi=list reads the config's PluginDir, without the daemons
  if SLURM_CONF="$T/slurm.conf" srun --mpi=list 2>&1 | grep -qw pmix; then
    sed -i 's/^MpiDefault=none$/MpiDefault=pmix/' "$T/slurm.conf"
  fi
}

start_cluster() {
  local t host port
  t=$(now)
  host=$(hostname -s)
  port=$(free_port_pair) || die "no free port pair in 16817..16918"
  write_conf "$host" "$port"
  export SLURM_CONF="$T/slurm.conf"
  mungekey --create --keyfile="$T/munge.key" --bits=1024
  munged -F --key-file="$T/munge.key" --socket="$T/munge.socket" --pid-file="$T/munged.pid" \
    --seed-file="$T/munged.seed" --log-file="$T/munged.log" > "$T/munged.out" 2>&1 &
  DAEMONS+=("munged $!")
  wait_until munged 20 $! sh -c "munge -n -S '$T/munge.socket' | unmunge -S '$T/munge.socket'"
  slurmctld -D > "$T/slurmctld.out" 2>&1 &
  DAEMONS+=("slurmctld $!")
  wait_until slurmctld 30 $! sh -c "scontrol ping | grep -q UP"
  slurmd -D -N "$host" > "$T/slurmd.out" 2>&1 &
  DAEMONS+=("slurmd $!")
  wait_until "slurmd (node $host idle)" 60 $! sh -c "[ \"\$(sinfo -h -n $host -o %T)\" = idle ]"
  ok "cluster up on $host:$port: munged, slurmctld, slurmd ($(sinfo -h -o '%c CPUs, %m MB'), MpiDefault=$(scontrol show config | awk '/^MpiDefault/ {print $3}'))"
  PHASES+=("start $(since "$t")")
}

# ---- the jobs -------------------------------------------------------------------------------

wait_jobs() { # seconds: until the queue is empty
  for _ in $(seq 1 $(($1 * 2))); do
    [ -z "$(squeue -h)" ] && return 0
    sleep 0.5
  done
  squeue
  die "jobs still queued after $1 s"
}

# Every job the controller remembers (MinJobAge: 300 s) must be COMPLETED with exit 0:0.
check_jobs() {
  local bad
  bad=$(scontrol -o show job | awk '{ s = ""; e = ""; id = ""
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^JobId=/) id = substr($i, 7); if ($i ~ /^JobState=/) s = substr($i, 10)
        if ($i ~ /^ExitCode=/) e = substr($i, 10) }
      if (s != "COMPLETED" || e != "0:0") print id " " s " " e }')
  if [ -n "$bad" ]; then
    for id in $(echo "$bad" | cut -d' ' -f1); do
      [ -f "$T/jobs/slurm-$id.out" ] && echo "---- job $id's output" && tail -5 "$T/jobs/slurm-$id.out"
    done
    die "jobs not completed: $(echo "$bad" | paste -sd ';')"
  fi
}

same_bytes() { # reference dir, other dir
  local a b
  a=$(cd "$1" && sha256sum -- *.h5)
  b=$(cd "$2" && sha256sum -- *.h5)
  [ "$a" = "$b" ] || die "the Slurm run's files differ from one process's:
$(diff <(echo "$a") <(echo "$b"))"
  echo "${a//$'\n'/$'\n'  }" | sed '1s/^/  /'
}

generate_on_slurm() {
  local t M D
  t=$(now)
  M=manifests/tiny.yaml D="$T/pitch"
  export SBATCH_OUTPUT="$T/jobs/slurm-%j.out" # the README's commands would write them into .
  echo "cluster: README block 1, with M=$M D=$D:"
  readme_block 1 | sed 's/^/  $ /'
  [ -n "$(readme_block 1)" ] || die "README.md has no block under <!-- run by tests/cluster/run.sh -->"
  eval "$(readme_block 1)"
  wait_jobs 600
  check_jobs
  PHASES+=("generate+index $(since "$t")")
  "$PF" generate "$M" -o "$T/ref" -j 1 -q
  same_bytes "$T/ref" "$D"
  ok "sbatch --array generate + afterok index: $(find "$D" -name '*.h5' | wc -l) files (every shard and dataset.h5), the sha256 of one process's run"
}

train_conf() { # dataset output
  cat << YAML
dataset: $1
output: $2
model:
  layers:
    - {kind: timestats, k: 8}
    - {kind: dense, out: 32}
    - relu
target: {kind: bins, bins_lo: 35, step_cents: 20, n_bins: 370, blur_cents: 25}
input: log
optimizer: {kind: adam, lr: 0.001}
batch: 16
epochs: 2
seed: 1
threads: 1
YAML
}

train_on_slurm() {
  local t C R
  if ! "$PF" train --help 2>&1 | grep -qi mpi; then
    echo "skipped: training over MPI not in this build"
    skipped=$((skipped + 1))
    return 0
  fi
  srun --mpi=list 2>&1 | grep -qw pmix || die "this Slurm has no mpi/pmix plugin for srun --mpi=pmix"
  command -v mpirun > /dev/null || die "no mpirun (openmpi-bin) for the reference run"
  t=$(now)
  C="$T/train-srun.yaml" R="$T/train-mpirun.yaml"
  train_conf "$T/pitch/dataset.h5" "$T/train-srun" > "$C"
  train_conf "$T/pitch/dataset.h5" "$T/train-mpirun" > "$R"
  echo "cluster: README block 2, with C=$C:"
  readme_block 2 | sed 's/^/  $ /'
  [ -n "$(readme_block 2)" ] || die "README.md has no second block under <!-- run by tests/cluster/run.sh -->"
  eval "$(readme_block 2)" > "$T/jobs/train-srun.log" 2>&1 || { tail -20 "$T/jobs/train-srun.log"; die "srun training failed"; }
  wait_jobs 60
  check_jobs
  PHASES+=("train(srun -n 2) $(since "$t")")
  t=$(now)
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 mpirun -n 2 "$PF" train "$R" -q \
    > "$T/jobs/train-mpirun.log" 2>&1 || { tail -20 "$T/jobs/train-mpirun.log"; die "mpirun training failed"; }
  PHASES+=("train(mpirun -n 2) $(since "$t")")
  "$PY" - "$T/train-srun/model.h5" "$T/train-mpirun/model.h5" << 'PYEOF' || die "srun and mpirun training differ"
import sys, h5py, numpy as np
def weights(p):
    out = []
    with h5py.File(p, "r") as f:
        f.visititems(lambda n, o: out.append(o[()].ravel())
                     if isinstance(o, h5py.Dataset) and n.split("/")[-1] in ("weight", "bias") else None)
        ranks = {k: f["meta"].attrs[k] for k in f["meta"].attrs if "rank" in k}
    return np.concatenate(out), ranks
(a, ra), (b, rb) = weights(sys.argv[1]), weights(sys.argv[2])
assert a.size > 0
assert a.tobytes() == b.tobytes(), f"weights differ by up to {np.abs(a - b).max():.3g}"
for r in (ra, rb):  # a model that records its rank count must say 2
    assert all(int(np.ravel(v)[0]) == 2 for v in r.values()), f"rank count recorded: {r}"
print(f"  {a.size} weights equal bit for bit; recorded: {ra or 'no rank attribute in /meta'}")
PYEOF
  ok "srun --mpi=pmix -n 2 train gives the weights of mpirun -n 2, bit for bit"
}

# ---- summary --------------------------------------------------------------------------------

# One line per job: id, what it ran, state, exit, seconds queued and run (Slurm keeps whole seconds).
summary() {
  SUMMARY_DONE=1
  echo "cluster: jobs"
  printf '  %-8s %-24s %-10s %-5s %7s %5s\n' job what state exit queued ran
  scontrol -o show job 2> /dev/null | while read -r line; do
    local -A f=()
    for kv in $line; do f[${kv%%=*}]=${kv#*=}; done
    local what id=${f[JobId]}
    if [ "${f[ArrayTaskId]:-}" != "" ]; then
      what="generate (array ${f[ArrayTaskId]})"
      id="${f[ArrayJobId]}_${f[ArrayTaskId]}"
    elif [ "${f[BatchFlag]}" = 1 ]; then what="index (afterok)"
    else what="srun -n ${f[NumTasks]:-?} $(basename "${f[Command]:-?}")"; fi
    local sub st en
    sub=$(date -d "${f[SubmitTime]}" +%s) st=$(date -d "${f[StartTime]}" +%s) en=$(date -d "${f[EndTime]}" +%s)
    # first two fields: the sort key (job, array task), cut below
    printf '%s %s   %-8s %-24s %-10s %-5s %6ss %4ss\n' "${f[ArrayJobId]:-${f[JobId]}}" \
      "${f[ArrayTaskId]:-0}" "$id" "$what" "${f[JobState]}" "${f[ExitCode]}" $((st - sub)) $((en - st))
  done | sort -n -k1,1 -k2,2 | cut -d' ' -f3-
  echo "cluster: phases (s): ${PHASES[*]}"
}

start_cluster
generate_on_slurm
train_on_slurm
summary
