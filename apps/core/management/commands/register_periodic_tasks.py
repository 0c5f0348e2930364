from django.core.management.base import BaseCommand

from apps.core.services import periodic_tasks_register


class Command(BaseCommand):
    help = "Create the platform's periodic tasks that are missing; existing rows (and operators' changes) stay."

    def handle(self, *args, **options) -> None:
        result = periodic_tasks_register()
        for name in result.created:
            self.stdout.write(f"created {name}")
        for name in result.rezoned:
            self.stdout.write(f"moved {name} to TIME_ZONE")
        self.stdout.write(
            self.style.SUCCESS(f"periodic tasks: {len(result.created)} created, {len(result.unchanged)} unchanged")
        )
