# --- will match
value = table.get(key, None)
other = config.get("name", None,)
nested = a.b.get(k(), None)

# --- will not match
value = table.get(key)
other = table.get(key, 0)
keyword = table.get(key, default=None)
unrelated = fetch(key, None)
