# --- will match
class Empty():
    pass


class Spaced( ):
    pass

# --- will not match
class Plain:
    pass


class Derived(Base):
    pass
