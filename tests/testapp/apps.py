from django.apps import AppConfig


class TestappConfig(AppConfig):
    """Models that exist only for the test suite (e.g. to exercise the encrypted field)."""

    name = "tests.testapp"
    label = "testapp"
    default_auto_field = "django.db.models.BigAutoField"
