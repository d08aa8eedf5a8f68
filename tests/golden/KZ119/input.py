# --- will match
adders = [lambda x: x + i for i in range(3)]
table = {name: lambda: print(name) for name in ("a", "b")}


def register_all(bus, events):
    callbacks = []
    for event in events:
        callbacks.append(lambda: bus.emit(event))
        bus.connect(lambda *args: print(event, args))

        def handler():
            return event

        bus.handlers[event] = handler
    return callbacks


def buttons(tk, labels):
    for label in labels:
        tk.Button(text=label, command=lambda: print(label))


# --- will not match
bound = [lambda i=i: i for i in range(3)]
lazy = (lambda: j for j in range(3))  # a generator is consumed as it goes
called = [(lambda: k)() for k in range(3)]


def immediate(rows):
    for row in rows:
        rows.sort(key=lambda r: r + row)  # called while the loop variable holds
        value = (lambda: row)()
        print(value)


def own_parameter(funcs):
    for f in funcs:
        funcs.append(lambda f: f())  # reads its own parameter


def not_the_loop_variable(items):
    total = 0
    out = []
    for item in items:
        out.append(lambda: total)
    return out


def escapes_nowhere(items):
    for item in items:
        def show():
            return item

        show()
