"""Fill the queue with open tickets for the escalation benchmark: a share of them old enough to escalate."""

from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone
from helpdesk.models import FollowUp, Queue, Ticket, TicketChange

from hdbench.management.commands.bench_setup import QUEUE_SLUG

BATCH = 5000
DUE_MARK = " (lama)"


class Command(BaseCommand):
    """Replace every ticket with ``--open`` open tickets, ``--due`` percent of them due for escalation."""

    help = "Create N open tickets (bulk), a percentage of them created long enough ago to escalate."

    def add_arguments(self, parser):
        """Take the number of open tickets and the share that is due."""
        parser.add_argument("--open", type=int, default=100_000)
        parser.add_argument("--due-percent", type=float, default=1.0)

    def handle(self, *args, **options):
        """Empty the tickets and bulk-create new ones; print how many are due."""
        queue = Queue.objects.get(slug=QUEUE_SLUG)
        now = timezone.now()
        total = options["open"]
        due = round(total * options["due_percent"] / 100)
        # Due tickets are spread evenly through the table, as they would be in a real queue.
        step = total / due if due else None
        due_positions = {int(i * step) for i in range(due)} if step else set()
        with transaction.atomic():
            TicketChange.objects.all().delete()
            FollowUp.objects.all().delete()
            Ticket.objects.all().delete()
            for start in range(0, total, BATCH):
                Ticket.objects.bulk_create([
                    Ticket(title=f"Keluhan {i}{DUE_MARK if i in due_positions else ''}", queue=queue,
                           submitter_email=f"warga{i}@example.org", description="Jalan berlubang di depan pura.",
                           status=Ticket.OPEN_STATUS, priority=3)
                    for i in range(start, min(start + BATCH, total))], batch_size=BATCH)
            # ``created`` is auto_now_add, which bulk_create applies too; an UPDATE sets the age of the due ones.
            Ticket.objects.filter(title__endswith=DUE_MARK).update(created=now - timedelta(days=30))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE helpdesk_ticket")
        self.stdout.write(str(len(due_positions)))
