def test_world_record_reaches_status(world):
    record = world.record("ARRIVED", kind="loan")
    assert record.status == "ARRIVED"
    assert record.due_on is not None
