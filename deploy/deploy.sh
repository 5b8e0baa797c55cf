#!/usr/bin/env bash
# Bring this checkout's database, static files and reference data up to date. Idempotent: run it after every
# `git pull` (and on the first install); running it twice changes nothing the second time.
#
#   deploy/deploy.sh [--install] [ENV_FILE]
#
# ENV_FILE: default $AIMAQ_ENV_FILE, else /etc/aimaq/aimaq.env if it exists; variables already set in the
# environment win over the file. --install: (re)install the Python dependencies into .venv first.
# Steps: compile translations -> check --deploy (stop before touching anything if it reports a problem)
#        -> migrate -> collectstatic -> load_reference -> check --deploy --database default.
# Several web nodes: run it on every node (static files, catalogs), with RUN_MIGRATIONS=0 on all but one.
# Then restart gunicorn (systemctl restart aimaq): the app is preloaded, so a HUP does not load new code.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
install=0
env_file="${AIMAQ_ENV_FILE:-}"
for arg in "$@"; do
  case "$arg" in
    --install) install=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) env_file="$arg" ;;
  esac
done
if [[ -z "$env_file" && -f /etc/aimaq/aimaq.env ]]; then env_file=/etc/aimaq/aimaq.env; fi
if [[ -n "$env_file" ]]; then
  # Load KEY=value lines without overriding what the caller exported.
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    key="${line%%=*}"; value="${line#*=}"
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "deploy: bad line in $env_file: $key" >&2; exit 2; }
    [[ -z "${!key+x}" ]] && export "$key=$value"
  done < "$env_file"
fi

PY="${AIMAQ_PYTHON:-$ROOT/.venv/bin/python}"
step() { printf '== %s\n' "$*"; }

for var in SECRET_KEY DATABASE_URL REDIS_URL ALLOWED_HOSTS; do
  [[ -n "${!var:-}" ]] || { echo "deploy: $var is not set (see deploy/env.example)" >&2; exit 2; }
done
[[ "${PRODUCTION:-}" == 1 ]] || { echo "deploy: PRODUCTION=1 is not set" >&2; exit 2; }

if (( install )); then
  step "dependencies"
  [[ -x "$PY" ]] || python3 -m venv "$ROOT/.venv"
  "$PY" -m pip install --quiet --upgrade pip
  "$PY" -m pip install --quiet -e "$ROOT"
fi
[[ -x "$PY" ]] || { echo "deploy: no Python at $PY (run with --install, or set AIMAQ_PYTHON)" >&2; exit 2; }

step "translation catalogs (.po -> .mo)"
n=0
for po in "$ROOT"/locale/*/LC_MESSAGES/django*.po "$ROOT"/*/locale/*/LC_MESSAGES/django.po; do
  [[ -f "$po" ]] || continue
  mo="${po%.po}.mo"
  if [[ ! -f "$mo" || "$po" -nt "$mo" ]]; then "$PY" config/i18n.py compile "$po"; n=$((n + 1)); fi
done
echo "   $n catalogs compiled"

fail_level="${DEPLOY_CHECK_FAIL_LEVEL:-WARNING}"
step "check --deploy (fail level $fail_level)"
"$PY" manage.py check --deploy --fail-level "$fail_level"

if [[ "${RUN_MIGRATIONS:-1}" == 1 ]]; then
  step "migrate"
  "$PY" manage.py migrate --noinput
else
  step "migrate skipped (RUN_MIGRATIONS=0); unapplied migrations:"
  "$PY" manage.py migrate --check --plan >/dev/null && echo "   none" || echo "   some (another node applies them)"
fi

step "collectstatic"
"$PY" manage.py collectstatic --noinput -v 1

if [[ "${RUN_MIGRATIONS:-1}" == 1 ]]; then
  step "load_reference"
  "$PY" manage.py load_reference
fi

step "check --deploy --database default"
"$PY" manage.py check --deploy --database default --fail-level "$fail_level"
step "done; now: systemctl restart aimaq"
