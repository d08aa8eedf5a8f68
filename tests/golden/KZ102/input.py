# --- will match
try:
    value = int(text)
except:
    value = 0

try:
    connect()
except:  # keep this comment
    log("failed")
    retry()

# --- will not match
try:
    value = int(text)
except ValueError:
    value = 0

try:
    work()
except:
    cleanup()
    raise

try:
    work()
except BaseException:
    pass
