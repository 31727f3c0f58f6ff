#!/usr/bin/env bash
# Intake benchmark: SecureFallback vs a stock Postfix smtpd on the same machine, loopback only.
# Pushes MESSAGES (default 5000) messages of ~SIZE bytes (default 10240) over SESSIONS (default 20) concurrent
# sessions with Postfix's smtp-source, one connection per message, into each server. SecureFallback delivers what
# it accepts over STARTTLS to the same private Postfix instance, which discards it after queueing.
# Prints both rates, their ratio and SecureFallback's peak RSS. Needs root (private Postfix instance).
set -euo pipefail
cd "$(dirname "$0")/.."
MESSAGES=${MESSAGES:-5000}
SESSIONS=${SESSIONS:-20}
SIZE=${SIZE:-10240}
PF_PORT=${PF_PORT:-12700}
SF_PORT=${SF_PORT:-12525}
WEB_PORT=${WEB_PORT:-15080}

./scripts/install-test-deps.sh
work=$(mktemp -d /tmp/securefallback-bench.XXXXXX)
chmod 755 "$work" # the postfix user must reach its queue inside
sf_pid=""
cleanup() {
  [ -n "$sf_pid" ] && kill "$sf_pid" 2>/dev/null && wait "$sf_pid" 2>/dev/null || true
  postfix -c "$work/postfix" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "building SecureFallback (Release)..."
dotnet build -c Release --nologo src/SecureFallback.Server -o "$work/bin" > "$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
bench/postfix-instance.sh "$work/postfix" "$PF_PORT"

dotnet "$work/bin/securefallback.dll" \
  --SecureFallback:DataDirectory="$work/sf-data" \
  --SecureFallback:Intake:Port="$SF_PORT" \
  --Urls="http://127.0.0.1:$WEB_PORT" \
  --SecureFallback:Delivery:HeloName=sf.bench.test \
  --SecureFallback:Delivery:Routes:bench.test="127.0.0.1:$PF_PORT" \
  --Logging:LogLevel:Default=Warning > "$work/sf.log" 2>&1 &
sf_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$WEB_PORT/healthz" >/dev/null && break; sleep 0.3; done
curl -sf "http://127.0.0.1:$WEB_PORT/healthz" >/dev/null || { cat "$work/sf.log"; exit 1; }

# rate PORT COUNT -> messages per second (smtp-source exits non-zero on any SMTP error)
rate() {
  local start end
  start=$(date +%s.%N)
  timeout 600 smtp-source -s "$SESSIONS" -m "$2" -l "$SIZE" -f sender@bench.test -t rcpt@bench.test "127.0.0.1:$1"
  end=$(date +%s.%N)
  echo "$2 / ($end - $start)" | bc -l
}

echo "warming up..."
rate "$PF_PORT" 200 >/dev/null
rate "$SF_PORT" 200 >/dev/null
echo "measuring Postfix smtpd on 127.0.0.1:$PF_PORT..."
postfix_rate=$(rate "$PF_PORT" "$MESSAGES")
echo "measuring SecureFallback intake on 127.0.0.1:$SF_PORT..."
sf_rate=$(rate "$SF_PORT" "$MESSAGES")
peak_rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$sf_pid/status")

# Let the queue drain into the sink, bounded, to show deliveries keep up.
for _ in $(seq 120); do
  queued=$(curl -s "http://127.0.0.1:$WEB_PORT/" | sed -n 's:.*Queued recipients</td><td>\([0-9]*\)<.*:\1:p')
  [ "${queued:-1}" = "0" ] && break
  sleep 1
done
delivered=$(curl -s "http://127.0.0.1:$WEB_PORT/" | sed -n 's:.*Delivered over TLS</td><td>\([0-9]*\)<.*:\1:p')

printf '\n%-34s %s\n' "machine" "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
printf '%-34s %d messages x %d bytes, %d sessions, new connection per message\n' "load" "$MESSAGES" "$SIZE" "$SESSIONS"
printf '%-34s %.0f msgs/s\n' "Postfix smtpd (queue to disk)" "$postfix_rate"
printf '%-34s %.0f msgs/s\n' "SecureFallback intake (250 after commit)" "$sf_rate"
printf '%-34s %.2f\n' "ratio SecureFallback / Postfix" "$(echo "$sf_rate / $postfix_rate" | bc -l)"
printf '%-34s %.0f MiB\n' "SecureFallback peak RSS" "$(echo "$peak_rss_kb / 1024" | bc -l)"
printf '%-34s %s of %s (queued now: %s)\n' "delivered over TLS to the sink" "${delivered:-?}" "$((MESSAGES + 200))" "${queued:-?}"
