"""Price lookup and cost of one request."""

from __future__ import annotations

import math

import pytest

from claude_magic.usage.pricing import PRICES, ModelPrice, cost_usd, price_for


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("claude-opus-4-6", ModelPrice(5.0, 25.0, 6.25, 0.50)),
        ("claude-opus-4-1", ModelPrice(15.0, 75.0, 18.75, 1.50)),
        ("claude-opus-4", ModelPrice(15.0, 75.0, 18.75, 1.50)),
        ("claude-fable-5-1", ModelPrice(10.0, 50.0, 12.50, 0.25)),
        ("claude-mythos-5", ModelPrice(10.0, 50.0, 12.50, 1.00)),
        ("claude-opus-5-5", ModelPrice(4.0, 20.0, 5.00, 0.20)),
        ("claude-sonnet-5-5", ModelPrice(2.0, 10.0, 2.50, 0.10)),
        ("claude-sonnet-5", ModelPrice(2.0, 10.0, 2.50, 0.20)),
        ("claude-sonnet-4-6", ModelPrice(3.0, 15.0, 3.75, 0.30)),
        ("claude-3-7-sonnet", ModelPrice(3.0, 15.0, 3.75, 0.30)),
        ("claude-haiku-4-5", ModelPrice(1.0, 5.0, 1.25, 0.10)),
        ("claude-3-5-haiku", ModelPrice(0.80, 4.0, 1.00, 0.08)),
        ("claude-3-haiku", ModelPrice(0.25, 1.25, 0.30, 0.03)),
    ],
)
def test_documented_prices(model: str, expected: ModelPrice) -> None:
    assert price_for(model) == expected


def test_haiku_5_5_short_prompt_band() -> None:
    price = price_for("claude-haiku-5-5")
    assert price is not None
    assert (price.input, price.output, price.cache_write, price.cache_read) == (
        0.10,
        0.50,
        0.125,
        0.01,
    )


def test_dated_and_latest_ids_cost_what_their_family_costs() -> None:
    assert price_for("claude-sonnet-4-5-20250929") is PRICES["claude-sonnet-4-5"]
    assert price_for("claude-3-haiku-20240307") is PRICES["claude-3-haiku"]
    assert price_for("claude-3-7-sonnet-latest") is PRICES["claude-3-7-sonnet"]
    assert price_for("claude-opus-4-20250514") is PRICES["claude-opus-4"]


def test_unknown_model_has_no_price_and_no_cost() -> None:
    assert price_for("gpt-4o") is None
    assert price_for("claude-sonnet-4-6-extra") is None
    assert cost_usd("not-a-model", input_tokens=10, output_tokens=10) is None


def test_cost_sums_every_token_kind_at_its_rate() -> None:
    cost = cost_usd(
        "claude-sonnet-4-6",
        input_tokens=1_000_000,
        output_tokens=1_000_000,
        cache_creation_input_tokens=1_000_000,
        cache_read_input_tokens=1_000_000,
    )
    assert cost == pytest.approx(3.0 + 15.0 + 3.75 + 0.30)


def test_cost_of_a_small_cell() -> None:
    cost = cost_usd("claude-sonnet-4-6-20260101", input_tokens=12, output_tokens=85)
    assert cost == pytest.approx((12 * 3 + 85 * 15) / 1e6)


def test_haiku_5_5_long_prompt_pays_the_dearer_band_on_every_token() -> None:
    short = cost_usd("claude-haiku-5-5", input_tokens=100_000, output_tokens=1_000_000)
    assert short == pytest.approx(0.10 * 0.1 + 0.50)
    # Cache reads count toward the prompt: 60k + 50k > 100k.
    long = cost_usd(
        "claude-haiku-5-5",
        input_tokens=60_000,
        output_tokens=1_000_000,
        cache_read_input_tokens=50_000,
    )
    assert long == pytest.approx(0.50 * 0.06 + 2.50 + 0.05 * 0.05)


def test_override_wins_over_the_built_in_table_and_defaults_cache_rates() -> None:
    prices = {"claude-sonnet-4-6": {"input": 2, "output": 8}}
    price = price_for("claude-sonnet-4-6-20260101", prices)
    assert price == ModelPrice(2.0, 8.0, 2.5, 0.2)
    cost = cost_usd(
        "claude-sonnet-4-6",
        input_tokens=1_000_000,
        output_tokens=0,
        cache_read_input_tokens=1_000_000,
        prices=prices,
    )
    assert cost == pytest.approx(2.0 + 0.2)


def test_override_prices_a_model_the_table_does_not_know() -> None:
    prices = {"my-proxy-model": {"input": 1, "output": 2, "cache_write": 3, "cache_read": 4}}
    assert cost_usd("my-proxy-model", input_tokens=1_000_000, output_tokens=0, prices=prices) == 1
    assert price_for("my-proxy-model", prices) == ModelPrice(1.0, 2.0, 3.0, 4.0)
    # Models not in the override still use the table.
    assert price_for("claude-haiku-4-5", prices) is PRICES["claude-haiku-4-5"]


def test_malformed_override_names_the_model() -> None:
    with pytest.raises(ValueError, match="'bad'.*'input' and 'output'"):
        price_for("bad", {"bad": {"input": "cheap"}})


def test_every_price_is_finite_and_positive() -> None:
    for model, price in PRICES.items():
        rates = (price.input, price.output, price.cache_write, price.cache_read)
        assert all(math.isfinite(r) and r > 0 for r in rates), model
        assert price.cache_read < price.input < price.cache_write, model


def test_one_hour_cache_writes_cost_twice_the_base_input_price():
    # claude-sonnet-4-6: $3 input, $3.75 5-minute writes, $6 1-hour writes per million tokens.
    cost = cost_usd("claude-sonnet-4-6", input_tokens=0, output_tokens=0, cache_creation_input_tokens=3_000_000,
                    cache_creation_1h_input_tokens=1_000_000)
    assert cost == pytest.approx(2 * 3.75 + 6.0)
