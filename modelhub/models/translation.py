"""001 §3.3's statistical machine translation (001:L292-308), and the BLEU scoring of §3.3.3 (001:L333-344).

What the document gives: ``from nltk.translate import statistical translators`` (a SyntaxError: a space in
the name) and ``statistical translators.PhraseTranslator(corpus)``, which NLTK does not have; the text names
phrase-based translation (001:L294). Its evaluation, ``nltk.translate.bleu_score.corpus_bleu(reference_texts,
translated_texts)`` (001:L339-342), runs once the token lists are nested right, but NLTK's BLEU depends on the
caller's tokenization; here BLEU is sacrebleu's ``corpus_bleu`` on detokenized text (its 13a tokenizer,
4-grams, brevity penalty), the number papers report, as ``test_bleu`` (0–100) beside ``test_exact_match``.

``ibm1`` is a small phrase-based system built the textbook way (Koehn, *Statistical Machine Translation*,
chapters 4–6):

1. **IBM Model 1** word alignment by EM (Brown et al. 1993), in both directions, with a NULL source word:
   t(f|e) starts uniform; the E-step spreads each target word over the source words (and NULL) in proportion
   to t, the M-step renormalises the expected counts per source word. Vectorised over every (target word,
   source word) cell of the corpus at once.
2. Viterbi alignments of both directions **symmetrised** with grow-diag-final-and.
3. **Phrase pairs** consistent with the alignment, up to ``max_phrase`` words a side, scored by relative
   frequency both ways, φ(t̄|s̄) and φ(s̄|t̄).
4. A target **trigram language model** (interpolated absolute discounting, D = 0.75).
5. A **stack decoder** (beam search over source coverage) that may jump up to ``distortion`` words, with a
   distortion cost, a word bonus and a future-cost estimate; unknown source words are copied through.
   Feature weights (LM 1, distortion 0.5 per word jumped, word bonus 1) and the limit of 3 were chosen on 300
   validation pairs from a grid of 16 (val BLEU 55.8–69.1); a limit of 6 does not rescue the dates, whose year
   jumps 5–7 words forward and then 9–11 back.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

import numpy as np
import sacrebleu

from modelhub.datasets.parallel import ParallelCorpus, detokenize, load_parallel, tokenize
from modelhub.recipes import FitRecipe
from modelhub.registry import register

NULL = "<null>"
BOS, EOS = "<s>", "</s>"


def translation_scores(hypotheses: list[str], references: list[str], split: str) -> dict[str, float]:
    """``{split}_bleu`` (sacrebleu corpus BLEU, 0–100) and ``{split}_exact_match`` (fraction) of detokenized text."""
    if len(hypotheses) != len(references):
        raise ValueError(f"{len(hypotheses)} hypotheses for {len(references)} references")
    bleu = sacrebleu.corpus_bleu(hypotheses, [references]).score
    exact = sum(" ".join(h.split()) == " ".join(r.split()) for h, r in zip(hypotheses, references, strict=True))
    return {f"{split}_bleu": float(bleu), f"{split}_exact_match": exact / max(len(references), 1)}


# -- IBM Model 1 ------------------------------------------------------------------------------------------------
class IBMModel1:
    """t(f | e): the probability that source word e (or NULL) generates target word f, learned by EM."""

    def fit(self, sources: list[list[str]], targets: list[list[str]], iterations: int = 10) -> IBMModel1:
        """Run ``iterations`` EM steps on sentence pairs (lists of tokens); returns self."""
        self.e_vocab = {w: i for i, w in enumerate(dict.fromkeys([NULL, *(w for s in sources for w in s)]))}
        self.f_vocab = {w: i for i, w in enumerate(dict.fromkeys(w for t in targets for w in t))}
        nf = len(self.f_vocab)
        keys, groups, start = [], [], 0
        for src, tgt in zip(sources, targets, strict=True):
            e = np.array([0] + [self.e_vocab[w] for w in src])
            f = np.array([self.f_vocab[w] for w in tgt])
            # One cell per (target position, source position incl. NULL); a group is one target position.
            keys.append((e[None, :] * nf + f[:, None]).ravel())
            groups.append(np.repeat(np.arange(start, start + len(f)), len(e)))
            start += len(f)
        cell_keys = np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)
        group = np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64)
        self.pair_keys, cell = np.unique(cell_keys, return_inverse=True)
        e_of_pair = self.pair_keys // nf
        self.t = np.full(len(self.pair_keys), 1.0 / max(nf, 1))  # uniform start
        for _ in range(iterations):
            p = self.t[cell]
            posterior = p / np.bincount(group, p, minlength=start)[group]               # E-step
            counts = np.bincount(cell, posterior, minlength=len(self.pair_keys))
            self.t = counts / np.bincount(e_of_pair, counts)[e_of_pair]                  # M-step
        self._nf = nf
        return self

    def prob(self, f: str, e: str) -> float:
        """t(f | e); 0 for pairs that never co-occurred in training."""
        if f not in self.f_vocab or e not in self.e_vocab:
            return 0.0
        key = self.e_vocab[e] * self._nf + self.f_vocab[f]
        i = int(np.searchsorted(self.pair_keys, key))
        return float(self.t[i]) if i < len(self.pair_keys) and self.pair_keys[i] == key else 0.0

    def matrix(self, src: list[str], tgt: list[str]) -> np.ndarray:
        """t(tgt_j | src_i) as a (len(tgt), len(src) + 1) array; column 0 is NULL."""
        return np.array([[self.prob(f, e) for e in [NULL, *src]] for f in tgt])

    def viterbi(self, src: list[str], tgt: list[str]) -> set[tuple[int, int]]:
        """The most probable alignment: (source index, target index) pairs, NULL-aligned target words left out."""
        if not tgt:
            return set()
        best = self.matrix(src, tgt).argmax(axis=1)
        return {(int(i) - 1, j) for j, i in enumerate(best) if i > 0}


def grow_diag_final_and(s2t: set[tuple[int, int]], t2s: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Symmetrise two directional alignments (Koehn et al. 2003): start from the intersection, grow into
    neighbouring union points that align a still-unaligned word, then add union points whose words are both
    unaligned."""
    union, points = s2t | t2s, set(s2t & t2s)
    neighbours = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))
    added = True
    while added:
        added = False
        for i, j in sorted(points):
            for di, dj in neighbours:
                p = (i + di, j + dj)
                if p in union and p not in points and (all(a != p[0] for a, _ in points)
                                                       or all(b != p[1] for _, b in points)):
                    points.add(p)
                    added = True
    for p in sorted(union):
        if all(a != p[0] for a, _ in points) and all(b != p[1] for _, b in points):
            points.add(p)
    return points


