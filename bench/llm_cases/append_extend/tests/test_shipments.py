from inventory.shipments import received_skus


def test_skus_are_listed_flat():
    shipments = [{"skus": ["A1", "B2"]}, {"skus": ["C3"], "cancelled": True}, {"skus": ["A1"]}]
    skus = received_skus(shipments)
    assert skus == ["A1", "B2", "A1"], f"expected a flat list of SKUs, got {skus}"


def test_no_shipments():
    assert received_skus([]) == []


def test_cancelled_shipments_are_skipped():
    assert received_skus([{"skus": ["Z9"], "cancelled": True}]) == []
