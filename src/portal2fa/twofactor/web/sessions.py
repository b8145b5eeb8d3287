"""A database session engine whose key rotation costs one statement instead of five.

Django's db backend rotates a session key (cycle_key: at login() and when the second factor
passes) by checking a new key is free, inserting a copy, reading and deleting the old row, then
updating the copy at the end of the request. Here cycle_key only picks the new key; the save at
the end of the request moves the row to it: one `UPDATE .. SET session_key = new .. WHERE
session_key = old`. The old key stops working in that same statement; a collision of two random
32-character keys would violate the primary key (an error, never a shared session). When the
old key is to be left as a forward for a second click (web/second_factor.py), the move and the forward
are one statement too: an upsert that inserts the new key and turns the old row into the forward.

    SESSION_ENGINE = "portal2fa.twofactor.web.sessions"
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.db import IntegrityError, connection, transaction


class SessionStore(db.SessionStore):
    _old_key: str | None = None
    _forward: tuple[str, dict, int] | None = None

    def leave_forward(self, old_key: str, data: dict, seconds: int) -> None:
        """After the move at save(), a row under old_key holding only `data` (web/second_factor.py:
        the forward a second click that still carries the old id follows)."""
        self._forward = (old_key, data, seconds)

    def cycle_key(self):
        data = self._session
        if self.session_key is None and self._old_key is None:
            # Nothing stored yet: the save at the end of the request inserts it under a new key
            # (Django's would insert it now and update it then).
            self._session_cache = data
            self.modified = True
            return
        if self._old_key is None:
            self._old_key = self.session_key  # the row to move at save()
        self._session_key = self._get_new_session_key()
        self._session_cache = data
        self.modified = True

    def _get_new_session_key(self) -> str:
        """Not looked up first, as Django's is: every new key is inserted with must_create (a
        taken one raises CreateError and create() draws again) or moved to by the UPDATE above
        (a taken one violates the primary key)."""
        from django.utils.crypto import get_random_string

        return get_random_string(32, VALID_KEY_CHARS)

    def save(self, must_create=False):
        forward, self._forward = self._forward, None
        if forward is not None and not must_create and forward[0] == self._old_key:
            self._old_key = None
            while not self._move_leaving_forward(forward):  # the new key was taken: draw again
                self._session_key = self._get_new_session_key()
            return
        self._save(must_create)
        if forward is not None:
            old_key, data, seconds = forward
            store = SessionStore(old_key)
            store._session_cache = dict(data)  # not loaded: the old row has just moved away
            store.set_expiry(seconds)
            row = store.create_model_instance(store._get_session(no_load=True))
            try:
                with transaction.atomic():
                    row.save(force_insert=True)
            except IntegrityError:  # the old id was taken meanwhile: no forward
                pass

    def _move_leaving_forward(self, forward: tuple[str, dict, int]) -> bool:
        """One statement: the session inserted under its new key and the old key's row turned
        into the forward (inserted, if the old row is gone). A new key that is taken is left
        alone (the ON CONFLICT's WHERE names only the old key): False, draw another."""
        old_key, data, seconds = forward
        store = SessionStore(old_key)
        store._session_cache = dict(data)  # not loaded: the old row's data is replaced
        store.set_expiry(seconds)
        rows = [
            self.create_model_instance(self._get_session(no_load=True)),
            store.create_model_instance(store._get_session(no_load=True)),
        ]
        ops = connection.ops
        table = ops.quote_name(self.model._meta.db_table)
        key, body, expires = (
            ops.quote_name(self.model._meta.get_field(name).column)  # type: ignore[union-attr,arg-type]  # (plain fields)
            for name in ("session_key", "session_data", "expire_date")
        )
        # Only quoted identifiers are formatted in; values go as parameters.
        statement = (
            f"INSERT INTO {table} ({key}, {body}, {expires}) VALUES (%s, %s, %s), (%s, %s, %s) "  # noqa: S608
            f"ON CONFLICT ({key}) DO UPDATE SET {body} = excluded.{body}, "
            f"{expires} = excluded.{expires} WHERE {table}.{key} = %s RETURNING {key}"
        )
        params = [
            value
            for row in rows
            for value in (
                row.session_key,
                row.session_data,
                ops.adapt_datetimefield_value(row.expire_date),
            )
        ]
        with connection.cursor() as cursor:
            cursor.execute(statement, [*params, old_key])
            written = {found for (found,) in cursor.fetchall()}
        return self.session_key in written

    def _save(self, must_create=False):
        old, self._old_key = self._old_key, None
        if old is not None and not must_create:
            data = self._get_session()
            moved = self.model.objects.filter(session_key=old).update(
                session_key=self.session_key,
                session_data=self.encode(data),
                expire_date=self.get_expiry_date(),
            )
            if moved:
                return
            self._session_key = None  # the old row is gone (expired, flushed): a new session
            self._session_cache = data
            return self.create()
        return super().save(must_create=must_create)

    def delete(self, session_key=None):
        if session_key is None and self._old_key is not None:
            super().delete(self._old_key)  # rotated but not yet saved: the stored row
        self._old_key = None
        super().delete(session_key)
