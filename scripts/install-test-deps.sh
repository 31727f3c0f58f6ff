#!/usr/bin/env bash
# Installs the Debian packages the test suite and benchmarks use as real peers, with what each needs at run time,
# then checks the capability every test relies on, so a missing piece fails here, loudly, not as a test failure.
# Safe to run repeatedly: it installs only what is missing.
set -euo pipefail

# Installed without recommends (a lean CI image), so run-time needs that are only recommended are named here:
# swaks speaks STARTTLS through IO::Socket::SSL and Net::SSLeay (only "recommended" by the swaks package).
# spamassassin scores our pickup notices with its local rules (the package ships them; its hard dependencies,
# among them Mail::DKIM and Net::DNS, are all it needs for a local-only run: no sa-update, no spamd, no network).
packages=(swaks libio-socket-ssl-perl libnet-ssleay-perl postfix openssl bc curl chromium testssl.sh postgresql spamassassin)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "Installing: ${missing[*]}"
  # Postfix is only used as a private instance started by the tests and benchmark: no system configuration.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# What the tests rely on, checked the way they use it.
fail=0
check() {
  local what=$1; shift
  if ! "$@" >/dev/null 2>&1; then
    echo "test dependency check failed: $what ($*)" >&2
    fail=1
  fi
}
# swaks --support lists each capability ("=== TLS supported" or "*** TLS not available: requires ...").
check "swaks with STARTTLS" bash -c 'swaks --support 2>&1 | grep -q "^=== TLS supported"'
check "chromium starts headless" /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --user-data-dir="$(mktemp -d)" --dump-dom about:blank
check "postfix smtp-source and smtp-sink" test -x /usr/sbin/smtp-source -a -x /usr/sbin/smtp-sink
check "postfix private instances" postconf -d mail_version
# What tests/SecureFallback.TestKit/PrivatePostfix.cs does, in brief: as root, a `postfix -c DIR` instance (never the
# system one) on a loopback port, with postlogd, that delivers what it accepts into a maildir under DIR as nobody.
private_postfix_delivers() {
  local dir port result=1
  dir=$(mktemp -d /tmp/securefallback-postfix-check-XXXXXX)
  port=$((20000 + RANDOM % 12000))
  cat >"$dir/main.cf" <<CONF
compatibility_level = 3.6
queue_directory = $dir/queue
data_directory = $dir/data
mail_owner = postfix
myhostname = mx.check.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
smtpd_peername_lookup = no
alias_maps =
virtual_mailbox_domains = static:all
virtual_mailbox_base = $dir/mail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$(id -u nobody)
virtual_gid_maps = static:$(id -g nobody)
virtual_minimum_uid = 1
maillog_file = $dir/maillog
maillog_file_prefixes = $dir
CONF
  printf '%s\n' "127.0.0.1:$port inet n - n - - smtpd" "cleanup unix n - n - 0 cleanup" "qmgr unix n - n 300 1 qmgr" \
    "rewrite unix - - n - - trivial-rewrite" "bounce unix - - n - 0 bounce" "defer unix - - n - 0 bounce" \
    "trace unix - - n - 0 bounce" "pickup unix n - n 60 1 pickup" "anvil unix - - n - 1 anvil" \
    "virtual unix - n n - - virtual" "error unix - - n - - error" "proxymap unix - - n - - proxymap" \
    "postlog unix-dgram n - n - 1 postlogd" >"$dir/master.cf"
  chmod 755 "$dir" && mkdir -p "$dir/queue" "$dir/data" "$dir/mail" && chown postfix "$dir/data" && chown nobody "$dir/mail"
  if postfix -c "$dir" start; then
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.2; done
    timeout 15 smtp-source -m 1 -f sender@check.test -t recipient@check.test 127.0.0.1:"$port" &&
      for _ in $(seq 50); do [ -n "$(ls -A "$dir/mail/inbox/new" 2>/dev/null)" ] && { result=0; break; }; sleep 0.2; done
    postfix -c "$dir" stop
    for _ in $(seq 50); do postfix -c "$dir" status 2>/dev/null || break; sleep 0.2; done
  fi
  [ $result -eq 0 ] || cat "$dir/maillog" >&2
  rm -rf "$dir"
  return $result
}
check "tests run as root (private Postfix instances)" test "$(id -u)" -eq 0
check "a private Postfix instance starts and delivers into a maildir" private_postfix_delivers
check "PostgreSQL server binaries" test -x "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)/initdb"
check "testssl.sh" testssl --version
check "openssl" openssl version
check "spamassassin" spamassassin --version
# A local-only scoring run, as the test makes it, with no network and no user state: the rules must be loaded, so
# the GTUBE test string scores 1000 (with no rules every message scores 0 and the notice test would judge nothing).
check "spamassassin's rules are loaded (GTUBE scores 1000)" bash -c 'home=$(mktemp -d) && trap "rm -rf $home" EXIT && touch "$home/prefs" &&
  printf "From: a@example.org\nTo: b@example.org\nSubject: check\nDate: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <c@example.org>\n\nXJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X\n" |
  HOME=$home spamassassin -L -t -x -p "$home/prefs" --cf="use_bayes 0" --cf="bayes_auto_learn 0" |
  grep -Eq "^X-Spam-Status: Yes, score=[0-9]{4,}"'
exit $fail
