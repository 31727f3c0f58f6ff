#!/usr/bin/env bash
# Issue 18: the portal beside bare ASP.NET Core (loopback only, bounded, stops what it starts):   bench/portal.sh
# Starts SecureFallback (intake + portal + delivery, SQLite, Release) and bench/SecureFallback.BareRazor; holds one
# 50 KB HTML message for a recipient (portal-session: sent to the intake for a domain routed to Postfix's smtp-sink,
# which offers no STARTTLS, so it is held and its notice dumped), registers, then runs wrk on four pages:
# SecureFallback's GET / and the bare Razor form; the recipient's message page, the bare [Authorize] page (the issue's
# yardstick) and the bare [Authorize] page with the same 50 KB statement HTML in its body (what sending it costs).
# Prints a markdown table (p99 ratio to bare, met when <= 2x) and SecureFallback's CPU ms per request (utime+stime of
# its process over the wrk run / requests: steadier than req/s when others share the cores, though heavy contention
# inflates it too: compare quiet runs).
# Environment: SF_PORT WEB_PORT BARE_PORT SINK_PORT (ports), DURATION (wrk, default 10s), CONNECTIONS (50),
# BUILD_DIR (reuse Release builds in BUILD_DIR/SecureFallback.Server, .../SecureFallback.Benchmarks and
# .../SecureFallback.BareRazor instead of building), TABLE_ONLY=1 (print the table and the CPU line only, for run.sh),
# PROFILE=DIR (dotnet-trace thread-time samples of SecureFallback during both of its runs, into DIR, also as speedscope
# JSON; attaching the tracer stopped the server in 2 of 6 runs here: run again).
set -euo pipefail
cd "$(dirname "$0")/.."
SF_PORT=${SF_PORT:-12625}
WEB_PORT=${WEB_PORT:-15180}
BARE_PORT=${BARE_PORT:-15181}
SINK_PORT=${SINK_PORT:-12626}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-50}
say() { [ -n "${TABLE_ONLY:-}" ] || echo "$@" >&2; }

