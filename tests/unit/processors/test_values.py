"""fast_init: every value class built by it is the value its dataclass __init__ builds, with the same signature."""
from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import processors
from processors.values import DATACLASS_INITS, fast_init

HOT_PATH_MODULES = ("streams.engine.records", "streams.snapshot.entry")


def _import_every_value_class() -> None:
    for module in pkgutil.walk_packages(processors.__path__, "processors."):
        importlib.import_module(module.name)
    for name in HOT_PATH_MODULES:
        importlib.import_module(name)


_import_every_value_class()
VALUE_CLASSES = sorted(DATACLASS_INITS, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_frozen_slotted_domain_class_uses_it() -> None:
    missing = [f"{cls.__module__}.{cls.__qualname__}" for cls in _frozen_slotted_dataclasses()
               if cls not in DATACLASS_INITS]
    assert not missing
    assert len(VALUE_CLASSES) > 100


def _frozen_slotted_dataclasses() -> list[type]:
    import sys

    found = []
    for module in [m for name, m in sys.modules.items() if name.startswith("processors.") or name in HOT_PATH_MODULES]:
        for value in vars(module).values():
            if (inspect.isclass(value) and value.__module__ == module.__name__ and dataclasses.is_dataclass(value)
                    and value.__dataclass_params__.frozen and "__slots__" in value.__dict__):  # type: ignore[attr-defined]
                found.append(value)
    return found


@pytest.mark.parametrize("cls", VALUE_CLASSES, ids=lambda cls: cls.__qualname__)
def test_same_signature_as_the_dataclass_init(cls: type) -> None:
    ours = inspect.signature(cls.__init__).parameters
    theirs = inspect.signature(DATACLASS_INITS[cls]).parameters
    assert [(p.name, p.kind) for p in ours.values()] == [(p.name, p.kind) for p in theirs.values()]
    for name, parameter in theirs.items():
        if _is_factory_default(parameter.default):
            assert ours[name].default is not inspect.Parameter.empty
        else:
            assert ours[name].default is parameter.default


@pytest.mark.parametrize("cls", VALUE_CLASSES, ids=lambda cls: cls.__qualname__)
@pytest.mark.parametrize("optional", ["left_out", "given"])
def test_same_slots_as_the_dataclass_init(cls: type, optional: str) -> None:
    """Arguments are fresh tokens, so a slot that took the wrong argument (or a default where one was given) shows;
    a class whose __post_init__ refuses tokens must refuse them the same way."""
    args, kwargs = _token_arguments(DATACLASS_INITS[cls], given_optional=optional == "given")
    ours, our_error = _built(cls, cls.__init__, args, kwargs)
    theirs, their_error = _built(cls, DATACLASS_INITS[cls], args, kwargs)
    assert type(our_error) is type(their_error)
    if their_error is None:
        assert _slots(ours) == _slots(theirs)
        assert ours == theirs


def _is_factory_default(default: Any) -> bool:
    return repr(default) == "<factory>"


def _token_arguments(init: Any, given_optional: bool) -> tuple[list[Any], dict[str, Any]]:
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for name, parameter in list(inspect.signature(init).parameters.items())[1:]:
        if parameter.default is not inspect.Parameter.empty and not given_optional:
            continue
        token = _Token(name)
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            kwargs[name] = token
        else:
            args.append(token)
    return args, kwargs


class _Token:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


def _built(cls: type, init: Any, args: list[Any], kwargs: dict[str, Any]) -> tuple[Any, Exception | None]:
    value = object.__new__(cls)
    try:
        init(value, *args, **kwargs)
    except Exception as error:  # noqa: BLE001 (compared by type with the dataclass's)
        return None, error
    return value, None


_UNSET = object()


def _slots(value: Any) -> dict[str, Any]:
    return {spec.name: getattr(value, spec.name, _UNSET) for spec in dataclasses.fields(value)}


# -- every kind of field, on classes made for the test --------------------------------------------------------------

@fast_init
@dataclass(frozen=True, slots=True)
class _Base:
    required: int
    plain_default: str = "on hand"
    correlation_id: str = field(default="", kw_only=True)


@fast_init
@dataclass(frozen=True, slots=True)
class _Every(_Base):
    listed: list[int] = field(default_factory=list)
    computed: int = field(default=7, init=False)
    made: dict[str, int] = field(default_factory=dict, init=False)
    unset: int = field(init=False)
    reserved: int = field(default=0, kw_only=True)

    def __post_init__(self) -> None:
        if self.reserved < 0:
            raise ValueError("reserved below zero")


@given(required=st.integers(), plain=st.none() | st.text(max_size=3), listed=st.none() | st.lists(st.integers()),
       correlation=st.none() | st.text(max_size=3), reserved=st.none() | st.integers(-2, 5))
def test_each_kind_of_field_as_the_dataclass_sets_it(required: int, plain: str | None, listed: list[int] | None,
                                                     correlation: str | None, reserved: int | None) -> None:
    args: list[Any] = [required] + ([plain] if plain is not None else [])
    if listed is not None:
        args += [plain if plain is not None else "on hand", listed]
    kwargs = {name: value for name, value in (("correlation_id", correlation), ("reserved", reserved))
              if value is not None}
    ours, our_error = _built(_Every, _Every.__init__, args, kwargs)
    theirs, their_error = _built(_Every, DATACLASS_INITS[_Every], args, kwargs)
    assert type(our_error) is type(their_error)
    if theirs is not None:
        assert _slots(ours) == _slots(theirs)
        assert ours.listed is (listed if listed is not None else ours.listed)
        assert ours.made is not _Every(0).made  # a factory runs per instance


def test_a_factory_value_is_not_shared_between_instances() -> None:
    assert _Every(1).listed is not _Every(1).listed


def test_refuses_a_class_without_slots() -> None:
    @dataclass(frozen=True)
    class Unslotted:
        units: int

    with pytest.raises(TypeError, match="slotted dataclass"):
        fast_init(Unslotted)
