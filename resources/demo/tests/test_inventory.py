import pytest

from inventory import Item, StockBook, Warehouse, price_with_tax, stock_report, total_value
from inventory.models import Location
from inventory.pricing import discount, tax_rate
from inventory.reports import categories, summary
from inventory.stock import load_counts

ITEMS = [
    Item("A1", "apple", 0.5, "food"),
    Item("B2", "book", 12.0, "books"),
    Item("C3", "cable", 4.0),
]


def make_book():
    book = StockBook()
    book.receive("A1", 100)
    book.receive("B2", 3)
    return book


def test_item_label():
    assert ITEMS[0].label() == "apple (A1)"


def test_receive_and_ship():
    book = make_book()
    book.ship("A1", 40)
    assert book.levels["A1"] == 60
    with pytest.raises(ValueError):
        book.ship("B2", 10)
    with pytest.raises(ValueError):
        book.receive("A1", 0)


def test_count_and_low_stock():
    book = make_book()
    assert book.count(["A1", "Z9"]) == {"A1": 100, "Z9": 0}
    assert book.low_stock(10, ["A1", "B2", "C3"]) == ["B2", "C3"]
    assert book.missing(["A1", "C3"]) == ["C3"]


def test_load_counts(tmp_path):
    p = tmp_path / "counts.csv"
    p.write_text("A1, 5\n\nB2,7\n")
    assert load_counts(p) == {"A1": 5, "B2": 7}


def test_prices():
    assert tax_rate("food") == 0.07
    assert tax_rate("unknown") == 0.0
    assert price_with_tax(ITEMS[0]) == 0.54
    assert total_value(ITEMS, {"A1": 10, "B2": 1}) == 17.4


def test_discount():
    assert discount(100, "staff", "sale", 1, 0, None) == 50
    assert discount(100, "wholesale", "", 200, 0, None) == 75
    assert discount(100, "retail", "", 1, 6, "TEN5") == 90
    assert discount(100, "retail", "clearance", 1, 0, None) == 60
    with pytest.raises(ValueError):
        discount(100, "retail", "", 1, 0, "BOGUS")


def test_reports():
    book = make_book()
    report = stock_report(ITEMS, book)
    assert report.count("\n") == 3
    assert "apple" in report
    assert categories(ITEMS) == ["food", "books", "misc"]
    assert summary(ITEMS, book) == "3 items, 3 categories"
    assert summary([], book) == "no items"


def test_warehouse():
    w = Warehouse("W1", 10)
    assert (w.code, w.capacity, w.tags) == ("W1", 10, [])
    assert w.is_empty()
    assert w.find("A1") is None
    w.items["A1"] = 3
    assert w.find("A1") == 3
    assert Location("L1", ["x"]).add_tag("y") == ["x", "y"]


def test_many_prices():
    # A workload for the tracer: many small price lookups.
    items = [Item(f"S{i}", f"thing {i}", i * 0.25, ["food", "books", "misc"][i % 3]) for i in range(300)]
    assert total_value(items, {it.sku: 2 for it in items}) > 0
