"""Reading PDFs back the way a desk would: pdftotext, pdfinfo, and pdftoppm + zbarimg for barcodes."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is missing: run scripts/setup.sh (poppler-utils, zbar-tools)")
    return path


def pdf_text(pdf: bytes, page: int | None = None) -> str:
    args = [need("pdftotext"), "-layout"]
    if page is not None:
        args += ["-f", str(page), "-l", str(page)]
    return subprocess.run(args + ["-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def pdf_pages(pdf: bytes) -> int:
    info = subprocess.run([need("pdfinfo"), "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_page_size_mm(pdf: bytes) -> tuple[float, float]:
    info = subprocess.run([need("pdfinfo"), "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    line = next(line for line in info.splitlines() if line.startswith("Page size:"))
    width, height = float(line.split()[2]), float(line.split()[4])  # points
    return round(width * 25.4 / 72), round(height * 25.4 / 72)


def decode_barcodes(pdf: bytes, tmp_path: Path, page: int = 1) -> list[str]:
    """Rasterise one page at 200 dpi, as a desk scanner would see it, and read its barcodes."""
    source = tmp_path / "slip.pdf"
    source.write_bytes(pdf)
    subprocess.run([need("pdftoppm"), "-r", "200", "-png", "-f", str(page), "-l", str(page), "-singlefile",
                    str(source), str(tmp_path / "page")], check=True)
    result = subprocess.run([need("zbarimg"), "--quiet", "--raw", str(tmp_path / "page.png")],
                            capture_output=True, text=True)
    return result.stdout.split()
