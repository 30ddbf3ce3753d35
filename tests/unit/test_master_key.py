"""The district's master key (``coachops.privacy.master``, read by ``coachops.settings``):
where it comes from, and the keys production refuses, each naming the setting to fix."""

from __future__ import annotations

import base64
import os
import uuid
from pathlib import Path

import pytest

from coachops import settings
from coachops.privacy import master
from coachops.privacy.master import MasterKeyError
from coachops.settings import SettingError

GOOD = base64.b64encode(os.urandom(32)).decode()


def key(environ: dict[str, str]) -> master.MasterKey:
    return settings.load(environ, secrets=[settings.MASTER_KEY]).master_key


def test_from_a_file_or_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text(GOOD + "\n")
    from_file = key({"COACHOPS_MASTER_KEY_FILE": str(path)})
    assert from_file == key({"COACHOPS_MASTER_KEY": GOOD})
    assert from_file.secret == base64.b64decode(GOOD) and len(from_file.key_id) == 16
    assert GOOD not in repr(from_file)


def test_development_has_a_default_that_production_refuses() -> None:
    assert key({}) == master.parse(master.DEV_MASTER_KEY, "dev")
    production = {"COACHOPS_ENV": "production"}
    with pytest.raises(SettingError, match=r"^COACHOPS_MASTER_KEY: must be set .* production"):
        key(production)
    with pytest.raises(SettingError, match=r"^COACHOPS_MASTER_KEY: must be set .* production"):
        key({**production, "COACHOPS_MASTER_KEY": master.DEV_MASTER_KEY})
    assert key({**production, "COACHOPS_MASTER_KEY": GOOD}).secret == base64.b64decode(GOOD)


@pytest.mark.parametrize(("value", "reason"), [
    ("not base64!", "COACHOPS_MASTER_KEY: the key is not base64"),
    (base64.b64encode(b"short").decode(), "must be 32 random bytes in base64, not 5"),
    (base64.b64encode(b"a" * 32).decode(), "COACHOPS_MASTER_KEY: the key is too weak"),
])
def test_a_weak_or_malformed_key_is_refused(value: str, reason: str) -> None:
    with pytest.raises(SettingError, match=reason):
        key({"COACHOPS_ENV": "production", "COACHOPS_MASTER_KEY": value})


def test_a_missing_file_or_two_settings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingError, match="COACHOPS_MASTER_KEY_FILE: cannot read"):
        key({"COACHOPS_MASTER_KEY_FILE": str(tmp_path / "none")})
    with pytest.raises(SettingError, match="not both"):
        key({"COACHOPS_MASTER_KEY_FILE": str(tmp_path / "none"), "COACHOPS_MASTER_KEY": GOOD})


def test_a_wrapped_key_opens_only_with_its_master_key_and_for_its_subject() -> None:
    district, other = master.parse(GOOD, "k"), key({})
    subject, data_key = uuid.uuid4(), os.urandom(32)
    wrapped = district.wrap(subject, data_key)
    assert data_key not in wrapped and district.unwrap(subject, wrapped) == data_key
    for opener, whose in ((other, subject), (district, uuid.uuid4())):
        with pytest.raises(MasterKeyError, match="does not open"):
            opener.unwrap(whose, wrapped)
