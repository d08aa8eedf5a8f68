# --- will match
banner = f"Welcome!"
braces = f"{{literal}}"
raw = rf"\d+ items"
mixed = f"static" + f"{value}"

# --- will not match
real = f"{name}!"
plain = "no prefix"
spec = f"{value:>{width}}"
word = "of"
