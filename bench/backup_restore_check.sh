#!/usr/bin/env bash
# Prove deploy/backup.sh + deploy/restore.sh on the local PostgreSQL (127.0.0.1:5432, user postgres):
# scratch DB -> migrate -> load_reference -> budget demo + 20 residents voting through budget.services ->
# backup.sh (dump + media archive; retention deletes a 30-day-old dump) -> restore.sh into a second scratch
# DB -> per-table row counts, checksums of ballots/choices/audit/profiles and sequence positions must be equal
# -> the restored DB has no unapplied migrations, takes a new ballot and still refuses a second one ->
# restore.sh refuses a non-empty target without --clean and replaces it with --clean -> media restored.
# Drops both scratch DBs and temp files on exit. Bounded: a watchdog stops it after 170 s.
#
#   bench/backup_restore_check.sh            # exit 0: all equal; non-zero otherwise
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY="$ROOT/.venv/bin/python"
PG="postgres://postgres@127.0.0.1:5432"
SRC=aimaq_brcheck_src
DST=aimaq_brcheck_dst
WORK="$(mktemp -d /tmp/aimaq_brcheck.XXXXXX)"
t0=$(date +%s)
export PGOPTIONS="-c client_min_messages=warning"

cleanup() {
  local rc=$?
  [[ -n "${watchdog_pid:-}" ]] && kill "$watchdog_pid" 2>/dev/null || true
  for db in "$SRC" "$DST"; do
    psql "$PG/postgres" -XqAc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
  echo "== cleaned up (scratch databases dropped) after $(( $(date +%s) - t0 )) s; exit $rc"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
# Overall limit; every step also has its own timeout, so the shell gets control back to stop.
watchdog() {
  sleep 170 </dev/null >/dev/null 2>&1 &
  local sleeper=$!
  trap 'kill $sleeper 2>/dev/null; exit 0' TERM
  wait "$sleeper"
  echo "backup_restore_check: 170 s limit reached" >&2
  kill -TERM $$
}
watchdog &
watchdog_pid=$!

step() { printf '== [%3ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }

for db in "$SRC" "$DST"; do psql "$PG/postgres" -XqAc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; done
psql "$PG/postgres" -XqAc "CREATE DATABASE $SRC" >/dev/null
export DATABASE_URL="$PG/$SRC" SECRET_KEY="brcheck-$(date +%s%N)-0123456789abcdefghijklmnopqrstuvwxyz" \
       IIN_HASH_KEY="brcheck-iin-key" MEDIA_ROOT="$WORK/media" LOG_LEVEL=ERROR
unset PRODUCTION REDIS_URL

step "migrate $SRC"
timeout 90 "$PY" manage.py migrate --noinput -v 0
step "load_reference"
timeout 90 "$PY" manage.py load_reference >/dev/null
step "budget demo + 20 residents casting ballots through budget.services"
timeout 60 "$PY" manage.py shell --no-imports -c '
import datetime as dt, io
from budget import services
from budget.core.iin import make_valid_iin
from budget.demo import load_demo, ESIL_KATO
from budget.models import Ballot, Cycle
from localization.models import District
load_demo(io.StringIO())
cycle = Cycle.objects.get(name_en__startswith="Demo")
district = District.objects.get(kato=ESIL_KATO)
buckets = list(cycle.buckets.order_by("id"))
for i in range(20):
    user = services.register_resident(username=f"brcheck-{i}", password=None, district=district,
                                      iin=make_valid_iin(dt.date(1980, 1, 1) + dt.timedelta(days=i), "MF"[i % 2], 2000 + i))
    for bucket in buckets:
        ids = list(services.ballot_candidates(bucket).values_list("pk", flat=True))[: 1 + i % 2]
        services.cast_ballot(bucket, user, ids)
print(f"   {Ballot.objects.count()} ballots in {len(buckets)} buckets")
'
mkdir -p "$WORK/media/budget/attachments"
head -c 300000 /dev/urandom > "$WORK/media/budget/attachments/brcheck.pdf"

step "backup.sh (with a 30-day-old dump that retention must delete)"
mkdir -p "$WORK/backups"
touch -d "30 days ago" "$WORK/backups/aimaq-20000101T000000Z.dump"
BACKUP_DIR="$WORK/backups" BACKUP_KEEP_DAYS=14 BACKUP_MEDIA=1 AIMAQ_ENV_FILE=/dev/null timeout 60 deploy/backup.sh /dev/null
dump="$(ls -1t "$WORK"/backups/aimaq-2*.dump | head -n 1)"
media_archive="$(ls -1t "$WORK"/backups/aimaq-media-*.tar.gz | head -n 1)"
[[ ! -e "$WORK/backups/aimaq-20000101T000000Z.dump" ]] || { echo "retention did not delete the old dump" >&2; exit 1; }

step "restore.sh into $DST (created by the script)"
timeout 60 deploy/restore.sh "$dump" "$PG/$DST" --media "$media_archive" "$WORK/media_restored"

compare() {
  timeout 30 "$PY" - "$PG/$SRC" "$PG/$DST" <<'PYEOF'
import sys
import psycopg

def snapshot(url):
    with psycopg.connect(url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
        sums = {}
        for table, order in [("budget_ballot", "id"), ("budget_ballot_choices", "id"), ("budget_ballotaudit", "id"),
                             ("budget_residentprofile", "id"), ("django_migrations", "id")]:
            sums[table] = conn.execute(
                f'SELECT md5(coalesce(string_agg(t::text, \'|\' ORDER BY t.{order}), \'\')) FROM "{table}" t').fetchone()[0]
        seqs = dict(conn.execute("SELECT sequencename, coalesce(last_value, 0) FROM pg_sequences WHERE schemaname = 'public'"))
    return tables, counts, sums, seqs

a, b = snapshot(sys.argv[1]), snapshot(sys.argv[2])
bad = []
if a[0] != b[0]:
    bad.append(f"tables differ: {sorted(set(a[0]) ^ set(b[0]))}")
diff = [t for t in a[1] if a[1][t] != b[1].get(t)]
if diff:
    bad.append("row counts differ: " + ", ".join(f"{t} {a[1][t]} vs {b[1].get(t)}" for t in diff))
for t in a[2]:
    if a[2][t] != b[2][t]:
        bad.append(f"checksum of {t} differs")
seq_diff = [s for s in a[3] if a[3][s] != b[3].get(s)]
if seq_diff:
    bad.append(f"sequences differ: {seq_diff}")
rows = sum(a[1].values())
print(f"   {len(a[0])} tables, {rows} rows: counts equal in {len(a[0]) - len(diff)}/{len(a[0])}; "
      f"ballots {a[1]['budget_ballot']}, choices {a[1]['budget_ballot_choices']}, audit {a[1]['budget_ballotaudit']}; "
      f"ballot checksum {a[2]['budget_ballot'][:12]}... {'==' if a[2]['budget_ballot'] == b[2]['budget_ballot'] else '!='} "
      f"{b[2]['budget_ballot'][:12]}...; {len(a[3])} sequences {'equal' if not seq_diff else 'DIFFER'}")
for line in bad:
    print("   MISMATCH:", line)
sys.exit(1 if bad else 0)
PYEOF
}
step "compare $SRC and $DST"
compare

step "restored media"
cmp "$WORK/media/budget/attachments/brcheck.pdf" "$WORK/media_restored/budget/attachments/brcheck.pdf"
echo "   attachment identical"

step "the restored database works: no unapplied migrations, a new ballot is taken, a second row refused"
DATABASE_URL="$PG/$DST" timeout 60 "$PY" manage.py migrate --check >/dev/null
DATABASE_URL="$PG/$DST" timeout 60 "$PY" manage.py shell --no-imports -c '
import datetime as dt
from budget import services
from budget.core.iin import make_valid_iin
from budget.demo import ESIL_KATO
from budget.models import Ballot, Cycle
from localization.models import District
cycle = Cycle.objects.get(name_en__startswith="Demo")
bucket = cycle.buckets.order_by("id").first()
user = services.register_resident(username="brcheck-after-restore", password=None,
                                  district=District.objects.get(kato=ESIL_KATO),
                                  iin=make_valid_iin(dt.date(1975, 5, 5), "F", 4321))
ids = list(services.ballot_candidates(bucket).values_list("pk", flat=True))[:1]
ballot, created = services.cast_ballot(bucket, user, ids)
assert created and ballot.pk == max(Ballot.objects.values_list("pk", flat=True)), "sequence not restored"
from django.db import IntegrityError, transaction
try:
    with transaction.atomic():
        Ballot.objects.create(cycle=cycle, bucket=bucket, voter_hash=ballot.voter_hash, voter_district=ballot.voter_district,
                              channel="paper")
except IntegrityError:
    print(f"   new ballot #{ballot.pk} stored; a second row for the same voter and bucket is refused by the database")
else:
    raise SystemExit("the unique constraint (bucket, voter) was not restored")
assert Ballot.objects.filter(bucket=bucket, voter_hash=ballot.voter_hash).count() == 1
'

step "restore.sh refuses a non-empty target without --clean"
set +e
timeout 60 deploy/restore.sh "$dump" "$PG/$DST" >/dev/null 2>&1
rc=$?
set -e
[[ $rc == 3 ]] || { echo "expected exit 3, got $rc" >&2; exit 1; }
echo "   refused (exit 3)"
step "restore.sh --clean replaces it"
timeout 60 deploy/restore.sh "$dump" "$PG/$DST" --clean
compare

step "backup and restore verified"
