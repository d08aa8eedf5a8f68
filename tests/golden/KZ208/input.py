# --- will match
names = sorted(list(users))
unique = set(list(items))
frozen = tuple(list(gen()))
result = list(sorted(values, key=len))
again = list(tuple(pairs))

# --- will not match
names = sorted(users)
copy = list(users)
partial = sorted(list(a)[:3])
spread = list(list(*parts))
pairs = list(zip(a, b))
