"""API tokens: the `xiaoqu token` command and the token services."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import make_user
from xiaoqu.accounts.models import ApiToken
from xiaoqu.accounts.tokens import api_token_create, api_token_find, api_token_revoke
from xiaoqu.core.errors import DomainError
from xiaoqu.core.models import AuditLog

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("token", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_create_prints_the_token_once_and_stores_only_its_digest():
    """The raw token goes to stdout alone; the database keeps a digest and the prefix."""
    user = make_user("admin")
    out, err = run("create", "--phone", user.phone, "--name", "数据同步")
    assert out.startswith("xq_") and "\n" not in out
    token = ApiToken.objects.get(user=user)
    assert token.name == "数据同步"
    assert out not in (token.digest, token.prefix)
    assert token.prefix == out[:8]
    assert ApiToken.lookup(out) == token
    assert "不会再次显示" in err


def test_create_for_an_unknown_phone_fails():
    """A phone with no user is refused and nothing is created."""
    with pytest.raises(CommandError, match="没有手机号"):
        run("create", "--phone", "13800000000", "--name", "x")
    assert not ApiToken.objects.exists()


def test_create_for_an_inactive_user_fails():
    """A deactivated user gets no new token."""
    user = make_user()
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="已停用"):
        run("create", "--phone", user.phone, "--name", "x")


def test_create_with_a_blank_name_fails():
    """A token needs a name saying what it is for."""
    user = make_user()
    with pytest.raises(CommandError, match="名称"):
        run("create", "--phone", user.phone, "--name", "  ")


def test_revoke_by_prefix_disables_the_token():
    """Revoking by the printed prefix makes the token useless."""
    user = make_user()
    raw, _err = run("create", "--phone", user.phone, "--name", "x")
    out, _err = run("revoke", raw[:8])
    assert "已吊销" in out
    assert ApiToken.lookup(raw) is None
    assert ApiToken.objects.get().revoked


def test_revoke_by_whole_token_works():
    """The whole token is accepted in place of the prefix."""
    user = make_user()
    raw, _err = run("create", "--phone", user.phone, "--name", "x")
    run("revoke", raw)
    assert ApiToken.lookup(raw) is None


def test_revoke_unknown_prefix_fails():
    """An unknown prefix is an error, not a silent success."""
    with pytest.raises(CommandError, match="没有前缀"):
        run("revoke", "xq_nope0")


def test_ambiguous_prefix_is_refused():
    """When two live tokens share a prefix, the whole token is required."""
    user = make_user()
    for name in ("a", "b"):
        token, _raw = api_token_create(user=user, name=name)
        ApiToken.objects.filter(pk=token.pk).update(prefix="xq_same0")
    with pytest.raises(DomainError) as caught:
        api_token_find(key="xq_same0")
    assert caught.value.code == "token_ambiguous"


def test_create_and_revoke_are_audited():
    """Issuing and revoking a token each write an audit row."""
    user = make_user()
    token, _raw = api_token_create(user=user, name="x", actor=user)
    api_token_revoke(token=token, actor=user)
    api_token_revoke(token=token, actor=user)
    actions = list(AuditLog.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["api_token_create", "api_token_revoke"]


def test_list_shows_prefixes_not_tokens():
    """The listing names each token by prefix and never prints the token itself."""
    user = make_user()
    raw, _err = run("create", "--phone", user.phone, "--name", "同步")
    out, _err = run("list")
    assert raw[:8] in out and raw not in out and "同步" in out and "有效" in out
