#!/usr/bin/env bash
# The benchmark table of issue 6, in one command (loopback only, bounded, stops itself; needs root for the private
# Postfix instance):   bench/run.sh
#  1. intake: MESSAGES messages of SIZE bytes, SESSIONS at a time, one connection per message, into a private
#     Postfix smtpd and into SecureFallback (intake role only, SQLite, 250 after commit): msgs/s, p50/p99;
#  2. delivery: SecureFallback restarted with the delivery role drains that queue over STARTTLS to the private
#     Postfix (which discards after queueing), reusing connections: msgs/s in steady state; beside it, what that
#     Postfix accepts at all from smtp-source over persistent connections (the receiver's ceiling);
#  3. encryption at rest: sealing 25 MiB vs raw AES-256-GCM on one core: MB/s;
#  4. memory: RSS growth of a fresh server taking in and delivering one 25 MB message;
#  5. portal: GET / with 50 concurrent clients for 10 s (wrk): p50/p99.
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${MESSAGES:-5000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-10240}
PF_PORT=${PF_PORT:-12700}
SF_PORT=${SF_PORT:-12525}
WEB_PORT=${WEB_PORT:-15080}
STEPS=${STEPS:-12345} # e.g. STEPS=24 runs only delivery and memory (delivery needs the queue step 1 fills)
want() { [[ "$STEPS" == *"$1"* ]]; }

