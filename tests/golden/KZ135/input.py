# --- will match
def clean(name: str, path, line, data: bytes):
    name.strip()
    path = str(path)
    path.rstrip("/")
    line = line.decode()
    line.upper()
    name.removeprefix("x")
    "  padded ".replace(" ", "")
    "Title".lower()
    label = "abc"
    label.zfill(5)
    data.strip()
    return name


# --- will not match
def fine(name, widget, plot, s, text, lines):
    name = name.strip()
    widget.lower()  # a Tk widget lowers itself
    plot.title("Results")  # matplotlib draws a title
    s.replace("a", "b")  # may be a mutable object's method
    text.rstrip()  # rich's Text.rstrip() works in place: type unknown
    for line in lines:
        line.rstrip()
    name.strip("a", "b")  # not str.strip's signature
    with pytest.raises(TypeError):
        name.zfill()
    return name
