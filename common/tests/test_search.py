"""common.localization.search: the folded search text, the ``folded_contains`` lookup, the migration
steps that fill the text and index it (on PostgreSQL, where the planner uses the index)."""

from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from common.localization.search import SEARCH, fill_search_text, fold, search_text
from common.tests.testapp.models import Contact

pytestmark = pytest.mark.django_db


def _found(term):
    return sorted(Contact.objects.filter(**{SEARCH: term}).values_list("name", flat=True))


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("João", "joao"),
        ("  CONCEIÇÃO ", "conceicao"),
        ("Açúcar", "acucar"),
        ("São Paulo", "sao paulo"),
        ("ﬁlé", "file"),  # NFKD: the ligature is two letters
        ("joao", "joao"),
    ],
)
def test_fold_drops_case_and_accents(typed, folded):
    assert fold(typed) == folded


def test_search_text_folds_each_part_and_leaves_out_empty_and_repeated_ones():
    assert search_text("João", "", None, "Centro", "São Paulo", "centro") == (
        "joao\ncentro\nsao paulo"
    )


def test_a_search_finds_without_accents_in_any_case_and_with_accents_typed():
    Contact.objects.create(name="João Conceição", city="São Paulo")
    Contact.objects.create(name="Maria", city="Recife")
    for term in ("joao", "JOAO", "joão", "conceicao", "Conceição", "sao paulo", "PAULO"):
        assert _found(term) == ["João Conceição"], term
    assert _found("recife") == ["Maria"]
    assert _found("porto") == []


def test_a_term_never_matches_across_two_fields():
    Contact.objects.create(name="Ana Silva", city="Natal")
    assert _found("silva natal") == []
    assert _found("silva") == _found("natal") == ["Ana Silva"]


@pytest.mark.parametrize("term", ["%", "_", "a_c", "100%"])
def test_like_wildcards_in_the_term_are_taken_literally(term):
    Contact.objects.create(name="abc 100")
    Contact.objects.create(name="a_c 100%")
    assert _found(term) == ["a_c 100%"]


def test_a_save_keeps_the_search_text_current():
    contact = Contact.objects.create(name="Zé", city="Maceió")
    contact.city = "Belém"
    contact.save()
    assert Contact.objects.get().search_text == "ze\nbelem"
    contact.name = "José"
    contact.save(update_fields=["name"])
    assert Contact.objects.get().search_text == "jose\nbelem"


def test_a_save_of_fields_that_are_not_searched_leaves_the_search_text_alone():
    contact = Contact.objects.create(name="Zé", city="Maceió")
    Contact.objects.filter(pk=contact.pk).update(search_text="left alone")
    contact.note = "ligar"
    contact.save(update_fields=["note"])
    assert Contact.objects.get().search_text == "left alone"


def test_fill_search_text_writes_every_row_in_batches(django_assert_num_queries):
    for name in ("Ângela", "Bárbara", "Cássio", "Dênis", "Érica"):
        Contact.objects.create(name=name, city="Goiânia")
    Contact.objects.update(search_text="")
    fill = fill_search_text("testapp.Contact", lambda row: [row.name, row.city], batch_size=2)
    with django_assert_num_queries(3 * 2 + 1):
        # Three batches (a read, an update each) and the empty read; the step reads only
        # the schema editor's connection.
        fill.code(apps, SimpleNamespace(connection=connection))
    assert list(Contact.objects.order_by("pk").values_list("search_text", flat=True)) == [
        "angela\ngoiania",
        "barbara\ngoiania",
        "cassio\ngoiania",
        "denis\ngoiania",
        "erica\ngoiania",
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index of PostgreSQL")
def test_on_postgresql_the_trigram_index_answers_a_search():
    # The planner's choice on a full table is in docs/performance.md (EXPLAIN ANALYZE of
    # 20,000 clients); rows written inside a test's transaction wait in the index's
    # pending list, so here the plan is asked with scans of the table off: the index
    # must be able to answer the LIKE (the right operator class, on the right column).
    Contact.objects.bulk_create(
        Contact(name=f"Cliente {n:03d}", search_text=search_text(f"Cliente {n:03d}", "Sao Paulo"))
        for n in range(200)
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = Contact.objects.filter(**{SEARCH: "Cliente 012"}).explain()
    assert "Bitmap Index Scan on testapp_contact_search_trgm" in plan, plan
    assert _found("Cliente 012") == ["Cliente 012"]
