import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def superusers():
    return get_user_model().objects.filter(is_superuser=True)


def test_development_creates_the_first_admin_and_prints_its_generated_password_once(settings, capsys):
    settings.ENVIRONMENT = "development"
    settings.BOOTSTRAP_ADMIN_PASSWORD = ""

    call_command("bootstrap_admin")
    first = capsys.readouterr().out
    call_command("bootstrap_admin")
    second = capsys.readouterr().out

    password = first.split("password (shown once, change it after signing in): ")[1].strip()
    user = superusers().get()
    assert user.username == settings.BOOTSTRAP_ADMIN_USERNAME
    assert user.check_password(password)
    assert "password" not in second
    assert superusers().count() == 1


def test_production_takes_the_password_from_the_environment_and_prints_none(settings, capsys):
    settings.ENVIRONMENT = "production"
    settings.BOOTSTRAP_ADMIN_PASSWORD = "a-production-admin-password"

    call_command("bootstrap_admin")

    output = capsys.readouterr()
    assert superusers().get().check_password("a-production-admin-password")
    assert "a-production-admin-password" not in output.out + output.err
    assert "password" not in output.out


def test_production_without_a_password_refuses_with_a_clear_error(settings):
    settings.ENVIRONMENT = "production"
    settings.BOOTSTRAP_ADMIN_PASSWORD = ""

    with pytest.raises(CommandError, match="BOOTSTRAP_ADMIN_PASSWORD"):
        call_command("bootstrap_admin")
    assert not superusers().exists()


def test_nothing_is_created_when_an_admin_already_exists(settings, capsys):
    get_user_model().objects.create_superuser(username="someone", password="x" * 16)

    call_command("bootstrap_admin")

    assert superusers().count() == 1
    assert "nothing to do" in capsys.readouterr().out
