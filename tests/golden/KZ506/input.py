# --- will match
class Point(object):
    pass


class Mixed(object, Base):
    pass


class Meta(Base, object, metaclass=M):
    pass


# --- will not match
class Plain:
    pass


class Derived(Base):
    pass


class Objects(objects):
    pass
