# --- will match
is_number = isinstance(x, int) or isinstance(x, float)
is_text = isinstance(value, (str, bytes)) or isinstance(value, bytearray)
is_attr = isinstance(self.x, A) or isinstance(self.x, B)

# --- will not match
mixed = isinstance(x, int) or isinstance(y, float)
both = isinstance(x, int) and isinstance(x, float)
calls = isinstance(f(), int) or isinstance(f(), float)
