import uuid
from decimal import Decimal

import factory

from orders.models import ClientSnapshot, ProductSnapshot


def address(**overrides):
    values = {
        "id": str(uuid.uuid4()),
        "label": "Casa",
        "street": "Rua A",
        "number": "1",
        "complement": "",
        "district": "Centro",
        "city": "Natal",
        "state": "RN",
        "postal_code": "59010000",
        "country": "BR",
        "is_default": True,
    }
    values.update(overrides)
    return values


class ClientSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientSnapshot

    id = factory.LazyFunction(uuid.uuid4)
    kind = "individual"
    name = factory.Sequence(lambda n: f"Cliente {n}")
    document = "52998224725"
    is_active = True
    addresses = factory.LazyFunction(lambda: [address()])
    version = 1


class ProductSnapshotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductSnapshot

    id = factory.LazyFunction(uuid.uuid4)
    sku = factory.Sequence(lambda n: f"SKU-{n}")
    name = factory.Sequence(lambda n: f"Produto {n}")
    price = Decimal("10.00")
    is_active = True
    stock_quantity = 100
    available = factory.LazyAttribute(lambda copy: copy.stock_quantity)
    min_quantity = 0
    max_quantity = 1000
    version = 1
