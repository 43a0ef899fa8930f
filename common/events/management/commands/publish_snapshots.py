from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.events.recording import publications, snapshot_events


class Command(BaseCommand):
    help = (
        "Re-publish the current state of every aggregate this service publishes, so a "
        "new or wiped consumer can rebuild its copies. Consumers that are up to date "
        "ignore the events (same version)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--model",
            action="append",
            default=[],
            help="Only this model (app_label.Model); repeatable.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = publications()
        if options["model"]:
            wanted = {label.lower() for label in options["model"]}
            chosen = [p for p in chosen if p.model._meta.label_lower in wanted]
            unknown = wanted - {p.model._meta.label_lower for p in chosen}
            if unknown:
                raise CommandError(f"not published here: {', '.join(sorted(unknown))}")
        if not chosen:
            raise CommandError("this service publishes no events")
        for publication in chosen:
            label = publication.model._meta.label
            self.stdout.write(f"{label}: recording snapshots ...")
            count = snapshot_events(
                publication.model,
                progress=lambda done, label=label: self.stdout.write(f"{label}: {done} ..."),
            )
            self.stdout.write(f"{label}: {count} events recorded (the relay publishes them)")
