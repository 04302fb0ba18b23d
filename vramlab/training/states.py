"""Model states of training: weights, gradients and optimizer states per GPU, with ZeRO sharding.

Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion Parameter Models",
section 3.1. Also the input checks the other training modules share.

>>> model_states_bytes(1000).total
16000
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterable

from ..dtypes import DType, get_dtype
from ..errors import VramlabError, check_choice, check_int
from ..presets import load_model
from ..spec import ModelSpec

__all__ = ["OPTIMIZERS", "ModelStates", "model_states_bytes"]

#: Optimizers: number of state tensors per parameter and the bytes each value takes
#: (None: the ``state_dtype`` argument decides).
#: ``adamw8bit`` follows bitsandbytes' block-wise 8-bit Adam: 1 byte per value plus one fp32
#: absmax per block of 256 values, for each of the two states (Dettmers et al. 2022,
#: "8-bit Optimizers via Block-wise Quantization"; block size 256 in bitsandbytes >= 0.44).
OPTIMIZERS: dict[str, tuple[int, Fraction | None]] = {
    "adamw": (2, None),
    "adam": (2, None),
    "adamw8bit": (2, Fraction(1) + Fraction(4, 256)),
    "sgd": (0, None),
    "sgd-momentum": (1, None),
}

_TRAIN_DTYPES = ("fp32", "fp16", "bf16")
_FP32 = Fraction(4)


def _ceil(x: Fraction | int) -> int:
    x = Fraction(x)
    return -(-x.numerator // x.denominator)


def _float_dtype(name: str, value: Any) -> DType:
    d = get_dtype(value)
    if d.name not in _TRAIN_DTYPES:
        raise VramlabError(
            f"{name} must be a training float format ({', '.join(_TRAIN_DTYPES)}), got {value!r}", field=name
        )
    return d


def _choice(name: str, value: Any, valid: Iterable[str]) -> str:
    return check_choice(name, value, valid)


def _params(params: Any) -> int:
    if isinstance(params, (int, float)) and not isinstance(params, bool):
        return check_int("params", params, minimum=0, maximum=10**14)
    if isinstance(params, (ModelSpec, str, dict)):
        return load_model(params).param_count()
    raise VramlabError(
        f"params must be a parameter count (int >= 0) or a model (ModelSpec, preset id), got {params!r}",
        field="params",
    )


# ---------------------------------------------------------------------------
# Model states: weights, gradients, optimizer states, ZeRO
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelStates:
    """Per-GPU bytes of the model states of one data-parallel rank.

    Attributes
    ----------
    params : int
        Parameters trained (all of them, not the shard).
    zero_stage, num_gpus : int
        ZeRO stage (0-3) and data-parallel GPUs the shards are spread over.
    weight_dtype, grad_dtype, optimizer, state_dtype : str
        Formats and optimizer.
    weights, gradients, master_weights, optimizer_states : int
        Bytes per GPU of each part.
    k_bytes : Fraction
        The ZeRO paper's K: master copy + optimizer states per parameter, before sharding.

    Examples
    --------
    >>> s = model_states_bytes(1000, weight_dtype="bf16")
    >>> s.parts()
    {'weights': 2000, 'gradients': 2000, 'master_weights': 4000, 'optimizer_states': 8000}
    """

    params: int
    zero_stage: int
    num_gpus: int
    weight_dtype: str
    grad_dtype: str
    optimizer: str
    state_dtype: str
    weights: int
    gradients: int
    master_weights: int
    optimizer_states: int
    k_bytes: Fraction

    @property
    def total(self) -> int:
        """Sum of the four parts, bytes per GPU."""
        return self.weights + self.gradients + self.master_weights + self.optimizer_states

    @property
    def bytes_per_param(self) -> Fraction:
        """Bytes per parameter before sharding: weight + gradient + K (16 for mixed-precision Adam)."""
        return get_dtype(self.weight_dtype).bytes_per_value + get_dtype(self.grad_dtype).bytes_per_value + self.k_bytes

    def parts(self) -> dict[str, int]:
        """The parts that sum to ``total``, by name."""
        return {"weights": self.weights, "gradients": self.gradients,
                "master_weights": self.master_weights, "optimizer_states": self.optimizer_states}


def model_states_bytes(
    params: Any,
    zero_stage: int = 0,
    num_gpus: int = 1,
    weight_dtype: str = "bf16",
    optimizer: str = "adamw",
    master_weights: bool = True,
    *,
    grad_dtype: str | None = None,
    state_dtype: str = "fp32",
) -> ModelStates:
    """Per-GPU bytes of weights, gradients and optimizer states, with ZeRO sharding.

    Per parameter: the weight and its gradient (``grad_dtype``, default the weight format),
    an fp32 master copy when ``master_weights`` and the weights are 16-bit (fp32 weights are
    their own master copy), and the optimizer states: AdamW keeps two (m and v), SGD with
    momentum one, plain SGD none, each in ``state_dtype``; 8-bit Adam keeps two 8-bit states
    with an fp32 scale per block of 256 values. K (the ZeRO paper's symbol) is master copy +
    states: 12 bytes for mixed-precision AdamW.

    ZeRO stage 1 shards master weights and optimizer states over ``num_gpus``, stage 2 also
    the gradients, stage 3 also the weights; a shard holds ceil(params / num_gpus) values
    (DeepSpeed pads the flat buffer so that it divides evenly).

    Not counted: PyTorch's ``step`` counter (one 4-byte fp32 scalar per parameter *tensor*,
    a few kB), ZeRO's communication buckets and ZeRO-3's gathered-layer buffer, and
    bitsandbytes keeping 32-bit states for tensors under 4,096 values (norms).

    Parameters
    ----------
    params : int or model
        Trained parameter count, or a ModelSpec/preset id (its exact ``param_count()``).
    zero_stage : int
        0 (plain data parallel), 1, 2 or 3.
    num_gpus : int
        Data-parallel GPUs sharing the shards (ignored at stage 0).
    weight_dtype : str
        ``"bf16"``, ``"fp16"`` or ``"fp32"``.
    optimizer : str
        One of :data:`OPTIMIZERS`: ``"adamw"``, ``"adam"``, ``"adamw8bit"``, ``"sgd"``,
        ``"sgd-momentum"``.
    master_weights : bool
        Keep an fp32 master copy of 16-bit weights (mixed precision).
    grad_dtype : str, optional
        Gradient format; default the weight format.
    state_dtype : str
        Format of the optimizer states (fp32 in mixed precision; PyTorch's AdamW on bf16
        parameters without master weights keeps bf16 states).

    Returns
    -------
    ModelStates

    Examples
    --------
    The ZeRO paper's example (7.5B parameters, 64 GPUs, K = 12), GB = 10**9 bytes:

    >>> [model_states_bytes(7_500_000_000, stage, 64).total / 1e9 for stage in range(4)]
    [120.0, 31.40625, 16.640625, 1.875]
    >>> model_states_bytes(7_500_000_000, zero_stage=4)
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: zero_stage must be an integer between 0 and 3, got 4
    """
    n = _params(params)
    zero_stage = check_int("zero_stage", zero_stage, minimum=0, maximum=3)
    num_gpus = check_int("num_gpus", num_gpus, minimum=1, maximum=10**6)
    wd = _float_dtype("weight_dtype", weight_dtype)
    gd = _float_dtype("grad_dtype", grad_dtype if grad_dtype is not None else wd.name)
    sd = _float_dtype("state_dtype", state_dtype)
    optimizer = _choice("optimizer", optimizer, OPTIMIZERS)
    if not isinstance(master_weights, bool):
        raise VramlabError(f"master_weights must be True or False, got {master_weights!r}", field="master_weights")
    n_states, per_state = OPTIMIZERS[optimizer]
    per_state = sd.bytes_per_value if per_state is None else per_state
    master = _FP32 if master_weights and wd.bits < 32 else Fraction(0)
    k_bytes = master + n_states * per_state

    shard = -(-n // num_gpus) if zero_stage else n

    def part(bpv: Fraction, stage: int) -> int:
        return _ceil((shard if zero_stage >= stage else n) * bpv)

    return ModelStates(
        params=n, zero_stage=zero_stage, num_gpus=num_gpus, weight_dtype=wd.name, grad_dtype=gd.name,
        optimizer=optimizer, state_dtype=sd.name,
        weights=part(wd.bytes_per_value, 3), gradients=part(gd.bytes_per_value, 2),
        master_weights=part(master, 1), optimizer_states=part(n_states * per_state, 1), k_bytes=k_bytes,
    )
