#!/usr/bin/env bash
# Creates and starts a private Postfix instance on a loopback port (never the system instance).
#   postfix-instance.sh DIR PORT                    the receiver: offers STARTTLS, keeps each message (queue file +
#                                                   fsync) then discards it, logs to DIR/maillog so the bench can
#                                                   count what arrived
#   postfix-instance.sh DIR PORT intake             the same without its own log (Postfix's intake alone)
#   postfix-instance.sh DIR PORT relay NEXT [reuse] a mandatory-TLS smart host: relays everything to
#                                                   [127.0.0.1]:NEXT with smtp_tls_security_level=encrypt and a TLS
#                                                   session cache (as Debian's main.cf has it); "reuse" adds
#                                                   smtp_tls_connection_reuse (tlsproxy)
# CGROUP=/sys/fs/cgroup/... starts the instance's master inside that cgroup, so every daemon it forks is counted there.
# Stop it with: postfix -c DIR stop
set -euo pipefail
dir=$(realpath -m "$1"); port=$2; role=${3:-receiver}; next=${4:-}; reuse=${5:-}
mkdir -p "$dir"
if [ ! -f "$dir/cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$role.bench.test" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
  chmod 600 "$dir/key.pem"
fi
cat > "$dir/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
meta_directory = /etc/postfix
shlib_directory = no
mail_owner = postfix
setgid_group = postdrop
myhostname = $role.bench.test
mydomain = bench.test
myorigin = bench.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
alias_maps =
alias_database =
smtpd_tls_cert_file = $dir/cert.pem
smtpd_tls_key_file = $dir/key.pem
smtpd_tls_security_level = may
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
default_process_limit = 100
message_size_limit = 52428800
CONF
if [ "$role" = relay ]; then
  cat >> "$dir/main.cf" <<CONF
relayhost = [127.0.0.1]:$next
smtp_tls_security_level = encrypt
smtp_tls_session_cache_database = btree:\${data_directory}/smtp_scache
smtp_tls_connection_reuse = $([ "$reuse" = reuse ] && echo yes || echo no)
CONF
else
  cat >> "$dir/main.cf" <<CONF
default_transport = discard:benchmark
relay_transport = discard:benchmark
local_transport = discard:benchmark
CONF
fi
[ "$role" = receiver ] && printf 'maillog_file = %s/maillog\nmaillog_file_prefixes = %s\n' "$dir" "$dir" >> "$dir/main.cf"
cat > "$dir/master.cf" <<CONF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n - n 60   1 pickup
cleanup   unix  n - n -    0 cleanup
qmgr      unix  n - n 300  1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n -    - trivial-rewrite
bounce    unix  - - n -    0 bounce
defer     unix  - - n -    0 bounce
trace     unix  - - n -    0 bounce
verify    unix  - - n -    1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n -    - proxymap
anvil     unix  - - n -    1 anvil
scache    unix  - - n -    1 scache
smtp      unix  - - n -    - smtp
relay     unix  - - n -    - smtp
tlsproxy  unix  - - n -    0 tlsproxy
discard   unix  - - n -    - discard
error     unix  - - n -    - error
retry     unix  - - n -    - error
showq     unix  n - n -    - showq
postlog   unix-dgram n - n - 1 postlogd
CONF
mkdir -p "$dir/queue" "$dir/data"
chown postfix "$dir/data"
# "check" creates the queue subdirectories with the right owners (post-install create-missing).
postfix -c "$dir" check
start() {
  [ -n "${CGROUP:-}" ] && echo "$BASHPID" > "$CGROUP/cgroup.procs"
  postfix -c "$dir" start >/dev/null 2>&1 || postfix -c "$dir" reload >/dev/null 2>&1
}
(start)
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && exit 0
  sleep 0.2
done
echo "postfix instance in $dir did not start on port $port" >&2
exit 1
