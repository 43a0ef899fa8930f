"""Every catalogue of ours is complete and compiled: no message without its pt-BR
translation, none fuzzy, and each committed ``django.mo`` says what its ``.po`` says
(a forgotten ``compilemessages`` fails here, not in front of a reader)."""

from pathlib import Path

import polib
import pytest

REPO = Path(__file__).resolve().parents[2]
CATALOGUES = sorted(
    path
    for path in REPO.glob("**/locale/pt_BR/LC_MESSAGES/django.po")
    if not {".venv", "var", "node_modules"} & set(path.relative_to(REPO).parts)
)


def _ids(catalogue):
    return [str(path.relative_to(REPO)) for path in catalogue]


def test_every_service_and_common_has_a_catalogue():
    apps = {path.relative_to(REPO).parts[0] for path in CATALOGUES}
    assert {"common", "users_api", "clients_api", "products_api", "orders_api"} <= apps


@pytest.mark.parametrize("po_path", CATALOGUES, ids=_ids(CATALOGUES))
def test_no_message_is_untranslated_or_fuzzy(po_path):
    catalogue = polib.pofile(str(po_path))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert (untranslated, fuzzy) == ([], [])


def _messages(catalogue, compiled=False):
    """``{(context, id, plural id): translation}``; msgfmt leaves out what is not translated."""
    return {
        (entry.msgctxt, entry.msgid, entry.msgid_plural): (
            tuple(entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural))
            if entry.msgid_plural
            else entry.msgstr
        )
        for entry in catalogue
        if entry.msgid and (compiled or (not entry.obsolete and entry.translated()))
    }


@pytest.mark.parametrize("po_path", CATALOGUES, ids=_ids(CATALOGUES))
def test_the_committed_mo_is_the_po_compiled(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"run compilemessages: {mo_path} is missing"
    compiled = _messages(polib.mofile(str(mo_path)), compiled=True)
    assert compiled == _messages(polib.pofile(str(po_path))), f"run compilemessages in {po_path}"
