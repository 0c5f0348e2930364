#!/bin/sh
# The system packages the test suite needs beyond Python and make, installed through apt when
# missing (`make test` and `make test-services` run this first; so does CI through them).
#
# - openssh-server: the SSH tests start their own sshd on loopback (tests/fakes/sshd.py). The
#   package's own daemon is never started.
# - redis-server: the broker-outage tests start and stop a redis-server of their own on a free
#   port (tests/fakes/redis_server.py). The package's own service is never started.
#
# Nothing is done when everything is present. Otherwise this must run as root (it says which
# command to run when it cannot), and only the missing packages are installed.
set -eu

# "binary package" pairs: a package is missing when its binary is. Add a line per package.
REQUIRED="
/usr/sbin/sshd openssh-server
redis-server redis-server
/usr/bin/chromium chromium
"
POLICY=/usr/sbin/policy-rc.d

missing=""
while read -r binary package; do
  [ -n "$binary" ] || continue
  case "$binary" in
    /*) [ -x "$binary" ] && continue ;;
    *) command -v "$binary" >/dev/null 2>&1 && continue ;;
  esac
  missing="$missing $package"
done <<EOF
$REQUIRED
EOF
missing="${missing# }"

if [ -n "$missing" ]; then
  command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing"
  if [ "$(id -u)" -ne 0 ]; then
    echo "The tests need these system packages: $missing." >&2
    echo "Install them as root, then run make again:" >&2
    echo "  sudo sh -c '$command'" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "The tests need these system packages: $missing (Debian/Ubuntu names)." >&2
    echo "There is no apt-get here: install them with this system's package manager." >&2
    exit 1
  fi
  echo "Installing the system packages the tests need: $missing"
  # Packages must not start their services (the tests start their own daemons): a policy-rc.d
  # that answers 101 forbids it, kept only for the install unless one was there already.
  own_policy=0
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$POLICY" && chmod +x "$POLICY" && own_policy=1
  fi
  status=0
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } ||
    status=$?
  if [ "$own_policy" = 1 ]; then rm -f "$POLICY"; fi
  if [ "$status" -ne 0 ]; then
    echo "Installing failed (exit $status). The command was: $command" >&2
    exit "$status"
  fi
  case " $missing " in
    *" openssh-server "*)
      # Where a service manager ignored the policy, stop the daemon the package started (by its
      # own pid file: never the tests' sshd).
      if [ -f /run/sshd.pid ]; then kill "$(cat /run/sshd.pid)" 2>/dev/null || true; fi
      ;;
  esac
fi

# sshd refuses to start without its privilege separation directory (a tmpfs: gone after a reboot).
if [ ! -d /run/sshd ] && [ "$(id -u)" -eq 0 ]; then
  mkdir -p /run/sshd
fi