./scripts/install-test-deps.sh
command -v wrk >/dev/null || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
work=$(mktemp -d /tmp/securefallback-bench.XXXXXX)
chmod 755 "$work" # the postfix user must reach its queue inside
sf_pid=""
stop_sf() { [ -n "$sf_pid" ] && kill "$sf_pid" 2>/dev/null && wait "$sf_pid" 2>/dev/null || true; sf_pid=""; }
cleanup() { stop_sf; postfix -c "$work/postfix" stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

echo "building (Release)..."
dotnet build -c Release --nologo src/SecureFallback.Server -o "$work/bin" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
dotnet build -c Release --nologo bench/SecureFallback.Benchmarks -o "$work/bench" > "$work/build-bench.log" 2>&1 || { cat "$work/build-bench.log"; exit 1; }
bench/postfix-instance.sh "$work/postfix" "$PF_PORT"
load() { dotnet "$work/bench/SecureFallback.Benchmarks.dll" smtp-load "$@"; }

# start_sf DATA_DIR ROLES: a Release server on the bench ports, waited for until /healthz answers.
start_sf() {
  dotnet "$work/bin/securefallback.dll" \
    --SecureFallback:DataDirectory="$1" --SecureFallback:Roles="$2" \
    --SecureFallback:Intake:Port="$SF_PORT" --Urls="http://127.0.0.1:$WEB_PORT" \
    --SecureFallback:Delivery:HeloName=sf.bench.test \
    --SecureFallback:Delivery:Routes:bench.test="127.0.0.1:$PF_PORT" \
    --Logging:LogLevel:Default=Warning > "$work/sf.log" 2>&1 &
  sf_pid=$!
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$WEB_PORT/healthz" >/dev/null && return 0; sleep 0.2; done
  cat "$work/sf.log"; exit 1
}
status() { curl -s "http://127.0.0.1:$WEB_PORT/status" | sed -n "s:.*$1</td><td>\([0-9]*\)<.*:\1:p"; }
rss_kb() { awk "/$1/ {print \$2}" "/proc/$sf_pid/status"; }

pf_rate=0 pf_p50=- pf_p99=- pf_fail=- sf_rate=0 sf_p50=- sf_p99=- sf_fail=- intake_rss_mb=- delivery_rate=0 delivery_rate_cold=0 delivered=- pf_ceiling=0
raw_mbps=1 raw_new_mbps=- seal_array_mbps=- seal_mbps=0 rss_growth_mb=- large_delivered=- portal_rps=- portal_p50=- portal_p99=- portal_errors=-
queued=$(( MESSAGES + 200 ))
if want 1; then
  echo "1. intake: $MESSAGES x $SIZE bytes, $SESSIONS sessions..."
  load "$PF_PORT" 200 "$SESSIONS" "$SIZE" >/dev/null
  read -r pf_rate pf_p50 pf_p99 pf_fail < <(load "$PF_PORT" "$MESSAGES" "$SESSIONS" "$SIZE")
  start_sf "$work/data" Intake,Portal
  load "$SF_PORT" 200 "$SESSIONS" "$SIZE" >/dev/null
  read -r sf_rate sf_p50 sf_p99 sf_fail < <(load "$SF_PORT" "$MESSAGES" "$SESSIONS" "$SIZE")
  intake_rss_mb=$(( $(rss_kb VmHWM) / 1024 ))

  if want 5; then
    echo "5. portal: 50 clients, 10 s..."
    portal=$(wrk -t2 -c50 -d10s --latency "http://127.0.0.1:$WEB_PORT/" 2>&1)
    portal_rps=$(awk '/Requests\/sec/ {print $2}' <<<"$portal")
    portal_p50=$(awk '$1=="50%" {print $2}' <<<"$portal")
    portal_p99=$(awk '$1=="99%" {print $2}' <<<"$portal")
    portal_errors=$(grep -c "Non-2xx\|Socket errors" <<<"$portal" || true)
  fi
  stop_sf
fi

if want 2; then
  # What the receiving Postfix can take at all on this machine: 8 persistent sessions, no TLS, all CPU its own.
  echo "2. receiver ceiling: Postfix taking $queued messages over 8 persistent sessions..."
  start=$(date +%s.%N)
  timeout 600 smtp-source -d -s 8 -m "$queued" -l "$SIZE" -f sender@bench.test -t rcpt@bench.test "127.0.0.1:$PF_PORT"
  pf_ceiling=$(echo "$queued / ($(date +%s.%N) - $start)" | bc -l)
  echo "2. delivery: draining $queued messages to Postfix over STARTTLS..."
  start=$(date +%s.%N)
  start_sf "$work/data" Delivery
  if [ -n "${PROFILE:-}" ]; then # PROFILE=/path/delivery.nettrace: 10 s of CPU samples (dotnet-trace) while it drains
    ~/.dotnet/tools/dotnet-trace collect -p "$sf_pid" --profile cpu-sampling --duration 00:00:00:10 -o "$PROFILE" >/dev/null 2>&1 &
  fi
  # Steady state: from the first fifth delivered (start-up, JIT warm-up and the first connections behind it) to the end.
  warm_at="" warm_count=0
  for _ in $(seq 3000); do
    done_now=$(status 'Delivered over TLS')
    if [ -z "$warm_at" ] && [ "${done_now:-0}" -ge $(( queued / 5 )) ]; then warm_at=$(date +%s.%N); warm_count=$done_now; fi
    [ "$(status 'Queued recipients')" = "0" ] && break
    sleep 0.05
  done
  end=$(date +%s.%N)
  delivered=$(status 'Delivered over TLS')
  delivery_cpu_s=$(awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$sf_pid/stat")
  delivery_rate=$(echo "(${delivered:-0} - $warm_count) / ($end - ${warm_at:-$start})" | bc -l)
  delivery_rate_cold=$(echo "${delivered:-0} / ($end - $start)" | bc -l)
  stop_sf
fi

if want 3; then
  echo "3. encryption at rest..."
  read -r raw_mbps raw_new_mbps seal_array_mbps seal_mbps < <(dotnet "$work/bench/SecureFallback.Benchmarks.dll" encryption)
fi

if want 4; then
  echo "4. memory with a 25 MB message..."
  start_sf "$work/data-large" All
  load "$SF_PORT" 20 2 "$SIZE" >/dev/null # warm: code paths and pools in place before the baseline
  sleep 2
  rss_before_kb=$(rss_kb VmRSS)
  load "$SF_PORT" 1 1 $((25 * 1000 * 1000)) >/dev/null
  for _ in $(seq 300); do [ "$(status 'Queued recipients')" = "0" ] && break; sleep 0.1; done
  large_delivered=$(( $(status 'Delivered over TLS') - 20 ))
  rss_growth_mb=$(( ($(rss_kb VmHWM) - rss_before_kb) / 1024 ))
  stop_sf
fi

ratio=$(echo "$sf_rate / ($pf_rate + 0.000001)" | bc -l)
seal_share=$(echo "100 * $seal_mbps / $raw_mbps" | bc -l)
cpu=$(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ *//')
printf '\nmachine: %s cores (%s), %s GiB, %s; .NET %s; %s\n' "$(nproc)" "$cpu" "$(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo)" "$(uname -sr)" "$(dotnet --version)" "$(postconf -d mail_version 2>/dev/null | sed 's/ = / /')"
printf 'load: %d messages x %d bytes, %d sessions, one connection per message; SecureFallback on SQLite (Release)\n\n' "$MESSAGES" "$SIZE" "$SESSIONS"
printf '| measure | SecureFallback | Postfix | target | met |\n|---|---|---|---|---|\n'
printf '| intake msgs/s | %.0f | %.0f | >= 2x Postfix (ratio %.2f) | %s |\n' "$sf_rate" "$pf_rate" "$ratio" "$( (( $(echo "$ratio >= 2" | bc) )) && echo yes || echo no)"
printf '| intake transaction p50 / p99 (connect to 250 after DATA) | %s / %s ms | %s / %s ms | | |\n' "$sf_p50" "$sf_p99" "$pf_p50" "$pf_p99"
printf '| intake failures | %s | %s | 0 | %s |\n' "$sf_fail" "$pf_fail" "$( [ "$sf_fail" = 0 ] && echo yes || echo no)"
printf '| delivery msgs/s over STARTTLS to Postfix, steady state (%s delivered; %.0f msgs/s from a cold start; %s CPU s) | %.0f | | >= 500 | %s |\n' "${delivered:-0}/$queued" "${delivery_rate_cold:-0}" "${delivery_cpu_s:--}" "$delivery_rate" "$( (( $(echo "$delivery_rate >= 500" | bc) )) && echo yes || echo no)"
printf '| the receiving Postfix alone: 8 persistent sessions, no TLS, msgs/s (a ceiling for the row above) | | %.0f | | |\n' "$pf_ceiling"
printf '| at-rest encryption MB/s, 25 MiB, sealed into a stream as stored (raw AES-GCM in place %s, into a new array %s; our seal into a new array %s) | %s | | >= 80%% of raw (%.0f%%) | %s |\n' "$raw_mbps" "$raw_new_mbps" "$seal_array_mbps" "$seal_mbps" "$seal_share" "$( (( $(echo "$seal_share >= 80" | bc) )) && echo yes || echo no)"
printf '| RSS growth, one 25 MB message in and out (delivered: %s) | %s MiB | | < 64 MiB | %s |\n' "$large_delivered" "$rss_growth_mb" "$( [ "$rss_growth_mb" != - ] && [ "$rss_growth_mb" -lt 64 ] && echo yes || echo no)"
printf '| portal GET / p50 / p99, 50 clients (%s req/s, error lines %s) | %s / %s | | p99 < 50 ms | %s |\n' "$portal_rps" "$portal_errors" "$portal_p50" "$portal_p99" "$(awk -v p="$portal_p99" 'BEGIN { v=p+0; if (p ~ /us$/) v/=1000; else if (p ~ /s$/ && p !~ /ms$/) v*=1000; print (v < 50 ? "yes" : "no") }')"
printf '| intake peak RSS during the intake run | %s MiB | | | |\n' "$intake_rss_mb"
