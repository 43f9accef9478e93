"""Helpers shared by hf_compare.py and hf_bench.py: load a model directory with Hugging Face transformers."""
import torch
import transformers


def load_hf(model_dir, dtype):
    """AutoModelForCausalLM (LlamaForCausalLM / Qwen2ForCausalLM by config) on cuda, eval mode, sdpa attention."""
    kwargs = dict(attn_implementation="sdpa")
    try:
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype, **kwargs)
    except TypeError:
        model = transformers.AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=dtype, **kwargs)
    if model.dtype != dtype:
        model = model.to(dtype)
    return model.cuda().eval()


def forward(model, ids, past=None, last_only=False):
    """One forward pass; returns (logits float32, past_key_values)."""
    kwargs = dict(use_cache=True, past_key_values=past)
    if last_only:
        try:
            out = model(input_ids=ids, logits_to_keep=1, **kwargs)
        except TypeError:
            out = model(input_ids=ids, **kwargs)
    else:
        out = model(input_ids=ids, **kwargs)
    return out.logits[:, -1:] if last_only else out.logits, out.past_key_values


@torch.no_grad()
def greedy(model, prompt, steps):
    """Greedy decoding with the model's KV cache, one forward per token (no logits processors)."""
    ids = torch.tensor([prompt], device="cuda")
    logits, past = forward(model, ids, last_only=True)
    tokens = []
    for _ in range(steps):
        nxt = logits[:, -1].float().argmax(-1)
        tokens.append(int(nxt))
        logits, past = forward(model, nxt[:, None], past)
    return tokens


@torch.no_grad()
def all_logits(model, seq):
    """Float32 logits of every position of one sequence (teacher forcing): [T, vocab]."""
    logits, _ = forward(model, torch.tensor([seq], device="cuda"))
    return logits[0].float()
