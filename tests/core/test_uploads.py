"""Uploaded photos are checked by their content, not their name, and stored under the
extension of what they really are (core.uploads; docs/security.md)."""

from __future__ import annotations

import re
import struct
import uuid
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.factories import make_estate, make_person, make_user, region_chain, tiny_image
from xiaoqu.core.errors import DomainError
from xiaoqu.core.uploads import check_photo, sniff_image

STORED_NAME = re.compile(r"^[0-9a-f]{24}\.(jpg|png|gif|webp)$")
# A real GIF with an HTML page after it: a browser told it is HTML would run the script.
GIF_POLYGLOT = tiny_image("GIF") + b"<html><script>alert(1)</script></html>"


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels (a decompression bomb's)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("name", "content", "extension"),
    [
        ("poly.php", tiny_image("PNG"), "png"),
        ("x.html", GIF_POLYGLOT, "gif"),
        ("照片.jpeg", tiny_image("JPEG"), "jpg"),
        ("a.png", tiny_image("WEBP"), "webp"),
        ("noname", tiny_image("JPEG"), "jpg"),
    ],
)
def test_a_photo_is_stored_under_the_extension_of_what_it_is(name, content, extension):
    """Whatever the client named it, a real picture gets a random name with its own type's
    extension: nothing of poly.php or x.html reaches the disk."""
    photo = SimpleUploadedFile(name, content)
    check_photo(photo)
    assert STORED_NAME.match(photo.name)
    assert photo.name.endswith("." + extension)
    assert photo.read() == content  # left at its start, bytes untouched


@pytest.mark.parametrize(
    "content",
    [
        b"<?php system($_GET['c']); ?>",
        b"\xff\xd8\xff\xe0" + b"0" * 100,  # starts like a JPEG, is not one
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,  # starts like a PNG, is not one
        b"GIF89a<script>alert(1)</script>",
        b"%PDF-1.4 not an image",
        b"",
    ],
    ids=["php", "jpeg-magic", "png-magic", "gif-magic", "pdf", "empty"],
)
def test_what_is_not_really_a_picture_is_refused(content):
    """A file that only starts like an image, or is none at all, is refused with a message."""
    with pytest.raises(DomainError) as refused:
        check_photo(SimpleUploadedFile("photo.jpg", content))
    assert refused.value.code == "photo_type"
    assert "JPG、PNG、WebP 或 GIF" in refused.value.message


def test_a_picture_claiming_billions_of_pixels_is_refused():
    """A small file whose header claims a huge picture (a decompression bomb) is refused
    before it is decoded."""
    assert sniff_image(SimpleUploadedFile("b.png", png_claiming(60_000, 60_000))) is None
    assert sniff_image(SimpleUploadedFile("ok.png", png_claiming(64, 64))) == "png"


def test_the_size_limit_is_a_setting_answered_with_a_message(settings):
    """Beyond XIAOQU_PHOTO_MAX_BYTES: a message naming the size and the limit."""
    settings.XIAOQU_PHOTO_MAX_BYTES = 2 * 1024 * 1024
    big = SimpleUploadedFile("big.jpg", tiny_image("JPEG") + b"\x00" * (3 * 1024 * 1024))
    with pytest.raises(DomainError) as refused:
        check_photo(big)
    assert refused.value.code == "photo_too_large"
    assert "最大 2 MB" in refused.value.message


# --- the forms that take a photo -------------------------------------------------------------


@pytest.fixture
def home():
    from xiaoqu.registry.models import Residency
    from xiaoqu.stewardship.services import orders

    orders.categories_ensure()
    estate = make_estate(region_chain()[-1], name="幸福小区", buildings=1, floors=1, per_floor=2)
    person = make_person("居民丙")
    Residency.objects.create(person=person, dwelling=estate.dwellings.first(), relation="owner")
    client = Client()
    client.force_login(make_user(person=person, password=None))
    return estate, client


def opinion_post(client, estate, photo):
    data = {
        "estate": str(estate.pk),
        "dwelling": "",
        "text": "楼道灯坏了",
        "latitude": "",
        "longitude": "",
        "client_key": str(uuid.uuid4()),
        "photo": photo,
    }
    return client.post(reverse("needs:opinion_new"), data)


