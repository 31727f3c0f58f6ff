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
check "PostgreSQL server binaries" test -x "$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)/initdb"
check "testssl.sh" testssl --version
check "openssl" openssl version
check "spamassassin" spamassassin --version
# A local-only scoring run, as the test makes it: rules load and a score comes out, with no network and no user state.
check "spamassassin scores locally" bash -c 'home=$(mktemp -d) && trap "rm -rf $home" EXIT && touch "$home/prefs" &&
  printf "From: a@example.org\nTo: b@example.org\nSubject: check\nDate: Thu, 01 Jan 2026 00:00:00 +0000\nMessage-ID: <c@example.org>\n\nhello\n" |
  HOME=$home spamassassin -L -t -x -p "$home/prefs" --cf="use_bayes 0" --cf="bayes_auto_learn 0" | grep -q "^X-Spam-Status: .*score="'
exit $fail
