"""`portal2fa pass issue|revoke|expire`, run in-process: the pass alone on stdout, refusals as one
line with exit 2."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from portal2fa.audit.models import Action, AuditEvent
from portal2fa.cli import main
from portal2fa.twofactor.core import access_pass
from portal2fa.twofactor.machinery import keys
from portal2fa.twofactor.models import TemporaryAccessPass

pytestmark = pytest.mark.django_db


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_issue_prints_the_pass_once_and_stores_its_hash(capsys, enrolled):
    status, out, err = run(capsys, "pass", "issue", "ALICE@example.com", "--minutes", "30")
    assert status == 0, err
    code = access_pass.normalise(out.strip())
    row = TemporaryAccessPass.objects.get()
    assert row.digest == keys.access_pass_digest(enrolled.user.pk, code)
    assert row.expires_at - row.issued_at == timedelta(minutes=30)
    assert "Alice Example <alice@example.com>" in err and "out-of-band channel" in err
    assert code not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_revoke_and_expire(capsys, enrolled):
    run(capsys, "pass", "issue", "alice@example.com")
    status, out, _ = run(capsys, "pass", "revoke", "alice@example.com")
    assert status == 0 and "was revoked" in out
    assert TemporaryAccessPass.objects.get().outcome == "revoked"
    run(capsys, "pass", "issue", "alice@example.com", "--minutes", "10")
    TemporaryAccessPass.objects.filter(ended_at=None).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    status, out, _ = run(capsys, "pass", "expire")
    assert status == 0 and out.strip() == "1 expired pass audited."
    assert AuditEvent.objects.filter(action=Action.ACCESS_PASS_EXPIRED).count() == 1


@pytest.mark.parametrize(
    "argv, reason",
    [
        (("pass", "issue", "nobody@example.com"), "no user with email or username"),
        (("pass", "issue", "alice@example.com", "--minutes", "5"), "from 10 to 480 minutes"),
        (("pass", "issue", "alice@example.com", "--minutes", "481"), "from 10 to 480 minutes"),
        (("pass", "issue", "alice@example.com", "--minutes", "soon"), "invalid int value"),
        (("pass", "revoke", "alice@example.com"), "has no Temporary Access Pass to revoke"),
    ],
)
def test_bad_input_exits_2_with_a_reason(capsys, enrolled, argv, reason):
    status, out, err = run(capsys, *argv)
    assert status == 2 and reason in err and out == ""
    assert not TemporaryAccessPass.objects.filter(ended_at=None).exists()


def test_the_settings_option_from_the_cli(capsys, policy):
    status, out, _ = run(capsys, "settings", "set", "reset-needs-access-pass", "true")
    assert status == 0 and out.strip() == "reset-needs-access-pass = true"
    _, shown, _ = run(capsys, "settings", "show")
    assert re.search(r"^reset-needs-access-pass\s+true$", shown, re.M)
    event = AuditEvent.objects.get(action=Action.SETTINGS_CHANGED)
    assert event.detail["changes"]["reset_needs_access_pass"] == [False, True]
