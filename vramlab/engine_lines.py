"""vLLM's release lines: the fitted constants and each line's start-up rules, read from vLLM's code.

One :class:`EngineLine` per release line (0.6 .. 0.21+), each rule citing the file and release
it was read in; the constants the source cannot give (memory NCCL and CUDA take outside
PyTorch, runtime buffers) are named, fitted to the shipped logs and list their rows
(:data:`FITTED_CONSTANTS`). :mod:`vramlab.engines` resolves a version to its line and applies
the rules.

>>> _BY_NAME["0.10"].v1, _BY_NAME["0.10"].cuda_graphs_profiled, _ALIASES["latest"] == ENGINE_LINES[-1].name
(True, False, True)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from .units import GiB

__all__ = ["EngineLine", "ENGINE_LINES", "NON_TORCH_V0", "NON_TORCH_V1", "TP_COMM_EARLY", "TP_COMM_LATE",
           "TP_COMM_V0", "RUNTIME_BUFFERS_V1", "SAMPLER_BYTES_INPLACE", "SAMPLER_BYTES_SORT",
           "SAMPLER_BYTES_FLASHINFER_PROBS", "FITTED_CONSTANTS",
           "without_rows_of"]


def _gib(s: str) -> int:
    return round(Fraction(s) * GiB)


#: Fitted (the source has none: CUDA/cuBLAS workspaces and kernel modules loaded during the
#: profile run). Non-torch memory with one GPU, V0: 0.35 GiB logged on an RTX 3090,
#: calibration rows 1 and 2.
NON_TORCH_V0 = _gib("0.35")
#: Fitted, as above, V1: 0.24-0.26 GiB in the vLLM v0.19.0 TP=1 logs (rows 22, 27, 28, 33,
#: 43); used for every V1 line (no TP=1 row of another V1 release is shipped).
NON_TORCH_V1 = _gib("0.25")
#: Fitted: the TP >= 2 increase of V0 (0.6-0.7). The 0.7-era TP=2 log (row 15, RTX 4090)
#: shows 0.25 GiB in all, no more than TP=1 (rows 1-2): NCCL's buffers are not seen.
TP_COMM_V0 = 0
#: Fitted: the TP >= 2 increase of V1 lines 0.8-0.16 (where between 0.11 and 0.19 it grows is
#: not known: no shipped TP >= 2 row of 0.9-0.18). Row 17 (vLLM 0.8.3, TP=4, A100 40GB)
#: logs 0.43 GiB non-torch on the driver rank (0.34 and 0.38 on others): 0.43 - 0.25.
TP_COMM_EARLY = _gib("0.18")
#: Fitted: the TP >= 2 increase of V1 lines from 0.17 on, where NCCL's lazily connected
#: buffers appear during the profile run: v0.19.0 on H100 80GB logs 2.07 GiB at TP=2 (row
#: 24) against 0.25 at TP=1 (row 22). (Row 41, TP=4, logs 2.21: held out, not fitted.)
TP_COMM_LATE = _gib("1.82")
#: Fitted: persistent buffers V1's runner allocates on its first forward pass (attention
#: metadata, sampler and input buffers), counted in the activation peak: the median of the
#: logged torch peak increase minus the modelled forward/sampler peak on v0.19.0 rows 22,
#: 24, 27, 28, 33, 43. V0 allocates none of these before profiling.
RUNTIME_BUFFERS_V1 = _gib("0.14")

#: Bytes per logit at the sampler's peak when top-k/top-p run in place (a Triton kernel, vLLM
#: 0.17+: ``apply_top_k_top_p_triton``, vllm/v1/sample/ops/topk_topp_sampler.py v0.17.1): the
#: bf16 logits of ``compute_logits`` (2), their float32 copy (``Sampler.forward``, 4), the
#: float32 probabilities (4) and the exponential noise of ``random_sample`` (4). Checked on
#: the v0.19.0 rows (Gemma-2's 256,000-token vocabulary: 3.65 GiB logged, row 43).
SAMPLER_BYTES_INPLACE = 14
#: Bytes per logit at the sampler's peak when top-k/top-p sort the vocabulary (PyTorch's
#: ``apply_top_k_top_p``: ``logits.sort``), the default of 0.6-0.16 unless FlashInfer is
#: installed (an optional extra of the vLLM wheel: ``flashinfer-python; extra == "flashinfer"``
#: in the 0.10.1 and 0.11.0 metadata) and, from 0.12, opted in with VLLM_USE_FLASHINFER_SAMPLER=1:
#: bf16 logits (2) + float32 logits (4) + the sort's float32 values (4) and int64 indices (8)
#: + its int64 input positions (8) + the radix sort's alternate key/value buffers (4 + 8).
#: Approximate: the last two terms are PyTorch's segmented-sort workspace, not vLLM's.
SAMPLER_BYTES_SORT = 38
#: Bytes per logit at the sampler's peak when FlashInfer samples from probabilities (vLLM 0.8,
#: FlashInfer below 0.2.3): the bf16 logits of ``compute_logits`` (2), their float32 copy
#: (``Sampler.forward``, 4) and the float32 probabilities ``forward_cuda`` hands to
#: ``flashinfer_sample`` (4); its ``uniform_samples`` are 32 per row, not per logit
#: (vllm/v1/sample/ops/topk_topp_sampler.py of v0.8.5, the file whose lines 44 and 59 log
#: "Currently, FlashInfer top-p & top-k sampling sampler is disabled ..." and "Using FlashInfer
#: for top-p & top-k sampling." in v0.8.5 logs). If the rejection sampling fails it renormalises
#: (``top_k_renorm_prob``, ``top_p_renorm_prob``: more float32 copies), not counted.
SAMPLER_BYTES_FLASHINFER_PROBS = 10

#: Every fitted constant: (bytes, calibration rows, release line of those rows, the constant
#: a leave-one-version-out check uses instead when those rows are left out).
FITTED_CONSTANTS: dict[str, tuple[int, tuple[int, ...], str, str]] = {
    "NON_TORCH_V0": (NON_TORCH_V0, (1, 2), "0.6", "NON_TORCH_V1"),
    "NON_TORCH_V1": (NON_TORCH_V1, (22, 27, 28, 33, 43), "0.19", "NON_TORCH_V0"),
    "TP_COMM_V0": (TP_COMM_V0, (15,), "0.7", "TP_COMM_EARLY"),
    "TP_COMM_EARLY": (TP_COMM_EARLY, (17,), "0.8", "TP_COMM_V0"),
    "TP_COMM_LATE": (TP_COMM_LATE, (22, 24), "0.19", "TP_COMM_EARLY"),
    "RUNTIME_BUFFERS_V1": (RUNTIME_BUFFERS_V1, (22, 24, 27, 28, 33, 43), "0.19", "ZERO"),
}


@dataclass(frozen=True)
class EngineLine:
    """One vLLM release line's start-up memory rules.

    Attributes
    ----------
    name, first, last, read_at : str, tuple, tuple, str
        The line (``"0.10"``), the releases it covers (inclusive), the release read.
    v1 : bool
        V1 engine (default from 0.8.0: ``VLLM_USE_V1`` defaults to 1 in ``vllm/envs.py``).
    snapshot_after_nccl : bool
        The baseline snapshot is taken after NCCL's set-up (``init_worker_distributed_environment``).
    big_gpu : str
        Rule choosing the larger V1 defaults of ``max_num_batched_tokens`` / ``max_num_seqs``:
        ``"70GiB"`` (total >= 70 GiB), ``"70GiB-not-A100"``, or ``""`` (V0: none).
    v0_chunk_tokens, auto_fp32 : int, str
        V0's chunk when chunked prefill is on (above 32768 tokens); ``--dtype auto`` of float32.
    hybrid : bool
        Sliding-window and full-attention layers get their own block groups (hybrid allocator).
    group_factor : float
        Hybrid groups take the largest layer count when it is below ``group_factor`` × the
        smallest, else the smallest (0: always the smallest).
    mla_block_64 : bool
        MLA models get 64-token blocks on Hopper (FlashMLA) and 128 on Blackwell (CUTLASS MLA).
    cuda_graphs_profiled : bool
        The CUDA-graph estimate is subtracted from the budget by default.
    non_torch_tp1, tp_comm : int
        Non-torch memory with one GPU and its increase with TP >= 2 (fitted constants above).
    runtime_buffers, sampler_bytes_per_logit : int
        :data:`RUNTIME_BUFFERS_V1` (V1), and :data:`SAMPLER_BYTES_SORT` or :data:`SAMPLER_BYTES_INPLACE`.
    flashinfer_sampler_bytes : int
        Bytes per logit when FlashInfer samples (its log says "Using FlashInfer for top-p & top-k
        sampling."): :data:`SAMPLER_BYTES_FLASHINFER_PROBS` in 0.8, else :data:`SAMPLER_BYTES_INPLACE`.
    rules : tuple of str
        Each rule with the file and release it was read in.
    """

    name: str
    first: tuple[int, ...]
    last: tuple[int, ...]
    read_at: str
    v1: bool
    snapshot_after_nccl: bool
    big_gpu: str
    v0_chunk_tokens: int
    auto_fp32: str
    hybrid: bool
    group_factor: float
    mla_block_64: bool
    cuda_graphs_profiled: bool
    non_torch_tp1: int
    tp_comm: int
    runtime_buffers: int = 0
    sampler_bytes_per_logit: int = SAMPLER_BYTES_SORT
    rules: tuple[str, ...] = ()
    flashinfer_sampler_bytes: int = SAMPLER_BYTES_INPLACE

    @property
    def non_torch_tp_comm(self) -> int:
        """The TP >= 2 increase of non-torch memory (``tp_comm``)."""
        return self.tp_comm

    @property
    def concurrency_in_blocks(self) -> bool:
        """Max concurrency = blocks / blocks per request (0.9+), else tokens / ``max_model_len``."""
        return self.hybrid

    @property
    def moe_workspace(self) -> bool:
        """Fused-MoE intermediate buffers persist until the sampler runs (V1's workspace manager)."""
        return self.v1

    @property
    def source(self) -> str:
        """The fitted constants this line uses and the calibration rows they come from.

        >>> _BY_NAME["0.19"].source
        'fitted: NON_TORCH_V1 rows 22, 27, 28, 33, 43; TP_COMM_LATE rows 22, 24; RUNTIME_BUFFERS_V1 rows 22, 24, 27, 28, 33, 43'
        """
        used = [f"{n} rows {', '.join(map(str, FITTED_CONSTANTS[n][1]))}" for n in _constants_of(self).values()]
        return "fitted: " + "; ".join(used) if used else "no fitted constant"


_BUDGET_V0 = ("budget: total x gpu_memory_utilization - (weights + torch peak increase + non-torch increase), "
              "vllm/worker/worker.py determine_num_available_blocks and vllm/utils.py memory_profiling")
_BUDGET_V1 = ("budget: requested_memory (total x gpu_memory_utilization) - non_kv_cache_memory, "
              "vllm/v1/worker/gpu_worker.py determine_available_memory")
_SAMPLER = ("profile run: one forward pass over max_num_batched_tokens tokens, then the sampler on "
            "min(max_num_seqs, max_num_batched_tokens) rows of logits (top-k/top-p/penalties), "
            "vllm/v1/worker/gpu_model_runner.py profile_run and _dummy_sampler_run")

ENGINE_LINES: tuple[EngineLine, ...] = (
    EngineLine("0.6", (0, 6, 0), (0, 6, 99), "v0.6.4.post1", v1=False, snapshot_after_nccl=False, big_gpu="",
               v0_chunk_tokens=512, auto_fp32="fp16", hybrid=False, group_factor=0, mla_block_64=False,
               cuda_graphs_profiled=False, non_torch_tp1=NON_TORCH_V0, tp_comm=TP_COMM_V0, rules=(
                   _BUDGET_V0 + " (v0.6.4.post1: peak + non-torch after the profile run)",
                   "chunked prefill on by default when max_model_len > 32768, then max_num_batched_tokens 512, "
                   "else max(max_model_len, 2048); max_num_seqs 256: vllm/engine/arg_utils.py, vllm/config.py "
                   "SchedulerConfig v0.6.4.post1",
                   "profile run: max_num_seqs sequences sharing max_num_batched_tokens tokens, sampler on "
                   "max_num_seqs rows with top-k = vocab - 1 (a sort of the vocabulary): "
                   "vllm/worker/model_runner.py profile_run v0.6.4.post1",
                   "dtype auto: float32 checkpoints run in float16 (bfloat16 for gemma2): vllm/config.py "
                   "_get_and_verify_dtype v0.6.4.post1",
                   "one block table, every layer sized for every token; concurrency = num_gpu_blocks x block_size / "
                   "max_model_len: vllm/executor/gpu_executor.py v0.6.4.post1",
               )),
    EngineLine("0.7", (0, 7, 0), (0, 7, 99), "v0.7.1", v1=False, snapshot_after_nccl=False, big_gpu="",
               v0_chunk_tokens=2048, auto_fp32="fp16", hybrid=False, group_factor=0, mla_block_64=False,
               cuda_graphs_profiled=False, non_torch_tp1=NON_TORCH_V0, tp_comm=TP_COMM_V0, rules=(
                   _BUDGET_V0 + " v0.7.1 (baseline_snapshot taken in init_device before "
                   "init_worker_distributed_environment)",
                   "chunked prefill on by default when max_model_len > 32768 (vllm/engine/arg_utils.py v0.7.1), "
                   "then max_num_batched_tokens 2048, else max(max_model_len, 2048) (vllm/config.py "
                   "SchedulerConfig.__post_init__ v0.7.1); max_num_seqs 256",
                   "V0 is the default engine: VLLM_USE_V1 defaults to 0, vllm/envs.py v0.7.1",
                   "dtype auto: float32 checkpoints run in float16 (bfloat16 for gemma2): vllm/config.py "
                   "_get_and_verify_dtype v0.7.1",
               )),
    EngineLine("0.8", (0, 8, 0), (0, 8, 99), "v0.8.5", v1=True, snapshot_after_nccl=False, big_gpu="70GiB",
               v0_chunk_tokens=0, auto_fp32="fp16", hybrid=False, group_factor=0, mla_block_64=True,
               cuda_graphs_profiled=False, non_torch_tp1=NON_TORCH_V1, tp_comm=TP_COMM_EARLY,
               runtime_buffers=RUNTIME_BUFFERS_V1, flashinfer_sampler_bytes=SAMPLER_BYTES_FLASHINFER_PROBS, rules=(
                   _BUDGET_V1 + " v0.8.5",
                   "V1 by default: VLLM_USE_V1 defaults to 1, vllm/envs.py v0.8.5",
                   "max_num_batched_tokens 8192 (serve) / 16384 (LLM) and max_num_seqs 1024 when the GPU has "
                   ">= 70 GiB, else 2048 / 8192 and 256: vllm/engine/arg_utils.py _set_default_args_v1 v0.8.5",
                   _SAMPLER + " v0.8.5",
                   "sliding-window layers are sized as full attention (unify_hybrid_kv_cache_specs, "
                   "vllm/v1/core/kv_cache_utils.py v0.8.5): one block group",
                   "MLA: block size forced to 64 for FlashMLA on sm90, vllm/platforms/cuda.py v0.8.5",
                   "sampler: FlashInfer (below 0.2.3) only where installed, else PyTorch's sorting top-k/top-p; "
                   "FlashInfer samples from float32 probabilities (forward_cuda -> flashinfer_sample): "
                   "vllm/v1/sample/ops/topk_topp_sampler.py v0.8.5",
               )),
    EngineLine("0.9", (0, 9, 0), (0, 9, 99), "v0.9.2", v1=True, snapshot_after_nccl=False,
               big_gpu="70GiB-not-A100", v0_chunk_tokens=0, auto_fp32="bf16", hybrid=True, group_factor=0,
               mla_block_64=True, cuda_graphs_profiled=False, non_torch_tp1=NON_TORCH_V1, tp_comm=TP_COMM_EARLY,
               runtime_buffers=RUNTIME_BUFFERS_V1, rules=(
                   _BUDGET_V1 + " v0.9.2 (init_snapshot before init_worker_distributed_environment)",
                   "larger defaults only for >= 70 GiB GPUs that are not A100: vllm/engine/arg_utils.py v0.9.2",
                   "dtype auto: float32 checkpoints downcast to the platform's first supported dtype (bfloat16): "
                   "vllm/config.py _resolve_auto_dtype v0.9.2",
                   "hybrid allocator: one group per attention type, cut to the smallest layer count, page "
                   "size uniform; tokens = num_blocks // groups x block_size: vllm/v1/core/kv_cache_utils.py "
                   "_get_kv_cache_config_uniform_page_size v0.9.2",
               )),
    EngineLine("0.10", (0, 10, 0), (0, 10, 99), "v0.10.1", v1=True, snapshot_after_nccl=False,
               big_gpu="70GiB-not-A100", v0_chunk_tokens=0, auto_fp32="bf16", hybrid=True, group_factor=0,
               mla_block_64=True, cuda_graphs_profiled=False, non_torch_tp1=NON_TORCH_V1, tp_comm=TP_COMM_EARLY,
               runtime_buffers=RUNTIME_BUFFERS_V1, rules=(
                   _BUDGET_V1 + " v0.10.1 and v0.10.2 (init_snapshot before init_worker_distributed_environment)",
                   "hybrid groups cut to the smallest layer count: kv_cache_utils.py v0.10.1",
                   "MLA: 64-token blocks (FlashMLA) except on Blackwell, 128 (CUTLASS MLA): vllm/platforms/cuda.py "
                   "v0.10.1",
               )),
    EngineLine("0.11", (0, 11, 0), (0, 11, 99), "v0.11.0", v1=True, snapshot_after_nccl=True,
               big_gpu="70GiB-not-A100", v0_chunk_tokens=0, auto_fp32="bf16", hybrid=True, group_factor=0,
               mla_block_64=False, cuda_graphs_profiled=False, non_torch_tp1=NON_TORCH_V1, tp_comm=TP_COMM_EARLY,
               runtime_buffers=RUNTIME_BUFFERS_V1, rules=(
                   _BUDGET_V1 + " v0.11.0; init_snapshot now taken after init_worker_distributed_environment",
                   "hybrid groups cut to the smallest layer count: kv_cache_utils.py v0.11.0",
                   "sampler: FlashInfer only where installed (an optional extra of the wheel), else PyTorch's "
                   "sorting top-k/top-p: vllm/v1/sample/ops/topk_topp_sampler.py v0.11.0",
               )),
    EngineLine("0.13", (0, 12, 0), (0, 16, 99), "v0.13.0", v1=True, snapshot_after_nccl=True,
               big_gpu="70GiB-not-A100", v0_chunk_tokens=0, auto_fp32="bf16", hybrid=True, group_factor=1.25,
               mla_block_64=False, cuda_graphs_profiled=False, non_torch_tp1=NON_TORCH_V1, tp_comm=TP_COMM_EARLY,
               runtime_buffers=RUNTIME_BUFFERS_V1, rules=(
                   _BUDGET_V1 + " v0.13.0 (vllm/utils/mem_utils.py memory_profiling); same in v0.12.0 and v0.15.1",
                   "hybrid groups take the largest layer count when it is < 1.25 x the smallest: "
                   "kv_cache_utils.py v0.12.0, v0.13.0, v0.15.1",
                   "sampler: FlashInfer only with VLLM_USE_FLASHINFER_SAMPLER=1, else PyTorch's sorting "
                   "top-k/top-p: vllm/v1/sample/ops/topk_topp_sampler.py v0.12.0-v0.15.1",
               )),
    EngineLine("0.17", (0, 17, 0), (0, 17, 99), "v0.17.1", v1=True, snapshot_after_nccl=True,
               big_gpu="70GiB-not-A100", v0_chunk_tokens=0, auto_fp32="bf16", hybrid=True, group_factor=1.25,
               mla_block_64=False, cuda_graphs_profiled=False, non_torch_tp1=NON_TORCH_V1, tp_comm=TP_COMM_LATE,
               runtime_buffers=RUNTIME_BUFFERS_V1, sampler_bytes_per_logit=SAMPLER_BYTES_INPLACE, rules=(
                   _BUDGET_V1 + " v0.17.1",
                   "sampler: top-k/top-p in place by a Triton kernel for batches of 8 or more "
                   "(apply_top_k_top_p_triton): vllm/v1/sample/ops/topk_topp_sampler.py v0.17.1",
                   "hybrid groups: largest layer count when < 1.25 x the smallest, kv_cache_utils.py v0.17.1",
               )),
    EngineLine("0.19", (0, 18, 0), (0, 20, 99), "v0.19.0", v1=True, snapshot_after_nccl=True,
               big_gpu="70GiB-not-A100", v0_chunk_tokens=0, auto_fp32="bf16", hybrid=True, group_factor=1.5,
               mla_block_64=False, cuda_graphs_profiled=False, non_torch_tp1=NON_TORCH_V1, tp_comm=TP_COMM_LATE,
               runtime_buffers=RUNTIME_BUFFERS_V1, sampler_bytes_per_logit=SAMPLER_BYTES_INPLACE, rules=(
                   _BUDGET_V1 + " v0.19.0; requested = ceil(total x util), vllm/v1/worker/utils.py request_memory",
                   "CUDA-graph estimate printed but not subtracted: VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS "
                   "defaults to 0, vllm/envs.py v0.18.0 and v0.19.0",
                   "hybrid groups take the largest layer count when it is < 1.5 x the smallest: "
                   "kv_cache_utils.py _get_kv_cache_groups_uniform_page_size v0.18.0 and v0.19.0",
                   "sampler: Triton top-k/top-p in place, vllm/v1/sample/ops/topk_topp_sampler.py v0.19.0",
               )),
    EngineLine("0.21", (0, 21, 0), (99, 0, 0), "v0.26.0", v1=True, snapshot_after_nccl=True,
               big_gpu="70GiB-not-A100", v0_chunk_tokens=0, auto_fp32="bf16", hybrid=True, group_factor=1.5,
               mla_block_64=False, cuda_graphs_profiled=True, non_torch_tp1=NON_TORCH_V1, tp_comm=TP_COMM_LATE,
               runtime_buffers=RUNTIME_BUFFERS_V1, sampler_bytes_per_logit=SAMPLER_BYTES_INPLACE, rules=(
                   _BUDGET_V1 + " v0.26.0, minus the CUDA-graph estimate (profile_cudagraph_memory)",
                   "CUDA-graph memory profiling on by default since v0.21.0: VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS "
                   "defaults to 1, vllm/envs.py and gpu_worker.py v0.26.0",
               )),
)

_BY_NAME = {line.name: line for line in ENGINE_LINES}
#: Names kept for the two generations vramlab modelled before release lines: "v1" is the
#: line its constants were calibrated on (v0.19.0 logs), "v0" the V0 engine of 0.6.
_ALIASES = {"v1": "0.19", "v0": "0.6", "latest": ENGINE_LINES[-1].name}


#: The fitted constants each field of a line can hold.
_FIELD_CONSTANTS = {"non_torch_tp1": ("NON_TORCH_V0", "NON_TORCH_V1"),
                    "tp_comm": ("TP_COMM_V0", "TP_COMM_EARLY", "TP_COMM_LATE"),
                    "runtime_buffers": ("RUNTIME_BUFFERS_V1",)}


def _constants_of(line: EngineLine) -> dict[str, str]:
    """Field -> name of the fitted constant it holds (fields holding none are left out)."""
    out = {}
    for fld, names in _FIELD_CONSTANTS.items():
        for n in names:
            if getattr(line, fld) == FITTED_CONSTANTS[n][0] and not (fld == "runtime_buffers" and not line.v1):
                out[fld] = n
    return out


def without_rows_of(line: EngineLine, version_line: str) -> EngineLine:
    """``line`` with every fitted constant whose rows belong to ``version_line`` replaced by
    its stand-in (:data:`FITTED_CONSTANTS`): the constants a leave-one-version-out check uses.

    >>> ln = without_rows_of(_BY_NAME["0.19"], "0.19")
    >>> ln.non_torch_tp1 == NON_TORCH_V0, ln.tp_comm == TP_COMM_EARLY, ln.runtime_buffers
    (True, True, 0)
    >>> without_rows_of(_BY_NAME["0.19"], "0.6") == _BY_NAME["0.19"]
    True
    >>> without_rows_of(_BY_NAME["0.7"], "0.7").tp_comm == TP_COMM_EARLY
    True
    """
    values = {name: v for name, (v, _, _, _) in FITTED_CONSTANTS.items()}
    values["ZERO"] = 0
    swapped = {fld: values[FITTED_CONSTANTS[n][3]] for fld, n in _constants_of(line).items()
               if FITTED_CONSTANTS[n][2] == version_line}
    return replace(line, **swapped)
