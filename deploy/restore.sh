#!/usr/bin/env bash
# Restore a deploy/backup.sh dump into a PostgreSQL database.
#
#   deploy/restore.sh DUMP TARGET_DATABASE_URL [--clean] [--media ARCHIVE MEDIA_ROOT]
#
# The target database is created if it does not exist (the URL's user needs CREATEDB). If it already has
# tables, the restore is refused unless --clean is given (then existing objects are dropped first: use it
# only on the database you mean to replace, with the site stopped). The dump's .sha256 is verified when
# present. Restores in one transaction (all or nothing), owner and grants become the target URL's user, then
# ANALYZE. --media unpacks an aimaq-media-*.tar.gz into MEDIA_ROOT. Afterwards run deploy/deploy.sh (it
# applies any newer migrations) and restart the site.
set -euo pipefail

usage() { sed -n '2,12p' "$0"; exit 2; }
[[ $# -ge 2 ]] || usage
dump="$1"; target="$2"; shift 2
clean=0; media_archive=""; media_root=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --clean) clean=1; shift ;;
    --media) [[ $# -ge 3 ]] || usage; media_archive="$2"; media_root="$3"; shift 3 ;;
    *) usage ;;
  esac
done
[[ -f "$dump" ]] || { echo "restore: no such file: $dump" >&2; exit 2; }
case "$target" in postgres://*|postgresql://*) ;; *) echo "restore: target must be a postgres:// URL" >&2; exit 2 ;; esac

if [[ -f "$dump.sha256" ]]; then
  (cd "$(dirname "$dump")" && sha256sum --check --quiet "$(basename "$dump").sha256")
  echo "restore: checksum ok"
fi
pg_restore --list "$dump" >/dev/null

# postgres://user@host:port/dbname?params -> dbname, and the same server's "postgres" database.
base="${target%%\?*}"; query="${target#"$base"}"
dbname="${base##*/}"
admin="${base%/*}/postgres$query"
[[ -n "$dbname" && "$dbname" != "$base" ]] || { echo "restore: no database name in the target URL" >&2; exit 2; }

exists="$(psql "$admin" -XtAc "SELECT 1 FROM pg_database WHERE datname = '${dbname//\'/\'\'}'")"
if [[ "$exists" != 1 ]]; then
  createdb --maintenance-db="$admin" "$dbname"
  echo "restore: created database $dbname"
fi
tables="$(psql "$target" -XtAc "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
opts=(--no-owner --no-privileges --exit-on-error --single-transaction)
if [[ "$tables" != 0 ]]; then
  if (( clean )); then
    opts+=(--clean --if-exists)
    echo "restore: $dbname has $tables tables; --clean: they are replaced"
  else
    echo "restore: $dbname already has $tables tables; refusing (use --clean to replace them)" >&2
    exit 3
  fi
fi
start=$(date +%s)
pg_restore "${opts[@]}" --dbname="$target" "$dump"
psql "$target" -XqAc "ANALYZE" >/dev/null
echo "restore: $dump -> $dbname in $(( $(date +%s) - start )) s"

if [[ -n "$media_archive" ]]; then
  mkdir -p "$media_root"
  tar -C "$media_root" -xzf "$media_archive"
  echo "restore: media unpacked into $media_root"
fi
