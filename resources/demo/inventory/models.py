"""Plain data objects for the inventory."""

import os
import sys
from dataclasses import dataclass


@dataclass
class Item:
    sku: str
    name: str
    price: float
    category: str = "misc"

    def label(self):
        return "%s (%s)" % (self.name, self.sku)


class Location:
    def __init__(self, code, tags=[]):
        self.code = code
        self.tags = tags

    def add_tag(self, tag):
        self.tags.append(tag)
        return self.tags


class Warehouse(Location):
    def __init__(self, code, capacity, tags=[]):
        super(Warehouse, self).__init__(code, tags)
        self.capacity = capacity
        self.items = {}

    def is_empty(self):
        return len(self.items) == 0

    def find(self, sku):
        result = self.items.get(sku)
        if result == None:
            return None
        return result
