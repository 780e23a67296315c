from topics.partitioning import murmur2, partition_for


def test_murmur2_matches_the_java_client_reference_values() -> None:
    # reference values published with Kafka's own Utils.murmur2 tests
    assert murmur2(b"21") == (-973932308) & 0xFFFFFFFF
    assert murmur2(b"foobar") == (-790332482) & 0xFFFFFFFF
    assert murmur2(b"a-little-bit-long-string") == (-985981536) & 0xFFFFFFFF
    assert murmur2(b"a-little-bit-longer-string") == (-1486304829) & 0xFFFFFFFF
    assert murmur2(b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8") == (-58897971) & 0xFFFFFFFF
    assert murmur2(b"abc") == 479470107


def test_partition_is_always_within_range() -> None:
    for index in range(1000):
        assert 0 <= partition_for(f"SKU-{index}".encode(), 7) < 7


def test_remembered_partitions_are_murmur2_for_str_and_bytes_keys_and_the_memory_is_bounded() -> None:
    from topics.partitioning import KeyPartitions

    owner_of = KeyPartitions(6, max_keys=50)
    keys = [f"SKU-{i:05d}" for i in range(120)]
    assert [owner_of(k) for k in keys] == [partition_for(k.encode(), 6) for k in keys]
    assert [owner_of(k.encode()) for k in keys] == [partition_for(k.encode(), 6) for k in keys]  # again, remembered
    assert len(owner_of._known) <= 50
