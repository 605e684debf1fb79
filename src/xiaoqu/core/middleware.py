"""TEMPORARY alias: the middleware lives in core.policy."""

from xiaoqu.core.policy import PolicyMiddleware  # noqa: F401
