"""Memory of training and fine-tuning: weights, gradients, optimizer states, ZeRO, activations, LoRA/QLoRA.

All results are integers of bytes (GB = 10**9, GiB = 2**30 when formatted).

Model states (Rajbhandari et al. 2020, "ZeRO: Memory Optimizations Toward Training Trillion
Parameter Models", section 3.1): mixed-precision Adam keeps, per parameter, 2 bytes of 16-bit
weights, 2 bytes of 16-bit gradients and K = 12 bytes of optimizer state (fp32 master weights,
fp32 momentum m, fp32 variance v): 16 bytes in all. ZeRO stage 1 shards the optimizer state
across the N data-parallel GPUs, stage 2 also the gradients, stage 3 also the weights.

Activations follow Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
Transformer Models" (sbh(34 + 5as/h) bytes per layer), adapted to RMSNorm, SwiGLU MLPs, GQA
and FlashAttention; see :func:`activation_breakdown` for each term and which are approximate.

The same formulas as sympy equations are in :mod:`vramlab.formulas` (``model_states``,
``training_activations``, ``korthikanti_layer``, ``lora_params``); the tests check that both agree.

>>> import vramlab.training as tr
>>> s = tr.model_states_bytes(7_500_000_000)           # the ZeRO paper's 7.5B example
>>> s.total // 10**9, s.bytes_per_param
(120, Fraction(16, 1))
>>> tr.model_states_bytes(7_500_000_000, zero_stage=3, num_gpus=64).total
1875000000
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from ..dtypes import get_dtype
from ..errors import VramlabError, check_int, check_number
from ..memory import DEFAULT_FRAMEWORK_BYTES, weights_bytes
from ..presets import load_model
from ..report import RichDisplay
from ..units import format_bytes, to_unit
from .activations import *  # noqa: F401,F403
from .activations import __all__ as _activations_all
from .activations import activation_bytes
from .lora import *  # noqa: F401,F403
from .lora import __all__ as _lora_all
from .lora import lora_params
from .states import *  # noqa: F401,F403
from .states import __all__ as _states_all
from .states import _choice, model_states_bytes

__all__ = [*_states_all, *_activations_all, *_lora_all, "TrainingEstimate", "estimate", "estimate_text"]


# ---------------------------------------------------------------------------
# Estimate
# ---------------------------------------------------------------------------
_METHODS = ("full", "lora", "qlora")


@dataclass(frozen=True)
class TrainingEstimate(RichDisplay):
    """Per-GPU memory of a training step, in integer bytes.

    ``margin`` is ``margin_fraction`` of the other parts; ``total`` sums all parts.

    >>> e = estimate("Qwen/Qwen3-8B", method="lora", seq_len=2048)
    >>> e.total == sum(e.parts().values())
    True
    """

    model: str
    method: str
    seq_len: int
    micro_batch: int
    optimizer: str
    zero_stage: int
    num_gpus: int
    recompute: str
    weight_dtype: str
    trainable_params: int
    frozen_params: int
    margin_fraction: float
    weights: int
    gradients: int
    master_weights: int
    optimizer_states: int
    activations: int
    framework: int
    margin: int

    @property
    def model_states(self) -> int:
        """Weights + gradients + master weights + optimizer states."""
        return self.weights + self.gradients + self.master_weights + self.optimizer_states

    @property
    def total(self) -> int:
        """Everything, margin included."""
        return self.model_states + self.activations + self.framework + self.margin

    def parts(self) -> dict[str, int]:
        """The parts that sum to ``total``, by name."""
        return {"weights": self.weights, "gradients": self.gradients, "master_weights": self.master_weights,
                "optimizer_states": self.optimizer_states, "activations": self.activations,
                "framework": self.framework, "margin": self.margin}

    def to_dict(self) -> dict[str, Any]:
        """Inputs, parts and total as plain JSON-ready values (bytes)."""
        d = asdict(self)
        d["model_states"] = self.model_states
        d["total"] = self.total
        return d

    def table(self):
        """A pandas DataFrame: one row per part and the total, in bytes, GB and GiB.

        >>> estimate("Qwen/Qwen3-8B", method="qlora").table().columns.tolist()
        ['part', 'bytes', 'GB', 'GiB']
        """
        import pandas as pd

        rows = list(self.parts().items()) + [("total", self.total)]
        return pd.DataFrame(
            [{"part": k, "bytes": v, "GB": round(to_unit(v, "GB"), 3), "GiB": round(to_unit(v, "GiB"), 3)}
             for k, v in rows]
        )

    def __str__(self) -> str:
        zero = f"ZeRO-{self.zero_stage} over {self.num_gpus} GPUs" if self.zero_stage else "no ZeRO"
        lines = [f"{self.model}: {self.method} ({self.trainable_params:,} trainable), {self.optimizer}, {zero}, "
                 f"{self.micro_batch} x {self.seq_len:,} tokens, recompute {self.recompute}, "
                 f"margin {self.margin_fraction:.0%} (per GPU)"]
        for k, v in list(self.parts().items()) + [("total", self.total)]:
            lines.append(f"  {k:<17}{format_bytes(v, 'GB'):>14}{format_bytes(v, 'GiB'):>15}")
        return "\n".join(lines)


def estimate(
    model: Any,
    method: str = "full",
    seq_len: int = 4096,
    micro_batch: int = 1,
    *,
    optimizer: str = "adamw",
    weight_dtype: str = "bf16",
    master_weights: bool = True,
    zero_stage: int = 0,
    num_gpus: int = 1,
    recompute: str = "none",
    flash_attention: bool = True,
    kernels: str = "fused",
    lora_rank: int = 16,
    lora_targets: Any = "all-linear",
    adapter_dtype: str = "fp32",
    base_dtype: str | None = None,
    framework_bytes: int = DEFAULT_FRAMEWORK_BYTES,
    margin: float = 0.0,
) -> TrainingEstimate:
    """Per-GPU memory of one training step: full fine-tuning, LoRA or QLoRA.

    * ``"full"``: every parameter trains (:func:`model_states_bytes`).
    * ``"lora"``: the base stays frozen in ``base_dtype`` (default bf16, no gradients, no
      optimizer states); the adapters (:func:`lora_params`) train in ``adapter_dtype``
      (PEFT keeps them in fp32) with their gradients and optimizer states.
    * ``"qlora"``: as LoRA with the base in NF4 (:func:`vramlab.weights_bytes` with
      ``"nf4"``: linear layers 4-bit, embeddings/lm_head/norms bf16).

    ZeRO shards the trained states as in :func:`model_states_bytes`; stage 3 also shards the
    frozen base (ceil(bytes / num_gpus)). Activations: :func:`activation_bytes`
    (activations of the frozen base are kept too: the gradient flows through it to the
    adapters). ``framework_bytes`` is the CUDA context and workspaces (1 GiB by default, as
    for inference); ``margin`` a fraction of the sum for fragmentation.

    Examples
    --------
    >>> import vramlab as vl
    >>> e = estimate("Qwen/Qwen3-8B", "full", 4096, framework_bytes=0)
    >>> e.model_states == 16 * 8_190_735_360          # 16 bytes per parameter
    True
    >>> print(estimate("Qwen/Qwen3-8B", "qlora", 2048, recompute="full"))   # doctest: +NORMALIZE_WHITESPACE
    Qwen/Qwen3-8B: qlora (43,646,976 trainable), adamw, no ZeRO, 1 x 2,048 tokens, recompute full, margin 0% (per GPU)
      weights                 6.25 GB       5.82 GiB
      gradients               0.17 GB       0.16 GiB
      master_weights          0.00 GB       0.00 GiB
      optimizer_states        0.35 GB       0.33 GiB
      activations             2.22 GB       2.06 GiB
      framework               1.07 GB       1.00 GiB
      margin                  0.00 GB       0.00 GiB
      total                  10.06 GB       9.37 GiB
    """
    m = load_model(model)
    method = _choice("method", method, _METHODS)
    margin = check_number("margin", margin, minimum=0.0, maximum=10.0)
    framework_bytes = check_int("framework_bytes", framework_bytes, minimum=0, maximum=10**15)
    zero_stage = check_int("zero_stage", zero_stage, minimum=0, maximum=3)
    num_gpus = check_int("num_gpus", num_gpus, minimum=1, maximum=10**6)
    total_params = m.param_count()
    if method == "full":
        st = model_states_bytes(total_params, zero_stage, num_gpus, weight_dtype, optimizer, master_weights)
        trainable, frozen = total_params, 0
        weights = st.weights
        wname = st.weight_dtype
    else:
        trainable = lora_params(m, lora_rank, lora_targets)
        frozen = total_params
        st = model_states_bytes(trainable, zero_stage, num_gpus, adapter_dtype, optimizer, master_weights)
        bd = base_dtype or ("bf16" if method == "lora" else "nf4")
        base = weights_bytes(m, bd)
        if zero_stage == 3:
            base = -(-base // num_gpus)
        weights = base + st.weights
        wname = get_dtype(bd).name
    act = activation_bytes(m, seq_len, micro_batch, recompute, flash_attention, kernels=kernels,
                           dtype="fp32" if weight_dtype == "fp32" and method == "full" else "bf16")
    sub = weights + st.gradients + st.master_weights + st.optimizer_states + act + framework_bytes
    return TrainingEstimate(
        model=m.name, method=method, seq_len=seq_len, micro_batch=micro_batch, optimizer=st.optimizer,
        zero_stage=zero_stage, num_gpus=num_gpus, recompute=recompute, weight_dtype=wname,
        trainable_params=trainable, frozen_params=frozen, margin_fraction=margin,
        weights=weights, gradients=st.gradients, master_weights=st.master_weights,
        optimizer_states=st.optimizer_states, activations=act, framework=framework_bytes,
        margin=round(sub * Fraction(margin)),
    )


def estimate_text(model: Any, method: str = "full", seq_len: int = 4096, micro_batch: int = 1,
                  zero_stage: int = 0, num_gpus: int = 1, recompute: str = "full") -> str:
    """:func:`estimate` as text, or the input error's message: what the notebook's calculator shows.

    >>> estimate_text("Qwen/Qwen3-8B", "lora", 1024, zero_stage=5)
    'zero_stage must be an integer between 0 and 3, got 5'
    """
    try:
        return str(estimate(model, method, seq_len, micro_batch, zero_stage=zero_stage, num_gpus=num_gpus,
                            recompute=recompute))
    except VramlabError as exc:
        return str(exc)
