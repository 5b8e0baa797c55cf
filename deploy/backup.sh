#!/usr/bin/env bash
# Back up the database (pg_dump custom format) and, with BACKUP_MEDIA=1, the uploaded files; delete old backups.
#
#   deploy/backup.sh [ENV_FILE]          # cron: 15 2 * * *  aimaq  /srv/aimaq/deploy/backup.sh
#
# Needs DATABASE_URL; BACKUP_DIR (default /var/backups/aimaq), BACKUP_KEEP_DAYS (default 14; the newest
# backup is never deleted), BACKUP_MEDIA (default 1: tar MEDIA_ROOT too). Writes
#   aimaq-<UTC time>.dump (+ .sha256)  and  aimaq-media-<UTC time>.tar.gz (+ .sha256)
# to a temporary name first, checks the dump is readable (pg_restore --list), then renames: a backup that
# exists is complete. Prints the file names. Restore with deploy/restore.sh. pg_dump must be the server's
# major version or newer. Copy BACKUP_DIR off the machine (and keep IIN_HASH_KEY and SECRET_KEY in a vault:
# without IIN_HASH_KEY the stored voter hashes cannot be matched again).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
env_file="${1:-${AIMAQ_ENV_FILE:-}}"
if [[ -z "$env_file" && -f /etc/aimaq/aimaq.env ]]; then env_file=/etc/aimaq/aimaq.env; fi
if [[ -n "$env_file" ]]; then
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    key="${line%%=*}"; value="${line#*=}"
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || { echo "backup: bad line in $env_file" >&2; exit 2; }
    [[ -z "${!key+x}" ]] && export "$key=$value"
  done < "$env_file"
fi
: "${DATABASE_URL:?backup: DATABASE_URL is not set}"
case "$DATABASE_URL" in postgres://*|postgresql://*) ;; *) echo "backup: DATABASE_URL is not PostgreSQL" >&2; exit 2 ;; esac
dir="${BACKUP_DIR:-/var/backups/aimaq}"
keep="${BACKUP_KEEP_DAYS:-14}"
[[ "$keep" =~ ^[0-9]+$ ]] || { echo "backup: BACKUP_KEEP_DAYS must be a number" >&2; exit 2; }

umask 077
mkdir -p "$dir"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
dump="$dir/aimaq-$stamp.dump"
tmp="$dump.partial"
trap 'rm -f "$tmp" "$dir"/aimaq-media-"$stamp".tar.gz.partial' EXIT

start=$(date +%s)
pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$tmp" --dbname="$DATABASE_URL"
pg_restore --list "$tmp" >/dev/null
mv "$tmp" "$dump"
(cd "$dir" && sha256sum "$(basename "$dump")" > "$(basename "$dump").sha256")
echo "backup: $dump ($(du -h "$dump" | cut -f1), $(( $(date +%s) - start )) s)"

if [[ "${BACKUP_MEDIA:-1}" == 1 ]]; then
  media="${MEDIA_ROOT:-$ROOT/media}"
  if [[ -d "$media" ]]; then
    archive="$dir/aimaq-media-$stamp.tar.gz"
    tar -C "$media" -czf "$archive.partial" .
    mv "$archive.partial" "$archive"
    (cd "$dir" && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")
    echo "backup: $archive ($(du -h "$archive" | cut -f1))"
  else
    echo "backup: no media directory at $media; skipped"
  fi
fi

# Retention: delete backups older than BACKUP_KEEP_DAYS, but never the newest database dump.
newest="$(ls -1t "$dir"/aimaq-*.dump 2>/dev/null | head -n 1)"
deleted=0
while IFS= read -r -d '' old; do
  [[ "$old" == "$newest" ]] && continue
  rm -f -- "$old" "$old.sha256"
  deleted=$((deleted + 1))
done < <(find "$dir" -maxdepth 1 -type f \( -name 'aimaq-*.dump' -o -name 'aimaq-media-*.tar.gz' \) -mtime +"$keep" -print0)
echo "backup: $deleted backups older than $keep days deleted"
