"""The user's own data: a text file, a CSV of text,label, a zip (or folder) of images in one folder per label,
a TSV of source<TAB>target sentence pairs (translation).

Uploads are parsed in memory and stored under their SHA-256 (``store``), so no name the user chose ever
becomes a path on disk. Zips are checked before anything is expanded: entries with ``..``, absolute paths or
links, too many entries, too much expanded data or a suspicious compression ratio are refused.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

from modelhub.datasets.base import DatasetError, ImageDataset, LabelledText, TextCorpus, contiguous_split, split_indices
from modelhub.datasets.parallel import ParallelCorpus, split_pairs, tokenize
from modelhub.paths import upload_dir

MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # what a browser upload may send
MAX_ZIP_ENTRIES = 20_000
MAX_EXPANDED_BYTES = 200 * 1024 * 1024  # all entries together, once decompressed
MAX_RATIO = 100  # a 1 kB entry expanding to > 100 kB is how zip bombs look
MAX_IMAGE_PIXELS = 4096 * 4096
MIN_TEXT_CHARACTERS = 1_000
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}
MIN_TSV_PAIRS = 20  # fewer distinct sources leave the 15% val and test splits with one sentence or none
MAX_TSV_TOKENS = 200  # per side of one pair: longer "sentences" are usually a file that is not pairs
KINDS = {"text": ".txt", "csv": ".csv", "images": ".zip", "tsv": ".tsv"}


def _check_size(data: bytes, what: str) -> None:
    if len(data) > MAX_UPLOAD_BYTES:
        raise DatasetError(f"{what}: {len(data):,} bytes is over the {MAX_UPLOAD_BYTES:,}-byte limit")
    if not data:
        raise DatasetError(f"{what}: the file is empty")


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DatasetError(f"{what}: not UTF-8 text (byte {err.start} cannot be decoded)") from None


def parse_text(data: bytes, name: str = "upload", seed: int = 0) -> TextCorpus:
    """A UTF-8 text file as a language-modelling corpus, split contiguously 70/15/15.

    ``seed`` is accepted for the common interface; the contiguous split does not depend on it.
    """
    _check_size(data, "text upload")
    text = _decode(data, "text upload")
    if len(text) < MIN_TEXT_CHARACTERS:
        raise DatasetError(f"text upload: {len(text)} characters; at least {MIN_TEXT_CHARACTERS:,} are needed")
    train, val, test = contiguous_split(text)
    return TextCorpus(name=name, train=train, val=val, test=test, meta={"source": "upload", "characters": len(text)})


def parse_csv(data: bytes, name: str = "upload", seed: int = 0) -> LabelledText:
    """A CSV with a header naming ``text`` and ``label`` columns; every problem names its row."""
    _check_size(data, "CSV upload")
    rows = list(csv.reader(io.StringIO(_decode(data, "CSV upload"))))
    header = [h.strip().lower() for h in rows[0]] if rows else []
    if "text" not in header or "label" not in header:
        raise DatasetError("CSV upload: the first row must name the columns 'text' and 'label'")
    ti, li = header.index("text"), header.index("label")
    texts, names = [], []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # blank lines are allowed
        if len(row) <= max(ti, li) or not row[ti].strip() or not row[li].strip():
            raise DatasetError(f"CSV upload: row {number} has an empty text or label")
        texts.append(row[ti].strip())
        names.append(row[li].strip())
    classes = tuple(sorted(set(names)))
    if len(classes) < 2:
        raise DatasetError(f"CSV upload: {len(classes)} distinct label(s); at least 2 are needed")
    y = np.asarray([classes.index(n) for n in names], dtype=np.int64)
    tr, va, te = split_indices(y, seed)
    pick = lambda rows: tuple(texts[i] for i in rows)  # noqa: E731
    return LabelledText(name=name, x_train=pick(tr), y_train=y[tr], x_val=pick(va), y_val=y[va],
                        x_test=pick(te), y_test=y[te], classes=classes, meta={"source": "upload", "rows": len(y)})


def parse_tsv(data: bytes, name: str = "upload", seed: int = 0) -> ParallelCorpus:
    """Sentence pairs, one ``source<TAB>target`` per line; every problem names its line.

    Blank lines are skipped and a first line reading ``source<TAB>target`` is taken as a header. Pairs are
    split by source sentence (``parallel.split_pairs``), so a source never appears in two splits.
    """
    _check_size(data, "TSV upload")
    pairs: list[tuple[str, str]] = []
    for number, line in enumerate(_decode(data, "TSV upload").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 2:
            found = "no tab" if len(fields) == 1 else f"{len(fields) - 1} tabs"
            raise DatasetError(f"TSV upload: line {number} has {found}; each line must be source<TAB>target")
        source, target = (" ".join(f.split()) for f in fields)
        if number == 1 and (source.lower(), target.lower()) == ("source", "target"):
            continue  # a header
        if not source or not target:
            raise DatasetError(f"TSV upload: line {number} has an empty {'source' if not source else 'target'}")
        for side, text in (("source", source), ("target", target)):
            if (n := len(tokenize(text))) > MAX_TSV_TOKENS:
                raise DatasetError(f"TSV upload: line {number}'s {side} has {n:,} tokens; at most "
                                   f"{MAX_TSV_TOKENS} are allowed")
        pairs.append((source, target))
    if (n := len({s for s, _ in pairs})) < MIN_TSV_PAIRS:
        raise DatasetError(f"TSV upload: {n} distinct source sentence(s); at least {MIN_TSV_PAIRS} are needed")
    train, val, test = split_pairs(pairs, seed)
    return ParallelCorpus(name=name, train=train, val=val, test=test, meta={"source": "upload", "pairs": len(pairs)})


def _safe_member(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The entry's path if it is a plain file we may read, None for folders; refuses anything unsafe."""
    raw = info.filename.replace("\\", "/")
    path = PurePosixPath(raw)
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw) or ".." in path.parts:
        raise DatasetError(f"image zip: entry {raw!r} points outside the archive; nothing was read")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise DatasetError(f"image zip: entry {raw!r} is a link; nothing was read")
    if info.is_dir() or path.name.startswith(".") or "__MACOSX" in path.parts:
        return None
    return path


