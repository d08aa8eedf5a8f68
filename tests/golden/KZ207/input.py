# --- will match
if name in settings.keys():
    pass

seen = {}
if key not in seen.keys():
    pass

# --- will not match
if name in settings:
    pass
if name in self.keys():
    pass
if name in settings.values():
    pass
