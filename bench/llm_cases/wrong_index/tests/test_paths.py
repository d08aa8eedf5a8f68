from storage.paths import file_extension


def test_only_the_last_suffix_counts():
    ext = file_extension("uploads/backup.tar.gz")
    assert ext == "gz", f"the extension of 'backup.tar.gz' is 'gz', got {ext!r}"


def test_simple_name():
    assert file_extension("photos/IMG_0001.JPG") == "jpg"


def test_names_without_an_extension():
    assert file_extension("README") == ""
    assert file_extension("home/.bashrc") == ""
