"""Apply: the patcher, git integration and the audit log."""
