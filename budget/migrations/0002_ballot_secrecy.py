"""Ballot secrecy: a ballot keeps only a per-bucket keyed hash of its voter (no profile), and the audit says that
someone voted and when, not what they chose, with no link to the ballot."""
from django.conf import settings
from django.db import migrations, models
import django.db.models.deletion


def forwards(apps, schema_editor):
    from budget.core.iin import ballot_voter_hash

    Ballot = apps.get_model("budget", "Ballot")
    BallotAudit = apps.get_model("budget", "BallotAudit")
    for audit in BallotAudit.objects.select_related("ballot").iterator():
        audit.cycle_id, audit.bucket_id, audit.channel = audit.ballot.cycle_id, audit.ballot.bucket_id, audit.ballot.channel
        audit.save(update_fields=["cycle", "bucket", "channel"])
    for ballot in Ballot.objects.iterator():
        # the old voter_hash was the profile's IIN hash: re-key it per bucket
        ballot.voter_hash = ballot_voter_hash(ballot.voter_hash, ballot.bucket_id, settings.IIN_HASH_KEY)
        ballot.save(update_fields=["voter_hash"])


class Migration(migrations.Migration):
    dependencies = [("budget", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="ballotaudit", name="cycle",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                                    to="budget.cycle", verbose_name="cycle"),
        ),
        migrations.AddField(
            model_name="ballotaudit", name="bucket",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="ballot_audit", to="budget.bucket", verbose_name="bucket"),
        ),
        migrations.AddField(
            model_name="ballotaudit", name="channel",
            field=models.CharField(choices=[("online", "online"), ("paper", "paper")], default="online", max_length=6,
                                   verbose_name="channel"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
        migrations.RemoveField(model_name="ballotaudit", name="ballot"),
        migrations.RemoveField(model_name="ballotaudit", name="old"),
        migrations.RemoveField(model_name="ballotaudit", name="new"),
        migrations.RemoveField(model_name="ballot", name="voter"),
        migrations.AlterField(
            model_name="ballotaudit", name="cycle",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="+", to="budget.cycle",
                                    verbose_name="cycle"),
        ),
        migrations.AlterField(
            model_name="ballotaudit", name="bucket",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="ballot_audit",
                                    to="budget.bucket", verbose_name="bucket"),
        ),
        migrations.AlterField(
            model_name="ballot", name="voter_hash",
            field=models.CharField(editable=False, max_length=64, verbose_name="voter (keyed hash)"),
        ),
    ]