command -v wrk >/dev/null && command -v smtp-sink >/dev/null || { echo "needs wrk and smtp-sink (Debian packages wrk, postfix)" >&2; exit 1; }
work=$(mktemp -d /tmp/securefallback-portal.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bin=${BUILD_DIR:-$work}
if [ -z "${BUILD_DIR:-}" ]; then
  say "building (Release)..."
  for project in src/SecureFallback.Server bench/SecureFallback.Benchmarks bench/SecureFallback.BareRazor; do
    dotnet build -c Release --nologo "$project" -o "$bin/$(basename "$project")" > "$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
  done
fi

wait_http() { for _ in $(seq 600); do curl -so /dev/null "$1" && return 0; sleep 0.2; done; echo "no answer at $1" >&2; cat "$work"/*.log >&2; exit 1; }

mkdir -p "$work/dump" && chown postfix "$work/dump" 2>/dev/null || chmod 777 "$work/dump"
user=(); [ "$(id -u)" -eq 0 ] && user=(-u postfix)
timeout 900 smtp-sink "${user[@]}" -d "$work/dump/%M." "127.0.0.1:$SINK_PORT" 10 > "$work/sink.log" 2>&1 &
pids+=($!)
dotnet "$bin/SecureFallback.Server/securefallback.dll" \
  --SecureFallback:DataDirectory="$work/data" --Urls="http://127.0.0.1:$WEB_PORT" \
  --SecureFallback:Intake:Port="$SF_PORT" --SecureFallback:Delivery:HeloName=sf.bench.test \
  --SecureFallback:Delivery:Routes:held.bench.test="127.0.0.1:$SINK_PORT" \
  --Logging:LogLevel:Default=Warning > "$work/sf.log" 2>&1 &
sf_pid=$!
pids+=("$sf_pid")
dotnet "$bin/SecureFallback.BareRazor/SecureFallback.BareRazor.dll" --urls="http://127.0.0.1:$BARE_PORT" > "$work/bare.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$WEB_PORT/healthz"
wait_http "http://127.0.0.1:$BARE_PORT/"

say "holding a 50 KB HTML message and signing its recipient in..."
IFS=$'\t' read -r sf_cookie message_url < <(timeout 180 dotnet "$bin/SecureFallback.Benchmarks/SecureFallback.Benchmarks.dll" portal-session "$SF_PORT" "http://127.0.0.1:$WEB_PORT/" "$work/dump")
bare_cookie=$(curl -s -o /dev/null -D - "http://127.0.0.1:$BARE_PORT/signin" | sed -n 's/^[Ss]et-[Cc]ookie: \([^;]*\).*/\1/p' | head -1)
[ -n "$sf_cookie" ] && [ -n "$message_url" ] && [ -n "$bare_cookie" ] || { echo "no session" >&2; cat "$work"/*.log >&2; exit 1; }

cpu_ticks() { awk '{print $14 + $15}' "/proc/$sf_pid/stat" 2>/dev/null || { echo "SecureFallback stopped:" >&2; tail -30 "$work/sf.log" >&2; exit 1; }; }
to_ms() { awk -v p="$1" 'BEGIN { v = p + 0; if (p ~ /us$/) v /= 1000; else if (p ~ /[0-9]s$/) v *= 1000; printf "%.2f", v }'; }
# run NAME URL [COOKIE]: wrk once (after a 3 s warm-up run); sets r_rps r_p50 r_p99 r_errors r_requests; keeps the output.
run() {
  local name=$1 url=$2 cookie=${3:-} header=()
  [ -n "$cookie" ] && header=(-H "Cookie: $cookie")
  wrk -t2 -c"$CONNECTIONS" -d3s "${header[@]}" "$url" > /dev/null 2>&1
  local trace_pid=""
  if [ -n "${PROFILE:-}" ] && [[ "$name" == sf-* ]]; then
    mkdir -p "$PROFILE"
    # dotnet-trace 10's cpu-sampling profile needs collect-linux (kernel perf events); thread-time samples work anywhere.
    ~/.dotnet/tools/dotnet-trace collect -p "$sf_pid" --profile dotnet-sampled-thread-time --format Speedscope --duration 00:00:00:08 -o "$PROFILE/$name.nettrace" > "$PROFILE/trace-$name.log" 2>&1 &
    trace_pid=$!
    sleep 1
  fi
  local before; before=$(cpu_ticks)
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "${header[@]}" "$url" > "$work/wrk-$name.txt" 2>&1
  local after; after=$(cpu_ticks)
  [ -n "$trace_pid" ] && wait "$trace_pid" || true
  local out; out=$(cat "$work/wrk-$name.txt")
  r_rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  r_p50=$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")
  r_p99=$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")
  r_requests=$(awk '/requests in/ {print $1}' <<<"$out")
  r_errors=$(( $(awk '/Non-2xx or 3xx responses/ {print $NF}' <<<"$out" | head -1 || true) + 0 ))
  local socket; socket=$(awk -F'[ ,]+' '/Socket errors/ {print $4 + $6 + $8 + $10}' <<<"$out")
  r_errors=$(( r_errors + ${socket:-0} ))
  r_cpu=$(awk -v t=$(( after - before )) -v hz="$(getconf CLK_TCK)" -v n="$r_requests" 'BEGIN { printf "%.3f", (n > 0 ? t * 1000 / hz / n : 0) }')
}

say "wrk -t2 -c$CONNECTIONS -d$DURATION on five pages..."
run sf-index "http://127.0.0.1:$WEB_PORT/"
read -r i_rps i_p50 i_p99 i_err i_cpu <<<"$r_rps $r_p50 $r_p99 $r_errors $r_cpu"
run bare-index "http://127.0.0.1:$BARE_PORT/"
read -r bi_rps bi_p50 bi_p99 <<<"$r_rps $r_p50 $r_p99"
run sf-message "$message_url" "$sf_cookie"
read -r m_rps m_p50 m_p99 m_err m_cpu <<<"$r_rps $r_p50 $r_p99 $r_errors $r_cpu"
run bare-page "http://127.0.0.1:$BARE_PORT/page" "$bare_cookie"
read -r bp_rps bp_p50 bp_p99 bp_err <<<"$r_rps $r_p50 $r_p99 $r_errors"
run bare-page50 "http://127.0.0.1:$BARE_PORT/page50" "$bare_cookie"
read -r b5_rps b5_p50 b5_p99 b5_err <<<"$r_rps $r_p50 $r_p99 $r_errors"

row() { # page sf_rps sf_p50 sf_p99 sf_err bare_rps bare_p50 bare_p99
  awk -v page="$1" -v r="$2" -v p50="$3" -v p99="$4" -v e="$5" -v br="$6" -v bp50="$7" -v bp99="$8" 'BEGIN {
    ratio = bp99 > 0 ? p99 / bp99 : 0
    printf "| %s | %s req/s, p50 %s ms, p99 %s ms, non-2xx %s | %s req/s, p50 %s ms, p99 %s ms | %.1fx | %s |\n", page, r, p50, p99, e, br, bp50, bp99, ratio, (ratio <= 2 && e == 0) ? "yes" : "no" }'
}
[ -n "${TABLE_ONLY:-}" ] || printf '\nwrk -t2 -c%s -d%s --latency, loopback; %s cores; .NET %s\n\n' "$CONNECTIONS" "$DURATION" "$(nproc)" "$(dotnet --version)"
printf '| page | SecureFallback | bare ASP.NET Core | p99 ratio | met (<= 2x) |\n|---|---|---|---|---|\n'
row 'GET / (anonymous, anti-forgery form)' "$i_rps" "$i_p50" "$i_p99" "$i_err" "$bi_rps" "$bi_p50" "$bi_p99"
row 'message page (signed in, 50 KB HTML, 420-row table)' "$m_rps" "$m_p50" "$m_p99" "$m_err" "$bp_rps" "$bp_p50" "$bp_p99"
row 'message page vs bare page with the same 50 KB HTML (yardstick)' "$m_rps" "$m_p50" "$m_p99" "$m_err" "$b5_rps" "$b5_p50" "$b5_p99"
printf '\nSecureFallback CPU per request: GET / %s ms, message page %s ms (bare /page errors: %s, /page50: %s)\n' "$i_cpu" "$m_cpu" "$bp_err" "$b5_err"