def _images_to_dataset(items: list[tuple[str, bytes]], size: int, name: str, seed: int) -> ImageDataset:
    """(label, image bytes) pairs → grey size×size images in [0, 1], stratified split."""
    from PIL import Image, UnidentifiedImageError

    if not 4 <= int(size) <= 256:
        raise DatasetError(f"images: size must be between 4 and 256 pixels, not {size}")
    classes = tuple(sorted({label for label, _ in items}))
    if len(classes) < 2:
        raise DatasetError("images: put the images in one folder per label; at least 2 labels are needed")
    xs, ys = [], []
    for label, blob in items:
        try:
            with Image.open(io.BytesIO(blob)) as img:
                if img.width * img.height > MAX_IMAGE_PIXELS:
                    raise DatasetError(f"images: an image in {label!r} is {img.width}×{img.height}, over the limit")
                grey = img.convert("L").resize((size, size), Image.Resampling.BILINEAR)
                xs.append(np.asarray(grey, dtype=np.float32) / 255.0)
        except (UnidentifiedImageError, OSError):
            raise DatasetError(f"images: a file in {label!r} is not an image this app can read") from None
        ys.append(classes.index(label))
    x = np.stack(xs)[:, None, :, :]
    y = np.asarray(ys, dtype=np.int64)
    tr, va, te = split_indices(y, seed)
    return ImageDataset(name=name, x_train=x[tr], y_train=y[tr], x_val=x[va], y_val=y[va], x_test=x[te],
                        y_test=y[te], classes=classes, meta={"source": "upload", "images": len(y), "size": size})


def parse_image_zip(data: bytes, size: int = 8, name: str = "upload", seed: int = 0) -> ImageDataset:
    """A zip of ``label/image.png`` entries; checked entry by entry before anything is decompressed."""
    _check_size(data, "image zip")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DatasetError("image zip: not a zip file") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise DatasetError(f"image zip: {len(infos):,} entries is over the {MAX_ZIP_ENTRIES:,} limit")
        expanded = sum(i.file_size for i in infos)
        if expanded > MAX_EXPANDED_BYTES:
            raise DatasetError(f"image zip: expands to {expanded:,} bytes, over the {MAX_EXPANDED_BYTES:,} limit")
        members = []
        for info in infos:
            path = _safe_member(info)
            if info.file_size > 1024 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise DatasetError(f"image zip: entry {info.filename!r} expands {MAX_RATIO}× or more; refused")
            if path is not None and path.suffix.lower() in IMAGE_SUFFIXES and len(path.parts) >= 2:
                members.append((path.parts[-2], info))
        if not members:
            raise DatasetError("image zip: no images in label folders (expected entries like 'cat/001.png')")
        try:
            # zipfile stops each entry at its header's size and checks its CRC, so a forged header cannot
            # expand past the limits checked above.
            items = [(label, archive.read(info)) for label, info in members]
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise DatasetError(f"image zip: damaged archive ({err})") from None
    return _images_to_dataset(items, size, name, seed)


def read_image_folder(folder: str | Path, size: int = 8, seed: int = 0) -> ImageDataset:
    """A local folder with one sub-folder per label (for the CLI); links are not followed."""
    root = Path(folder)
    if not root.is_dir():
        raise DatasetError(f"image folder: {str(root)!r} is not a folder")
    items = [(p.parent.name, p.read_bytes()) for p in sorted(root.glob("*/*"))
             if p.is_file() and not p.is_symlink() and p.suffix.lower() in IMAGE_SUFFIXES]
    if sum(len(b) for _, b in items) > MAX_EXPANDED_BYTES:
        raise DatasetError(f"image folder: more than {MAX_EXPANDED_BYTES:,} bytes of images")
    return _images_to_dataset(items, size, root.name, seed)


PARSERS = {"text": parse_text, "csv": parse_csv, "images": parse_image_zip, "tsv": parse_tsv}


def store(data: bytes, kind: str) -> str:
    """Check and keep an upload; returns its data-set name ``upload:<kind>:<sha256>`` for ``load``.

    The upload is parsed first, so a refused file is never written; the file name is its digest.
    """
    if kind not in KINDS:
        raise DatasetError(f"upload kind must be one of {sorted(KINDS)}, not {kind!r}")
    PARSERS[kind](data)
    digest = hashlib.sha256(data).hexdigest()
    target = upload_dir() / f"{digest}{KINDS[kind]}"
    if not target.exists():
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)  # atomic: a reader never sees half a file
    return f"upload:{kind}:{digest}"


def load_stored(kind: str, digest: str,
                **options: object) -> TextCorpus | LabelledText | ImageDataset | ParallelCorpus:
    """A stored upload by kind and digest (the digest must be 64 hex digits: it becomes a file name)."""
    if kind not in KINDS or not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise DatasetError(f"unknown upload {kind}:{digest}")
    path = upload_dir() / f"{digest}{KINDS[kind]}"
    if not path.is_file():
        raise DatasetError(f"upload {kind}:{digest[:12]}… is not stored on this machine")
    return PARSERS[kind](path.read_bytes(), **options)  # type: ignore[operator]
