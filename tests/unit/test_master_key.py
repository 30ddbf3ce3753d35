"""The district's master key (``coachops.privacy.master``): where it comes from, and the
keys production refuses, each naming the setting to fix."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import pytest

from coachops.privacy import master
from coachops.privacy.master import MasterKeyError

GOOD = base64.b64encode(os.urandom(32)).decode()


def test_from_a_file_or_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text(GOOD + "\n")
    from_file = master.from_environment({"COACHOPS_MASTER_KEY_FILE": str(path)})
    assert from_file == master.from_environment({"COACHOPS_MASTER_KEY": GOOD})
    assert from_file.secret == base64.b64decode(GOOD) and len(from_file.key_id) == 16
    assert GOOD not in repr(from_file)


def test_development_has_a_default_that_production_refuses() -> None:
    assert master.from_environment({}) == master.parse(master.DEV_MASTER_KEY, "dev")
    with pytest.raises(MasterKeyError, match=r"COACHOPS_MASTER_KEY_FILE .* must be set"):
        master.from_environment({"COACHOPS_ENV": "production"})
    with pytest.raises(MasterKeyError, match="development master key is refused"):
        master.from_environment({"COACHOPS_ENV": "production",
                                 "COACHOPS_MASTER_KEY": master.DEV_MASTER_KEY})


@pytest.mark.parametrize(("value", "reason"), [
    ("not base64!", "COACHOPS_MASTER_KEY is not base64"),
    (base64.b64encode(b"short").decode(), "must be 32 random bytes in base64, not 5"),
    (base64.b64encode(b"a" * 32).decode(), "COACHOPS_MASTER_KEY is too weak"),
])
def test_a_weak_or_malformed_key_is_refused(value: str, reason: str) -> None:
    with pytest.raises(MasterKeyError, match=reason):
        master.from_environment({"COACHOPS_ENV": "production", "COACHOPS_MASTER_KEY": value})


def test_a_missing_file_or_two_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="COACHOPS_MASTER_KEY_FILE: cannot read"):
        master.from_environment({"COACHOPS_MASTER_KEY_FILE": str(tmp_path / "none")})
    with pytest.raises(MasterKeyError, match="not both"):
        master.from_environment({"COACHOPS_MASTER_KEY_FILE": str(tmp_path / "none"),
                                 "COACHOPS_MASTER_KEY": GOOD})


def test_a_wrapped_key_opens_only_with_its_master_key_and_for_its_subject() -> None:
    key, other = master.parse(GOOD, "k"), master.from_environment({})
    subject, data_key = uuid.uuid4(), os.urandom(32)
    wrapped = key.wrap(subject, data_key)
    assert data_key not in wrapped and key.unwrap(subject, wrapped) == data_key
    for opener, whose in ((other, subject), (key, uuid.uuid4())):
        with pytest.raises(MasterKeyError, match="does not open"):
            opener.unwrap(whose, wrapped)
