from logtools.levels import count_levels

LOG = [
    "2024-05-01 12:00:00 INFO service started",
    "2024-05-01 12:00:05 WARNING disk almost full",
    "2024-05-01 12:01:00 ERROR upload failed",
    "2024-05-01 12:02:00 WARNING retrying upload",
    "2024-05-01 12:02:30 DEBUG cache hit",
    "garbage",
]


def test_each_level_has_its_own_count():
    counts = count_levels(LOG)
    assert counts == {"errors": 1, "warnings": 2, "info": 1}, (
        f"expected 1 error, 2 warnings and 1 info line, got {counts}"
    )


def test_info_lines_are_counted():
    assert count_levels(LOG[:1])["info"] == 1


def test_empty_log():
    assert count_levels([]) == {"errors": 0, "warnings": 0, "info": 0}
