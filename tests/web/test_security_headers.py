"""Security headers, cookies and templates without inline script (docs/security.md)."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.factories import make_user
from xiaoqu.core.headers import content_security_policy, tile_origins

pytestmark = pytest.mark.django_db

SRC = Path(__file__).resolve().parents[2] / "src" / "xiaoqu"
# What `check --deploy` still says with the production settings, and why that is right.
ACCEPTED_DEPLOY_WARNINGS = {
    # Preloading puts the domain into the browsers' built-in HTTPS list, a commitment for the
    # domain and all its subdomains that only its operator can make: XIAOQU_HSTS_PRELOAD=1.
    "security.W021",
}


def production_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("XIAOQU_") or key in {"XIAOQU_HOME", "XIAOQU_VAR_DIR"}
    }
    # The browser tests allow Django's ORM in Playwright's event loop for their own process;
    # a production server never runs so (check --deploy reports it as async.E001).
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "xiaoqu.config.settings",
            "XIAOQU_DEBUG": "0",
            "XIAOQU_SECRET_KEY": secrets.token_urlsafe(60),
            "XIAOQU_ALLOWED_HOSTS": "xiaoqu.example.cn",
            "DATABASE_URL": "sqlite://:memory:",
            **extra,
        }
    )
    return env


def test_deploy_checks_with_production_settings_leave_only_the_accepted_warning():
    """`xiaoqu check --deploy` with XIAOQU_DEBUG off: no HSTS (W004) or HTTPS-redirect (W008)
    warning, nor any other but the HSTS preload one, which is the operator's decision."""
    done = subprocess.run(
        [sys.executable, "-m", "xiaoqu.cli", "check", "--deploy"],
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = set(re.findall(r"\(([a-z_]+\.[EW]\d+)\)", done.stdout + done.stderr))
    assert found == ACCEPTED_DEPLOY_WARNINGS, done.stdout + done.stderr


def test_production_settings_from_the_environment():
    """HSTS with subdomains, the redirect and the load balancer's header come from the
    environment; DEBUG off means secure cookies and the redirect by default."""
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_PROXY_SSL_HEADER, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SESSION_COOKIE_HTTPONLY, s.SECURE_REFERRER_POLICY, s.SECURE_CROSS_ORIGIN_OPENER_POLICY)"
    )
    run = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    default = subprocess.run(run, env=production_env(), capture_output=True, text=True)
    assert default.stdout.split() == [
        "31536000",
        "True",
        "True",
        "None",
        "True",
        "True",
        "True",
        "same-origin",
        "same-origin",
    ], default.stderr
    tuned = subprocess.run(
        run,
        env=production_env(
            XIAOQU_HSTS_SECONDS="3600",
            XIAOQU_SSL_REDIRECT="0",
            XIAOQU_PROXY_SSL_HEADER="X-Forwarded-Proto",
        ),
        capture_output=True,
        text=True,
    )
    assert tuned.stdout.split()[:5] == [
        "3600",
        "True",
        "False",
        "('HTTP_X_FORWARDED_PROTO',",
        "'https')",
    ], tuned.stderr


@override_settings(
    DEBUG=False,
    SECURE_SSL_REDIRECT=True,
    SECURE_HSTS_SECONDS=31536000,
    SECURE_HSTS_INCLUDE_SUBDOMAINS=True,
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
)
def test_production_pages_redirect_to_https_and_carry_the_headers():
    """Plain http is redirected; a request the load balancer marks https gets HSTS, the
    policy, frame denial, the referrer and opener policies."""
    client = Client()
    redirected = client.get("/accounts/login/")
    assert redirected.status_code == 301
    assert redirected["Location"].startswith("https://")
    page = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page["X-Frame-Options"] == "DENY"
    assert page["Referrer-Policy"] == "same-origin"
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"
    assert page["X-Content-Type-Options"] == "nosniff"
    policy = page["Content-Security-Policy"]
    assert "script-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
    assert "script-src 'self' 'unsafe-inline'" not in policy


def test_the_policy_has_no_inline_script_and_allows_a_configured_tile_server(settings):
    """Scripts only from this site; a tile server's origins (one per {s}) may serve images."""
    policy = dict(part.strip().split(" ", 1) for part in content_security_policy().split(";"))
    assert policy["script-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    settings.XIAOQU_MAP_TILES = "https://webrd0{s}.is.autonavi.com/appmaptile?x={x}&y={y}&z={z}"
    settings.XIAOQU_MAP_TILES_SUBDOMAINS = "12"
    assert "https://webrd01.is.autonavi.com https://webrd02.is.autonavi.com" in (
        content_security_policy()
    )
    assert tile_origins("/tiles/{z}/{x}/{y}.png", "abc") == []


def test_report_only_and_off(settings):
    """XIAOQU_CSP=report sends the report-only header; off sends none."""
    settings.XIAOQU_CSP = "report"
    response = Client().get("/accounts/login/")
    assert "Content-Security-Policy-Report-Only" in response
    assert "Content-Security-Policy" not in response
    settings.XIAOQU_CSP = "off"
    response = Client().get("/accounts/login/")
    assert "Content-Security-Policy" not in response
    assert "Content-Security-Policy-Report-Only" not in response


def test_signed_in_pages_carry_the_policy_too():
    """The policy is on every page, not only the login page."""
    client = Client()
    client.force_login(make_user("admin"))
    response = client.get("/")
    assert "script-src 'self'" in response["Content-Security-Policy"]


def templates() -> list[Path]:
    return sorted(SRC.glob("*/templates/**/*.html"))


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)


def test_no_template_has_an_inline_script_or_event_handler():
    """Every script is a static file: no <script> without src, no on…= attribute and no
    javascript: URL in any template (the policy would block them)."""
    assert len(templates()) > 100
    offenders = []
    for path in templates():
        text = path.read_text(encoding="utf-8")
        for pattern, what in (
            (INLINE_SCRIPT, "inline <script>"),
            (EVENT_HANDLER, "on…= handler"),
            (JS_URL, "javascript: URL"),
        ):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(SRC)}:{line}: {what}")
    assert offenders == []


def test_the_template_check_catches_what_it_looks_for():
    """The patterns above find what they are meant to find (and not json_script's output)."""
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert INLINE_SCRIPT.search('<script type="text/javascript">')
    assert not INLINE_SCRIPT.search('<script src="/static/x.js" defer></script>')
    assert EVENT_HANDLER.search('<button type="button" onclick="x()">')
    assert EVENT_HANDLER.search("<select name=m onchange=this.form.submit()>")
    assert not EVENT_HANDLER.search('<a href="/x" data-one="1">')
    assert JS_URL.search('<a href="javascript:void(0)">')
