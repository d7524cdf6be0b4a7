#!/bin/sh
# The one test command (README and .ci/run both run it): installs what the tests need, then runs them.
# System packages (Debian/Ubuntu): nmap, openssh-server, chromium, openssl, sudo, poppler-utils (PDF pages of the HTML report). Installed only when missing,
# and only when running as root (otherwise: install them yourself, the tests that need them say so).
set -eu
cd "$(dirname "$0")/.."

need=""
command -v nmap >/dev/null 2>&1 || need="$need nmap"
[ -x /usr/sbin/sshd ] || need="$need openssh-server"
command -v chromium >/dev/null 2>&1 || need="$need chromium"
command -v openssl >/dev/null 2>&1 || need="$need openssl"
command -v sudo >/dev/null 2>&1 || need="$need sudo"
command -v pdftoppm >/dev/null 2>&1 || need="$need poppler-utils"
if [ -n "$need" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "tests/run.sh: installing$need"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $need >/dev/null
  else
    echo "tests/run.sh: missing$need (install them to run every test)" >&2
  fi
fi

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -m pip install -q -e '.[test]'; then
  # a distribution Python that refuses system-wide installs (PEP 668): use a virtual environment
  if [ ! -x .venv/bin/python ] && ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get install -y -qq python3-venv >/dev/null && "$PYTHON" -m venv .venv
    fi
  fi
  [ -x .venv/bin/python ] || { echo "tests/run.sh: cannot install the Python dependencies" >&2; exit 1; }
  PYTHON=.venv/bin/python
  "$PYTHON" -m pip install -q -e '.[test]'
fi
"$PYTHON" -m ruff check -q scanner checks reports policies tests bench
"$PYTHON" -m mypy --no-error-summary scanner checks reports
exec "$PYTHON" -m pytest -q "$@"
