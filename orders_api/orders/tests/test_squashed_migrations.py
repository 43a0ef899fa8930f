"""The migrations up to the label-only one squashed (issue #36): a new database migrates
through the squash, and a database the code before it migrated goes on migrating and
records it, so existing databases need nothing done by hand."""

import pytest

from common.development.testing import (
    migrations_after,
    migrations_run_forward,
    squash_matches_what_it_replaces,
)

SQUASH = "0001_squashed_0004_translated_labels"


def test_the_squash_ends_where_the_migrations_it_replaces_end():
    assert squash_matches_what_it_replaces(app_label="orders", squash=SQUASH)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("start", "then"),
    [
        ("nothing", lambda later: [SQUASH, *later]),  # a new database: the squash, the rest
        ("replaced", lambda later: later),  # the replaced ones applied: the rest
        ("today", lambda later: []),  # every migration of today applied: none
    ],
    ids=["new", "at-the-replaced", "today"],
)
def test_a_database_migrates_forward_and_records_the_squash(start, then):
    later = migrations_after(app_label="orders", squash=SQUASH)
    assert later  # the migrations after the squash keep depending on what it replaces
    assert migrations_run_forward(app_label="orders", squash=SQUASH, start=start) == then(later)
