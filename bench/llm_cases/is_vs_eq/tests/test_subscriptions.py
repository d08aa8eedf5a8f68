from billing.subscriptions import count_active

EXPORT = [
    "customer_id,plan,status",
    "c-001,pro,active",
    "c-002,basic,cancelled",
    "c-003,pro,Active",
    "",
    "c-004,team, active ",
]


def test_active_subscriptions_are_counted():
    count = count_active(EXPORT)
    assert count == 3, f"three of the four subscriptions are active, count_active said {count}"


def test_no_active_subscription():
    assert count_active(["customer_id,plan,status", "c-9,pro,paused"]) == 0


def test_empty_export():
    assert count_active([]) == 0
