# tests/slurm/cluster.sh — sourced: starts a real one-node Slurm cluster
# (Debian's munge, slurmctld and slurmd, root, localhost, this machine's
# CPUs) under a scratch folder. Shared by tests/slurm/run.sh (the test) and
# bench/slurm_tasks.sh (Slurm's per-task cost), so the benchmark measures
# the very cluster the test runs on.
#
# The caller defines cannot_run MESSAGE (called when the cluster cannot
# start: it should exit) and calls slurm_cluster_stop on exit (a trap).
# slurm_cluster_start DIR: DIR gets state/, spool/, log/, run/ and
# slurm.conf; exports SLURM_CONF; sets slurm_host, slurm_cpus, slurm_port.

slurm_started_pids=()

# Never fails: a caller under `set -e` (the benchmark) must get through its
# whole exit trap, and the daemons killed by the first loop are gone by the second.
slurm_cluster_stop() {
    local pid
    for pid in "${slurm_started_pids[@]}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
    sleep 0.5
    for pid in "${slurm_started_pids[@]}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
    return 0
}

slurm_cluster_conf() { # DIR: writes DIR/slurm.conf
    local T=$1
    cat > "$T/slurm.conf" <<CONF
ClusterName=rvcidxtest
SlurmctldHost=$slurm_host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmctldPort=$slurm_port
SlurmdPort=$((slurm_port + 1))
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/run/slurmctld.pid
SlurmdPidFile=$T/run/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
KillWait=5
NodeName=$slurm_host CPUs=$slurm_cpus State=UNKNOWN
PartitionName=debug Nodes=$slurm_host Default=YES MaxTime=INFINITE State=UP
CONF
}

slurm_start_munge() { # munged as its own user, unless one runs already
    pgrep -x munged >/dev/null && return 0
    [ -s /etc/munge/munge.key ] || mungekey -c >/dev/null 2>&1 || cannot_run "mungekey -c failed"
    chown munge:munge /etc/munge/munge.key 2>/dev/null
    mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
    runuser -u munge -- /usr/sbin/munged || cannot_run "munged did not start"
    # the newest munged: the daemon, even while the parent it forked from is still exiting
    # (two pids in one entry would make kill fail and leave munged running)
    slurm_started_pids+=("$(pgrep -xn munged)")
}

slurm_cluster_start() { # DIR
    local T=$1
    [ "$(id -u)" = 0 ] || cannot_run "the daemons need root (run as root, as CI does)"
    for c in munged slurmctld slurmd sbatch squeue scontrol; do
        command -v "$c" >/dev/null || [ -x "/usr/sbin/$c" ] || cannot_run "$c is not installed (scripts/install-deps.sh installs it)"
    done
    rm -rf "$T" && mkdir -p "$T"/{state,spool,log,run}
    slurm_host=$(hostname -s) slurm_cpus=$(nproc) slurm_port=$((20000 + RANDOM % 20000))
    slurm_cluster_conf "$T"
    export SLURM_CONF="$T/slurm.conf"
    slurm_start_munge
    /usr/sbin/slurmctld -f "$SLURM_CONF" || cannot_run "slurmctld did not start"
    /usr/sbin/slurmd -f "$SLURM_CONF" || cannot_run "slurmd did not start"
    for _ in $(seq 50); do
        [ -s "$T/run/slurmctld.pid" ] && [ -s "$T/run/slurmd.pid" ] && break
        sleep 0.2
    done
    slurm_started_pids+=("$(cat "$T/run/slurmctld.pid" 2>/dev/null)" "$(cat "$T/run/slurmd.pid" 2>/dev/null)")
    for _ in $(seq 100); do
        sinfo -h -o '%T' 2>/dev/null | grep -qE '^idle' && break
        sleep 0.3
    done
    sinfo -h -o '%T' 2>/dev/null | grep -qE '^idle' ||
        cannot_run "the node never became idle: $(sinfo 2>&1 | tail -2 | tr '\n' ' ') $(tail -3 "$T/log/slurmd.log" 2>/dev/null | tr '\n' ' ')"
    echo "slurm: one-node cluster up on $slurm_host ($slurm_cpus CPUs, port $slurm_port)"
}
