import pytest
from hypothesis import given
from hypothesis import strategies as st

from topics.wire import REASON_CODES, DecodeError, frame, unframe


@given(st.integers(min_value=0, max_value=2**32 - 1), st.binary(max_size=64))
def test_a_framed_body_comes_back_with_its_schema_id(schema_id: int, body: bytes) -> None:
    assert unframe(frame(schema_id, body)) == (schema_id, body)


def test_the_header_is_magic_byte_zero_then_the_id_big_endian() -> None:
    assert frame(0x01020304, b"body") == b"\x00\x01\x02\x03\x04body"


@pytest.mark.parametrize("value", [None, b""])
def test_a_missing_value_is_an_empty_value(value: bytes | None) -> None:
    with pytest.raises(DecodeError) as raised:
        unframe(value)

    assert raised.value.reason_code == "empty_value"
    assert "tombstone" in raised.value.reason


def test_json_instead_of_avro_names_the_magic_byte_found_and_the_likely_cause() -> None:
    with pytest.raises(DecodeError) as raised:
        unframe(b'{"sku": "RETRO-CLOCK"}')

    assert raised.value.reason_code == "wrong_magic_byte"
    assert "0x7b, expected 0x00" in raised.value.reason
    assert "JSON" in raised.value.reason


def test_an_avro_container_file_is_recognised() -> None:
    with pytest.raises(DecodeError) as raised:
        unframe(b"Obj\x01rest-of-file")

    assert "container file" in raised.value.reason


@pytest.mark.parametrize("value", [b"\x00", b"\x00\x00\x00\x01"])
def test_a_value_shorter_than_the_header_is_truncated(value: bytes) -> None:
    with pytest.raises(DecodeError) as raised:
        unframe(value)

    assert raised.value.reason_code == "truncated"
    assert f"{len(value)} byte(s)" in raised.value.reason


def test_a_decode_error_carries_a_documented_code_and_survives_pickling() -> None:
    import pickle

    error = pickle.loads(pickle.dumps(DecodeError("truncated", "cut")))

    assert (error.reason_code, error.reason) == ("truncated", "cut")
    assert error.reason_code in REASON_CODES
