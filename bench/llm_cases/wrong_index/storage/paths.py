"""File-name helpers for the upload service."""


def file_extension(filename: str) -> str:
    """Return the extension of ``filename`` without the dot, lowercased.

    Only the last suffix counts ("backup.tar.gz" -> "gz"); names without a
    dot, and dot-files such as ".bashrc", have no extension ("").
    """
    name = filename.rsplit("/", 1)[-1]
    if "." not in name.lstrip("."):
        return ""
    return name.split(".")[1].lower()
