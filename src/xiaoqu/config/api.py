"""The HTTP API: only this module mounts the apps' routers (CONVENTIONS 8)."""

from __future__ import annotations

from ninja import NinjaAPI

from xiaoqu.accounts.api import auth_methods
from xiaoqu.accounts.api import router as accounts_router
from xiaoqu.registry.api import router as registry_router

api = NinjaAPI(
    title="Xiaoqu API",
    version="1.0.0",
    description=(
        "小区：老旧小区改造与治理平台接口。机器调用请在请求头中携带 "
        "`Authorization: Bearer <令牌>` 或 `X-Api-Token: <令牌>`（令牌用 "
        "`xiaoqu token create` 生成）；页面内调用可使用登录会话。"
        "所有数据按调用者的角色范围过滤，范围外与不存在的对象一律返回 404。"
    ),
    auth=auth_methods,
    urls_namespace="api-1.0.0",
)
api.add_router("/", accounts_router)
api.add_router("/", registry_router)
