import pytest

from dino_backup.core.selection import (
    TableGroups,
    parse_table_list,
    select_for_backup,
    select_for_restore,
)
from dino_backup.errors import InvalidInput, NotFound

DINO = ["User", "Account", "Session", "VerificationToken", "CountryVisit"]
GROUPS = TableGroups()


def test_defaults_take_users_and_travel_data_but_no_tokens() -> None:
    tables, warnings = select_for_backup(DINO, GROUPS, True, False, None)
    assert tables == ["CountryVisit", "User"]
    assert warnings == []


def test_sessions_only_when_asked() -> None:
    tables, _ = select_for_backup(DINO, GROUPS, True, True, None)
    assert tables == sorted(DINO)


def test_without_user_data_only_core() -> None:
    assert select_for_backup(DINO, GROUPS, False, False, None)[0] == ["User"]


def test_tables_outside_groups_are_included_and_named() -> None:
    tables, warnings = select_for_backup(DINO + ["Trip"], GROUPS, True, False, None)
    assert "Trip" in tables
    assert warnings == ["tables outside any group included: Trip"]


def test_explicit_list_wins_and_unknown_tables_are_refused() -> None:
    assert select_for_backup(DINO, GROUPS, True, False, ["Session"])[0] == ["Session"]
    with pytest.raises(NotFound, match="Nope"):
        select_for_backup(DINO, GROUPS, True, False, ["Nope"])


def test_restore_skips_groups_and_checks_explicit_names() -> None:
    assert select_for_restore(DINO, GROUPS, True, True, None) == ["User"]
    assert select_for_restore(DINO, GROUPS, False, True, None) == ["CountryVisit", "User"]
    with pytest.raises(NotFound, match="not in this backup"):
        select_for_restore(["User"], GROUPS, False, False, ["CountryVisit"])


def test_custom_groups_apply_to_any_database() -> None:
    groups = TableGroups(core=("accounts",), user_data=("orders",), sessions=("tokens",))
    tables, _ = select_for_backup(["accounts", "orders", "tokens"], groups, True, False, None)
    assert tables == ["accounts", "orders"]


def test_table_list_parsing() -> None:
    assert parse_table_list(" User, CountryVisit ,") == ["User", "CountryVisit"]
    assert parse_table_list("") is None
    assert parse_table_list(None) is None
    with pytest.raises(InvalidInput):
        parse_table_list("bad\0name")
