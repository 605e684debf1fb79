"""Notifications go through the memory backends in these tests: nothing leaves the process."""

from __future__ import annotations

import pytest

from xiaoqu.notify.channels import MemorySmsBackend, MemoryWechatBackend


@pytest.fixture(autouse=True)
def memory_backends(settings):
    settings.XIAOQU_NOTIFY_SMS_BACKEND = "xiaoqu.notify.channels.MemorySmsBackend"
    settings.XIAOQU_NOTIFY_WECHAT_BACKEND = "xiaoqu.notify.channels.MemoryWechatBackend"
    settings.XIAOQU_SITE_URL = "https://xiaoqu.example.cn"
    MemorySmsBackend.reset()
    MemoryWechatBackend.reset()
    yield
    MemorySmsBackend.reset()
    MemoryWechatBackend.reset()
