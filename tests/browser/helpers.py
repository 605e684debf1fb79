"""What the browser tests share: the users' password and checks every page must pass."""

from __future__ import annotations

PASSWORD = "pass-1234-word"


def watch(page) -> list[str]:
    """Collect every failed request and script error the page runs into."""
    problems: list[str] = []
    page.on(
        "response",
        lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    return problems


def assets_loaded(page) -> None:
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"
    border = page.evaluate("getComputedStyle(document.querySelector('.topbar')).borderTopColor")
    assert border == "rgb(166, 29, 36)", "site.css did not load"


def fits_width(page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the screen"
