"""Prepare the peer for the intake benchmark: one public queue with escalation, the site's name."""

from django.contrib.sites.models import Site
from django.core.management.base import BaseCommand
from helpdesk.models import Queue

QUEUE_SLUG = "pengaduan"


class Command(BaseCommand):
    """Create (or keep) the queue the public form files into."""

    help = "Create the public queue with escalate_days set (idempotent)."

    def handle(self, *args, **options):
        """Create the queue and print its id (the form's ``queue`` field)."""
        Site.objects.update_or_create(id=1, defaults={"domain": "127.0.0.1", "name": "bench"})
        queue, _ = Queue.objects.update_or_create(
            slug=QUEUE_SLUG,
            defaults={"title": "Pengaduan", "allow_public_submission": True, "escalate_days": 3,
                      "email_address": "pengaduan@localhost"})
        self.stdout.write(str(queue.id))
