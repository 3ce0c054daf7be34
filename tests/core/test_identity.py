"""Roles, permissions, the four-eyes rule and the API key format (no database, no HTTP)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.core.identity import (
    ROLE_PERMISSIONS,
    AuthorisationError,
    FourEyesViolation,
    Permission,
    Principal,
    PrincipalKind,
    Role,
    check_four_eyes,
    hash_api_key,
    key_usable,
    new_api_key,
    parse_api_key,
    parse_roles,
    require,
)


def _principal(*roles: Role, pid: str = "key:abcdefgh") -> Principal:
    return Principal(pid, PrincipalKind.API_KEY, "default", frozenset(roles), name="t")


def test_roles_hold_what_the_issue_says() -> None:
    reader = _principal(Role.READER)
    evaluator = _principal(Role.EVALUATOR)
    reviewer = _principal(Role.REVIEWER)
    admin = _principal(Role.ADMIN)
    assert reader.can(Permission.TENANT_READ) and not reader.can(Permission.RECOMMEND)
    assert not reader.can(Permission.PERSONAL_READ)
    assert evaluator.can(Permission.RECOMMEND) and not evaluator.can(Permission.REVIEW)
    assert reviewer.can(Permission.REVIEW) and not reviewer.can(Permission.RECOMMEND)
    assert not evaluator.can(Permission.ADMIN) and not reviewer.can(Permission.ADMIN)
    assert admin.permissions == frozenset(Permission)
    # every role reads shared reference data
    assert all(Permission.REFERENCE_READ in p for p in ROLE_PERMISSIONS.values())


def test_permissions_of_several_roles_add_up() -> None:
    both = _principal(Role.EVALUATOR, Role.REVIEWER)
    assert both.can(Permission.RECOMMEND) and both.can(Permission.REVIEW)
    assert not _principal().can(Permission.REFERENCE_READ)  # no role, no permission


def test_require_names_the_permission_and_who_holds_it() -> None:
    with pytest.raises(AuthorisationError) as caught:
        require(_principal(Role.READER), Permission.REVIEW)
    assert caught.value.permission == "recognition:review"
    assert caught.value.rule == "role"
    assert "reviewer" in caught.value.message and "admin" in caught.value.message
    require(_principal(Role.REVIEWER), Permission.REVIEW)  # no error


def test_four_eyes() -> None:
    with pytest.raises(FourEyesViolation) as caught:
        check_four_eyes("oidc:alice", "oidc:alice", "rec-1")
    assert caught.value.rule == "four-eyes"
    assert "rec-1" in caught.value.message
    check_four_eyes("oidc:bob", "oidc:alice", "rec-1")
    check_four_eyes("oidc:alice", None, "rec-1")  # a record from before identity


def test_api_keys_are_random_and_only_their_hash_is_kept() -> None:
    one, two = new_api_key(), new_api_key()
    assert one.secret != two.secret and one.prefix != two.prefix
    assert one.secret.startswith(f"psk_{one.prefix}_")
    assert len(one.secret.removeprefix(f"psk_{one.prefix}_")) == 43  # 32 bytes, base64url
    assert one.digest == hash_api_key(one.secret) and len(one.digest) == 64
    assert one.secret not in one.digest
    assert parse_api_key(one.secret) == one.prefix


@pytest.mark.parametrize(
    "value",
    [
        "",
        "psk_",
        "psk_abc_def",
        "Bearer psk_x",
        "psk_abcdefgh_" + "a" * 42,
        "xsk_abcdefgh_" + "a" * 43,
    ],
)
def test_malformed_keys_are_refused_before_any_lookup(value: str) -> None:
    assert parse_api_key(value) is None


def test_key_expiry_and_revocation() -> None:
    now = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)
    assert key_usable(revoked_at=None, expires_at=None, now=now)
    assert key_usable(revoked_at=None, expires_at=now + dt.timedelta(seconds=1), now=now)
    assert not key_usable(revoked_at=None, expires_at=now, now=now)
    assert not key_usable(revoked_at=now, expires_at=None, now=now)


def test_roles_from_claims() -> None:
    assert parse_roles(["reader", "superuser"]) == {Role.READER}
    assert parse_roles("evaluator reviewer") == {Role.EVALUATOR, Role.REVIEWER}
    assert parse_roles(None) == frozenset()
    assert parse_roles({"admin": True}) == frozenset()


def test_principal_label() -> None:
    assert _principal(Role.READER).label == "key:abcdefgh (t)"
    bare = Principal("oidc:x", PrincipalKind.OIDC, "default", frozenset({Role.READER}))
    assert bare.label == "oidc:x"
