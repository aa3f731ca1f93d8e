"""Password hashing (PRODUCT.md §3: Argon2id, memory 64 MiB, time 3, parallelism 4).

The whole suite hashes with cheap parameters (`tests.support.system.FAST_PASSWORDS`); this file holds the one test
that hashes with the production parameters, and proves the cheap ones can never reach production or dev."""

from __future__ import annotations

from pathlib import Path

from passlib.hash import argon2

from app.security.passwords import FAST_PARAMS, PRODUCTION_PARAMS, PasswordHasher
from app.settings import Env
from app.system import System
from tests.support.system import make_settings


def test_production_argon2id_parameters_are_in_the_hash() -> None:
    """The only production-cost hash of the suite: `PasswordHasher()` is Argon2id with m=65536 KiB, t=3, p=4."""
    assert PRODUCTION_PARAMS == {"memory_cost": 65536, "rounds": 3, "parallelism": 4}
    hasher = PasswordHasher()
    assert hasher.params == dict(PRODUCTION_PARAMS)
    hashed = hasher.hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert hasher.verify("correct horse battery", hashed)
    assert not hasher.verify("wrong horse battery", hashed)
    assert not hasher.verify("anything", "not-a-hash")


def test_fast_hashing_only_in_test_env(tmp_path: Path) -> None:
    """`PASSWORD_HASH_FAST` is honoured with ENV=test only; dev and prod always get the production parameters."""
    fast = PasswordHasher.for_settings(make_settings(tmp_path, password_hash_fast=True))
    assert fast.params == dict(FAST_PARAMS)
    assert fast.hash("x" * 12).startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert PasswordHasher.for_settings(make_settings(tmp_path, password_hash_fast=False)).params == dict(
        PRODUCTION_PARAMS)
    for env in (Env.dev, Env.prod):
        settings = make_settings(tmp_path, env=env, password_hash_fast=True)
        assert PasswordHasher.for_settings(settings).params == dict(PRODUCTION_PARAMS)


def test_hashes_of_either_cost_verify_anywhere(system: System) -> None:
    """Verification reads the parameters from the stored hash (the test System hashes cheaply)."""
    assert system.passwords.params == dict(FAST_PARAMS)
    hashed = system.passwords.hash("correct horse battery")
    assert hashed.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
    assert PasswordHasher().verify("correct horse battery", hashed)  # cheap to verify: the hash says m=1024
    assert not system.passwords.verify("wrong horse battery", hashed)
    assert not system.passwords.verify("anything", "")


def test_unknown_emails_cost_a_verification_with_the_hashers_own_parameters(system: System) -> None:
    """`verify(password, None)` (an unknown email) checks the password against a dummy hash made with the hasher's
    own parameters — production cost in production, so an unknown email takes as long as a known one — and is
    always False."""
    dummy = system.passwords.dummy_hash
    assert dummy.startswith("$argon2id$v=19$m=1024,t=1,p=1$") and argon2.identify(dummy)
    assert system.passwords.dummy_hash == dummy  # made once
    assert system.passwords.verify("anything", None) is False
    assert PasswordHasher.for_settings(make_settings(Path("/nonexistent"), env=Env.prod)).params == dict(
        PRODUCTION_PARAMS)  # whose dummy hash would therefore cost m=65536, t=3, p=4
