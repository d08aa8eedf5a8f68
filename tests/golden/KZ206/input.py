# --- will match
for name in settings.keys():
    print(name)

local = dict(a=1)
for key in local.keys():
    print(key)

upper = [k.upper() for k in headers.keys()]

# --- will not match
for name in settings:
    print(name)
for name, value in settings.items():
    print(name)
for key in self.keys():
    print(key)
for key in store.keys(prefix):
    print(key)
