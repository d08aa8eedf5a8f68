"""Stock-taking across warehouse shipments."""


def received_skus(shipments: list[dict]) -> list[str]:
    """Return every SKU received, across shipments, in arrival order.

    Repeats are kept (each one is a separate pallet); cancelled shipments
    are left out.
    """
    skus: list[str] = []
    for shipment in shipments:
        if shipment.get("cancelled"):
            continue
        skus.append(shipment["skus"])
    return skus
