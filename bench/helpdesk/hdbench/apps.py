"""The benchmark app: only management commands (bench_setup, bench_tickets)."""

from django.apps import AppConfig


class HdbenchConfig(AppConfig):
    """The benchmark project's own app."""

    name = "hdbench"
