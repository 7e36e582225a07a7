#!/usr/bin/env bash
# A single-node Slurm on this machine, for the Slurm tests and for trying job graphs locally.
#
#   scripts/slurm-local.sh up [BASE]     # start munged, slurmctld, slurmd; prints `export SLURM_CONF=...`
#   scripts/slurm-local.sh down [BASE]   # stop exactly the daemons it started (by their pid files)
#   scripts/slurm-local.sh status [BASE]
#
# BASE defaults to /tmp/bertology-slurm (keep it short: Unix socket paths are limited to 108 bytes).
# Debian's slurm-wlm + munge; MpiDefault=pmix (pmi2/none fail with Debian's Open MPI);
# DependencyParameters=kill_invalid_depend so a failed job cancels its dependants.
set -euo pipefail
ACTION=${1:-}
B=${2:-/tmp/bertology-slurm}

up() {
  command -v slurmctld >/dev/null || { echo "slurm-local: slurm-wlm is not installed (scripts/setup.sh --slurm)" >&2; exit 2; }
  if [ -f "$B/slurmctld.pid" ] && kill -0 "$(cat "$B/slurmctld.pid")" 2>/dev/null; then
    echo "export SLURM_CONF=$B/slurm.conf"; return 0
  fi
  mkdir -p "$B"/{munge,state,spool,log}
  chmod 755 "$B" "$B/munge"                       # munged refuses a socket dir that is not a+x
  [ -f /etc/munge/munge.key ] || mungekey --create >/dev/null 2>&1 || \
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null
  cp /etc/munge/munge.key "$B/munge/munge.key"
  chmod 400 "$B/munge/munge.key"
  munged --socket="$B/munge/munge.socket.2" --key-file="$B/munge/munge.key" \
         --pid-file="$B/munge/munged.pid" --log-file="$B/log/munged.log" --seed-file="$B/munge/munged.seed"
  local cpus; cpus=$(nproc)
  cat > "$B/slurm.conf" <<CONF
ClusterName=bertology-local
SlurmctldHost=localhost
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$B/munge/munge.socket.2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$B/state
SlurmdSpoolDir=$B/spool
SlurmctldPidFile=$B/slurmctld.pid
SlurmdPidFile=$B/slurmd.pid
SlurmctldLogFile=$B/log/slurmctld.log
SlurmdLogFile=$B/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
DependencyParameters=kill_invalid_depend
ReturnToService=2
MailProg=/bin/true
KillWait=5
SchedulerParameters=defer_batch
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus SocketsPerBoard=1 CoresPerSocket=$cpus ThreadsPerCore=1 RealMemory=16000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$B/slurm.conf"
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF" -N localhost
  for _ in $(seq 1 100); do [ "$(sinfo -h -o %T 2>/dev/null)" = idle ] && break; sleep 0.1; done
  sinfo -h -o %T | grep -qx idle || { echo "slurm-local: slurm did not come up (logs in $B/log)" >&2; down; exit 1; }
  echo "export SLURM_CONF=$SLURM_CONF"
}

down() {
  for f in "$B/slurmd.pid" "$B/slurmctld.pid" "$B/munge/munged.pid"; do
    [ -f "$f" ] || continue
    p=$(cat "$f"); kill "$p" 2>/dev/null || { rm -f "$f"; continue; }
    for _ in $(seq 1 150); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  done
}

case $ACTION in
  up) up ;;
  down) down ;;
  status) SLURM_CONF="$B/slurm.conf" sinfo 2>&1 || true ;;
  *) sed -n '2,12p' "$0"; exit 2 ;;
esac
