"""EncryptedTextField: what the database holds, what reads return, and what forms and the API show."""

import pytest
from cryptography.fernet import Fernet
from django import forms
from django.contrib import admin
from django.core.exceptions import FieldError
from django.db import connection

from apps.core.api.fields import SecretField, SecretModelSerializer
from apps.core.crypto import DecryptionError
from tests.testapp.models import SecretHolder

PLAINTEXT = "hunter2-database-password"

pytestmark = pytest.mark.django_db


@pytest.fixture
def key(settings):
    key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [key]
    return key


def raw_secret(pk):
    """The secret column exactly as stored, read with plain SQL (no field conversion)."""
    table = connection.ops.quote_name(SecretHolder._meta.db_table)
    column = connection.ops.quote_name("secret")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608 (quoted names only)
        return cursor.fetchone()[0]


def test_a_saved_secret_reads_back_as_the_same_text(key):
    holder = SecretHolder.objects.create(label="db", secret=PLAINTEXT)

    assert SecretHolder.objects.get(pk=holder.pk).secret == PLAINTEXT


def test_the_database_column_holds_a_fernet_token_and_no_plaintext(key):
    holder = SecretHolder.objects.create(label="db", secret=PLAINTEXT)

    stored = raw_secret(holder.pk)

    assert PLAINTEXT not in stored
    assert Fernet(key).decrypt(stored.encode()).decode() == PLAINTEXT


def test_reading_with_a_wrong_key_raises_an_error_that_names_the_field_but_not_the_secret(key, settings):
    holder = SecretHolder.objects.create(label="db", secret=PLAINTEXT)
    stored = raw_secret(holder.pk)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(DecryptionError) as excinfo:
        SecretHolder.objects.get(pk=holder.pk)

    message = str(excinfo.value)
    assert "testapp.SecretHolder.secret" in message
    assert "FIELD_ENCRYPTION_KEYS" in message
    assert PLAINTEXT not in message
    assert stored not in message


def test_an_empty_secret_and_no_secret_stay_distinct(key):
    empty = SecretHolder.objects.create(label="empty", secret="")
    missing = SecretHolder.objects.create(label="missing", secret=None)

    assert SecretHolder.objects.get(pk=empty.pk).secret == ""
    assert SecretHolder.objects.get(pk=missing.pk).secret is None
    assert raw_secret(missing.pk) is None
    assert Fernet(key).decrypt(raw_secret(empty.pk).encode()) == b""


def test_whitespace_and_unicode_survive_the_round_trip(key):
    value = "  pässwörd\twith spaces  "
    holder = SecretHolder.objects.create(label="db", secret=value)

    assert SecretHolder.objects.get(pk=holder.pk).secret == value


@pytest.mark.parametrize("lookup", ["secret", "secret__exact", "secret__icontains", "secret__in", "secret__startswith"])
def test_filtering_on_the_encrypted_value_raises_a_clear_error(key, lookup):
    value = [PLAINTEXT] if lookup.endswith("__in") else PLAINTEXT

    with pytest.raises(FieldError, match="is encrypted"):
        SecretHolder.objects.filter(**{lookup: value}).count()


def test_a_transform_on_the_encrypted_value_raises_a_clear_error(key):
    with pytest.raises(FieldError, match="is encrypted"):
        SecretHolder.objects.filter(secret__lower__exact="x").count()


def test_filtering_on_isnull_works(key):
    with_secret = SecretHolder.objects.create(label="with", secret=PLAINTEXT)
    without_secret = SecretHolder.objects.create(label="without", secret=None)

    assert list(SecretHolder.objects.filter(secret__isnull=False)) == [with_secret]
    assert list(SecretHolder.objects.filter(secret__isnull=True)) == [without_secret]


def test_queryset_update_stores_ciphertext(key):
    holder = SecretHolder.objects.create(label="db", secret="old")

    SecretHolder.objects.filter(pk=holder.pk).update(secret=PLAINTEXT)

    assert PLAINTEXT not in raw_secret(holder.pk)
    assert SecretHolder.objects.get(pk=holder.pk).secret == PLAINTEXT


