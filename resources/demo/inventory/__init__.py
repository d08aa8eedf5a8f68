"""A tiny inventory package: items, stock levels, prices and reports."""

from inventory.models import Item, Warehouse
from inventory.pricing import price_with_tax, total_value
from inventory.reports import stock_report
from inventory.stock import StockBook

__all__ = ["Item", "StockBook", "Warehouse", "price_with_tax", "stock_report", "total_value"]