def order_post(client, estate, photo):
    from xiaoqu.stewardship.models import WorkOrderCategory

    data = {
        "client_key": str(uuid.uuid4()),
        "estate": estate.pk,
        "category": WorkOrderCategory.objects.get(code="stair-light").pk,
        "text": "2楼楼道灯不亮",
        "place": "",
        "photos": photo,
    }
    return client.post(reverse("stewardship:order_new"), data)


def stored_names(kind: str) -> list[str]:
    if kind == "opinion":
        from xiaoqu.needs.models import Opinion

        return [o.photo.name for o in Opinion.objects.all()]
    from xiaoqu.stewardship.models import WorkOrderPhoto

    return [p.image.name for p in WorkOrderPhoto.objects.all()]


FORMS = {"opinion": opinion_post, "order": order_post}


@pytest.mark.django_db
@pytest.mark.parametrize("form", list(FORMS))
def test_the_residents_forms_store_a_polyglot_as_the_picture_it_is(form, home, settings, tmp_path):
    """A GIF named x.html sent through the form is kept as a .gif with a random name."""
    settings.MEDIA_ROOT = tmp_path
    estate, client = home
    response = FORMS[form](client, estate, SimpleUploadedFile("x.html", GIF_POLYGLOT))
    assert response.status_code == 302
    (name,) = stored_names(form)
    assert STORED_NAME.match(name.rsplit("/", 1)[-1]) and name.endswith(".gif")


@pytest.mark.django_db
@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (lambda: SimpleUploadedFile("poly.php", b"<?php echo 1; ?>"), "照片格式不支持"),
        (
            lambda: SimpleUploadedFile("big.jpg", tiny_image("JPEG") + b"\x00" * (2 * 1024**2)),
            "照片太大",
        ),
    ],
    ids=["not-a-picture", "too-large"],
)
def test_the_residents_forms_answer_a_bad_photo_with_a_message(
    form, upload, message, home, settings, tmp_path
):
    """Not a picture, or over the limit: the form again (400) with a clear message, nothing
    stored — never a 413 or a 500."""
    settings.MEDIA_ROOT = tmp_path
    settings.XIAOQU_PHOTO_MAX_BYTES = 1024 * 1024
    estate, client = home
    response = FORMS[form](client, estate, upload())
    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored_names(form) == []


# --- street networks (lifecircle.services.analysis_start) ------------------------------------


@pytest.mark.parametrize(
    ("head", "suffix"),
    [
        (b"<?xml version='1.0'?><osm version='0.6'>", ".osm"),
        (b"\xef\xbb\xbf\n  <osm>", ".osm"),
        (b"\x1f\x8b\x08\x00", ".osm.gz"),
        (b"BZh91AY", ".osm.bz2"),
        (b"\x00\x00\x00\x0d\x0a\x09OSMHeader\x18", ".osm.pbf"),
        (b' {"type": "FeatureCollection"', ".geojson"),
        (b"<?php echo 1; ?>", None),
        (b"<html><script>", None),
        (b"MZ\x90\x00", None),
    ],
)
def test_a_street_network_is_named_by_its_content(head, suffix):
    """The stored network file's suffix is what its bytes are, whatever the client's name."""
    from xiaoqu.lifecircle.services import network_suffix

    assert network_suffix(SimpleUploadedFile("roads.osm.pbf", head + b"\x00" * 64)) == suffix


@pytest.mark.django_db
def test_a_street_network_upload_that_is_no_network_is_refused(tmp_path, settings):
    """A file named .osm holding something else: a clear message, no run stored."""
    from xiaoqu.lifecircle.models import AnalysisRun
    from xiaoqu.lifecircle.services import analysis_start

    settings.MEDIA_ROOT = tmp_path
    community = region_chain()[-1]
    with pytest.raises(DomainError) as refused:
        analysis_start(
            region=community,
            osm=SimpleUploadedFile("roads.osm", b"MZ\x90\x00 not a map"),
            actor=make_user("admin"),
            enqueue=False,
        )
    assert refused.value.code == "osm_content"
    assert not AnalysisRun.objects.exists()
