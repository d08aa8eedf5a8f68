"""Text reports over a stock book."""

from inventory.pricing import price_with_tax


def stock_report(items, book):
    text = ""
    for item in items:
        qty = book.levels.get(item.sku, 0)
        text += f"{item.sku:<8} {item.name:<20} {qty:>5} {price_with_tax(item):>8.2f}\n"
    return text


def categories(items):
    names = []
    for item in items:
        if item.category not in names:
            names.append(item.category)
    return names


def summary(items, book):
    lines = stock_report(items, book).splitlines()
    if len(lines) == 0:
        return "no items"
    return "%d items, %d categories" % (len(lines), len(categories(items)))