def test_bulk_create_and_bulk_update_store_ciphertext(key):
    holders = SecretHolder.objects.bulk_create(
        [SecretHolder(label="a", secret="first-secret"), SecretHolder(label="b", secret="second-secret")]
    )
    holders = list(SecretHolder.objects.order_by("pk"))
    assert [Fernet(key).decrypt(raw_secret(h.pk).encode()) for h in holders] == [b"first-secret", b"second-secret"]

    holders[0].secret = "first-updated"
    holders[1].secret = ""
    SecretHolder.objects.bulk_update(holders, ["secret"])

    assert [Fernet(key).decrypt(raw_secret(h.pk).encode()) for h in holders] == [b"first-updated", b""]
    assert [h.secret for h in SecretHolder.objects.order_by("pk")] == ["first-updated", ""]


# --- API -------------------------------------------------------------------------------------
class SecretHolderSerializer(SecretModelSerializer):
    class Meta:
        model = SecretHolder
        fields = ["id", "label", "secret"]


def test_the_serializer_maps_the_encrypted_field_to_a_write_only_secret_field():
    field = SecretHolderSerializer().fields["secret"]

    assert isinstance(field, SecretField)
    assert field.write_only is True
    assert field.trim_whitespace is False


def test_the_secret_never_appears_in_serializer_output(key):
    holder = SecretHolder.objects.create(label="db", secret=PLAINTEXT)

    data = SecretHolderSerializer(holder).data

    assert "secret" not in data
    assert PLAINTEXT not in str(data)
    assert data["label"] == "db"


def test_the_secret_is_accepted_as_input_and_stored_encrypted(key):
    serializer = SecretHolderSerializer(data={"label": "db", "secret": f" {PLAINTEXT} "})
    assert serializer.is_valid(), serializer.errors

    holder = serializer.save()

    assert SecretHolder.objects.get(pk=holder.pk).secret == f" {PLAINTEXT} "
    assert PLAINTEXT not in raw_secret(holder.pk)
    assert "secret" not in serializer.data


def test_a_secret_field_stays_write_only_even_if_asked_otherwise():
    assert SecretField(write_only=False).write_only is True


# --- Forms and admin -------------------------------------------------------------------------
class SecretHolderForm(forms.ModelForm):
    class Meta:
        model = SecretHolder
        fields = ["label", "secret"]


def test_the_form_never_renders_the_stored_secret(key):
    holder = SecretHolder.objects.create(label="db", secret=PLAINTEXT)

    html = SecretHolderForm(instance=SecretHolder.objects.get(pk=holder.pk)).as_p()

    assert PLAINTEXT not in html
    assert 'type="password"' in html
    assert "Stored encrypted" in html


def test_the_admin_form_uses_a_password_input_that_never_renders_the_stored_secret(key, rf, admin_user):
    holder = SecretHolder.objects.create(label="db", secret=PLAINTEXT)
    holder = SecretHolder.objects.get(pk=holder.pk)
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.ModelAdmin(SecretHolder, admin.site)

    form = model_admin.get_form(request, holder, change=True)(instance=holder)

    assert isinstance(form.fields["secret"].widget, forms.PasswordInput)
    assert PLAINTEXT not in str(form["secret"])
    assert PLAINTEXT not in form.as_p()


def test_a_blank_form_entry_keeps_the_current_secret(key):
    holder = SecretHolder.objects.create(label="db", secret=PLAINTEXT)

    form = SecretHolderForm(data={"label": "renamed", "secret": ""}, instance=SecretHolder.objects.get(pk=holder.pk))
    assert form.is_valid(), form.errors
    form.save()

    reloaded = SecretHolder.objects.get(pk=holder.pk)
    assert reloaded.label == "renamed"
    assert reloaded.secret == PLAINTEXT


def test_a_new_form_entry_replaces_the_secret(key):
    holder = SecretHolder.objects.create(label="db", secret=PLAINTEXT)

    form = SecretHolderForm(
        data={"label": "db", "secret": "new-secret"}, instance=SecretHolder.objects.get(pk=holder.pk)
    )
    assert form.is_valid(), form.errors
    form.save()

    assert SecretHolder.objects.get(pk=holder.pk).secret == "new-secret"
