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
