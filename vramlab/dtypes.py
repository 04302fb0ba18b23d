"""Numeric precisions and quantization formats, as exact bits per stored value.

Every format is a :class:`DType` whose ``bits`` is an exact :class:`fractions.Fraction`,
including the storage of block/group scales and zero points. Sources are given per format.

Which tensors are quantized
---------------------------
Weight-only formats (GPTQ/AWQ int4, bitsandbytes nf4/int8, fp8 checkpoints, MXFP4) quantize
the large linear layers inside the transformer blocks (attention projections, MLP and
experts). Token embeddings, the output head (lm_head), norms, biases and MoE routers
stay in 16-bit: that is what GPTQ, AWQ, bitsandbytes and the gpt-oss MXFP4 checkpoints
do by default. GGUF files quantize almost every 2-D tensor, the embeddings included; the
``Q*_K_M`` "mix" figures are whole-file averages measured by llama.cpp.

>>> from vramlab.dtypes import get_dtype
>>> get_dtype("bf16").bits
Fraction(16, 1)
>>> float(get_dtype("int4").bits)   # GPTQ/AWQ, group 128, fp16 scale + 4-bit zero
4.15625
>>> float(get_dtype("Q8_0").bits)
8.5
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from fractions import Fraction

from .errors import VramlabError, check_int

__all__ = ["DType", "DTYPES", "get_dtype", "list_dtypes", "int4_group_bits", "TORCH_DTYPE_NAMES"]


@dataclass(frozen=True)
class DType:
    """A storage format.

    Attributes
    ----------
    name : str
        Canonical name, e.g. ``"bf16"``, ``"int4"``, ``"Q4_K_M"``.
    bits : Fraction
        Exact bits per stored value, scales and zero points included.
    kind : str
        ``"float"``, ``"int"``, ``"block"`` (group-scaled) or ``"gguf"``.
    weight_only : bool
        True when the format is applied to the linear layers only and embeddings,
        lm_head, norms and biases stay 16-bit.
    kv_ok : bool
        True when engines store the KV cache in this format.
    description : str
        One line on the layout.
    source : str
        Where the layout comes from.

    Examples
    --------
    >>> d = get_dtype("fp8")
    >>> d.bytes_for(1_000)
    1000
    """

    name: str
    bits: Fraction
    kind: str
    weight_only: bool
    kv_ok: bool
    description: str
    source: str

    def bytes_for(self, n_values: int) -> int:
        """Bytes to store ``n_values`` values, rounded up to a whole byte.

        >>> get_dtype("int4-raw").bytes_for(3)
        2
        """
        n_values = check_int("n_values", n_values, minimum=0)
        return -(-(n_values * self.bits.numerator) // (8 * self.bits.denominator))

    @property
    def bytes_per_value(self) -> Fraction:
        """Exact bytes per value, e.g. ``Fraction(1, 2)`` for raw int4.

        >>> get_dtype("fp16").bytes_per_value
        Fraction(2, 1)
        """
        return self.bits / 8


def int4_group_bits(group_size: int = 128, scale_bits: int = 16, zero_bits: int = 4) -> Fraction:
    """Bits per weight of group-wise 4-bit quantization.

    Each group of ``group_size`` weights stores one scale and one zero point.
    GPTQ and AWQ checkpoints store fp16 scales and zeros packed as 4-bit integers
    (``qzeros``), so group 128 costs 4 + (16 + 4) / 128 = 4.15625 bits.

    >>> int4_group_bits(128)
    Fraction(133, 32)
    >>> float(int4_group_bits(32))
    4.625
    """
    group_size = check_int("group_size", group_size, minimum=1, maximum=2**20)
    scale_bits = check_int("scale_bits", scale_bits, minimum=0, maximum=64)
    zero_bits = check_int("zero_bits", zero_bits, minimum=0, maximum=64)
    return Fraction(4) + Fraction(scale_bits + zero_bits, group_size)


_GPTQ = "GPTQ (Frantar et al. 2022) and AWQ (Lin et al. 2023) checkpoints: int32-packed qweight, fp16 scales, int32-packed 4-bit qzeros per group"
_CT = "compressed-tensors pack-quantized layout (vLLM/llm-compressor): int32-packed weight_packed, one weight_scale per group, weight_zero_point only when symmetric is false"
_GGUF = "llama.cpp ggml-common.h block layouts (block_q8_0: fp16 d + 32 int8 = 34 bytes per 32 weights; super-blocks of 256 for k-quants)"
_GGUF_MIX = "llama.cpp tools/quantize/README.md, Llama 2 7B table: whole-file bits per weight of the k-quant mix"

DTYPES: dict[str, DType] = {
    d.name: d
    for d in [
        DType("fp32", Fraction(32), "float", False, True, "IEEE 754 single precision", "IEEE 754-2008"),
        DType("fp16", Fraction(16), "float", False, True, "IEEE 754 half precision", "IEEE 754-2008"),
        DType("bf16", Fraction(16), "float", False, True, "bfloat16: 8-bit exponent, 7-bit mantissa", "Google Brain bfloat16; torch.bfloat16"),
        DType("fp8", Fraction(8), "float", True, True, "FP8 E4M3 (weights and KV cache in vLLM/TensorRT-LLM); per-tensor or 128x128 block scales are negligible", "Micikevicius et al. 2022, 'FP8 Formats for Deep Learning'"),
        DType("fp8_e4m3", Fraction(8), "float", True, True, "FP8 E4M3: 4-bit exponent, 3-bit mantissa", "Micikevicius et al. 2022"),
        DType("fp8_e5m2", Fraction(8), "float", True, True, "FP8 E5M2: 5-bit exponent, 2-bit mantissa", "Micikevicius et al. 2022"),
        DType("int8", Fraction(8), "int", True, True, "8-bit integers with per-channel scales (LLM.int8(), SmoothQuant W8A8); scales negligible", "Dettmers et al. 2022; Xiao et al. 2023"),
        DType("int4", int4_group_bits(128), "block", True, True, "4-bit integers, group 128, fp16 scale + 4-bit zero per group (GPTQ/AWQ default)", _GPTQ),
        DType("int4-g32", int4_group_bits(32), "block", True, False, "4-bit integers, group 32, fp16 scale + 4-bit zero", _GPTQ),
        DType("int4-g64", int4_group_bits(64), "block", True, False, "4-bit integers, group 64, fp16 scale + 4-bit zero", _GPTQ),
        DType("int4-g128", int4_group_bits(128), "block", True, False, "4-bit integers, group 128, fp16 scale + 4-bit zero", _GPTQ),
        DType("int4-sym-g32", Fraction(4) + Fraction(16, 32), "block", True, False, "4-bit integers, group 32, 16-bit scale, no zero point (compressed-tensors symmetric)", _CT),
        DType("int4-sym-g64", Fraction(4) + Fraction(16, 64), "block", True, False, "4-bit integers, group 64, 16-bit scale, no zero point (compressed-tensors symmetric)", _CT),
        DType("int4-sym-g128", Fraction(4) + Fraction(16, 128), "block", True, False, "4-bit integers, group 128, 16-bit scale, no zero point (compressed-tensors symmetric): 4.125 bits", _CT),
        DType("int8-g32", Fraction(8) + Fraction(16 + 8, 32), "block", True, False, "8-bit integers, group 32, fp16 scale + 8-bit zero (GPTQ/AWQ 8-bit)", _GPTQ),
        DType("int8-g64", Fraction(8) + Fraction(16 + 8, 64), "block", True, False, "8-bit integers, group 64, fp16 scale + 8-bit zero (GPTQ/AWQ 8-bit)", _GPTQ),
        DType("int8-g128", Fraction(8) + Fraction(16 + 8, 128), "block", True, False, "8-bit integers, group 128, fp16 scale + 8-bit zero (GPTQ/AWQ 8-bit): 8.1875 bits", _GPTQ),
        DType("int4-raw", Fraction(4), "int", True, True, "bare 4-bit values with no scales (a lower bound; KV-cache int4)", "definition"),
        DType("nf4", Fraction(4) + Fraction(8, 64) + Fraction(32, 64 * 256), "block", True, False, "NormalFloat4, blocks of 64 with double-quantized 8-bit absmax (fp32 per 256 blocks): 4.127 bits", "Dettmers et al. 2023, QLoRA, section 3 (double quantization: 8/64 + 32/(64*256) bits)"),
        DType("nf4-nodq", Fraction(4) + Fraction(32, 64), "block", True, False, "NormalFloat4, blocks of 64 with fp32 absmax, no double quantization: 4.5 bits", "Dettmers et al. 2023, QLoRA, section 3"),
        DType("mxfp4", Fraction(4) + Fraction(8, 32), "block", True, False, "OCP microscaling FP4 (E2M1), 32 values share one 8-bit E8M0 scale: 4.25 bits", "OCP Microscaling Formats (MX) v1.0 specification, 2023; gpt-oss model card"),
        DType("Q8_0", Fraction(34 * 8, 32), "gguf", False, False, "GGUF Q8_0: blocks of 32 int8 + fp16 scale", _GGUF),
        DType("Q6_K", Fraction(210 * 8, 256), "gguf", False, False, "GGUF Q6_K: 210 bytes per 256 weights", _GGUF),
        DType("Q5_K", Fraction(176 * 8, 256), "gguf", False, False, "GGUF Q5_K: 176 bytes per 256 weights", _GGUF),
        DType("Q4_K", Fraction(144 * 8, 256), "gguf", False, False, "GGUF Q4_K: 144 bytes per 256 weights", _GGUF),
        DType("Q4_0", Fraction(18 * 8, 32), "gguf", False, False, "GGUF Q4_0: 32 4-bit values + fp16 scale", _GGUF),
        DType("Q3_K", Fraction(110 * 8, 256), "gguf", False, False, "GGUF Q3_K: 110 bytes per 256 weights", _GGUF),
        DType("Q2_K", Fraction(84 * 8, 256), "gguf", False, False, "GGUF Q2_K: 84 bytes per 256 weights", _GGUF),
        DType("Q5_K_M", Fraction(568, 100), "gguf", False, False, "GGUF Q5_K_M mix (Q5_K with some Q6_K tensors): 5.68 bits/weight", _GGUF_MIX),
        DType("Q5_K_S", Fraction(552, 100), "gguf", False, False, "GGUF Q5_K_S mix: 5.52 bits/weight", _GGUF_MIX),
        DType("Q4_K_M", Fraction(484, 100), "gguf", False, False, "GGUF Q4_K_M mix (Q4_K with attn_v/ffn_down partly Q6_K): 4.84 bits/weight", _GGUF_MIX),
        DType("Q4_K_S", Fraction(458, 100), "gguf", False, False, "GGUF Q4_K_S mix: 4.58 bits/weight", _GGUF_MIX),
        DType("Q3_K_M", Fraction(391, 100), "gguf", False, False, "GGUF Q3_K_M mix: 3.91 bits/weight", _GGUF_MIX),
    ]
}

_ALIASES = {
    "float32": "fp32", "float": "fp32", "f32": "fp32",
    "float16": "fp16", "half": "fp16", "f16": "fp16",
    "bfloat16": "bf16",
    "float8": "fp8", "fp8_e4m3fn": "fp8_e4m3", "e4m3": "fp8_e4m3", "e5m2": "fp8_e5m2",
    "gptq": "int4", "awq": "int4", "int4_g128": "int4-g128", "int4_g64": "int4-g64", "int4_g32": "int4-g32",
    "q8_0": "Q8_0", "q6_k": "Q6_K", "q5_k": "Q5_K", "q4_k": "Q4_K", "q4_0": "Q4_0", "q3_k": "Q3_K",
    "q2_k": "Q2_K", "q5_k_m": "Q5_K_M", "q5_k_s": "Q5_K_S", "q4_k_m": "Q4_K_M", "q4_k_s": "Q4_K_S",
    "q3_k_m": "Q3_K_M",
}

#: config.json ``torch_dtype`` strings and their vramlab names.
TORCH_DTYPE_NAMES = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}


def get_dtype(name: str | DType) -> DType:
    """Look up a precision by name (case-insensitive aliases such as ``"bfloat16"``).

    >>> get_dtype("bfloat16").name
    'bf16'
    >>> get_dtype("int3")
    Traceback (most recent call last):
    ...
    vramlab.errors.VramlabError: dtype 'int3' is unknown; did you mean: int8, int4, int8-g32? Valid: fp32, fp16, bf16, fp8, fp8_e4m3, fp8_e5m2, int8, int4, int4-g32, int4-g64, int4-g128, int4-sym-g32, int4-sym-g64, int4-sym-g128, int8-g32, int8-g64, int8-g128, int4-raw, nf4, nf4-nodq, mxfp4, Q8_0, Q6_K, Q5_K, Q4_K, Q4_0, Q3_K, Q2_K, Q5_K_M, Q5_K_S, Q4_K_M, Q4_K_S, Q3_K_M
    """
    if isinstance(name, DType):
        return name
    if not isinstance(name, str):
        raise VramlabError(f"dtype must be a string such as 'bf16', got {name!r}", field="dtype")
    if name in DTYPES:
        return DTYPES[name]
    key = name.strip().lower().replace("torch.", "")
    for cand in (key, _ALIASES.get(key, "")):
        if cand in DTYPES:
            return DTYPES[cand]
    close = difflib.get_close_matches(name, list(DTYPES), n=3, cutoff=0.5)
    hint = f"; did you mean: {', '.join(close)}?" if close else "."
    raise VramlabError(f"dtype {name!r} is unknown{hint} Valid: {', '.join(DTYPES)}", field="dtype")


def list_dtypes(kv_only: bool = False) -> list[str]:
    """Names of all known formats (or only those used for KV caches).

    >>> list_dtypes(kv_only=True)[:4]
    ['fp32', 'fp16', 'bf16', 'fp8']
    """
    return [n for n, d in DTYPES.items() if d.kv_ok or not kv_only]
