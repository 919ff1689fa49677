"""Run ngspice in batch mode as a subprocess and read its binary raw file.

Batch mode (``ngspice -b -r out.raw netlist.cir``) needs nothing but the ngspice executable (Debian package
``ngspice``): no Python binding, no shared library. The run happens in a private temporary folder that is removed
afterwards, so a failed simulation leaves nothing behind.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from ..errors import MemsnnError

ENV_VAR = "MEMSNN_NGSPICE"
INSTALL_HINT = ("install it with `apt-get install -y ngspice` (Debian/Ubuntu), `brew install ngspice` (macOS) or "
                f"from https://ngspice.sourceforge.io, or point ${ENV_VAR} to the executable")
#: phrases with which ngspice reports a failed analysis in batch mode
FAILURE_PATTERNS = ("timestep too small", "simulation(s) aborted", "singular matrix", "transient solution failed",
                    "iteration limit reached", "no convergence", "could not find a valid", "fatal error",
                    "unknown subckt", "unable to find definition", "error on line")


class NgspiceError(MemsnnError):
    """ngspice is missing, or a simulation failed (message carries ngspice's own diagnostics)."""


@dataclasses.dataclass
class SpiceResult:
    """Waveforms of one transient run: ``time`` (T,) and ``vectors[name]`` (T,), names lower-case without V()."""

    time: np.ndarray
    vectors: dict[str, np.ndarray]
    wall_s: float
    log: str

    def __getitem__(self, name: str) -> np.ndarray:
        key = name.lower()
        if key not in self.vectors:
            raise KeyError(f"no vector {name!r} in the ngspice output (have {', '.join(list(self.vectors)[:10])} ...)")
        return self.vectors[key]


def find_ngspice() -> str:
    """Path of the ngspice executable (``$MEMSNN_NGSPICE`` or PATH); NgspiceError with install instructions."""
    exe = os.environ.get(ENV_VAR) or shutil.which("ngspice")
    if not exe or not (Path(exe).is_file() and os.access(exe, os.X_OK)):
        raise NgspiceError(f"ngspice executable not found ({'$' + ENV_VAR + '=' + exe if exe else 'not on PATH'}); "
                           f"{INSTALL_HINT}")
    return exe


def ngspice_version() -> str:
    """The first line of ``ngspice --version`` output that names the version."""
    out = subprocess.run([find_ngspice(), "--version"], capture_output=True, text=True, timeout=30).stdout
    m = re.search(r"ngspice-\S+|ngspice\s+\S+", out)
    return m.group(0) if m else out.strip().splitlines()[0] if out.strip() else "unknown"


def _name(raw: str) -> str:
    raw = raw.lower()
    m = re.fullmatch(r"v\((.*)\)", raw)
    return m.group(1) if m else raw


def parse_raw(data: bytes) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Parse an ngspice raw file (binary or ASCII, real transient data) → (time, {name: values})."""
    marker_bin, marker_asc = b"Binary:\n", b"Values:\n"
    if marker_bin in data:
        head, body = data.split(marker_bin, 1)
        binary = True
    elif marker_asc in data:
        head, body = data.split(marker_asc, 1)
        binary = False
    else:
        raise NgspiceError("ngspice raw file has no data section")
    text = head.decode("latin-1")
    fields = dict(re.findall(r"^(No\. Variables|No\. Points|Flags):\s*(.*)$", text, flags=re.M))
    try:
        nvar, npts = int(fields["No. Variables"]), int(fields["No. Points"])
    except (KeyError, ValueError):
        raise NgspiceError("ngspice raw file header lacks the variable/point counts") from None
    if "complex" in fields.get("Flags", ""):
        raise NgspiceError("complex (AC) raw data is not supported here")
    var_block = text.split("Variables:\n", 1)[1]
    names = [_name(line.split()[1]) for line in var_block.strip().splitlines()[:nvar]]
    if binary:
        values = np.frombuffer(body, dtype="<f8", count=nvar * npts).reshape(npts, nvar)
    else:
        nums = body.decode("latin-1").split()
        # each point: index, then nvar values
        arr = np.array([float(x) for k, x in enumerate(nums) if k % (nvar + 1) != 0])
        values = arr.reshape(npts, nvar)
    vectors = {n: values[:, k].copy() for k, n in enumerate(names)}
    time_key = names[0]
    return vectors.pop(time_key), vectors


def run_netlist(netlist: str, *, timeout: float = 3600.0, keep: str | Path | None = None) -> SpiceResult:
    """Simulate ``netlist`` with ``ngspice -b``; raise NgspiceError (with ngspice's messages) if it fails.

    ``keep``: optional folder where the netlist and log are copied (for debugging); nothing else is written.
    """
    exe = find_ngspice()
    with tempfile.TemporaryDirectory(prefix="memsnn-ngspice-") as tmp:
        cir, raw = Path(tmp) / "circuit.cir", Path(tmp) / "out.raw"
        cir.write_text(netlist, encoding="utf-8")
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([exe, "-b", "-r", str(raw), str(cir)], capture_output=True, text=True,
                                  timeout=timeout, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise NgspiceError(f"ngspice did not finish within {timeout:.0f} s") from None
        wall = time.perf_counter() - t0
        log = proc.stdout + proc.stderr
        if keep is not None:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copy(cir, Path(keep) / "circuit.cir")
            (Path(keep) / "ngspice.log").write_text(log, encoding="utf-8")
        low = log.lower()
        failed = [p for p in FAILURE_PATTERNS if p in low]
        if failed or proc.returncode != 0 or not raw.exists() or raw.stat().st_size == 0:
            detail = "; ".join(line.strip() for line in log.splitlines()
                               if any(p in line.lower() for p in FAILURE_PATTERNS + ("error",)))[:800]
            raise NgspiceError(f"ngspice simulation failed (exit status {proc.returncode}"
                               f"{', did not converge' if failed else ''}): {detail or log.strip()[-800:]}")
        time_, vectors = parse_raw(raw.read_bytes())
    return SpiceResult(time_, vectors, wall, log)
