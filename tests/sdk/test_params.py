"""Parameter validation: strict, and every refusal names the parameter, value and fix."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genloom.sdk import (
    BoolParam,
    ChoiceParam,
    FloatParam,
    GeneratorSpec,
    IntParam,
    ParameterError,
    StringParam,
)
from genloom.sdk.params import param_from_dict


def _spec() -> GeneratorSpec:
    return GeneratorSpec(
        id="t.spec", modality="image", title="T", factory=object,
        params=(
            StringParam("prompt", "", min_length=1, role="prompt"),
            IntParam("steps", 20, minimum=1, maximum=150),
            FloatParam("guidance", 7.5, minimum=0.0, maximum=30.0),
            BoolParam("tile", False),
            ChoiceParam("sampler", choices=("euler", "ddim")),
            StringParam("negative", "", max_length=10),
        ),
    )


def test_int_above_maximum_names_parameter_value_and_range():
    with pytest.raises(ParameterError) as info:
        IntParam("steps", 20, minimum=1, maximum=150).validate(500)
    assert str(info.value) == "steps: 500 is above the maximum of 150; choose a value from 1 to 150"


def test_int_refuses_float_and_bool_without_rounding():
    param = IntParam("steps", 20, minimum=1, maximum=150)
    with pytest.raises(ParameterError, match="is a float; give a whole number such as 20"):
        param.validate(20.0)
    with pytest.raises(ParameterError, match="not a whole number"):
        param.validate(True)


def test_float_refuses_nan_and_infinity():
    param = FloatParam("guidance", 7.5, minimum=0.0, maximum=30.0)
    for value in (math.nan, math.inf):
        with pytest.raises(ParameterError, match="not a finite number"):
            param.validate(value)
    assert param.validate(3) == 3.0


def test_parse_turns_command_line_text_into_typed_values():
    assert IntParam("n", 1).parse(" 42 ") == 42
    assert FloatParam("x", 1.0).parse("0.25") == 0.25
    assert BoolParam("b").parse("yes") is True
    assert BoolParam("b").parse("off") is False
    with pytest.raises(ParameterError, match="n: 'four' is not a whole number"):
        IntParam("n", 1).parse("four")
    with pytest.raises(ParameterError, match="one of true/false"):
        BoolParam("b").parse("maybe")


def test_choice_lists_the_choices():
    with pytest.raises(ParameterError, match="choose one of 'euler', 'ddim'"):
        ChoiceParam("sampler", choices=("euler", "ddim")).validate("heun")


def test_required_prompt_starts_empty_and_is_refused_empty():
    spec = _spec()
    with pytest.raises(ParameterError, match="prompt: '' is empty; write a prompt"):
        spec.validate_params({})
    assert spec.validate_params({"prompt": "a cat"})["steps"] == 20


def test_unknown_parameter_lists_the_known_ones():
    with pytest.raises(ParameterError, match="is not a parameter of t.spec; use one of guidance, negative"):
        _spec().validate_params({"prompt": "x", "stpes": 3})


def test_string_length_limit():
    with pytest.raises(ParameterError, match="over the limit of 10"):
        _spec().validate_params({"prompt": "x", "negative": "x" * 11})


def test_params_round_trip_through_plain_data():
    for param in _spec().params:
        assert param_from_dict(param.to_dict()) == param


def test_spec_rejects_bad_ids_modalities_and_seed_parameter():
    with pytest.raises(ValueError, match="dotted lower-case"):
        GeneratorSpec(id="NoDots", modality="image", title="x", factory=object)
    with pytest.raises(ValueError, match="modality 'picture'"):
        GeneratorSpec(id="a.b", modality="picture", title="x", factory=object)
    with pytest.raises(ValueError, match="'seed' is a request field"):
        GeneratorSpec(id="a.b", modality="text", title="x", factory=object, params=(IntParam("seed", 1),))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=300)
@given(st.dictionaries(st.sampled_from(["prompt", "steps", "guidance", "tile", "sampler", "negative", "other"]),
                       json_values))
def test_any_values_are_accepted_or_refused_with_a_parameter_error(values):
    spec = _spec()
    try:
        result = spec.validate_params(values)
    except ParameterError as exc:
        assert exc.param in str(exc)
        assert str(exc).startswith(f"{exc.param}: ")
    else:
        for param in spec.params:
            assert param.validate(result[param.name]) == result[param.name]


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=300)
@given(st.sampled_from(_spec().params), st.text())
def test_any_command_line_text_parses_or_gives_a_parameter_error(param, text):
    try:
        param.parse(text)
    except ParameterError as exc:
        assert str(exc).startswith(f"{param.name}: ")