def extract_phrases(src: list[str], tgt: list[str], alignment: set[tuple[int, int]],
                    max_len: int) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Phrase pairs consistent with the alignment (no link leaves the box), unaligned target edges extended."""
    aligned_t = {j for _, j in alignment}
    out = []
    for i1 in range(len(src)):
        for i2 in range(i1, min(i1 + max_len, len(src))):
            js = [j for i, j in alignment if i1 <= i <= i2]
            if not js:
                continue
            j1, j2 = min(js), max(js)
            if any(j1 <= j <= j2 and not i1 <= i <= i2 for i, j in alignment) or j2 - j1 >= max_len:
                continue
            lo = j1
            while lo >= 0 and (lo == j1 or lo not in aligned_t):
                hi = j2
                while hi < len(tgt) and (hi == j2 or hi not in aligned_t) and hi - lo < max_len:
                    out.append((tuple(src[i1:i2 + 1]), tuple(tgt[lo:hi + 1])))
                    hi += 1
                lo -= 1
    return out


class TrigramLM:
    """Target-side trigram model, interpolated absolute discounting down to the uniform distribution."""

    discount = 0.75

    def fit(self, sentences: list[list[str]]) -> TrigramLM:
        self.counts: list[dict[tuple[str, ...], Counter]] = [defaultdict(Counter) for _ in range(3)]
        for s in sentences:
            seq = [BOS, BOS, *s, EOS]
            for k in range(2, len(seq)):
                for order in range(3):
                    self.counts[order][tuple(seq[k - order:k])][seq[k]] += 1
        self.totals = [{h: sum(c.values()) for h, c in level.items()} for level in self.counts]
        self.vocab_size = len(self.counts[0][()]) + 1  # + an unknown word
        return self

    def logprob(self, word: str, history: tuple[str, ...]) -> float:
        """log P(word | the last two tokens of history)."""
        p = 1.0 / self.vocab_size
        for order in range(3):
            h = history[len(history) - order:] if order else ()
            total = self.totals[order].get(h)
            if total:
                row = self.counts[order][h]
                p = (max(row.get(word, 0) - self.discount, 0) + self.discount * len(row) * p) / total
        return math.log(p)


class PhraseDecoder:
    """Beam search over source coverage with phrase options, the trigram LM and a distortion limit."""

    def __init__(self, table: dict[tuple[str, ...], list[tuple[tuple[str, ...], float]]], lm: TrigramLM,
                 config: dict[str, Any]) -> None:
        self.table, self.lm = table, lm
        self.max_phrase, self.beam, self.distortion = config["max_phrase"], config["beam"], config["distortion"]
        self.w_lm, self.w_d, self.w_word = config["lm_weight"], config["distortion_weight"], config["word_bonus"]

    def options(self, src: list[str]) -> dict[tuple[int, int], list[tuple[tuple[str, ...], float]]]:
        """Translation options per source span [i, j); a word no phrase covers is copied through."""
        opts = {}
        for i in range(len(src)):
            for j in range(i + 1, min(i + self.max_phrase, len(src)) + 1):
                if (found := self.table.get(tuple(src[i:j]))) is not None:
                    opts[(i, j)] = found
            if (i, i + 1) not in opts:
                opts[(i, i + 1)] = [((src[i],), -10.0)]  # an unknown word: pass it through, at a cost
        return opts

    def _lm(self, tokens: tuple[str, ...], history: tuple[str, ...]) -> tuple[float, tuple[str, ...]]:
        score = 0.0
        for w in tokens:
            score += self.lm.logprob(w, history)
            history = (*history[-1:], w)
        return score, history

    def future_costs(self, n: int, opts: dict) -> np.ndarray:
        """Best score of covering each span [i, j) alone (LM without context), by dynamic programming."""
        fc = np.full((n + 1, n + 1), -np.inf)
        for (i, j), cands in opts.items():
            fc[i, j] = max(tm + self.w_lm * self._lm(t, ())[0] + self.w_word * len(t) for t, tm in cands)
        for length in range(2, n + 1):
            for i in range(n - length + 1):
                j = i + length
                fc[i, j] = max(fc[i, j], *(fc[i, k] + fc[k, j] for k in range(i + 1, j)))
        return fc

    def translate(self, src: list[str], distortion: int | None = None) -> list[str]:
        """The best-scoring target tokens for source tokens."""
        n = len(src)
        if n == 0:
            return []
        limit = self.distortion if distortion is None else distortion
        opts = self.options(src)
        fc = self.future_costs(n, opts)

        def future(cov: int) -> float:
            total, i = 0.0, 0
            while i < n:
                if cov >> i & 1:
                    i += 1
                    continue
                j = i
                while j < n and not cov >> j & 1:
                    j += 1
                total += fc[i, j]
                i = j
            return total

        # A hypothesis: coverage bits, end of its last phrase, LM history → (score, output tokens).
        stacks: list[dict] = [{} for _ in range(n + 1)]
        stacks[0][(0, 0, (BOS, BOS))] = (0.0, ())
        for covered in range(n):
            ranked = sorted(stacks[covered].items(), key=lambda kv: -(kv[1][0] + future(kv[0][0])))
            for (cov, end, hist), (score, out) in ranked[:self.beam]:
                for (i, j), cands in opts.items():
                    span = ((1 << j) - 1) ^ ((1 << i) - 1)
                    if cov & span or abs(i - end) > limit:
                        continue
                    new_cov = cov | span
                    gap = next((k for k in range(n) if not new_cov >> k & 1), n)
                    if gap < j and j - gap > limit:  # could not jump back to the first gap later
                        continue
                    for tgt, tm in cands:
                        lm, new_hist = self._lm(tgt, hist)
                        s = score + tm + self.w_lm * lm + self.w_word * len(tgt) - self.w_d * abs(i - end)
                        key = (new_cov, j, new_hist)
                        if key not in stacks[covered + j - i] or stacks[covered + j - i][key][0] < s:
                            stacks[covered + j - i][key] = (s, out + tgt)
        finals = [(s + self.w_lm * self.lm.logprob(EOS, hist), out)
                  for (_, _, hist), (s, out) in stacks[n].items()]
        if not finals:  # every path hit the distortion limit: a monotone search always finishes
            return self.translate(src, distortion=0)
        return list(max(finals)[1])


class PhraseBasedTranslation(FitRecipe):
    """IBM Model 1 alignments → phrase table + trigram LM → stack decoder; BLEU and exact match on val/test."""

    unit = "sample"

    def __init__(self, corpus: ParallelCorpus, config: dict[str, Any]) -> None:
        self.corpus, self.cfg = corpus, config

    def fit(self) -> PhraseBasedTranslation:
        """Align, extract and score phrases, and fit the LM on the training split; returns self."""
        src = [tokenize(s) for s, _ in self.corpus.train]
        tgt = [tokenize(t) for _, t in self.corpus.train]
        iterations, max_phrase = self.cfg["iterations"], self.cfg["max_phrase"]
        self.s2t = IBMModel1().fit(src, tgt, iterations)  # t(target word | source word)
        self.t2s = IBMModel1().fit(tgt, src, iterations)  # t(source word | target word)
        pairs: Counter = Counter()
        for s, t in zip(src, tgt, strict=True):
            forward = self.s2t.viterbi(s, t)
            backward = {(i, j) for j, i in self.t2s.viterbi(t, s)}
            pairs.update(extract_phrases(s, t, grow_diag_final_and(forward, backward), max_phrase))
        src_count, tgt_count = Counter(), Counter()
        for (s, t), c in pairs.items():
            src_count[s] += c
            tgt_count[t] += c
        table: dict[tuple[str, ...], list] = defaultdict(list)
        for (s, t), c in pairs.items():
            table[s].append((t, math.log(c / src_count[s]) + math.log(c / tgt_count[t])))
        self.table = {s: sorted(opts, key=lambda o: -o[1])[:self.cfg["options"]] for s, opts in table.items()}
        self.lm = TrigramLM().fit(tgt)
        self.decoder = PhraseDecoder(self.table, self.lm, self.cfg)
        return self

    def translate(self, sentence: str) -> str:
        """One source sentence → its translation (detokenized text)."""
        return detokenize(self.decoder.translate(tokenize(sentence)))

    def evaluate(self) -> dict[str, float]:
        """Corpus BLEU (sacrebleu, 0–100) and exact match (fraction) on val and test."""
        out: dict[str, float] = {}
        for split in ("val", "test"):
            pairs = self.corpus.split(split)
            out |= translation_scores([self.translate(s) for s, _ in pairs], [t for _, t in pairs], split)
        return out

    def fit_units(self) -> int:
        return len(self.corpus.train)

    def predict_inputs(self) -> list[str]:
        return [s for s, _ in self.corpus.test]

    def predict(self, inputs: Any) -> list[str]:
        return [self.translate(s) for s in inputs]

    def parameter_count(self) -> int:
        """Translation probabilities of both IBM models, phrase scores and the LM's n-gram counts."""
        lm = sum(len(row) for level in self.lm.counts for row in level.values())
        return int(self.s2t.t.size + self.t2s.t.size + sum(len(v) for v in self.table.values()) + lm)

    def figures(self) -> list[dict[str, Any]]:
        """IBM Model 1's alignment probabilities for the first test pair (target words × source words)."""
        if not self.corpus.test:
            return []
        s, t = (tokenize(x) for x in self.corpus.test[0])
        z = self.s2t.matrix(s, t)
        z = z / np.maximum(z.sum(axis=1, keepdims=True), 1e-12)  # the E-step's posterior over source words
        return [{"kind": "heatmap", "title": "IBM Model 1 alignment posterior, first test pair", "z": z.tolist(),
                 "x": [NULL, *s], "y": t}]


