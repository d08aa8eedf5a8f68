# --- will match
greeting = "Hello %s from %s" % (name, town)
shown = "%r at %s" % (obj.value, 3)
percent = "%s%% done" % (ratio,)
literal = "%s of %r" % (3, obj.name)
attribute = "name: %s" % (self.name,)

# --- will not match
width = "%5s" % (name,)
number = "%d items" % (count,)
mapping = "%(name)s" % {"name": name}
single = "%s" % name
calls = "%s" % (f(),)
braces = "\N{BULLET} %s" % (name,)
