"""The HTTP API: only this module mounts the apps' routers (CONVENTIONS 8)."""

from __future__ import annotations

from ninja import NinjaAPI

from xiaoqu.accounts.api import auth_methods
from xiaoqu.registry.api import router as registry_router

api = NinjaAPI(
    title="Xiaoqu API",
    version="1.0.0",
    description="小区：老旧小区改造与治理平台接口",
    auth=auth_methods,
)
api.add_router("/", registry_router)
