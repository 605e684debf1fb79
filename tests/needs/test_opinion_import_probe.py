"""The opinion import and the probe's files: one 140,000-character cell (csv's "field larger
than field limit", a 500) and a Big5 file (imported as nonsense). Both are refused with a
message naming the file and the row or the encoding, and nothing is stored."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_user, region_chain
from xiaoqu.needs.models import Opinion

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate():
    return make_estate(region_chain()[-1], name="东风小区", buildings=1, floors=2, per_floor=2)


def _upload(estate, data: bytes, name: str):
    client = Client()
    client.force_login(make_user("community_staff", region=estate.community))
    return client.post(
        reverse("needs:opinion_import", args=[estate.pk]),
        {"file": SimpleUploadedFile(name, data)},
    )


@pytest.mark.parametrize("quoted", [False, True])
def test_a_140000_character_cell_is_refused_with_its_row(estate, quoted):
    cell = "长" * 140_000
    cell = f'"{cell}"' if quoted else cell
    data = f"意见,日期\r\n楼道灯坏了,2026-03-02\r\n{cell},2026-03-03\r\n".encode()
    response = _upload(estate, data, "probe.csv")
    body = response.content.decode()
    assert response.status_code == 400
    assert "probe.csv" in body and "第 3 行" in body and "32,767" in body
    assert not Opinion.objects.exists()


def test_an_opinion_longer_than_an_opinion_may_be_is_a_row_error(estate):
    """Within the cell bound but over the opinion's own length: the row is named."""
    data = ("意见,日期\r\n" + "长" * 3000 + ",2026-03-03\r\n").encode()
    response = _upload(estate, data, "long.csv")
    assert response.status_code == 400 and "第2行" in response.content.decode()
    assert not Opinion.objects.exists()


def test_a_big5_file_is_refused_not_imported_as_nonsense(estate):
    text = "意見,日期\r\n樓道燈壞了，請盡快修理。,2026-03-02\r\n電梯經常故障。,2026-03-03\r\n"
    response = _upload(estate, text.encode("big5"), "繁体.csv")
    body = response.content.decode()
    assert response.status_code == 400
    assert "Big5" in body and "繁体.csv" in body
    assert not Opinion.objects.exists()
