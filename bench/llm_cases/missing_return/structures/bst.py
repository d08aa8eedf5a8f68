"""A small binary search tree keyed by strings, for the symbol table."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Node:
    key: str
    value: object
    left: Node | None = None
    right: Node | None = None


def insert(node: Node | None, key: str, value: object) -> Node:
    """Insert (or replace) ``key`` under ``node``; return the subtree's root."""
    if node is None:
        return Node(key, value)
    if key < node.key:
        node.left = insert(node.left, key, value)
    elif key > node.key:
        node.right = insert(node.right, key, value)
    else:
        node.value = value
    return node


def lookup(node: Node | None, key: str, default: object = None) -> object:
    """Return the value stored under ``key``, or ``default`` if it is absent."""
    if node is None:
        return default
    if key == node.key:
        return node.value
    if key < node.key:
        lookup(node.left, key, default)
    return lookup(node.right, key, default)
