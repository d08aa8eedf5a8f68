# --- will match
label = name if name else "anonymous"
handler = func if func else lambda: None
value = (x if x else default)

# --- will not match
label = name if other else "anonymous"
value = obj.x if obj.x else default
value = x if not x else y
