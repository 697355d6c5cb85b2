#!/usr/bin/env bash
# A one-node Slurm cluster on this machine for the `slurm` tests (docs/slurm.md, the tests
# section). `start DIR` writes slurm.conf and a munge key into DIR, starts munged, slurmctld and
# slurmd in the foreground of background jobs (their pids in DIR/*.pid) and waits until the node
# is idle; `stop DIR` cancels the jobs left, then stops each daemon by its own pid. With OWNER_PID
# (`start DIR OWNER_PID`), a watchdog runs `stop DIR` when that process dies first (a test killed
# by its timeout). Clients use SLURM_CONF=DIR/slurm.conf. As root:
# proctrack/linuxproc and task/none need no cgroup set-up. cred_expire=10: Slurm holds a requeued
# job for cred_expire + 1 seconds (120 s by default), which would make the preemption test slow.
set -euo pipefail
cmd=$1
dir=$(realpath "$2")
stop_pid() {  # stops the daemon whose pid is in $1, politely then firmly
  [ -f "$1" ] || return 0
  local pid
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$1"
}
if [ "$cmd" = stop ]; then
  # Jobs still queued or running (a failed test) end first, so no task outlives its slurmd.
  if [ -f "$dir/slurmctld.pid" ] && kill -0 "$(cat "$dir/slurmctld.pid")" 2>/dev/null; then
    export SLURM_CONF=$dir/slurm.conf
    scancel --user="$(id -un)" 2>/dev/null || true
    for _ in $(seq 30); do [ -z "$(squeue -h 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  for d in slurmd slurmctld munged; do stop_pid "$dir/$d.pid"; done
  exit 0
fi
[ "$cmd" = start ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
host=$(hostname -s)
cpus=$(getconf _NPROCESSORS_ONLN)  # not nproc, which OMP_NUM_THREADS lowers
port=$((20000 + RANDOM % 20000))
mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
chmod 700 "$dir/munge"
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
cat > "$dir/slurm.conf" <<CONF
ClusterName=dtitest
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.daemon.pid
SlurmdPidFile=$dir/slurmd.daemon.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerParameters=sched_interval=1
MinJobAge=600
ReturnToService=2
MpiDefault=none
SwitchType=switch/none
JobRequeue=1
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$dir/slurm.conf
munged --foreground --force --socket="$dir/munge/munge.socket" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
  --seed-file="$dir/munge/munged.seed" > "$dir/munged.out" 2>&1 &
echo $! > "$dir/munged.pid"
for _ in $(seq 50); do [ -S "$dir/munge/munge.socket" ] && break; sleep 0.1; done
slurmctld -D -c > "$dir/slurmctld.out" 2>&1 &
echo $! > "$dir/slurmctld.pid"
slurmd -D > "$dir/slurmd.out" 2>&1 &
echo $! > "$dir/slurmd.pid"
if [ -n "${3:-}" ]; then  # the watchdog; it ends by itself once `stop` removed slurmd.pid
  owner=$3
  (while [ -f "$dir/slurmd.pid" ]; do
     kill -0 "$owner" 2>/dev/null || { "$0" stop "$dir"; break; }
     sleep 1
   done) < /dev/null > /dev/null 2>&1 &
fi
for _ in $(seq 300); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
  [ "$state" = idle ] && exit 0
  sleep 0.2
done
echo "one_node_cluster: node not idle after 60 s (state '${state:-?}'); logs in $dir" >&2
exit 1
