"""Stock levels: receive, ship and count items per warehouse."""

from inventory.models import Item


class StockBook:
    def __init__(self):
        self.levels = {}
        self.history = []

    def receive(self, sku, quantity):
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.levels[sku] = self.levels.get(sku, 0) + quantity
        self.history.append(("in", sku, quantity))

    def ship(self, sku, quantity):
        have = self.levels.get(sku, 0)
        if quantity > have:
            raise ValueError(f"only {have} of {sku} in stock")
        self.levels[sku] = have - quantity
        self.history.append(("out", sku, quantity))

    def count(self, skus):
        totals = {}
        for sku in skus:
            try:
                totals[sku] = self.levels[sku]
            except KeyError:
                totals[sku] = 0
        return totals

    def low_stock(self, threshold, watched):
        low = []
        for i in range(len(watched)):
            sku = watched[i]
            if self.levels.get(sku, 0) < threshold:
                low.append(sku)
        return low

    def missing(self, expected):
        present = list(self.levels.keys())
        out = []
        for sku in expected:
            if sku not in present:
                out.append(sku)
        return out


def load_counts(path):
    f = open(path)
    counts = {}
    for line in f.read().splitlines():
        if not line.strip():
            continue
        sku, qty = line.split(",")
        counts[sku.strip()] = int(qty)
    f.close()
    return counts
