"""portal2fa.twofactor.web.sessions: a key rotation moves the stored row in one UPDATE; the old key
stops working in that statement, the data is kept, nothing is left behind."""

from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal2fa.twofactor.web.sessions import SessionStore


def stored(**data) -> SessionStore:
    session = SessionStore()
    session.update(data)
    session.create()
    return session


def test_rotation_moves_the_row_in_one_update(db):
    session = stored(user="7")
    old = session.session_key
    session.cycle_key()
    session["passed"] = True
    with CaptureQueriesContext(connection) as captured:
        session.save()
    sql = [q["sql"] for q in captured if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    assert len(sql) == 1 and sql[0].startswith("UPDATE")
    assert not Session.objects.filter(session_key=old).exists()
    assert SessionStore(old).load() == {}  # the old key opens nothing
    assert SessionStore(session.session_key).load() == {"user": "7", "passed": True}
    assert Session.objects.count() == 1


def test_rotating_twice_before_saving_moves_the_stored_row(db):
    session = stored(user="7")
    old = session.session_key
    session.cycle_key()
    session.cycle_key()
    session.save()
    assert not Session.objects.filter(session_key=old).exists()
    assert SessionStore(session.session_key).load() == {"user": "7"}


def test_a_vanished_row_becomes_a_new_session(db):
    session = stored(user="7")
    Session.objects.all().delete()  # expired and cleared meanwhile
    session.cycle_key()
    session.save()
    assert SessionStore(session.session_key).load() == {"user": "7"}


def test_flush_after_rotation_deletes_the_stored_row(db):
    session = stored(user="7")
    session.cycle_key()
    session.flush()
    assert Session.objects.count() == 0


def test_a_new_session_is_inserted(db):
    session = SessionStore()
    session["a"] = 1
    session.cycle_key()
    session.save()
    assert SessionStore(session.session_key).load() == {"a": 1}
