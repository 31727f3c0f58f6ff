#!/usr/bin/env bash
# SecureFallback beside Postfix on the same work, on the same machine, in one run (issue 18). Loopback only, bounded,
# stops everything it starts; needs root (private Postfix instances, cgroups for CPU accounting).
#   bench/run.sh                 RUNS (3) rounds of the SMTP rows, then the portal, memory and encryption rows
#   RUNS=1 STEPS=12 bench/run.sh only some steps: 1 end to end, 2 intake alone, 3 portal, 4 memory, 5 encryption
# The work, for both systems: MESSAGES (2,000) messages of SIZE (10 KB) from smtp-source, CLIENTS (10) at a time, one
# connection per message, after a WARMUP-message warm-up (2,000: the steady state a smart host runs in; .NET's tiered
# JIT is still compiling the hot paths during the first few thousand messages after a start — WARMUP=200 shows that).
#  1. end to end: smtp-source -> the system -> a private Postfix receiver that offers STARTTLS (a queue file and fsync
#     per message, then discarded); msgs/s from smtp-source's first connection until the receiver has logged every
#     message, and CPU ms per message of the system (its whole cgroup: every Postfix daemon, or the one .NET process).
#     Postfix is a smart host with smtp_tls_security_level=encrypt, once as shipped and once with
#     smtp_tls_connection_reuse; SecureFallback runs with its embedded defaults (SQLite, all roles).
#  2. intake alone: the same load at 10 and 20 clients into Postfix (queue file + fsync, then discard) and into
#     SecureFallback with Roles=Intake (250 after the commit).
#  3. portal: bench/portal.sh (wrk, 50 connections) beside a bare ASP.NET Core Razor app.
#  4. memory: RSS growth of a fresh server taking in and delivering one 25 MB message.
#  5. encryption at rest: sealing 25 MiB vs raw AES-256-GCM on one core.
# Raw rows go to stdout as they are measured ("raw ..."), then the table of medians.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
MESSAGES=${MESSAGES:-2000}
SIZE=${SIZE:-10240}
CLIENTS=${CLIENTS:-10}
STEPS=${STEPS:-12345}
WARMUP=${WARMUP:-2000}
RECV_PORT=12700 PF_INTAKE_PORT=12701 PF_RELAY_PORT=12702 PF_REUSE_PORT=12703 SF_PORT=12525 WEB_PORT=15080
want() { [[ "$STEPS" == *"$1"* ]]; }

./scripts/install-test-deps.sh
command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
[ "$(id -u)" -eq 0 ] || { echo "bench/run.sh needs root (private Postfix instances, cgroups)" >&2; exit 2; }
# One bench at a time on this machine, and only on free ports: a second one would measure the first one's servers.
exec 9>/tmp/securefallback-bench.lock
flock -n 9 || { echo "another bench/run.sh is running (lock /tmp/securefallback-bench.lock)" >&2; exit 2; }
for port in $RECV_PORT $PF_INTAKE_PORT $PF_RELAY_PORT $PF_REUSE_PORT $SF_PORT $WEB_PORT; do
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then echo "port $port is in use: stop what listens there first" >&2; exit 2; fi
done
work=$(mktemp -d /tmp/securefallback-bench.XXXXXX)
chmod 755 "$work" # the postfix user must reach its queues inside
source bench/lib.sh
trap cleanup EXIT

echo "building (Release)..."
for project in src/SecureFallback.Server bench/SecureFallback.Benchmarks bench/SecureFallback.BareRazor; do
  dotnet build -c Release --nologo "$project" -o "$work/builds/$(basename "$project")" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
done

for name in recv pf-intake pf-relay pf-reuse sf; do new_cgroup "$name"; done
CGROUP=$(cgroup_dir recv) bench/postfix-instance.sh "$work/recv" "$RECV_PORT"
CGROUP=$(cgroup_dir pf-intake) bench/postfix-instance.sh "$work/pf-intake" "$PF_INTAKE_PORT" intake
CGROUP=$(cgroup_dir pf-relay) bench/postfix-instance.sh "$work/pf-relay" "$PF_RELAY_PORT" relay "$RECV_PORT"
CGROUP=$(cgroup_dir pf-reuse) bench/postfix-instance.sh "$work/pf-reuse" "$PF_REUSE_PORT" relay "$RECV_PORT" reuse

for run in $(seq "$RUNS"); do
  if want 1; then
    echo "run $run: end to end, $MESSAGES x $SIZE bytes, $CLIENTS clients..."
    end_to_end pf-default "$PF_RELAY_PORT" pf-relay
    end_to_end pf-reuse "$PF_REUSE_PORT" pf-reuse
    start_sf "$work/sf-e2e-$run" All
    end_to_end sf "$SF_PORT" sf
    stop_sf
  fi
  if want 2; then
    echo "run $run: intake alone..."
    for clients in 10 20; do intake_alone "pf-$clients" "$PF_INTAKE_PORT" pf-intake "$clients"; done
    start_sf "$work/sf-intake-$run" Intake
    for clients in 10 20; do intake_alone "sf-$clients" "$SF_PORT" sf "$clients"; done
    stop_sf
  fi
done

if want 3; then
  echo "portal..."
  TABLE_ONLY=1 BUILD_DIR="$work/builds" bench/portal.sh > "$work/portal.md"
fi

if want 4; then
  echo "memory with a 25 MB message..."
  start_sf "$work/data-large" All
  load() { dotnet "$work/builds/SecureFallback.Benchmarks/SecureFallback.Benchmarks.dll" smtp-load "$@"; }
  load "$SF_PORT" 20 2 "$SIZE" >/dev/null # warm: code paths and pools in place before the baseline
  sleep 2
  rss_before_kb=$(rss_kb VmRSS)
  base=$(received)
  load "$SF_PORT" 1 1 $((25 * 1000 * 1000)) >/dev/null
  wait_received $((base + 1)) 60 || true
  echo "raw memory delivered=$(( $(received) - base )) rss_growth_mb=$(( ($(rss_kb VmHWM) - rss_before_kb) / 1024 ))" | tee -a "$work/raw"
  stop_sf
fi

if want 5; then
  echo "encryption at rest..."
  read -r raw_mbps raw_new_mbps seal_array_mbps seal_mbps < <(dotnet "$work/builds/SecureFallback.Benchmarks/SecureFallback.Benchmarks.dll" encryption)
  echo "raw encryption raw_mbps=$raw_mbps raw_new_mbps=$raw_new_mbps seal_array_mbps=$seal_array_mbps seal_mbps=$seal_mbps" | tee -a "$work/raw"
fi

print_table
