"""Do nothing: timing it gives Django's start-up cost of a management command."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """Start Django, load the apps, exit."""

    help = "Exit at once (measures start-up)."

    def handle(self, *args, **options):
        """Touch nothing."""
