"""LoRA and QLoRA: the shapes of the adapted linear layers and the trainable parameters.

>>> lora_params("Qwen/Qwen3-0.6B", 8, "attention") > 0
True
"""

from __future__ import annotations

from typing import Any

from ..errors import VramlabError, check_int, check_items, check_str
from ..families import family_of
from ..layers import ATTENTION_KINDS
from .activations import _not_attention
from ..presets import load_model
from ..spec import ModelSpec

__all__ = ["LORA_TARGETS", "lora_shapes", "lora_params"]

#: The linear layers LoRA can adapt, by their transformers/PEFT module names.
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
_TARGET_SETS = {"all-linear": LORA_TARGETS, "attention": LORA_TARGETS[:4], "mlp": LORA_TARGETS[4:]}


# ---------------------------------------------------------------------------
# LoRA / QLoRA
# ---------------------------------------------------------------------------
def lora_shapes(model: Any) -> dict[str, tuple[int, int]]:
    """(in_features, out_features) of each linear layer LoRA can adapt, from the config.

    GQA's K and V project to a_kv·d, and an explicit ``head_dim`` (Qwen3: a·d ≠ h) is used.

    >>> import vramlab as vl
    >>> lora_shapes(vl.load_model("Qwen/Qwen3-8B"))["k_proj"]
    (4096, 1024)
    >>> lora_shapes("Qwen/Qwen3-0.6B")["o_proj"]       # 16 heads x 128 = 2048 -> hidden 1024
    (2048, 1024)
    """
    m = load_model(model)
    if m.attention_kind == "MLA" or family_of(m).layout == "falcon":
        raise VramlabError(
            f"LoRA shapes of {m.name} ({m.model_type}, {m.attention_kind}) are not modelled; valid: "
            "models with separate q/k/v/o projections (Llama, Qwen, Mistral, Gemma, Phi-3 ...)",
            field="model",
        )
    other = _not_attention(m)
    if other:  # their own projections (in_proj_qkvz, in_proj, x_proj ...), and q/k/v/o in fewer layers
        raise VramlabError(
            f"LoRA shapes of {other[0]} layers are not modelled ({m.name}: {', '.join(other)} layers beside "
            f"attention); valid: models whose every layer is attention ({', '.join(ATTENTION_KINDS)})",
            field="model",
        )
    h, d = m.hidden_size, m.head_dim
    out = {
        "q_proj": (h, m.num_q_heads * d),
        "k_proj": (h, m.num_kv_heads * d),
        "v_proj": (h, m.num_kv_heads * d),
        "o_proj": (m.num_q_heads * d, h),
    }
    if not m.is_moe:
        i = m.intermediate_size
        out.update({"gate_proj": (h, i), "up_proj": (h, i), "down_proj": (i, h)})
    return out


def _targets(m: ModelSpec, targets: Any) -> tuple[str, ...]:
    if isinstance(targets, str):
        if targets in _TARGET_SETS:
            targets = _TARGET_SETS[targets]
        else:
            targets = (targets,)
    targets = check_items("lora_targets", targets, lambda t: check_str("lora_targets", t, max_len=200), min_len=0)
    shapes = lora_shapes(m)
    if m.is_moe and targets == LORA_TARGETS:  # "all-linear" on an MoE model: the attention
        targets = LORA_TARGETS[:4]
    valid = ", ".join(list(_TARGET_SETS) + list(shapes))
    if not targets:
        raise VramlabError(f"lora_targets must name at least one module; valid: {valid}", field="lora_targets")
    for name in targets:
        if name not in shapes:
            if m.is_moe and name in LORA_TARGETS:
                raise VramlabError(f"lora_targets {name!r}: MoE expert projections are not modelled; valid: "
                                   f"q_proj, k_proj, v_proj, o_proj", field="lora_targets")
            raise VramlabError(f"lora_targets must be among {valid}, got {name!r}", field="lora_targets")
    return targets


def lora_params(model: Any, rank: int = 16, targets: Any = "all-linear") -> int:
    """Trainable LoRA parameters: r·(in + out) per adapted linear layer, in every layer.

    Each adapted W (out × in) gets A (r × in) and B (out × r), no bias (PEFT's default).

    Parameters
    ----------
    model : ModelSpec or preset id
    rank : int
        LoRA rank r.
    targets : str or iterable of str
        ``"all-linear"`` (q, k, v, o, gate, up, down; attention only for MoE models),
        ``"attention"``, ``"mlp"`` or module names from :data:`LORA_TARGETS`.

    Examples
    --------
    >>> import vramlab as vl
    >>> m = vl.load_model("Qwen/Qwen3-8B")
    >>> lora_params(m, 16, ["q_proj", "v_proj"]) == 36 * 16 * ((4096 + 4096) + (4096 + 1024))
    True
    >>> f"{lora_params(m, 16):,}"
    '43,646,976'
    """
    m = load_model(model)
    rank = check_int("rank", rank, minimum=1, maximum=10**6)
    shapes = lora_shapes(m)
    return m.num_layers * rank * sum(sum(shapes[t]) for t in _targets(m, targets))
