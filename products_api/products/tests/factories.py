from decimal import Decimal

import factory

from products.models import Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Produto {n:05d}")
    price = Decimal("19.90")
    min_quantity = 2
    max_quantity = 100
    stock_quantity = 0
