from crm.mailing import User, mailing_list


def test_only_active_subscribed_users_are_mailed():
    users = [
        User("Ana", "ana@example.com"),
        User("Ben", "Ben@Example.com"),
        User("Cy", "cy@example.com", is_active=False),
        User("Di", "di@example.com", opted_out=True),
    ]
    emails = mailing_list(users)
    assert emails == ["ana@example.com", "ben@example.com"], (
        f"expected the two active, subscribed users, got {emails}"
    )


def test_opted_out_users_are_never_mailed():
    assert mailing_list([User("Di", "di@example.com", opted_out=True)]) == []


def test_nobody():
    assert mailing_list([]) == []
