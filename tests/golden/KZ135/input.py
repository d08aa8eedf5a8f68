# --- will match
def clean(name, path, line):
    name.strip()
    path.rstrip("/")
    line.upper()
    name.removeprefix("x")
    "  padded ".replace(" ", "")
    "Title".lower()
    path.zfill(5)
    return name


# --- will not match
def fine(name, widget, plot, s):
    name = name.strip()
    widget.lower()  # a Tk widget lowers itself
    plot.title("Results")  # matplotlib draws a title
    s.replace("a", "b")  # may be a mutable object's method
    name.strip("a", "b")  # not str.strip's signature
    s.upper(extra)
    with pytest.raises(TypeError):
        name.zfill()
    return name
