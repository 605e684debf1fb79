"""What the shared offline queue (web/static/web/offline.js) tells the user on every phone page
that uses it — the visit page and the contractor's progress page — translated here, since the
script has no catalogue. Each page adds its own texts to these."""

from __future__ import annotations

from django.utils.translation import gettext as _


def queue_texts() -> dict[str, str]:
    return {
        "queueCount": _("%(n)s 条待发送"),
        "allSent": _("全部已发送"),
        "online": _("有网络"),
        "offline": _("无网络"),
        "waiting": _("待发送"),
        "sending": _("发送中…"),
        "returned": _("未通过："),
        "offlineErr": _("网络不通，已存在本机，稍后自动发送。"),
        "serverErr": _("服务器暂时无法处理（%(status)s），稍后自动重试。"),
        "loginExpired": _("登录已失效：请重新登录，登录后会自动发送。"),
        "saved": _("已存在本机，正在发送…"),
        "sent": _("已发送：%(what)s"),
        "discard": _("放弃"),
        "noStorage": _("本机浏览器无法离线保存：请在有网络时使用，发送完成前不要关闭页面。"),
        "withPhoto": _("有照片"),
        "photoBig": _("照片太大（最大 8 MB），请换一张。"),
        "saveFailed": _("本机保存失败，请重试。"),
    }
