# --- will match
class Child(Base):
    def __init__(self):
        super(Child, self).__init__()

    @classmethod
    def build(cls):
        return super(Child, cls).build()


# --- will not match
class Other(Base):
    def __init__(self):
        super(Child, self).__init__()
        super().__init__()

    def later(self):
        return lambda: super(Other, self).later()

    def helper(this, self):
        return super(Other, self).helper()


def free(self):
    return super(Other, self).free()
