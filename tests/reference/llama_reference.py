#!/usr/bin/env python3
"""Independent reference for the golden test: a Llama/Qwen2 forward written from the Hugging Face
modeling code's equations in plain PyTorch (float64, no KV cache: the whole sequence is recomputed at
every step), reading config.json and safetensors directly. Shares no code with src/Engine.

    python3 llama_reference.py MODEL_DIR --prompt 1,2,3 --steps 16 > expected.json

Prints JSON: {"tokens": [greedy ids], "logits": [[vocab floats] per step]}. Runs on Debian's python3-torch (1.13).
"""
import argparse, json, math, os, struct
import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=DTYPES[info["dtype"]]) if e > b else torch.empty(0)
        out[name] = t.reshape(info["shape"]).to(torch.float64)
    return out


def load(model_dir):
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    index = os.path.join(model_dir, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    w = {}
    for f in files:
        w.update(read_safetensors(os.path.join(model_dir, f)))
    return cfg, w


def inv_freq(cfg, dim):
    base = cfg.get("rope_theta", 10000.0)
    inv = [1.0 / base ** (2 * i / dim) for i in range(dim // 2)]
    rs = cfg.get("rope_scaling") or {}
    if rs.get("rope_type", rs.get("type")) == "llama3":
        factor, lo, hi, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
        out = []
        for f in inv:
            wavelen = 2 * math.pi / f
            if wavelen < old / hi:
                out.append(f)
            elif wavelen > old / lo:
                out.append(f / factor)
            else:
                s = (old / wavelen - lo) / (hi - lo)
                out.append((1 - s) * f / factor + s * f)
        inv = out
    return torch.tensor(inv, dtype=torch.float64)


def rms(x, w, eps):
    return w * (x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps))


def rotate(x, cos, sin):
    half = x.shape[-1] // 2
    return x * cos + torch.cat([-x[..., half:], x[..., :half]], -1) * sin


def forward(cfg, w, ids):
    h, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    d = cfg.get("head_dim") or h // nh
    eps = cfg.get("rms_norm_eps", 1e-6)
    bias = cfg["architectures"][0] == "Qwen2ForCausalLM" or cfg.get("attention_bias", False)
    T = len(ids)
    ang = torch.arange(T, dtype=torch.float64)[:, None] * inv_freq(cfg, d)[None, :]
    cos, sin = torch.cat([ang, ang], -1).cos(), torch.cat([ang, ang], -1).sin()  # [T, d]
    x = w["model.embed_tokens.weight"][torch.tensor(ids)]  # [T, h]
    causal = torch.ones(T, T).tril().bool()
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        a = rms(x, w[p + "input_layernorm.weight"], eps)
        proj = lambda n: a @ w[p + f"self_attn.{n}_proj.weight"].T + (w[p + f"self_attn.{n}_proj.bias"] if bias else 0)
        q = proj("q").view(T, nh, d).transpose(0, 1)  # [nh, T, d]
        k = proj("k").view(T, nkv, d).transpose(0, 1)
        v = proj("v").view(T, nkv, d).transpose(0, 1)
        q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        k, v = k.repeat_interleave(nh // nkv, 0), v.repeat_interleave(nh // nkv, 0)
        s = (q @ k.transpose(1, 2)) / math.sqrt(d)
        s = s.masked_fill(~causal, float("-inf")).softmax(-1)
        o = (s @ v).transpose(0, 1).reshape(T, nh * d)
        x = x + o @ w[p + "self_attn.o_proj.weight"].T
        m = rms(x, w[p + "post_attention_layernorm.weight"], eps)
        g = m @ w[p + "mlp.gate_proj.weight"].T
        u = m @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ w[p + "mlp.down_proj.weight"].T
    x = rms(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    return x[-1] @ head.T  # logits of the last position


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--prompt", required=True, help="comma-separated token ids")
    ap.add_argument("--steps", type=int, default=16)
    args = ap.parse_args()
    cfg, w = load(args.model)
    ids = [int(t) for t in args.prompt.split(",")]
    tokens, logits = [], []
    for _ in range(args.steps):
        l = forward(cfg, w, ids + tokens)
        logits.append([float(v) for v in l])
        tokens.append(int(l.argmax()))
    json.dump({"tokens": tokens, "logits": logits}, __import__("sys").stdout)


if __name__ == "__main__":
    main()
