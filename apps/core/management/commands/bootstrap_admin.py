from django.core.management.base import BaseCommand, CommandError

from apps.core.exceptions import ConfigurationError
from apps.core.services import admin_user_bootstrap


class Command(BaseCommand):
    help = "Create the first admin user when none exists (development prints a generated password once)."

    def handle(self, *args, **options) -> None:
        try:
            result = admin_user_bootstrap()
        except ConfigurationError as error:
            raise CommandError(str(error)) from error
        if not result.created:
            self.stdout.write("an admin user exists already: nothing to do")
            return
        self.stdout.write(self.style.SUCCESS(f"created admin user '{result.username}'"))
        if result.generated_password:
            # Printed on the operator's terminal once, never logged; it is not stored anywhere else.
            self.stdout.write(f"password (shown once, change it after signing in): {result.generated_password}")
