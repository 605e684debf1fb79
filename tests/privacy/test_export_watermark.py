"""Exports of lists with personal data are logged and carry their exporter."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from tests.registry.fixtures.register import base_register, write_register
from xiaoqu.core.models import AccessEvent
from xiaoqu.registry.importing import import_register
from xiaoqu.registry.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(tmp_path):
    """A register as the import writes it (the factories' estates lack import fields)."""
    import_register(write_register(tmp_path / "in", base_register()))


def test_the_register_export_is_logged_with_its_count(register, tmp_path):
    call_command("export", str(tmp_path / "r.xlsx"), stdout=StringIO())
    event = AccessEvent.objects.get()
    assert (event.action, event.actor_label) == ("export", "命令行")
    assert event.subject_count == Person.objects.count() > 0
    assert "r.xlsx" in event.description and event.path == "xiaoqu export"


def test_the_register_workbook_is_watermarked_and_still_imports(register, tmp_path):
    """Properties, header and footer name the exporter; no extra row, so the file imports."""
    from openpyxl import load_workbook

    path = tmp_path / "r.xlsx"
    call_command("export", str(path), stdout=StringIO())
    book = load_workbook(path)
    assert book.properties.description.startswith("导出人：命令行")
    assert all(ws.oddHeader.right.text.startswith("导出人：") for ws in book.worksheets)
    import_register(path)  # raises ImportFailed on any row it cannot read
