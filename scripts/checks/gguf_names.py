"""llama.cpp's names for the Hugging Face LLaMA tensors and the row order
convert_hf_to_gguf.py gives attn_q / attn_k (RoPE halves interleaved)."""
import re

import numpy as np

_LAYER = {
    "self_attn.q_proj.weight": "attn_q.weight", "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight", "self_attn.o_proj.weight": "attn_output.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight", "input_layernorm.weight": "attn_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
}
_TOP = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
        "lm_head.weight": "output.weight"}


def gguf_name(hf):
    if hf in _TOP:
        return _TOP[hf]
    m = re.fullmatch(r"model\.layers\.(\d+)\.(.+)", hf)
    return f"blk.{m[1]}.{_LAYER[m[2]]}" if m and m[2] in _LAYER else None


def permute_rows(w, n_head):
    """convert_hf_to_gguf.py's LlamaModel.permute, written from its definition."""
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def to_gguf_order(hf, w, config):
    if hf.endswith("self_attn.q_proj.weight"):
        return permute_rows(w, config["num_attention_heads"])
    if hf.endswith("self_attn.k_proj.weight"):
        return permute_rows(w, config.get("num_key_value_heads", config["num_attention_heads"]))
    return w
