"""The Reset tab's typeahead: 1-2 characters match the start of a name or email (prefix), longer
input anywhere; a fixed number of queries whatever the population (limit first, join after)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal2fa.twofactor.selectors.users import search_active
from portal2fa.twofactor.services.enrollment import enrollment_begin


def names(query):
    return [row.name for row in search_active(query, limit=10)]


def test_short_input_matches_a_prefix_of_name_or_email(policy, make_user):
    make_user("alice@example.com", name="Alice Example")
    make_user("zed@al.example", name="Zed Zero")
    make_user("sal@example.com", name="Sal Smith")  # "al" inside: not a prefix
    make_user("al@example.com", name="Bert Al")
    assert names("al") == ["Alice Example", "Bert Al"]
    assert names("AL") == ["Alice Example", "Bert Al"]
    assert names("z") == ["Zed Zero"]
    assert names("al.") == ["Zed Zero"]  # 3 characters: anywhere
    assert names("sal") == ["Sal Smith"]


def test_short_input_escapes_like_wildcards(policy, make_user):
    make_user("a_b@example.com", name="Under Score")
    make_user("axb@example.com", name="Ax Bee")
    assert names("a_") == ["Under Score"]
    assert names("%") == []


def test_inactive_users_are_never_found(policy, make_user):
    make_user("gone@example.com", name="Gone Away", active=False)
    assert names("go") == [] and names("gone") == []


def test_at_most_limit_rows_in_list_order(policy, make_user):
    for n in range(15):
        make_user(f"p{n:02d}@example.com", name=f"Pat {14 - n:02d}")
    # the ten oldest matching accounts (Pat 14 .. Pat 05), shown in list order
    assert names("pa") == [f"Pat {n:02d}" for n in range(5, 15)]
    assert names("example") == [f"Pat {n:02d}" for n in range(5, 15)]


def count(query) -> int:
    with CaptureQueriesContext(connection) as captured:
        search_active(query, limit=10)
    return len(captured)


def test_same_number_of_queries_at_growing_populations(policy, make_user):
    def grow(start, n):
        for i in range(start, start + n):
            user = make_user(f"user{i}@example.com", name=f"User {i:04d}")
            if i % 2:
                enrollment_begin(user=user, at=timezone.now())

    grow(0, 10)
    small = {q: count(q) for q in ("us", "u", "example", "user1", "nomatch")}
    grow(10, 200)
    assert {q: count(q) for q in small} == small
    # the probe's bound, the ids (one query per search field for a prefix, one for a term; one
    # more each past SEARCH_PROBE accounts when the oldest hold too few), then the rows
    assert small == {"us": 4, "u": 4, "example": 3, "user1": 3, "nomatch": 2}


def test_probe_then_rest_finds_the_same_oldest_matches(policy, make_user, monkeypatch):
    """Past SEARCH_PROBE accounts the search looks at the oldest ones first, then the rest: the
    answer is the same as one scan in primary-key order."""
    from portal2fa.twofactor.adapter import DefaultAdapter

    for n in range(30):
        common = "common" if n % 3 else "rare" if n in (3, 24) else "x"
        make_user(f"{common}{n:02d}@example.com", name=f"Name {n:02d}")
    expected = {q: names(q) for q in ("common", "rare", "ra", "co", "example", "nomatch", "na")}
    monkeypatch.setattr(DefaultAdapter, "SEARCH_PROBE", 5)
    assert {q: names(q) for q in expected} == expected
    assert names("rare") == ["Name 03", "Name 24"]  # one in the probe, one past it


def test_a_prefix_range_stops_before_the_next_letter_and_serves_from_an_index(policy, make_user):
    """The 1-2 character search is a range of UPPER(field) (its LIKE used no index on SQLite:
    ~330 ms for a rare prefix at a million users); "ab" must not reach "AC" nor "AB" miss "ab"."""
    make_user("x1@example.com", name="ab lower")
    make_user("x2@example.com", name="ABC Upper")
    make_user("x3@example.com", name="Ac Next")
    make_user("x4@example.com", name="Aa Before")
    assert sorted(names("ab")) == ["ABC Upper", "ab lower"]
    with connection.cursor() as cursor:
        sql = (
            'EXPLAIN QUERY PLAN SELECT id FROM accounts_user WHERE "accounts_user"."is_active" '
            'AND UPPER("accounts_user"."full_name") >= %s AND UPPER("accounts_user"."full_name") < %s'
        )
        if connection.vendor == "sqlite":
            cursor.execute(sql, ["AB", "AC"])
            assert "user_name_prefix_sqlite" in str(cursor.fetchall())
