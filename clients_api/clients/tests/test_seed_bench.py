from django.core.management import call_command

from clients.models import Address, Client


def test_seed_bench_creates_clients_with_two_addresses(db):
    call_command("seed_bench", "3")
    assert Client.objects.count() == 3
    assert Address.objects.count() == 6
    assert Address.objects.filter(is_default=True).count() == 3
