"""A full disk on upload: a clear message, nothing stored half (docs/operations.md, "Faults").

The disk is made "full" by a writer that raises ``ENOSPC`` once part of the file is written,
as the kernel does; the storage (``core.storage.WholeFileStorage``) must leave no file behind,
and the page must say what happened while the change that carried the file is undone.
"""

from __future__ import annotations

import errno
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.core.test_uploads import home, opinion_post, order_post  # noqa: F401 (fixture)
from tests.factories import tiny_image
from xiaoqu.core import storage as storage_module
from xiaoqu.core.storage import StorageFull, WholeFileStorage


class _FillingWriter:
    """A file object whose disk fills after ``room`` bytes."""

    def __init__(self, real, room: int) -> None:
        self.real, self.room = real, room

    def write(self, data: bytes) -> int:
        if len(data) > self.room:
            self.real.write(data[: self.room])
            self.real.flush()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.real.write(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.real.close()


@pytest.fixture
def full_disk(monkeypatch):
    real_fdopen = os.fdopen

    def fdopen(fd, mode="r", *args, **kwargs):
        return _FillingWriter(real_fdopen(fd, mode, *args, **kwargs), room=10)

    monkeypatch.setattr(storage_module.os, "fdopen", fdopen)


def _files(root) -> list[str]:
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


def test_the_storage_keeps_nothing_of_a_file_the_disk_could_not_hold(tmp_path, full_disk):
    storage = WholeFileStorage(location=tmp_path)
    with pytest.raises(StorageFull):
        storage.save("photos/a.jpg", ContentFile(b"x" * 4096))
    assert _files(tmp_path) == []


def test_the_storage_writes_whole_files_under_a_free_name(tmp_path):
    storage = WholeFileStorage(location=tmp_path)
    first = storage.save("photos/a.jpg", ContentFile(b"one"))
    second = storage.save("photos/a.jpg", ContentFile(b"two"))
    assert first == "photos/a.jpg" and second != first and second.startswith("photos/a")
    assert (tmp_path / first).read_bytes() == b"one" and (tmp_path / second).read_bytes() == b"two"
    assert _files(tmp_path) == sorted([first, second])  # no temporary file left
    assert oct((tmp_path / first).stat().st_mode & 0o777) != oct(0o600)


def test_the_site_stores_uploads_whole():
    assert isinstance(storages["default"], WholeFileStorage)


@pytest.mark.django_db
@pytest.mark.parametrize("post", [opinion_post, order_post], ids=["opinion", "work-order"])
def test_a_form_on_a_full_disk_says_so_and_saves_nothing(
    post,
    home,  # noqa: F811 (the fixture imported above)
    settings,
    tmp_path,
    full_disk,
):
    from xiaoqu.needs.models import Opinion
    from xiaoqu.stewardship.models import WorkOrder

    settings.MEDIA_ROOT = tmp_path
    estate, client = home
    before = (Opinion.objects.count(), WorkOrder.objects.count())
    client.raise_request_exception = False
    response = post(client, estate, SimpleUploadedFile("photo.jpg", tiny_image("JPEG")))
    assert response.status_code == 507
    page = response.content.decode()
    assert "存储空间已满" in page and "没有保存" in page
    assert (Opinion.objects.count(), WorkOrder.objects.count()) == before
    assert _files(tmp_path) == []
