# --- will match
GREETING = u"hello"
NAME = U'world'
BLOCK = u"""text"""

# --- will not match
PLAIN = "hello"
RAW = r"\d"
MENU = "menu"
BYTES = b"u"
