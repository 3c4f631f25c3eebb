import pytest

from dino_backup.errors import InvalidInput
from dino_backup.ids import id_timestamp_ms, new_backup_id, validate_backup_id


def test_new_ids_have_the_seed_form_and_differ() -> None:
    ids = {new_backup_id() for _ in range(200)}
    assert len(ids) == 200
    for backup_id in ids:
        assert validate_backup_id(backup_id) == backup_id


def test_id_carries_its_timestamp() -> None:
    assert id_timestamp_ms(new_backup_id(1704067200000)) == 1704067200000


@pytest.mark.parametrize(
    "bad",
    [
        "../etc/passwd",
        "backup_1704067200000_abc123de",  # 8 chars
        "backup_1704067200000_ABC123DEF",  # upper case
        "backup_1704067200000_abc123def\0",
        "backup_1704067200000_abc123def/../../x",
        "backup_1704067200000_abc123def\n",
        "x" * 10_000,
        "",
        None,
        12,
    ],
)
def test_anything_else_is_refused_with_a_short_message(bad: object) -> None:
    with pytest.raises(InvalidInput) as err:
        validate_backup_id(bad)
    assert len(str(err.value)) < 200
    assert "\n" not in str(err.value)
