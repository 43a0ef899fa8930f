"""The sales panel's SVG charts (orders.charts): escaped text, rounded axes, bars in
proportion, long labels cut with their whole text in the tooltip."""

import re
from decimal import Decimal

import pytest

from orders import charts


@pytest.mark.parametrize(
    ("largest", "top"),
    [
        ("0", "1"),
        ("0.4", "0.5"),
        ("7", "10"),
        ("123.45", "200"),
        ("2469.12", "5000"),
        ("1000", "1000"),
    ],
)
def test_the_axis_tops_at_1_2_or_5_times_a_power_of_ten(largest, top):
    assert charts._nice_ceiling(Decimal(largest)) == Decimal(top)


def test_text_from_the_data_is_escaped():
    hostile = '<script>alert("x")</script>'
    drawn = charts.bars([charts.Bar(1, hostile, hostile)], label=hostile) + charts.columns(
        [charts.Column(Decimal(1), hostile, hostile)], label=hostile
    )
    assert "<script>" not in drawn and "&lt;script&gt;" in drawn


def test_bars_are_in_proportion_to_the_largest():
    drawn = charts.bars([charts.Bar(10, "a", "10"), charts.Bar(5, "b", "5")], label="x")
    widths = [
        float(width) for width in re.findall(r'class="bar" x="\d+" y="\d+" width="([\d.]+)"', drawn)
    ]
    assert widths[0] == 2 * widths[1] > 0


def test_a_long_label_is_cut_and_whole_in_its_tooltip():
    name = "SKU-1 — Farinha de mandioca torrada fina tipo 1, pacote de 1 kg"
    drawn = charts.bars([charts.Bar(1, name, "1")], label="x")
    assert f"<title>{name} — 1</title>" in drawn
    assert f">{name[:43]}…</text>" in drawn


def test_columns_without_values_draw_flat_bars_on_a_unit_axis():
    drawn = charts.columns([charts.Column(Decimal(0), "1 dez", "01/12: R$ 0,00")], label="x")
    assert 'height="0.0"' in drawn and ">1 dez</text>" in drawn
