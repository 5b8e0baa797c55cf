#!/usr/bin/env bash
# Create the first administrator (Django superuser, role "admin"). Idempotent: if the user name exists,
# nothing is changed (exit 0), so it can sit in a provisioning script.
#
#   DJANGO_SUPERUSER_USERNAME=admin DJANGO_SUPERUSER_EMAIL=admin@aimaq.example.kz \
#   DJANGO_SUPERUSER_PASSWORD_FILE=/root/aimaq-admin-password deploy/create_admin.sh [ENV_FILE]
#
# The password comes from DJANGO_SUPERUSER_PASSWORD_FILE (preferred: not in the process list or shell history)
# or DJANGO_SUPERUSER_PASSWORD. It must pass the site's password validators (checked here; Django's
# `createsuperuser --noinput` alone would accept any password). ENV_FILE as for deploy/deploy.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
env_file="${1:-${AIMAQ_ENV_FILE:-}}"
if [[ -z "$env_file" && -f /etc/aimaq/aimaq.env ]]; then env_file=/etc/aimaq/aimaq.env; fi
if [[ -n "$env_file" ]]; then
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    key="${line%%=*}"; value="${line#*=}"
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "create_admin: bad line in $env_file" >&2; exit 2; }
    [[ -z "${!key+x}" ]] && export "$key=$value"
  done < "$env_file"
fi
PY="${AIMAQ_PYTHON:-$ROOT/.venv/bin/python}"

: "${DJANGO_SUPERUSER_USERNAME:?set DJANGO_SUPERUSER_USERNAME}"
: "${DJANGO_SUPERUSER_EMAIL:?set DJANGO_SUPERUSER_EMAIL}"
if [[ -n "${DJANGO_SUPERUSER_PASSWORD_FILE:-}" ]]; then
  DJANGO_SUPERUSER_PASSWORD="$(<"$DJANGO_SUPERUSER_PASSWORD_FILE")"
fi
: "${DJANGO_SUPERUSER_PASSWORD:?set DJANGO_SUPERUSER_PASSWORD_FILE or DJANGO_SUPERUSER_PASSWORD}"
export DJANGO_SUPERUSER_USERNAME DJANGO_SUPERUSER_EMAIL DJANGO_SUPERUSER_PASSWORD

# 0: exists; 3: missing and the password is acceptable; 4: the password is rejected.
set +e
"$PY" manage.py shell --no-imports -c '
import os, sys
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
User = get_user_model()
name = os.environ["DJANGO_SUPERUSER_USERNAME"]
if User.objects.filter(username=name).exists():
    sys.exit(0)
try:
    validate_password(os.environ["DJANGO_SUPERUSER_PASSWORD"], User(username=name, email=os.environ["DJANGO_SUPERUSER_EMAIL"]))
except ValidationError as exc:
    print("create_admin: password rejected: " + " ".join(exc.messages), file=sys.stderr)
    sys.exit(4)
sys.exit(3)
'
state=$?
set -e
case "$state" in
  0) echo "create_admin: user '$DJANGO_SUPERUSER_USERNAME' already exists; nothing changed"; exit 0 ;;
  3) ;;
  *) exit "$state" ;;
esac

"$PY" manage.py createsuperuser --noinput
"$PY" manage.py shell --no-imports -c '
import os
from django.contrib.auth import get_user_model
n = get_user_model().objects.filter(username=os.environ["DJANGO_SUPERUSER_USERNAME"], is_superuser=True).update(role="admin")
assert n == 1, n
'
unset DJANGO_SUPERUSER_PASSWORD
echo "create_admin: administrator '$DJANGO_SUPERUSER_USERNAME' created (superuser, role admin)"
