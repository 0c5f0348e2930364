"""Key rotation: `manage.py rotate_encryption_keys` and the service behind it."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from apps.core.encryption_services import encrypted_columns, encrypted_fields_rotate
from tests.testapp.models import SecretHolder

pytestmark = pytest.mark.django_db


def new_key() -> str:
    return Fernet.generate_key().decode()


def raw_secrets() -> dict:
    """pk -> the secret column exactly as stored, read with plain SQL."""
    table = connection.ops.quote_name(SecretHolder._meta.db_table)
    column = connection.ops.quote_name("secret")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {column} FROM {table}")  # noqa: S608 (quoted names only)
        return dict(cursor.fetchall())


def rotate_command(*args: str) -> str:
    out = StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def old_key(settings):
    key = new_key()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    return key


@pytest.fixture
def rows_under_old_key(old_key):
    SecretHolder.objects.bulk_create(
        [SecretHolder(label=f"holder {n}", secret=f"secret-{n}") for n in range(7)]
        + [SecretHolder(label="empty", secret=""), SecretHolder(label="none", secret=None)]
    )
    return {holder.pk: holder.secret for holder in SecretHolder.objects.all()}


def test_the_test_model_is_found_among_the_encrypted_columns():
    assert (SecretHolder, SecretHolder._meta.get_field("secret")) in encrypted_columns()


def test_rotation_re_encrypts_old_rows_under_the_new_first_key(settings, old_key, rows_under_old_key):
    current_key = new_key()
    settings.FIELD_ENCRYPTION_KEYS = [current_key, old_key]

    output = rotate_command("--batch-size", "3")

    stored = raw_secrets()
    for pk, value in rows_under_old_key.items():
        if value is None:
            assert stored[pk] is None
        else:
            assert Fernet(current_key).decrypt(stored[pk].encode()).decode() == value
    assert "8 re-encrypted" in output


def test_after_rotation_the_old_key_can_be_removed_and_values_still_read(settings, old_key, rows_under_old_key):
    current_key = new_key()
    settings.FIELD_ENCRYPTION_KEYS = [current_key, old_key]
    rotate_command()

    settings.FIELD_ENCRYPTION_KEYS = [current_key]

    assert {holder.pk: holder.secret for holder in SecretHolder.objects.all()} == rows_under_old_key


def test_the_command_prints_progress_per_column_and_a_summary(settings, old_key, rows_under_old_key):
    settings.FIELD_ENCRYPTION_KEYS = [new_key(), old_key]

    output = rotate_command("--batch-size", "3")

    progress_lines = [line for line in output.splitlines() if line.startswith("testapp.SecretHolder.secret:")]
    # 8 non-null rows in batches of 3: three batch lines, then the column's closing line.
    assert len(progress_lines) == 4
    assert progress_lines[0].startswith("testapp.SecretHolder.secret: 3 row(s) in progress")
    assert progress_lines[-1].startswith("testapp.SecretHolder.secret: 8 row(s) done")
    assert "Done: 8 re-encrypted, 0 already under the current key, 0 undecryptable" in output


def test_a_second_run_re_encrypts_nothing_and_leaves_the_ciphertext_unchanged(settings, old_key, rows_under_old_key):
    settings.FIELD_ENCRYPTION_KEYS = [new_key(), old_key]
    rotate_command()
    after_first_run = raw_secrets()

    output = rotate_command()

    assert raw_secrets() == after_first_run
    assert "Done: 0 re-encrypted, 8 already under the current key, 0 undecryptable" in output


def test_rows_under_the_current_key_are_not_rewritten(old_key, rows_under_old_key):
    before = raw_secrets()

    report = encrypted_fields_rotate()

    assert raw_secrets() == before
    column = next(c for c in report.columns if c.label == "testapp.SecretHolder.secret")
    assert (column.reencrypted, column.already_current, column.undecryptable) == (0, 8, 0)


def test_undecryptable_rows_make_the_command_fail_with_a_count_and_are_left_untouched(settings, old_key):
    lost = SecretHolder.objects.create(label="lost", secret="under-a-removed-key")
    lost_token = raw_secrets()[lost.pk]
    current_key = new_key()
    settings.FIELD_ENCRYPTION_KEYS = [current_key]
    kept = SecretHolder.objects.create(label="kept", secret="under-the-current-key")
    # A row after the bad one, under a key still listed: the run must go on past the failure.
    settings.FIELD_ENCRYPTION_KEYS = [new_key(), current_key]
    newest_first = settings.FIELD_ENCRYPTION_KEYS[0]

    with pytest.raises(CommandError) as excinfo:
        rotate_command("--batch-size", "1")

    message = str(excinfo.value)
    assert "1 value(s) could not be decrypted" in message
    assert f"testapp.SecretHolder.secret: pk {lost.pk}" in message
    assert "under-a-removed-key" not in message
    assert lost_token not in message
    stored = raw_secrets()
    assert stored[lost.pk] == lost_token
    assert Fernet(newest_first).decrypt(stored[kept.pk].encode()) == b"under-the-current-key"


def test_the_service_reports_undecryptable_rows_by_primary_key(settings, old_key):
    lost = SecretHolder.objects.create(label="lost", secret="under-a-removed-key")
    settings.FIELD_ENCRYPTION_KEYS = [new_key()]

    report = encrypted_fields_rotate()

    column = next(c for c in report.columns if c.label == "testapp.SecretHolder.secret")
    assert column.undecryptable_pks == [lost.pk]
    assert report.undecryptable == 1


def test_the_command_refuses_to_run_without_keys(settings):
    settings.FIELD_ENCRYPTION_KEYS = []

    with pytest.raises(CommandError, match="FIELD_ENCRYPTION_KEYS is missing"):
        rotate_command()


def test_the_command_refuses_a_batch_size_below_one(old_key):
    with pytest.raises(CommandError, match="--batch-size"):
        rotate_command("--batch-size", "0")