@register(
    "ibm1", family="smt", task="translation", source="001 §3.3.1, §3.3.3, 001:L292-308, L333-344",
    # Bar: 60, a margin below the measured 68.0 test BLEU (default config); it misses most dates by design, since
    # their year moves further than the distortion limit lets a phrase jump.
    dataset="generated", metric="test_bleu", higher_is_better=True, quality_bar=60.0,
    configs={
        "smoke": {"size": 60, "iterations": 2, "beam": 2, "options": 2, "max_phrase": 2, "distortion": 1},
        "default": {"dataset": "generated", "size": 6000, "iterations": 10, "max_phrase": 4, "options": 8,
                    "beam": 12, "distortion": 3, "lm_weight": 1.0, "distortion_weight": 0.5, "word_bonus": 1.0},
        "scale": {"size": 30000, "max_phrase": 5, "beam": 30, "distortion": 5},
    },
    description="Phrase-based SMT: IBM Model 1 EM alignment both ways, grow-diag-final-and, phrase table scored "
                "φ(t|s)·φ(s|t), target trigram LM, stack decoder with a distortion limit; sacrebleu BLEU.",
)
def ibm1(config: dict[str, Any]) -> PhraseBasedTranslation:
    """The phrase-based system on the generated corpus (or an uploaded TSV: ``dataset=upload:tsv:<sha256>``)."""
    return PhraseBasedTranslation(load_parallel(config["dataset"], seed=config["seed"], size=config["size"]),
                                  config)
