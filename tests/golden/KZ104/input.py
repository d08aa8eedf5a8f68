# --- will match
if flag == True:
    pass
if flag != False:
    pass
ok = (check(x) == False)

# --- will not match
if flag:
    pass
if flag is True:
    pass
if count == 1:
    pass
if true == 1:
    pass
