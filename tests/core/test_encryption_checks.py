"""The system check on FIELD_ENCRYPTION_KEYS (run by `manage.py check` and at every start)."""

from cryptography.fernet import Fernet

from apps.core.checks import check_field_encryption_keys


def error_ids(errors) -> list[str]:
    return [error.id for error in errors]


def test_valid_keys_pass_the_check(settings):
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]

    assert check_field_encryption_keys() == []


def test_missing_keys_are_reported_as_core_e001(settings):
    settings.FIELD_ENCRYPTION_KEYS = []

    errors = check_field_encryption_keys()

    assert error_ids(errors) == ["core.E001"]
    assert "FIELD_ENCRYPTION_KEYS is missing" in errors[0].msg


def test_a_malformed_key_is_reported_as_core_e002_without_printing_it(settings):
    malformed = "not-a-fernet-key-but-a-secret-all-the-same"
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode(), malformed]

    errors = check_field_encryption_keys()

    assert error_ids(errors) == ["core.E002"]
    assert "key #2" in errors[0].msg
    assert malformed not in f"{errors[0].msg} {errors[0].hint}"


def test_a_duplicated_key_is_reported_as_core_e002_without_printing_it(settings):
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key, key]

    errors = check_field_encryption_keys()

    assert error_ids(errors) == ["core.E002"]
    assert "same key twice" in errors[0].msg
    assert key not in f"{errors[0].msg} {errors[0].hint}"


def test_the_check_is_registered_with_django(settings):
    from django.core.checks import run_checks

    settings.FIELD_ENCRYPTION_KEYS = []

    assert "core.E001" in error_ids(run_checks())
